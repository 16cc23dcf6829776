// Package remove implements `profile remove`.
package remove

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/profile/use"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/config"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
)

// RemoveOptions are the inputs of `profile remove`.
type RemoveOptions struct {
	IO         *iostreams.IOStreams
	ConfigPath func() string

	Name string
	Yes  bool
}

// NewCmdRemove builds `profile remove`.
func NewCmdRemove(f *cmdutil.Factory, runF func(*RemoveOptions) error) *cobra.Command {
	opts := &RemoveOptions{IO: f.IOStreams, ConfigPath: f.ConfigPath}
	cmd := &cobra.Command{
		Use:               "remove NAME",
		Aliases:           []string{"rm"},
		Short:             "Remove a profile and its key from the config file",
		Args:              cmdutil.ExactArgs(1, "profile remove needs a profile NAME"),
		ValidArgsFunction: cmdutil.CompleteProfiles(f),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Name = args[0]
			if !opts.Yes && !opts.IO.CanPrompt() {
				return cmdutil.FlagErrorf("--yes is required to remove a profile when not running interactively")
			}
			if runF != nil {
				return runF(opts)
			}
			return removeRun(c.Context(), opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func removeRun(ctx context.Context, opts *RemoveOptions) error {
	path := opts.ConfigPath()
	cfg, err := config.LoadFile(path, opts.IO)
	if err != nil {
		return err
	}
	if _, ok := cfg.Profiles[opts.Name]; !ok {
		return use.UnknownProfile(opts.Name, cfg)
	}
	if !opts.Yes {
		ok, err := opts.IO.Confirm(ctx, fmt.Sprintf("Remove profile %s and its API key?", opts.Name))
		if err != nil {
			return err
		}
		if !ok {
			fmt.Fprintln(opts.IO.ErrOut, "Cancelled; nothing was removed.")
			return cmdutil.ErrSilent
		}
	}
	wasCurrent := false
	err = config.Update(path, nil, func(cfg *config.File) error {
		if _, ok := cfg.Profiles[opts.Name]; !ok {
			return use.UnknownProfile(opts.Name, cfg)
		}
		delete(cfg.Profiles, opts.Name)
		if cfg.CurrentProfile == opts.Name {
			wasCurrent = true
			cfg.CurrentProfile = ""
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "%s Removed profile %s\n", opts.IO.SuccessIcon(), opts.Name)
	if wasCurrent {
		fmt.Fprintln(opts.IO.ErrOut, "No profile is current now; choose one with `tagmango-hooks profile use NAME`")
	}
	return nil
}
