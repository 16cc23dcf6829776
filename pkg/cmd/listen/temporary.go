package listen

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/api"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/hookurl"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/safetext"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/store"
)

// cleanupTimeout bounds the deletions when listen ends: they run after Ctrl-C, on a
// context of their own.
const cleanupTimeout = 2 * time.Minute

// temporarySubscriptions are the subscriptions `listen --register` made. They are
// recorded in the store (temporary: true) before each API call, so that a listen
// killed at any moment leaves a record for the next one to clean up. A running listen
// holds an OS lock named after its profile and public URL: the next listen deletes the
// temporary records whose lock nobody holds, and leaves alone those of a listen
// still running.
type temporarySubscriptions struct {
	io     *iostreams.IOStreams
	client *api.Client
	store  *store.Store
	// scope is the profile and API whose temporary records these are: a listen on the
	// emulator neither sees nor cleans up production's.
	scope store.Scope
	now   func() time.Time
	lock  *store.ListenLock
	done  []store.Record
}

// startTemporary cleans up what a killed listen left, then registers
// PUBLIC_URL/<event> for every event. A failure part-way deletes what was registered.
func startTemporary(ctx context.Context, opts *ListenOptions, catalog *events.Catalog) (*temporarySubscriptions, error) {
	errOut := opts.IO.ErrOut
	u, err := hookurl.Parse(opts.PublicURL)
	if err != nil {
		return nil, cmdutil.Invalidf("--public-url: %v", err)
	}
	if err := checkFilters(opts, catalog); err != nil {
		return nil, err
	}
	if opts.Path != "/" && !strings.HasPrefix(u.Path+"/", opts.Path+"/") {
		opts.IO.Warnf("deliveries will arrive on %s/<event>, outside --path %s, unless your tunnel rewrites paths: they would be answered 404", strings.TrimRight(u.Path, "/"), opts.Path)
	}
	base := strings.TrimRight(opts.PublicURL, "/")

	settings, err := opts.Settings()
	if err != nil {
		return nil, err
	}
	scope, err := cmdutil.Scope(settings)
	if err != nil {
		return nil, err
	}
	for _, w := range hookurl.Warnings(u, scope.BaseURL) {
		opts.IO.Warnf("%s", w)
	}
	st, err := opts.Store()
	if err != nil {
		return nil, err
	}
	// The store comes first: a corrupt file stops us before any API call.
	state, err := st.Load()
	if err != nil {
		return nil, err
	}
	client, err := opts.APIClient(0)
	if err != nil {
		return nil, err
	}
	t := &temporarySubscriptions{io: opts.IO, client: client, store: st, scope: scope, now: opts.Now}

	hookURLs := map[string]string{}
	for _, ev := range opts.RegisterEvents {
		hookURLs[ev] = base + "/" + ev
	}
	for _, r := range state.Subscriptions {
		if !scope.Has(r) || r.Temporary {
			continue
		}
		for _, h := range hookURLs {
			if r.HookURL == h {
				return nil, cmdutil.Invalidf("%s is already subscribed (record %s, %s) and not temporary: TagMango deletes by URL, so ending listen would delete it too; use another --public-url", h, r.ID, r.Event)
			}
		}
	}

	lock, ok, err := st.TryListenLock(scope.Profile, base)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("another `listen --register` is running with --public-url %s for profile %q; stop it first, or use another public URL", base, scope.Profile)
	}
	t.lock = lock

	t.cleanLeftovers(ctx, state)

	filters := opts.Filters
	for _, ev := range opts.RegisterEvents {
		if err := t.register(ctx, ev, hookURLs[ev], filters); err != nil {
			fmt.Fprintf(errOut, "registering %s failed; deleting the %d temporary subscriptions made so far\n", ev, len(t.done))
			t.stop(ctx)
			return nil, fmt.Errorf("registering %s: %w", ev, err)
		}
	}
	return t, nil
}

// checkFilters refuses a filter that does not apply to an event: TagMango would
// ignore it and deliver every entity's events.
func checkFilters(opts *ListenOptions, catalog *events.Catalog) error {
	for _, name := range opts.RegisterEvents {
		e, _ := catalog.Lookup(name)
		for _, ff := range [][2]string{{"mango", opts.Filters.Mango}, {"course", opts.Filters.Course}, {"webinar", opts.Filters.Webinar}} {
			if msg := e.FilterProblem(ff[0]); ff[1] != "" && msg != "" {
				return cmdutil.Invalidf("%s", msg)
			}
		}
		if note := e.DeprecationNote(); note != "" {
			opts.IO.Warnf("%s", note)
		}
	}
	if opts.Filters.Page != "" {
		opts.IO.Warnf("--page is accepted by the API but no documented event uses it; sending it anyway")
	}
	return nil
}

