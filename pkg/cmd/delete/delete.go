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

	URL       string
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
		Use:   "delete {--url URL | ID... | --all | --temporary}",
		Short: "Unsubscribe a URL from TagMango",
		Long: `Unsubscribe from TagMango and forget the subscriptions locally.

TagMango deletes by hook URL: every subscription on that URL goes, whatever its event.
Given IDs, each resolves to its URL, and the other subscriptions on that URL are named
and removed too. A URL that is not tracked is still deleted on TagMango (it may have
been registered with curl). A 404 from the API means it was already gone.`,
		Example: `  $ tagmango-hooks delete --url https://example.com/hooks/tm
  $ tagmango-hooks delete 3f9a1c2e
  $ tagmango-hooks delete --all --yes
  $ tagmango-hooks delete --temporary`,
		ValidArgsFunction: completeIDs(f),
		RunE: func(c *cobra.Command, args []string) error {
			opts.IDs = args
			modes := 0
			for _, set := range []bool{opts.URL != "", len(args) > 0, opts.All, opts.Temporary} {
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
	fl.StringVar(&opts.URL, "url", "", "the hook URL to unsubscribe")
	fl.BoolVar(&opts.All, "all", false, "delete every tracked URL of the profile")
	fl.BoolVar(&opts.Temporary, "temporary", false, "delete the temporary subscriptions left by an interrupted `listen --register`")
	fl.BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	fl.BoolVar(&opts.LocalOnly, "local-only", false, "forget locally without calling the API")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the requests instead of sending them")
	fl.DurationVar(&opts.Timeout, "timeout", 30*time.Second, "time limit of each API call")
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
	if opts.URL != "" {
		if _, err := hookurl.Parse(opts.URL); err != nil {
			return cmdutil.Invalidf("--url: %v", err)
		}
	}
	settings, err := opts.Settings()
	if err != nil {
		return err
	}
	profile := settings.Profile
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
	targets, err := resolveTargets(opts, state, profile)
	if err != nil {
		return err
	}
	now := opts.Now()
	if len(targets) == 0 {
		fmt.Fprintf(opts.IO.ErrOut, "nothing to delete: no %ssubscriptions tracked for profile %s\n", map[bool]string{true: "temporary "}[opts.Temporary], profile)
		return cmdutil.PrintRecords(opts.IO, format, nil, now)
	}
	if opts.All && !opts.Yes && !opts.DryRun {
		ok, err := opts.IO.Confirm(ctx, fmt.Sprintf("Delete %d URL(s) of profile %s on TagMango?", len(targets), profile))
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
	if opts.DryRun {
		for _, t := range targets {
			if opts.LocalOnly {
				fmt.Fprintf(opts.IO.Out, "would forget %d tracked subscription(s) on %s\n", len(t.records), t.url)
				continue
			}
			if err := client.DryRunDelete(opts.IO.Out, t.url); err != nil {
				return err
			}
		}
		fmt.Fprintln(opts.IO.ErrOut, "dry run: nothing sent, nothing changed")
		return nil
	}

	removed := []store.Record{}
	var failures []error
targets:
	for _, t := range targets {
		if ctx.Err() != nil {
			break
		}
		if !opts.LocalOnly {
			_, err := client.Delete(ctx, t.url)
			switch {
			case api.IsNotFound(err):
				fmt.Fprintf(opts.IO.ErrOut, "✓ %s was already gone on TagMango\n", safetext.Escape(t.url))
			case api.IsAuth(err):
				failures = append(failures, fmt.Errorf("%s: %w", t.url, err))
				break targets // every other call would be refused the same way
			case err != nil:
				failures = append(failures, fmt.Errorf("%s: %w", t.url, err))
				continue
			default:
				fmt.Fprintf(opts.IO.ErrOut, "✓ deleted %s on TagMango\n", safetext.Escape(t.url))
			}
		}
		var gone []store.Record
		err := st.Update(func(s *store.State) error {
			gone = s.Remove(func(r store.Record) bool { return r.Profile == profile && r.HookURL == t.url })
			return nil
		})
		if err != nil {
			return fmt.Errorf("deleted %s on TagMango but the local record could not be updated: %w", t.url, err)
		}
		if len(gone) == 0 && !opts.LocalOnly {
			fmt.Fprintf(opts.IO.ErrOut, "  (%s was not tracked locally)\n", t.url)
		}
		removed = append(removed, gone...)
	}
	if err := cmdutil.PrintRecords(opts.IO, format, removed, now); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return cmdutil.ErrCancel
	}
	if len(failures) == 0 {
		return nil
	}
	if len(failures) == 1 {
		return failures[0]
	}
	for _, f := range failures {
		fmt.Fprintf(opts.IO.ErrOut, "✗ %v\n", f)
	}
	return fmt.Errorf("%d of %d deletions failed; their subscriptions are still tracked", len(failures), len(targets))
}

// resolveTargets turns the chosen mode into the URLs to delete, in order, each with
// the tracked records that go with it.
func resolveTargets(opts *DeleteOptions, state *store.State, profile string) ([]target, error) {
	ofProfile := state.Select(func(r store.Record) bool { return r.Profile == profile })
	byURL := func(u string) []store.Record {
		var out []store.Record
		for _, r := range ofProfile {
			if r.HookURL == u {
				out = append(out, r)
			}
		}
		return out
	}
	var urls []string
	addURL := func(u string) {
		for _, have := range urls {
			if have == u {
				return
			}
		}
		urls = append(urls, u)
	}
	switch {
	case opts.URL != "":
		addURL(opts.URL)
	case len(opts.IDs) > 0:
		for _, id := range opts.IDs {
			var found *store.Record
			for i := range ofProfile {
				if ofProfile[i].ID == id {
					found = &ofProfile[i]
				}
			}
			if found == nil {
				hint := ""
				if i := state.Find(id); i >= 0 {
					hint = fmt.Sprintf(" (it belongs to profile %s: add --profile %s)", state.Subscriptions[i].Profile, state.Subscriptions[i].Profile)
				}
				return nil, cmdutil.Invalidf("no tracked subscription with id %q in profile %s%s; see `tagmango-hooks list`", id, profile, hint)
			}
			addURL(found.HookURL)
			var others []string
			for _, r := range byURL(found.HookURL) {
				if r.ID != id && !slices.Contains(opts.IDs, r.ID) {
					others = append(others, r.ID+" ("+r.Event+")")
				}
			}
			if len(others) > 0 {
				fmt.Fprintf(opts.IO.ErrOut, "note: TagMango deletes by URL, so %s also removes %s on %s\n", id, strings.Join(others, ", "), found.HookURL)
			}
		}
	case opts.All:
		for _, r := range ofProfile {
			addURL(r.HookURL)
		}
	case opts.Temporary:
		running := map[string]bool{}
		for _, r := range ofProfile {
			if !r.Temporary {
				continue
			}
			base := r.PublicURL()
			if _, checked := running[base]; !checked {
				running[base] = opts.ListenRunning(profile, base)
				if running[base] {
					fmt.Fprintf(opts.IO.ErrOut, "note: a listen is still running for %s; its temporary subscriptions are left alone\n", base)
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
	for _, r := range state.Select(func(r store.Record) bool { return r.Profile == s.Profile }) {
		c := render(r)
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}
