// Package list implements `list`.
package list

import (
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/config"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/output"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/store"
)

// ListOptions are the inputs of `list`.
type ListOptions struct {
	IO       *iostreams.IOStreams
	Settings func() (*config.Settings, error)
	Store    func() (*store.Store, error)
	Catalog  func() (*events.Catalog, error)
	Format   func() (output.Format, error)
	Now      func() time.Time

	// Events are the --event names and families; empty selects every event.
	Events      []string
	URL         string
	AllProfiles bool
}

// NewCmdList builds `list`.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Settings: f.Settings, Store: f.Store, Catalog: f.Catalog, Format: f.OutputFormat, Now: f.Now}
	var eventFlag *cmdutil.EventFlag
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the tracked subscriptions",
		Long: `List the subscriptions registered with tagmango-hooks for the current profile on
the current API (--base-url). --all-profiles lists every record, with a BASE URL column.

On a terminal times are relative; in a pipe rows are tab-separated with RFC 3339
times. Both mark a temporary subscription (made by listen --register, deleted when
it ends) with "(temporary)" in FILTERS. -o json prints an array of records ([] when there are none); each record has
its baseUrl.`,
		Example: `  $ tagmango-hooks list
  $ tagmango-hooks list --event course.completed.50 -o json | jq -r '.[].hookUrl'
  $ tagmango-hooks list -e 'course.completed.*,webinar.reminder.all'
  $ tagmango-hooks ls --all-profiles`,
		Args: cmdutil.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			opts.Events = eventFlag.Names()
			if runF != nil {
				return runF(opts)
			}
			return listRun(opts)
		},
	}
	eventFlag = cmdutil.AddEventFlag(f, cmd, cmdutil.Select, "only subscriptions to this `EVENT` or family (course.completed.*)")
	cmd.Flags().StringVar(&opts.URL, "url", "", "only subscriptions on this hook URL")
	cmd.Flags().BoolVar(&opts.AllProfiles, "all-profiles", false, "list the subscriptions of every profile and API, with their base URL")
	return cmd
}

func listRun(opts *ListOptions) error {
	format, err := opts.Format()
	if err != nil {
		return err
	}
	var scope store.Scope
	if !opts.AllProfiles {
		s, err := opts.Settings()
		if err != nil {
			return err
		}
		if scope, err = cmdutil.Scope(s); err != nil {
			return err
		}
	}
	st, err := opts.Store()
	if err != nil {
		return err
	}
	state, err := st.Load()
	if err != nil {
		return err
	}
	if err := checkEvents(opts, state); err != nil {
		return err
	}
	matches := func(r store.Record) bool {
		return selected(opts.Events, r.Event) && (opts.URL == "" || r.HookURL == opts.URL)
	}
	records := state.Select(func(r store.Record) bool {
		return (opts.AllProfiles || scope.Has(r)) && matches(r)
	})
	if len(records) == 0 && !format.IsStructured() {
		where := "for " + scope.String()
		if opts.AllProfiles {
			where = "in any profile"
		}
		fmt.Fprintf(opts.IO.ErrOut, "no subscriptions tracked %s; add one with `tagmango-hooks register --url URL --event EVENT`\n", where)
		if !opts.AllProfiles {
			// Records of this profile made on another API (the emulator, say) are not
			// this API's, but the user may be looking for them.
			if n := len(state.Select(func(r store.Record) bool { return r.Profile == scope.Profile && matches(r) })); n > 0 {
				fmt.Fprintf(opts.IO.ErrOut, "(%d of profile %s on other APIs: see `tagmango-hooks list --all-profiles`)\n", n, scope.Profile)
			}
		}
		return nil
	}
	if opts.AllProfiles {
		return cmdutil.PrintRecordsWithBaseURL(opts.IO, format, records, opts.Now())
	}
	return cmdutil.PrintRecords(opts.IO, format, records, opts.Now())
}

// checkEvents validates --event against the catalog. A name the catalog lacks is
// still taken when a tracked record has it: register --force can subscribe one.
func checkEvents(opts *ListOptions, state *store.State) error {
	if len(opts.Events) == 0 {
		return nil
	}
	catalog, err := opts.Catalog()
	if err != nil {
		return err
	}
	var check []string
	for _, name := range opts.Events {
		tracked := len(state.Select(func(r store.Record) bool { return r.Event == name })) > 0
		if !tracked {
			check = append(check, name)
		}
	}
	return cmdutil.CheckEvents(catalog, "--event", cmdutil.Select, check)
}

// selected reports whether the event is one of the names or families given (all
// events when none is).
func selected(want []string, event string) bool {
	if len(want) == 0 {
		return true
	}
	return slices.ContainsFunc(want, func(w string) bool { return events.MatchPattern(w, event) })
}
