// Package use implements `profile use`.
package use

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/config"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
)

// UseOptions are the inputs of `profile use`.
type UseOptions struct {
	IO         *iostreams.IOStreams
	ConfigPath func() string

	Name string
}

// NewCmdUse builds `profile use`.
func NewCmdUse(f *cmdutil.Factory, runF func(*UseOptions) error) *cobra.Command {
	opts := &UseOptions{IO: f.IOStreams, ConfigPath: f.ConfigPath}
	cmd := &cobra.Command{
		Use:               "use NAME",
		Short:             "Make a profile the current one",
		Args:              cmdutil.ExactArgs(1, "profile use needs a profile NAME"),
		ValidArgsFunction: cmdutil.CompleteProfiles(f),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return useRun(opts)
		},
	}
	return cmd
}

func useRun(opts *UseOptions) error {
	err := config.Update(opts.ConfigPath(), opts.IO, func(cfg *config.File) error {
		if _, ok := cfg.Profiles[opts.Name]; !ok {
			return UnknownProfile(opts.Name, cfg)
		}
		cfg.CurrentProfile = opts.Name
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "%s %s is now the current profile\n", opts.IO.SuccessIcon(), opts.Name)
	return nil
}

// UnknownProfile is the usage error for a profile name not in the config file.
func UnknownProfile(name string, cfg *config.File) error {
	return config.NewUnknownProfileError(name, cfg)
}
