// Package list implements `profile list`.
package list

import (
	"github.com/spf13/cobra"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/api"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/config"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/output"
)

// ListOptions are the inputs of `profile list`.
type ListOptions struct {
	IO         *iostreams.IOStreams
	ConfigPath func() string
	Format     func() (output.Format, error)
}

// Entry is one profile as printed by `profile list -o json`.
type Entry struct {
	Name    string `json:"name"`
	Current bool   `json:"current"`
	APIKey  string `json:"apiKey"`
	BaseURL string `json:"baseUrl"`
}

// NewCmdList builds `profile list`.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, ConfigPath: f.ConfigPath, Format: f.OutputFormat}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the profiles (keys masked)",
		Args:    cmdutil.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return listRun(opts)
		},
	}
	return cmd
}

func listRun(opts *ListOptions) error {
	format, err := opts.Format()
	if err != nil {
		return err
	}
	path := opts.ConfigPath()
	cfg, err := config.LoadFile(path, opts.IO)
	if err != nil {
		return err
	}
	entries := []Entry{}
	for _, name := range cfg.ProfileNames() {
		p := cfg.Profiles[name]
		baseURL := p.BaseURL
		if baseURL == "" {
			baseURL = config.DefaultBaseURL
		}
		entries = append(entries, Entry{Name: name, Current: name == cfg.CurrentProfile, APIKey: api.MaskKey(p.APIKey), BaseURL: baseURL})
	}
	if format.IsStructured() {
		return output.WriteStructured(opts.IO.Out, format, entries)
	}
	if len(entries) == 0 {
		opts.IO.ErrOut.Write([]byte("no profiles in " + path + "; add one with `tagmango-hooks profile add NAME`\n"))
		return nil
	}
	t := output.NewTable(opts.IO.Out, opts.IO.IsStdoutTTY(), "NAME", "CURRENT", "API KEY", "BASE URL")
	for _, e := range entries {
		current := ""
		if e.Current {
			current = "*"
		}
		t.AddRow(e.Name, current, e.APIKey, e.BaseURL)
	}
	return t.Render()
}
