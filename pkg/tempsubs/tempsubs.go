// Package tempsubs is the life of the temporary subscriptions `listen --register`
// makes: recorded before each API call, registered, and deleted when listen ends —
// and, when a listen was killed, deleted by the next one.
package tempsubs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/api"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/output"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/safetext"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/store"
)

// CleanupTimeout bounds the deletions when listen ends: they run after Ctrl-C, on a
// context of their own.
const CleanupTimeout = 2 * time.Minute

// Config is what the lifecycle needs.
type Config struct {
	// ErrOut receives progress, warnings and failures.
	ErrOut io.Writer
	// Lines formats the warning and error lines (an *iostreams.IOStreams: coloured on
	// a terminal); nil writes them plain.
	Lines Lines
	// Client calls TagMango.
	Client *api.Client
	// Store keeps the records.
	Store *store.Store
	// State is Store's content when the caller has loaded it already (listen does,
	// so that a corrupt file stops it before the API key is asked for or a tunnel
	// started); nil, Prepare loads it.
	State *store.State
	// Scope is the profile and API whose temporary records these are: a listen on the
	// emulator neither sees nor cleans up production's.
	Scope store.Scope
	// Now stamps the records.
	Now func() time.Time
	// PublicURL is the URL that reaches listen; each event is subscribed as
	// PublicURL/<event>. A trailing slash is ignored.
	PublicURL string
	// Events are the events to subscribe, once each.
	Events []string
	// Filters are sent with every registration.
	Filters store.Filters
}

// Subscriptions are the subscriptions one listen made. They are recorded in the store
// (temporary: true) before each API call, so that a listen killed at any moment
// leaves a record for the next one to clean up. A running listen holds an OS lock
// named after its profile and public URL: the next listen deletes the temporary
// records whose lock nobody holds, and leaves alone those of a listen still running.
type Subscriptions struct {
	cfg   Config
	base  string
	lock  *store.ListenLock
	state *store.State
	done  []store.Record
}

// Prepare checks that the subscriptions can be made — the store is readable, no
// permanent subscription has one of their URLs, no other listen uses the public URL —
// and takes the listen lock, without calling TagMango. Release or Stop gives the lock
// back.
func Prepare(cfg Config) (*Subscriptions, error) {
	base := strings.TrimRight(cfg.PublicURL, "/")
	// The store comes first: a corrupt file stops us before any API call.
	state := cfg.State
	if state == nil {
		var err error
		if state, err = cfg.Store.Load(); err != nil {
			return nil, err
		}
	}
	for _, r := range state.Subscriptions {
		if !cfg.Scope.Has(r) || r.Temporary {
			continue
		}
		for _, ev := range cfg.Events {
			if h := base + "/" + ev; r.HookURL == h {
				return nil, cmdutil.Invalidf("%s is already subscribed (record %s, %s) and not temporary: TagMango deletes by URL, so ending listen would delete it too; use another --public-url", h, r.ID, r.Event)
			}
		}
	}
	lock, ok, err := cfg.Store.TryListenLock(cfg.Scope.Profile, base)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("another `listen --register` is running with --public-url %s for profile %q; stop it first, or use another public URL", base, cfg.Scope.Profile)
	}
	return &Subscriptions{cfg: cfg, base: base, lock: lock, state: state}, nil
}

// Register cleans up what a killed listen left, then registers PublicURL/<event> for
// every event. A failure part-way deletes what was registered and releases the lock.
func (s *Subscriptions) Register(ctx context.Context) error {
	s.cleanLeftovers(ctx, s.state)
	s.state = nil
	for _, ev := range s.cfg.Events {
		if err := s.register(ctx, ev, s.base+"/"+ev, s.cfg.Filters); err != nil {
			fmt.Fprintf(s.cfg.ErrOut, "registering %s failed; deleting the %d temporary subscriptions made so far\n", ev, len(s.done))
			s.Stop(ctx)
			return fmt.Errorf("registering %s: %w", ev, err)
		}
	}
	return nil
}

// Records are the subscriptions made and not yet deleted.
func (s *Subscriptions) Records() []store.Record { return append([]store.Record(nil), s.done...) }

// Line is how a subscription is announced (listen's Ready block lists them).
func Line(r store.Record) string {
	return fmt.Sprintf("✓ subscribed %s → %s (temporary)", r.Event, safetext.Escape(r.HookURL))
}

// cleanLeftovers deletes the temporary subscriptions of this profile whose listen is
// no longer running. Failures are reported, not fatal.
func (s *Subscriptions) cleanLeftovers(ctx context.Context, state *store.State) {
	errOut := s.cfg.ErrOut
	temps := state.Select(func(r store.Record) bool { return s.cfg.Scope.Has(r) && r.Temporary })
	alive := map[string]bool{}
	var stale []store.Record
	for _, r := range temps {
		base := r.PublicURL()
		if _, checked := alive[base]; !checked {
			alive[base] = s.isRunning(base)
		}
		if !alive[base] {
			stale = append(stale, r)
		}
	}
	if n := len(temps) - len(stale); n > 0 {
		fmt.Fprintf(errOut, "note: %d temporary %s to another listen that is still running; left alone\n", n, output.Plural(n, "subscription belongs", "subscriptions belong"))
	}
	if len(stale) == 0 {
		return
	}
	failed := s.deleteAll(ctx, stale)
	notFailed := func(r store.Record) bool {
		for _, f := range failed {
			if f.ID == r.ID {
				return false
			}
		}
		return true
	}
	if n := len(stale) - len(failed); n > 0 {
		fmt.Fprintf(errOut, "Deleted %d temporary %s left by a listen that did not end cleanly:\n", n, output.Plural(n, "subscription", "subscriptions"))
		for _, r := range stale {
			if notFailed(r) {
				fmt.Fprintf(errOut, "  %s → %s\n", r.Event, safetext.Escape(r.HookURL))
			}
		}
	}
	for _, r := range failed {
		u := safetext.Escape(r.HookURL)
		fmt.Fprintf(errOut, "could not delete the temporary subscription %s → %s left by an earlier listen\n  delete it by hand: tagmango-hooks delete --url %s\n", r.Event, u, u)
	}
}