// cleanLeftovers deletes the temporary subscriptions of this profile whose listen is
// no longer running. Failures are reported, not fatal.
func (t *temporarySubscriptions) cleanLeftovers(ctx context.Context, state *store.State) {
	errOut := t.io.ErrOut
	temps := state.Select(func(r store.Record) bool { return t.scope.Has(r) && r.Temporary })
	alive := map[string]bool{}
	var stale []store.Record
	for _, r := range temps {
		base := r.PublicURL()
		if _, checked := alive[base]; !checked {
			alive[base] = t.isRunning(base)
		}
		if !alive[base] {
			stale = append(stale, r)
		}
	}
	if n := len(temps) - len(stale); n > 0 {
		fmt.Fprintf(errOut, "note: %d temporary %s to another listen that is still running; left alone\n", n, plural(n, "subscription belongs", "subscriptions belong"))
	}
	if len(stale) == 0 {
		return
	}
	failed := t.deleteAll(ctx, stale)
	notFailed := func(r store.Record) bool {
		for _, f := range failed {
			if f.ID == r.ID {
				return false
			}
		}
		return true
	}
	if n := len(stale) - len(failed); n > 0 {
		fmt.Fprintf(errOut, "Deleted %d temporary %s left by a listen that did not end cleanly:\n", n, plural(n, "subscription", "subscriptions"))
		for _, r := range stale {
			if notFailed(r) {
				fmt.Fprintf(errOut, "  %s → %s\n", r.Event, r.HookURL)
			}
		}
	}
	for _, r := range failed {
		fmt.Fprintf(errOut, "could not delete the temporary subscription %s → %s left by an earlier listen\n  delete it by hand: tagmango-hooks delete --url %s\n", r.Event, r.HookURL, r.HookURL)
	}
}

// isRunning reports whether another listen holds the lock of base for this profile.
func (t *temporarySubscriptions) isRunning(base string) bool {
	if t.store.ListenLockPath(t.scope.Profile, base) == t.lock.Path() {
		return false // ours now: whoever held it before has gone
	}
	return t.store.ListenRunning(t.scope.Profile, base)
}

// register records, then subscribes, one event; a failed call leaves no record.
func (t *temporarySubscriptions) register(ctx context.Context, event, hookURL string, f store.Filters) error {
	rec := t.scope.NewRecord(event, hookURL, f, t.now())
	rec.Temporary = true
	if err := t.store.Update(func(s *store.State) error { s.Upsert(rec); return nil }); err != nil {
		return err
	}
	res, err := t.client.Register(ctx, api.RegisterRequest{
		HookURL: hookURL, Event: event, Mango: f.Mango, Course: f.Course, Webinar: f.Webinar, Page: f.Page,
	})
	if err != nil {
		if uerr := t.store.Update(func(s *store.State) error {
			s.Remove(func(r store.Record) bool { return r.ID == rec.ID && r.Temporary })
			return nil
		}); uerr != nil {
			t.io.Warnf("could not forget %s in the store: %v", hookURL, uerr)
		}
		return err
	}
	if res.RemoteID != "" {
		rec.RemoteID = res.RemoteID
		// The record is there already (made before the call), so the clean-up will
		// find it; only TagMango's id for it is lost.
		if err := t.store.Update(func(s *store.State) error { s.Upsert(rec); return nil }); err != nil {
			t.io.Warnf("TagMango's id %s for %s could not be recorded: %v", res.RemoteID, hookURL, err)
		}
	}
	t.done = append(t.done, rec)
	fmt.Fprintf(t.io.ErrOut, "✓ subscribed %s → %s (temporary)\n", event, safetext.Escape(hookURL))
	return nil
}

// stop deletes every subscription this listen made, and reports those it could
// not delete with the command that deletes them by hand. It reports success.
func (t *temporarySubscriptions) stop(ctx context.Context) bool {
	defer t.release()
	if len(t.done) == 0 {
		return true
	}
	failed := t.deleteAll(ctx, t.done)
	deleted := len(t.done) - len(failed)
	if deleted > 0 {
		fmt.Fprintf(t.io.ErrOut, "✓ deleted %d temporary %s\n", deleted, plural(deleted, "subscription", "subscriptions"))
	}
	for _, r := range failed {
		fmt.Fprintf(t.io.ErrOut, "could not delete the temporary subscription %s → %s\n  delete it by hand: tagmango-hooks delete --url %s\n", r.Event, r.HookURL, r.HookURL)
	}
	t.done = nil
	return len(failed) == 0
}

func (t *temporarySubscriptions) release() {
	t.lock.Release()
}

// deleteAll deletes the subscriptions on each record's URL and forgets the records;
// it returns the records it could not delete, which stay in the store (temporary) for
// the next listen or `delete --temporary`.
func (t *temporarySubscriptions) deleteAll(ctx context.Context, records []store.Record) []store.Record {
	// The deletions must happen even when ctx was cancelled by Ctrl-C.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	var (
		failed []store.Record
		stop   error
	)
	gone := map[string]bool{}
	seen := map[string]bool{}
	var untried []string
	for _, r := range records {
		if seen[r.HookURL] {
			continue
		}
		seen[r.HookURL] = true
		if stop != nil {
			untried = append(untried, r.HookURL)
			continue
		}
		_, err := t.client.Delete(dctx, r.HookURL)
		switch {
		case err == nil, api.IsNotFound(err):
			gone[r.HookURL] = true
		default:
			t.io.Errorf("deleting %s: %v", r.HookURL, err)
			if cmdutil.StopsBulk(err) {
				stop = err
			}
		}
	}
	if len(untried) > 0 {
		fmt.Fprintf(t.io.ErrOut, "not tried (%s): %s\n", cmdutil.StopReason(stop), strings.Join(untried, ", "))
	}
	for _, r := range records {
		if !gone[r.HookURL] {
			failed = append(failed, r)
		}
	}
	if len(gone) > 0 {
		err := t.store.Update(func(s *store.State) error {
			s.Remove(func(r store.Record) bool { return t.scope.Has(r) && r.Temporary && gone[r.HookURL] })
			return nil
		})
		if err != nil {
			t.io.Warnf("the subscriptions were deleted but the store could not be updated: %v", err)
		}
	}
	if errors.Is(dctx.Err(), context.DeadlineExceeded) {
		t.io.Errorf("the clean-up took longer than %s", cleanupTimeout)
	}
	return failed
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
