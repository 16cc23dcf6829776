// Package register implements `register`.
package register

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/api"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/config"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/hookurl"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/output"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/safetext"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/store"
)

// RegisterOptions are the inputs of `register`.
type RegisterOptions struct {
	IO        *iostreams.IOStreams
	Settings  func() (*config.Settings, error)
	APIClient func(timeout time.Duration) (*api.Client, error)
	Store     func() (*store.Store, error)
	Catalog   func() (*events.Catalog, error)
	Format    func() (output.Format, error)
	Now       func() time.Time

	URL string
	// Events are the names given with --event: trimmed, without blanks or repeats.
	Events  []string
	Filters store.Filters
	Force   bool
	DryRun  bool
	Timeout time.Duration
}

// NewCmdRegister builds `register`.
func NewCmdRegister(f *cmdutil.Factory, runF func(*RegisterOptions) error) *cobra.Command {
	opts := &RegisterOptions{
		IO:        f.IOStreams,
		Settings:  f.Settings,
		APIClient: f.APIClient,
		Store:     f.Store,
		Catalog:   f.Catalog,
		Format:    f.OutputFormat,
		Now:       f.Now,
	}
	var eventFlag *cmdutil.EventFlag
	cmd := &cobra.Command{
		Use:   "register --url URL --event EVENT[,EVENT...] [--event EVENT ...]",
		Short: "Subscribe a URL to TagMango events",
		Long: `Subscribe a URL to one or more TagMango events, and track the subscription locally.

On a terminal a ✓ line says what was done for each event; in a pipe stdout has the
records. With -o json or yaml each record carries "action": "registered", or
"already-registered" when it was tracked already (no call made).

One API call is made per event. An identical subscription already tracked for the
profile is reported as already registered, without an API call (--force sends it
again). A filter that does not apply to an event (say --course with a webinar event)
is refused: TagMango would ignore it and deliver every entity's events.`,
		Example: `  $ tagmango-hooks register --url https://example.com/hooks/tm --event course.completed.50 --course 634fc35ddaf58580e2418c40
  $ tagmango-hooks register --url https://example.com/hooks/tm -e webinar.reminder.all,webinar.completed.all
  $ tagmango-hooks register --url https://example.com/hooks/tm --event order.created.completed --dry-run
  $ tagmango-hooks register --url https://example.com/hooks/tm --event user.deleted --dry-run -o json`,
		Args: cmdutil.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			opts.Events = eventFlag.Names()
			if opts.URL == "" {
				return cmdutil.FlagErrorf("--url is required")
			}
			if len(opts.Events) == 0 {
				return cmdutil.FlagErrorf("at least one --event is required (see `tagmango-hooks events`)")
			}
			if runF != nil {
				return runF(opts)
			}
			return registerRun(c.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.URL, "url", "", "the URL TagMango will POST events to")
	eventFlag = cmdutil.AddEventFlag(f, cmd, cmdutil.Subscribe, "subscribe to this `EVENT` type")
	fl.StringVar(&opts.Filters.Mango, "mango", "", "only events of this mango (product) ID")
	fl.StringVar(&opts.Filters.Course, "course", "", "only events of this course ID")
	fl.StringVar(&opts.Filters.Webinar, "webinar", "", "only events of this webinar ID")
	fl.StringVar(&opts.Filters.Page, "page", "", "page ID filter (accepted by the API, documented for no event)")
	fl.BoolVar(&opts.Force, "force", false, "send even when already registered, unknown or with a mismatched filter")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the requests instead of sending them (-o json: as an array of {method, url, headers, body})")
	fl.DurationVar(&opts.Timeout, "timeout", 30*time.Second, "time limit of each API call, its retries included")
	return cmd
}

// validate checks events and filters against the catalog and returns the warnings to
// show. Errors are usage errors (exit 2) unless --force turns them into warnings.
func validate(opts *RegisterOptions, catalog *events.Catalog, eventNames []string) ([]string, error) {
	var warnings []string
	problem := func(msg string) error {
		if opts.Force {
			warnings = append(warnings, msg+" (sent anyway: --force)")
			return nil
		}
		return cmdutil.Invalidf("%s", msg)
	}
	for _, name := range eventNames {
		e, ok := catalog.Lookup(name)
		if !ok && events.IsPattern(name) {
			// Not even --force: TagMango takes event names, never patterns, and
			// CheckEvents refuses every pattern to subscribe.
			return nil, cmdutil.CheckEvents(catalog, "--event", cmdutil.Subscribe, []string{name})
		}
		if !ok {
			msg := catalog.UnknownMessage(name)
			if !opts.Force {
				msg += " (--force sends it anyway)"
			}
			if err := problem(msg); err != nil {
				return nil, err
			}
			continue
		}
		if note := e.DeprecationNote(); note != "" {
			warnings = append(warnings, note)
		}
		given := events.FilterSet{Mango: opts.Filters.Mango, Course: opts.Filters.Course, Webinar: opts.Filters.Webinar}
		for _, flag := range e.Misapplied(given) {
			if err := problem(e.FilterProblem(flag) + "; pass --force to send it anyway"); err != nil {
				return nil, err
			}
		}
	}
	if opts.Filters.Page != "" {
		warnings = append(warnings, events.PageWarning)
	}
	return warnings, nil
}

func registerRun(ctx context.Context, opts *RegisterOptions) error {
	format, err := opts.Format()
	if err != nil {
		return err
	}
	u, err := hookurl.Parse(opts.URL)
	if err != nil {
		return cmdutil.Invalidf("--url: %v", err)
	}
	catalog, err := opts.Catalog()
	if err != nil {
		return err
	}
	warnings, err := validate(opts, catalog, opts.Events)
	if err != nil {
		return err
	}
	settings, err := opts.Settings()
	if err != nil {
		return err
	}
	scope, err := cmdutil.Scope(settings)
	if err != nil {
		return err
	}
	warnings = append(warnings, hookurl.Warnings(u, scope.BaseURL)...)
	for _, w := range warnings {
		opts.IO.Warnf("%s", w)
	}
	st, err := opts.Store()
	if err != nil {
		return err
	}
	// The store comes first: a corrupt file stops us before any API call.
	state, err := st.Load()
	if err != nil {
		return err
	}

	now := opts.Now()
	var (
		result  []cmdutil.Outcome
		pending []store.Record
	)
	for _, name := range opts.Events {
		rec := scope.NewRecord(name, opts.URL, opts.Filters, now)
		// Only a record of this profile on this API counts: one made against the
		// emulator says nothing about production.
		if i := state.Find(rec.ID); i >= 0 && scope.Has(state.Subscriptions[i]) && !opts.Force {
			existing := state.Subscriptions[i]
			fmt.Fprintf(opts.IO.ErrOut, "%s already registered: %s (use --force to send it again)\n", opts.IO.SuccessIcon(), describe(existing))
			result = append(result, cmdutil.Outcome{Record: &existing, Action: cmdutil.ActionAlreadyRegistered})
			continue
		}
		pending = append(pending, rec)
	}

	if opts.DryRun && format.IsStructured() {
		return dryRunStructured(opts, format, pending)
	}
	if len(pending) == 0 {
		return printResult(opts, format, result, now)
	}
	client, err := opts.APIClient(opts.Timeout)
	if err != nil {
		return err
	}
	if opts.DryRun {
		for _, rec := range pending {
			if err := client.DryRunRegister(opts.IO.Out, requestFor(rec)); err != nil {
				return err
			}
		}
		fmt.Fprintf(opts.IO.ErrOut, "dry run: %d request(s) not sent, nothing recorded\n", len(pending))
		return nil
	}

	bulk := cmdutil.NewBulk("registration", len(pending))
	accepted := 0
	for i, rec := range pending {
		if ctx.Err() != nil {
			return interrupted(opts, format, result, now, pending[i:])
		}
		res, err := client.Register(ctx, requestFor(rec))
		if err != nil && ctx.Err() != nil {
			if api.MayHaveActed(err) {
				fmt.Fprintf(opts.IO.ErrOut, "interrupted while registering %s → %s: TagMango may have registered it, but it is not recorded; run the same register again to be sure (or delete --url %s)\n", rec.Event, rec.HookURL, rec.HookURL)
			}
			return interrupted(opts, format, result, now, pending[i+1:])
		}
		if err != nil {
			if bulk.Fail(rec.Event, err) {
				bulk.Stopped(eventNamesOf(pending[i+1:]))
				break
			}
			continue
		}
		rec.RemoteID = res.RemoteID
		if err := st.Update(func(s *store.State) error { s.Upsert(rec); return nil }); err != nil {
			return fmt.Errorf("TagMango accepted %s for %s but it could not be recorded locally: %w", rec.Event, rec.HookURL, err)
		}
		fmt.Fprintf(opts.IO.ErrOut, "%s registered %s\n", opts.IO.SuccessIcon(), describe(rec))
		result = append(result, cmdutil.Outcome{Record: &rec, Action: cmdutil.ActionRegistered})
		accepted++
	}
	if bulk.Failed() == 0 || len(result) > 0 {
		if err := printResult(opts, format, result, now); err != nil {
			return err
		}
	}
	return bulk.Err(opts.IO.ErrOut, accepted, "accepted and recorded")
}

// dryRunStructured prints the requests register would send as data (-o json|yaml):
// an array of {method, url, headers, body}, [] when nothing would be sent.
func dryRunStructured(opts *RegisterOptions, format output.Format, pending []store.Record) error {
	plans := []api.DryRequest{}
	if len(pending) > 0 {
		client, err := opts.APIClient(opts.Timeout)
		if err != nil {
			return err
		}
		for _, rec := range pending {
			p, err := client.PlanRegister(requestFor(rec))
			if err != nil {
				return err
			}
			plans = append(plans, p)
		}
	}
	if err := output.WriteStructured(opts.IO.Out, format, plans); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "dry run: %d request(s) not sent, nothing recorded\n", len(pending))
	return nil
}

