// Package list implements `list`.
package list

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/config"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/output"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/store"
)

// ListOptions are the inputs of `list`.
type ListOptions struct {
	IO       *iostreams.IOStreams
	Settings func() (*config.Settings, error)
	Store    func() (*store.Store, error)
	Format   func() (output.Format, error)
	Now      func() time.Time

	Event       string
	URL         string
	AllProfiles bool
}

// NewCmdList builds `list`.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Settings: f.Settings, Store: f.Store, Format: f.OutputFormat, Now: f.Now}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the tracked subscriptions",
		Long: `List the subscriptions registered with tagmango-hooks for the current profile.

On a terminal times are relative; in a pipe rows are tab-separated with RFC 3339
times. -o json prints an array of records ([] when there are none).`,
		Example: `  $ tagmango-hooks list
  $ tagmango-hooks list --event course.completed.50 -o json | jq -r '.[].hookUrl'
  $ tagmango-hooks ls --all-profiles`,
		Args: cmdutil.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return listRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Event, "event", "", "only subscriptions to this event")
	cmd.Flags().StringVar(&opts.URL, "url", "", "only subscriptions on this hook URL")
	cmd.Flags().BoolVar(&opts.AllProfiles, "all-profiles", false, "list the subscriptions of every profile")
	_ = cmd.RegisterFlagCompletionFunc("event", cmdutil.CompleteEvents(f))
	return cmd
}

func listRun(opts *ListOptions) error {
	format, err := opts.Format()
	if err != nil {
		return err
	}
	profile := ""
	if !opts.AllProfiles {
		s, err := opts.Settings()
		if err != nil {
			return err
		}
		profile = s.Profile
	}
	st, err := opts.Store()
	if err != nil {
		return err
	}
	state, err := st.Load()
	if err != nil {
		return err
	}
	records := state.Select(func(r store.Record) bool {
		return (opts.AllProfiles || r.Profile == profile) &&
			(opts.Event == "" || r.Event == opts.Event) &&
			(opts.URL == "" || r.HookURL == opts.URL)
	})
	if len(records) == 0 && !format.IsStructured() {
		scope := "for profile " + profile
		if opts.AllProfiles {
			scope = "in any profile"
		}
		fmt.Fprintf(opts.IO.ErrOut, "no subscriptions tracked %s; add one with `tagmango-hooks register --url URL --event EVENT`\n", scope)
		return nil
	}
	return cmdutil.PrintRecords(opts.IO, format, records, opts.Now())
}