// isRunning reports whether another listen holds the lock of base for this profile.
func (s *Subscriptions) isRunning(base string) bool {
	if s.cfg.Store.ListenLockPath(s.cfg.Scope.Profile, base) == s.lock.Path() {
		return false // ours now: whoever held it before has gone
	}
	return s.cfg.Store.ListenRunning(s.cfg.Scope.Profile, base)
}

// register records, then subscribes, one event; a failed call leaves no record.
func (s *Subscriptions) register(ctx context.Context, event, hookURL string, f store.Filters) error {
	st := s.cfg.Store
	rec := s.cfg.Scope.NewRecord(event, hookURL, f, s.cfg.Now())
	rec.Temporary = true
	if err := st.Update(func(s *store.State) error { s.Upsert(rec); return nil }); err != nil {
		return err
	}
	res, err := s.cfg.Client.Register(ctx, api.RegisterRequest{
		HookURL: hookURL, Event: event, Mango: f.Mango, Course: f.Course, Webinar: f.Webinar, Page: f.Page,
	})
	if err != nil {
		if uerr := st.Update(func(s *store.State) error {
			s.Remove(func(r store.Record) bool { return r.ID == rec.ID && r.Temporary })
			return nil
		}); uerr != nil {
			s.warnf("could not forget %s in the store: %v", hookURL, uerr)
		}
		return err
	}
	if res.RemoteID != "" {
		rec.RemoteID = res.RemoteID
		// The record is there already (made before the call), so the clean-up will
		// find it; only TagMango's id for it is lost.
		if err := st.Update(func(s *store.State) error { s.Upsert(rec); return nil }); err != nil {
			s.warnf("TagMango's id %s for %s could not be recorded: %v", res.RemoteID, hookURL, err)
		}
	}
	s.done = append(s.done, rec)
	return nil
}

// Stop deletes every subscription this listen made, reports those it could not
// delete with the command that deletes them by hand, and releases the lock. It
// reports success.
func (s *Subscriptions) Stop(ctx context.Context) bool {
	defer s.Release()
	if len(s.done) == 0 {
		return true
	}
	failed := s.deleteAll(ctx, s.done)
	deleted := len(s.done) - len(failed)
	if deleted > 0 {
		fmt.Fprintf(s.cfg.ErrOut, "✓ deleted %d temporary %s\n", deleted, output.Plural(deleted, "subscription", "subscriptions"))
	}
	for _, r := range failed {
		u := safetext.Escape(r.HookURL)
		fmt.Fprintf(s.cfg.ErrOut, "could not delete the temporary subscription %s → %s\n  delete it by hand: tagmango-hooks delete --url %s\n", r.Event, u, u)
	}
	s.done = nil
	return len(failed) == 0
}

// Release gives the listen lock back without deleting anything (for a listen that
// ends before it registered).
func (s *Subscriptions) Release() {
	s.lock.Release()
}

// deleteAll deletes the subscriptions on each record's URL and forgets the records;
// it returns the records it could not delete, which stay in the store (temporary) for
// the next listen or `delete --temporary`.
func (s *Subscriptions) deleteAll(ctx context.Context, records []store.Record) []store.Record {
	errOut := s.cfg.ErrOut
	// The deletions must happen even when ctx was cancelled by Ctrl-C.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), CleanupTimeout)
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
		_, err := s.cfg.Client.Delete(dctx, r.HookURL)
		switch {
		case err == nil, api.IsNotFound(err):
			gone[r.HookURL] = true
		default:
			s.errorf("deleting %s: %v", r.HookURL, err)
			if cmdutil.StopsBulk(err) {
				stop = err
			}
		}
	}
	if len(untried) > 0 {
		fmt.Fprintf(errOut, "not tried (%s): %s\n", cmdutil.StopReason(stop), strings.Join(untried, ", "))
	}
	for _, r := range records {
		if !gone[r.HookURL] {
			failed = append(failed, r)
		}
	}
	if len(gone) > 0 {
		err := s.cfg.Store.Update(func(st *store.State) error {
			st.Remove(func(r store.Record) bool { return s.cfg.Scope.Has(r) && r.Temporary && gone[r.HookURL] })
			return nil
		})
		if err != nil {
			s.warnf("the subscriptions were deleted but the store could not be updated: %v", err)
		}
	}
	if errors.Is(dctx.Err(), context.DeadlineExceeded) {
		s.errorf("the clean-up took longer than %s", CleanupTimeout)
	}
	return failed
}

// Lines formats a warning or an error as one line of stderr.
type Lines interface {
	WarningLine(msg string) string
	ErrorLine(msg string) string
}

func (s *Subscriptions) warnf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if s.cfg.Lines == nil {
		fmt.Fprintf(s.cfg.ErrOut, "warning: %s\n", msg)
		return
	}
	fmt.Fprint(s.cfg.ErrOut, s.cfg.Lines.WarningLine(msg))
}

func (s *Subscriptions) errorf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if s.cfg.Lines == nil {
		fmt.Fprintf(s.cfg.ErrOut, "error: %s\n", msg)
		return
	}
	fmt.Fprint(s.cfg.ErrOut, s.cfg.Lines.ErrorLine(msg))
}