// interrupted ends a run stopped by Ctrl-C: it prints what was done (no empty table)
// and names the events that were not sent.
func interrupted(opts *RegisterOptions, format output.Format, result []cmdutil.Outcome, now time.Time, untried []store.Record) error {
	if len(result) > 0 || format.IsStructured() {
		if err := printResult(opts, format, result, now); err != nil {
			return err
		}
	}
	if len(untried) > 0 {
		fmt.Fprintf(opts.IO.ErrOut, "not sent: %s\n", strings.Join(eventNamesOf(untried), ", "))
	}
	return cmdutil.ErrCancel
}

// printResult prints what was registered. On a terminal the ✓ lines have said it all,
// so no table repeats them (as gh does); in a pipe, or with -o json|yaml, the records
// are the data a script reads.
func printResult(opts *RegisterOptions, format output.Format, result []cmdutil.Outcome, now time.Time) error {
	if !format.IsStructured() && opts.IO.IsStdoutTTY() {
		return nil
	}
	return cmdutil.PrintOutcomes(opts.IO, format, result, now, "")
}

// describe names a subscription on a ✓ line: id, event, URL and filters.
func describe(r store.Record) string {
	s := r.ID + " " + r.Event + " → " + safetext.Escape(r.HookURL)
	if f := r.FilterValues().String(); f != "" {
		s += " (" + safetext.Escape(f) + ")"
	}
	return s
}

func eventNamesOf(records []store.Record) []string {
	out := make([]string, 0, len(records))
	for _, r := range records {
		out = append(out, r.Event)
	}
	return out
}

func requestFor(rec store.Record) api.RegisterRequest {
	f := rec.FilterValues()
	return api.RegisterRequest{HookURL: rec.HookURL, Event: rec.Event, Mango: f.Mango, Course: f.Course, Webinar: f.Webinar, Page: f.Page}
}
