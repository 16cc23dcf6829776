// Package delete implements `delete`.
package delete

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/api"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/config"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/hookurl"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/output"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/safetext"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/store"
)

// DeleteOptions are the inputs of `delete`.
type DeleteOptions struct {
	IO        *iostreams.IOStreams
	Settings  func() (*config.Settings, error)
	APIClient func(timeout time.Duration) (*api.Client, error)
	Store     func() (*store.Store, error)
	Format    func() (output.Format, error)
	Now       func() time.Time

	// ListenRunning reports whether a `listen --register` still owns the temporary
	// subscriptions under a public URL.
	ListenRunning func(profile, publicURL string) bool

	URLs      []string
	IDs       []string
	All       bool
	Temporary bool
	Yes       bool
	LocalOnly bool
	DryRun    bool
	Timeout   time.Duration
}

// NewCmdDelete builds `delete`.
func NewCmdDelete(f *cmdutil.Factory, runF func(*DeleteOptions) error) *cobra.Command {
	opts := &DeleteOptions{
		IO:        f.IOStreams,
		Settings:  f.Settings,
		APIClient: f.APIClient,
		Store:     f.Store,
		Format:    f.OutputFormat,
		Now:       f.Now,
	}
	cmd := &cobra.Command{
		Use:   "delete {--url URL... | ID... | --all | --temporary}",
		Short: "Unsubscribe a URL from TagMango",
		Long: `Unsubscribe from TagMango and forget the subscriptions locally.

With -o json or yaml each record removed carries "action": "deleted",
"already-deleted" (TagMango had no such URL) or "forgotten" (--local-only). A URL
deleted on TagMango that no record tracked is {"hookUrl": URL, "action": ...}, so
[] means nothing was done.

TagMango deletes by hook URL: every subscription on that URL goes, whatever its event.
Given IDs, each resolves to its URL, and the other subscriptions on that URL are named
and removed too; an ID may be shortened to a unique prefix of 4 or more characters. A URL that is not tracked is still deleted on TagMango (it may have
been registered with curl). A 404 from the API means it was already gone.

Only the subscriptions of the current profile on the current API (--base-url) are
seen. With several URLs, one call is made per URL, paced under TagMango's rate limit;
a rejected key or an API that cannot be reached stops the run, and the URLs not tried
are named.`,
		Example: `  $ tagmango-hooks delete --url https://example.com/hooks/tm
  $ tagmango-hooks delete --url https://example.com/a --url https://example.com/b
  $ tagmango-hooks delete 3f9a1c2e
  $ tagmango-hooks delete 3f9a
  $ tagmango-hooks delete --all --yes
  $ tagmango-hooks delete --temporary`,
		ValidArgsFunction: completeIDs(f),
		RunE: func(c *cobra.Command, args []string) error {
			opts.IDs = args
			modes := 0
			for _, set := range []bool{len(opts.URLs) > 0, len(args) > 0, opts.All, opts.Temporary} {
				if set {
					modes++
				}
			}
			if modes != 1 {
				return cmdutil.FlagErrorf("give exactly one of --url URL, subscription IDs, --all or --temporary")
			}
			if opts.All && !opts.Yes && !opts.DryRun && !opts.IO.CanPrompt() {
				return cmdutil.FlagErrorf("--yes is required to delete --all when not running interactively")
			}
			if runF != nil {
				return runF(opts)
			}
			return deleteRun(c.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&opts.URLs, "url", nil, "a hook URL to unsubscribe (repeatable)")
	fl.BoolVar(&opts.All, "all", false, "delete every tracked URL of the profile")
	// No backticks here: pflag would show the quoted text as the flag's value name.
	fl.BoolVar(&opts.Temporary, "temporary", false, "delete the temporary subscriptions left by an interrupted listen --register")
	fl.BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	fl.BoolVar(&opts.LocalOnly, "local-only", false, "forget locally without calling the API")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the requests instead of sending them (-o json: as an array of {method, url, headers, body})")
	fl.DurationVar(&opts.Timeout, "timeout", 30*time.Second, "time limit of each API call, its retries included")
	_ = cmd.RegisterFlagCompletionFunc("url", completeURLs(f))
	return cmd
}

// target is one URL to delete and the tracked records it takes with it.
type target struct {
	url     string
	records []store.Record
}

func deleteRun(ctx context.Context, opts *DeleteOptions) error {
	format, err := opts.Format()
	if err != nil {
		return err
	}
	for _, u := range opts.URLs {
		if _, err := hookurl.Parse(u); err != nil {
			return cmdutil.Invalidf("--url %s: %v", safetext.Escape(u), err)
		}
	}
	settings, err := opts.Settings()
	if err != nil {
		return err
	}
	scope, err := cmdutil.Scope(settings)
	if err != nil {
		return err
	}
	st, err := opts.Store()
	if err != nil {
		return err
	}
	state, err := st.Load()
	if err != nil {
		return err
	}
	if opts.ListenRunning == nil {
		opts.ListenRunning = st.ListenRunning
	}
	targets, err := resolveTargets(opts, state, scope)
	if err != nil {
		return err
	}
	now := opts.Now()
	if len(targets) == 0 {
		fmt.Fprintf(opts.IO.ErrOut, "nothing to delete: no %ssubscriptions tracked for %s\n", map[bool]string{true: "temporary "}[opts.Temporary], scope)
		return cmdutil.PrintOutcomes(opts.IO, format, nil, now, "")
	}
	if opts.All && !opts.Yes && !opts.DryRun {
		where := scope.String()
		if scope.IsProduction() {
			where += " on TagMango"
		}
		listTargets(opts.IO, targets)
		ok, err := opts.IO.Confirm(ctx, fmt.Sprintf("Delete %d URL(s) of %s?", len(targets), where))
		if err != nil {
			return err
		}
		if !ok {
			fmt.Fprintln(opts.IO.ErrOut, "Cancelled; nothing was deleted.")
			return cmdutil.ErrSilent
		}
	}

	var client *api.Client
	if !opts.LocalOnly {
		if client, err = opts.APIClient(opts.Timeout); err != nil {
			return err
		}
	}
	if opts.DryRun && format.IsStructured() {
		// The requests, as data: [] when nothing would be sent (--local-only).
		plans := []api.DryRequest{}
		for _, t := range targets {
			if opts.LocalOnly {
				fmt.Fprintf(opts.IO.ErrOut, "would forget %d tracked subscription(s) on %s\n", len(t.records), safetext.Escape(t.url))
				continue
			}
			p, err := client.PlanDelete(t.url)
			if err != nil {
				return err
			}
			plans = append(plans, p)
		}
		if err := output.WriteStructured(opts.IO.Out, format, plans); err != nil {
			return err
		}
		fmt.Fprintln(opts.IO.ErrOut, "dry run: nothing sent, nothing changed")
		return nil
	}
	if opts.DryRun {
		for _, t := range targets {
			if opts.LocalOnly {
				fmt.Fprintf(opts.IO.Out, "would forget %d tracked subscription(s) on %s\n", len(t.records), safetext.Escape(t.url))
				continue
			}
			if err := client.DryRunDelete(opts.IO.Out, t.url); err != nil {
				return err
			}
		}
		fmt.Fprintln(opts.IO.ErrOut, "dry run: nothing sent, nothing changed")
		return nil
	}

	done := []cmdutil.Outcome{}
	bulk := cmdutil.NewBulk("deletion", len(targets))
	deleted := 0
	var notSent []string
	for i, t := range targets {
		if ctx.Err() != nil {
			notSent = urlsOf(targets[i:])
			break
		}
		action := cmdutil.ActionForgotten
		if !opts.LocalOnly {
			_, err := client.Delete(ctx, t.url)
			if err != nil && ctx.Err() != nil {
				if api.MayHaveActed(err) {
					fmt.Fprintf(opts.IO.ErrOut, "interrupted while deleting %s: TagMango may have deleted it; its records are kept (delete it again to be sure)\n", safetext.Escape(t.url))
				}
				notSent = urlsOf(targets[i+1:])
				break
			}
			if err != nil && !api.IsNotFound(err) {
				if bulk.Fail(t.url, err) {
					bulk.Stopped(urlsOf(targets[i+1:]))
					break
				}
				continue
			}
			if err != nil {
				action = cmdutil.ActionAlreadyDeleted
				fmt.Fprintf(opts.IO.ErrOut, "%s %s was already gone on TagMango\n", opts.IO.SuccessIcon(), safetext.Escape(t.url))
			} else {
				action = cmdutil.ActionDeleted
				fmt.Fprintf(opts.IO.ErrOut, "%s deleted %s on TagMango\n", opts.IO.SuccessIcon(), safetext.Escape(t.url))
			}
		}
		var gone []store.Record
		err := st.Update(func(s *store.State) error {
			gone = s.Remove(func(r store.Record) bool { return scope.Has(r) && r.HookURL == t.url })
			return nil
		})
		if err != nil {
			if opts.LocalOnly {
				return fmt.Errorf("could not forget %s locally: %w", safetext.Escape(t.url), err)
			}
			return fmt.Errorf("deleted %s on TagMango but the local record could not be updated: %w", safetext.Escape(t.url), err)
		}
		switch {
		case len(gone) == 0 && opts.LocalOnly:
			fmt.Fprintf(opts.IO.ErrOut, "  (%s was not tracked locally: nothing to forget)\n", safetext.Escape(t.url))
		case len(gone) == 0:
			// Deleted all the same: the output says so, so that [] means nothing was done.
			fmt.Fprintf(opts.IO.ErrOut, "  (%s was not tracked locally)\n", safetext.Escape(t.url))
			done = append(done, cmdutil.Outcome{HookURL: t.url, Action: action})
		}
		for i := range gone {
			done = append(done, cmdutil.Outcome{Record: &gone[i], Action: action})
		}
		deleted++
	}
	heading := "Deleted:"
	if opts.LocalOnly {
		heading = "Forgotten locally (TagMango was not called):"
	}
	if err := cmdutil.PrintOutcomes(opts.IO, format, done, now, heading); err != nil {
		return err
	}
	if ctx.Err() != nil {
		if len(notSent) > 0 {
			fmt.Fprintf(opts.IO.ErrOut, "not sent: %s\n", safetext.Escape(strings.Join(notSent, ", ")))
		}
		return cmdutil.ErrCancel
	}
	return bulk.Err(opts.IO.ErrOut, deleted, "done; the subscriptions on the others are still tracked")
}

// maxListed bounds the URLs the --all prompt names; the rest are counted.
const maxListed = 10

// listTargets names, before the --all prompt, the URLs that would be deleted and the
// events subscribed on each.
func listTargets(ios *iostreams.IOStreams, targets []target) {
	var b strings.Builder
	for i, t := range targets {
		if i == maxListed {
			fmt.Fprintf(&b, "  and %d more\n", len(targets)-maxListed)
			break
		}
		b.WriteString("  " + safetext.Escape(t.url))
		if len(t.records) > 0 {
			events := make([]string, 0, len(t.records))
			for _, r := range t.records {
				events = append(events, r.Event)
			}
			b.WriteString("  (" + safetext.Escape(strings.Join(events, ", ")) + ")")
		}
		b.WriteByte('\n')
	}
	fmt.Fprint(ios.ErrOut, b.String())
}

func urlsOf(targets []target) []string {
	out := make([]string, 0, len(targets))
	for _, t := range targets {
		out = append(out, t.url)
	}
	return out
}

// resolveTargets turns the chosen mode into the URLs to delete, in order, each with
// the tracked records of the scope that go with it.
func resolveTargets(opts *DeleteOptions, state *store.State, scope store.Scope) ([]target, error) {
	ofScope := state.Select(scope.Has)
	byURL := func(u string) []store.Record {
		var out []store.Record
		for _, r := range ofScope {
			if r.HookURL == u {
				out = append(out, r)
			}
		}
		return out
	}
	var urls []string
	addURL := func(u string) {
		if !slices.Contains(urls, u) {
			urls = append(urls, u)
		}
	}
	switch {
	case len(opts.URLs) > 0:
		for _, u := range opts.URLs {
			addURL(u)
		}
	case len(opts.IDs) > 0:
		// Each id, or a unique prefix of one, is resolved first: the notes below name
		// the subscriptions that go without being asked for.
		found := make([]store.Record, 0, len(opts.IDs))
		for _, id := range opts.IDs {
			r, ok, err := cmdutil.ResolveID(ofScope, id)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, cmdutil.Invalidf("no tracked subscription with id %q for %s%s; see `tagmango-hooks list`", id, scope, elsewhere(state, id))
			}
			found = append(found, r)
		}
		asked := func(id string) bool {
			return slices.ContainsFunc(found, func(r store.Record) bool { return r.ID == id })
		}
		for _, rec := range found {
			id := rec.ID
			addURL(rec.HookURL)
			var others []string
			for _, r := range byURL(rec.HookURL) {
				if r.ID != id && !asked(r.ID) {
					others = append(others, r.ID+" ("+r.Event+")")
				}
			}
			if len(others) > 0 {
				fmt.Fprintf(opts.IO.ErrOut, "note: TagMango deletes by URL, so %s also removes %s on %s\n", id, safetext.Escape(strings.Join(others, ", ")), safetext.Escape(rec.HookURL))
			}
		}
	case opts.All:
		for _, r := range ofScope {
			addURL(r.HookURL)
		}
	case opts.Temporary:
		running := map[string]bool{}
		for _, r := range ofScope {
			if !r.Temporary {
				continue
			}
			base := r.PublicURL()
			if _, checked := running[base]; !checked {
				running[base] = opts.ListenRunning(scope.Profile, base)
				if running[base] {
					fmt.Fprintf(opts.IO.ErrOut, "note: a listen is still running for %s; its temporary subscriptions are left alone\n", safetext.Escape(base))
				}
			}
			if !running[base] {
				addURL(r.HookURL)
			}
		}
	}
	targets := make([]target, 0, len(urls))
	for _, u := range urls {
		targets = append(targets, target{url: u, records: byURL(u)})
	}
	return targets, nil
}

// elsewhere says which profile and API hold the record id, when it is not the
// current scope's: the usual reason for "no tracked subscription".
func elsewhere(state *store.State, id string) string {
	r, ok, err := cmdutil.ResolveID(state.Subscriptions, id)
	if !ok || err != nil {
		return ""
	}
	flags := "--profile " + r.Profile
	if r.API() != config.DefaultBaseURL {
		flags += " --base-url " + r.API()
	}
	return fmt.Sprintf(" (it belongs to %s: add %s)", store.Scope{Profile: r.Profile, BaseURL: r.API()}, flags)
}

func completeIDs(f *cmdutil.Factory) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return trackedCompletions(f, func(r store.Record) cobra.Completion {
			return cobra.CompletionWithDesc(r.ID, r.Event+" "+r.HookURL)
		}), cobra.ShellCompDirectiveNoFileComp
	}
}

func completeURLs(f *cmdutil.Factory) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return trackedCompletions(f, func(r store.Record) cobra.Completion { return r.HookURL }), cobra.ShellCompDirectiveNoFileComp
	}
}

func trackedCompletions(f *cmdutil.Factory, render func(store.Record) cobra.Completion) []cobra.Completion {
	s, err := f.Settings()
	if err != nil {
		return nil
	}
	st, err := f.Store()
	if err != nil {
		return nil
	}
	state, err := st.Load()
	if err != nil {
		return nil
	}
	seen := map[string]bool{}
	var out []cobra.Completion
	scope, err := cmdutil.Scope(s)
	if err != nil {
		return nil
	}
	for _, r := range state.Select(scope.Has) {
		c := render(r)
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}
