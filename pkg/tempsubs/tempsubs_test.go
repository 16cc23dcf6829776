package tempsubs_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofrs/flock"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/api"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/store"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/tempsubs"
)

const publicURL = "https://abc.trycloudflare.com"

var now = cmdtest.DefaultNow

// fixture is one listen's view: a store in a temporary directory, a client of the
// recording API server, instant recorded sleeps.
type fixture struct {
	t      *testing.T
	api    *cmdtest.APIServer
	store  *store.Store
	errOut *bytes.Buffer
	scope  store.Scope

	mu     sync.Mutex
	sleeps []time.Duration
}

func newFixture(t *testing.T, baseURL string) *fixture {
	t.Helper()
	f := &fixture{t: t, errOut: &bytes.Buffer{}}
	if baseURL == "" {
		f.api = cmdtest.NewAPIServer(t)
		baseURL = f.api.URL
	}
	f.store = store.New(filepath.Join(t.TempDir(), "state", "subscriptions.json"))
	f.scope = store.Scope{Profile: "default", BaseURL: baseURL}
	return f
}

func (f *fixture) config(events ...string) tempsubs.Config {
	client := api.New(api.Options{
		BaseURL: f.scope.BaseURL, APIKey: cmdtest.TestAPIKey, Now: func() time.Time { return now },
		Sleep: func(ctx context.Context, d time.Duration) error {
			f.mu.Lock()
			f.sleeps = append(f.sleeps, d)
			f.mu.Unlock()
			return ctx.Err()
		},
	})
	return tempsubs.Config{
		ErrOut: f.errOut, Client: client, Store: f.store, Scope: f.scope, Now: func() time.Time { return now },
		PublicURL: publicURL + "/", Events: events, Filters: store.Filters{Course: "634fc35ddaf58580e2418c40"},
	}
}

func (f *fixture) calls() []string {
	var out []string
	for _, c := range f.api.Calls() {
		out = append(out, c.Method+" "+c.Body)
	}
	return out
}

func (f *fixture) records() []store.Record {
	f.t.Helper()
	st, err := f.store.Load()
	if err != nil {
		f.t.Fatal(err)
	}
	return st.Subscriptions
}

func (f *fixture) seed(recs ...store.Record) {
	f.t.Helper()
	if err := f.store.Update(func(s *store.State) error {
		for _, r := range recs {
			s.Upsert(r)
		}
		return nil
	}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) stderrHas(wants ...string) {
	f.t.Helper()
	for _, w := range wants {
		if !strings.Contains(f.errOut.String(), w) {
			f.t.Errorf("stderr lacks %q:\n%s", w, f.errOut.String())
		}
	}
}

var (
	registered = []string{
		`POST {"hookUrl":"https://abc.trycloudflare.com/course.completed.50","event":"course.completed.50","course":"634fc35ddaf58580e2418c40"}`,
		`POST {"hookUrl":"https://abc.trycloudflare.com/course.completed.100","event":"course.completed.100","course":"634fc35ddaf58580e2418c40"}`,
	}
	deleted = []string{
		`DELETE {"hookUrl":"https://abc.trycloudflare.com/course.completed.50"}`,
		`DELETE {"hookUrl":"https://abc.trycloudflare.com/course.completed.100"}`,
	}
)

func TestStartRecordsThenStopDeletes(t *testing.T) {
	f := newFixture(t, "")
	s, err := start(context.Background(), f.config("course.completed.50", "course.completed.100"))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.calls(); !slices.Equal(got, registered) {
		t.Fatalf("calls:\n%s", strings.Join(got, "\n"))
	}
	recs := f.records()
	if len(recs) != 2 || !recs[0].Temporary || !recs[1].Temporary || recs[0].HookURL != publicURL+"/course.completed.50" {
		t.Fatalf("records while running: %+v", recs)
	}
	if got := s.Records(); len(got) != 2 || tempsubs.Line(got[0]) != "✓ subscribed course.completed.50 → https://abc.trycloudflare.com/course.completed.50 (temporary)" {
		t.Errorf("records %+v", got)
	}
	// Ctrl-C cancelled the context: the deletions still happen.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if !s.Stop(ctx) {
		t.Error("Stop reported a failure")
	}
	if got := f.calls(); !slices.Equal(got, append(slices.Clone(registered), deleted...)) {
		t.Errorf("calls:\n%s", strings.Join(got, "\n"))
	}
	if recs := f.records(); len(recs) != 0 {
		t.Errorf("records left: %+v", recs)
	}
	f.stderrHas("✓ deleted 2 temporary subscriptions\n")
	if _, err := os.Stat(f.store.ListenLockPath("default", publicURL)); !os.IsNotExist(err) {
		t.Errorf("the lock file was left behind: %v", err)
	}
}

func TestRegisterRollsBackHalfway(t *testing.T) {
	f := newFixture(t, "")
	f.api.Enqueue(cmdtest.OK, cmdtest.Response{Status: 500, Body: `{"message":"Something broke","success":false,"code":500,"statusMessage":"Internal Server Error"}`})
	_, err := start(context.Background(), f.config("course.completed.50", "course.completed.100"))
	if err == nil || err.Error() != "registering course.completed.100: TagMango answered 500 Internal Server Error: Something broke" {
		t.Fatalf("err %v", err)
	}
	if got, want := f.calls(), []string{registered[0], registered[1], deleted[0]}; !slices.Equal(got, want) {
		t.Errorf("calls:\n%s", strings.Join(got, "\n"))
	}
	if recs := f.records(); len(recs) != 0 {
		t.Errorf("records left: %+v", recs)
	}
	f.stderrHas("registering course.completed.100 failed; deleting the 1 temporary subscriptions made so far\n✓ deleted 1 temporary subscription\n")
}

func TestStopReportsAFailedDeletion(t *testing.T) {
	f := newFixture(t, "")
	f.api.Handle(func(c cmdtest.Call) (cmdtest.Response, bool) {
		if c.Method == http.MethodDelete && strings.Contains(c.Body, "course.completed.100") {
			return cmdtest.Response{Status: 400, Body: `{"message":"Nope","success":false,"code":400}`}, true
		}
		return cmdtest.Response{}, false
	})
	s, err := start(context.Background(), f.config("course.completed.50", "course.completed.100"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Stop(context.Background()) {
		t.Error("Stop reported success")
	}
	f.stderrHas(
		"error: deleting https://abc.trycloudflare.com/course.completed.100: TagMango answered 400 Bad Request: Nope",
		"✓ deleted 1 temporary subscription\n",
		"could not delete the temporary subscription course.completed.100 → https://abc.trycloudflare.com/course.completed.100\n  delete it by hand: tagmango-hooks delete --url https://abc.trycloudflare.com/course.completed.100\n",
	)
	// What could not be deleted stays tracked, temporary, for the next listen.
	if recs := f.records(); len(recs) != 1 || recs[0].Event != "course.completed.100" || !recs[0].Temporary {
		t.Errorf("state: %+v", recs)
	}
}

func TestStartCleansUpAfterAKilledListen(t *testing.T) {
	f := newFixture(t, "")
	at := now.Add(-time.Hour)
	here := f.scope
	dead := here.NewRecord("user.deleted", "https://dead.example.com/user.deleted", store.Filters{}, at)
	dead.Temporary = true
	live := here.NewRecord("user.deleted", "https://live.example.com/user.deleted", store.Filters{}, at)
	live.Temporary = true
	other := store.Scope{Profile: "ci", BaseURL: here.BaseURL}.NewRecord("user.deleted", "https://other.example.com/user.deleted", store.Filters{}, at)
	other.Temporary = true
	// The same profile's temporary record on another API is that API's to clean up.
	production := store.Scope{Profile: "default"}.NewRecord("user.deleted", "https://dead.example.com/user.deleted", store.Filters{}, at)
	production.Temporary = true
	kept := here.NewRecord("user.deleted", "https://prod.example.com/hooks", store.Filters{}, at)
	f.seed(dead, live, other, production, kept)
	// Another listen is still running for live.example.com: it holds its lock.
	lock := flock.New(f.store.ListenLockPath("default", "https://live.example.com"))
	if ok, err := lock.TryLock(); !ok || err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lock.Unlock() })

	cfg := f.config("user.deleted")
	cfg.Filters = store.Filters{}
	s, err := start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`DELETE {"hookUrl":"https://dead.example.com/user.deleted"}`,
		`POST {"hookUrl":"https://abc.trycloudflare.com/user.deleted","event":"user.deleted"}`,
	}
	if got := f.calls(); !slices.Equal(got, want) {
		t.Errorf("calls:\n%s", strings.Join(got, "\n"))
	}
	s.Stop(context.Background())
	f.stderrHas(
		"note: 1 temporary subscription belongs to another listen that is still running; left alone\n",
		"Deleted 1 temporary subscription left by a listen that did not end cleanly:\n  user.deleted → https://dead.example.com/user.deleted\n",
	)
	var left []string
	for _, r := range f.records() {
		left = append(left, r.Profile+" "+r.HookURL+" "+strings.TrimPrefix(r.BaseURL, here.BaseURL))
	}
	if !slices.Equal(left, []string{"default https://live.example.com/user.deleted ", "ci https://other.example.com/user.deleted ", "default https://dead.example.com/user.deleted https://api-prod-new.tagmango.com", "default https://prod.example.com/hooks "}) {
		t.Errorf("state: %v", left)
	}
}

func TestPrepareRefuses(t *testing.T) {
	t.Run("a permanent subscription on the same URL", func(t *testing.T) {
		f := newFixture(t, "")
		perm := f.scope.NewRecord("course.completed.50", publicURL+"/course.completed.50", store.Filters{}, now)
		f.seed(perm)
		_, err := tempsubs.Prepare(f.config("course.completed.50"))
		if err == nil || !strings.Contains(err.Error(), "is already subscribed (record "+perm.ID) {
			t.Errorf("err %v", err)
		}
		if cmdutil.ExitCodeFor(err) != 2 || len(f.api.Calls()) != 0 {
			t.Errorf("exit %d calls %v: %v", cmdutil.ExitCodeFor(err), f.calls(), err)
		}
	})
	t.Run("a permanent subscription in the state the caller loaded", func(t *testing.T) {
		f := newFixture(t, "")
		perm := f.scope.NewRecord("course.completed.50", publicURL+"/course.completed.50", store.Filters{}, now)
		cfg := f.config("course.completed.50")
		cfg.State = &store.State{Subscriptions: []store.Record{perm}} // not in the file: Prepare does not load it again
		_, err := tempsubs.Prepare(cfg)
		if err == nil || !strings.Contains(err.Error(), "is already subscribed (record "+perm.ID) {
			t.Errorf("err %v", err)
		}
	})
	t.Run("a corrupt store", func(t *testing.T) {
		f := newFixture(t, "")
		if err := os.MkdirAll(filepath.Dir(f.store.Path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f.store.Path, []byte("{"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := tempsubs.Prepare(f.config("course.completed.50"))
		if err == nil || !strings.Contains(err.Error(), "is corrupt") {
			t.Errorf("err %v", err)
		}
	})
	t.Run("another listen on the same URL", func(t *testing.T) {
		f := newFixture(t, "")
		first, err := tempsubs.Prepare(f.config("course.completed.50"))
		if err != nil {
			t.Fatal(err)
		}
		defer first.Release()
		_, err = tempsubs.Prepare(f.config("course.completed.50"))
		if err == nil || !strings.Contains(err.Error(), "another `listen --register` is running with --public-url https://abc.trycloudflare.com") {
			t.Errorf("err %v", err)
		}
	})
}

func TestRegisterReportsARemoteIDItCouldNotRecord(t *testing.T) {
	f := newFixture(t, "")
	f.api.Handle(func(c cmdtest.Call) (cmdtest.Response, bool) {
		if c.Method != http.MethodPost {
			return cmdtest.Response{}, false
		}
		// The store breaks while TagMango registers: the record made before the call
		// is there, but TagMango's id for it cannot be added.
		if err := os.WriteFile(f.store.Path, []byte("{"), 0o600); err != nil {
			t.Error(err)
		}
		return cmdtest.Response{Status: 200, Body: `{"success":true,"result":{"_id":"6650aa00bb11cc22dd33ee44"}}`}, true
	})
	if _, err := start(context.Background(), f.config("user.deleted")); err != nil {
		t.Fatal(err)
	}
	f.stderrHas("warning: TagMango's id 6650aa00bb11cc22dd33ee44 for https://abc.trycloudflare.com/user.deleted could not be recorded: the state file " + f.store.Path + " is corrupt")
}

func TestCleanupStopsWhenTheAPICannotBeReached(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	f := newFixture(t, closed)
	for _, u := range []string{"https://dead1.example.com", "https://dead2.example.com", "https://dead3.example.com"} {
		r := f.scope.NewRecord("user.deleted", u+"/user.deleted", store.Filters{}, now.Add(-time.Hour))
		r.Temporary = true
		f.seed(r)
	}
	if _, err := start(context.Background(), f.config("user.deleted")); err == nil {
		t.Error("registering with TagMango unreachable succeeded")
	}
	f.stderrHas("not tried (TagMango cannot be reached): https://dead2.example.com/user.deleted, https://dead3.example.com/user.deleted\n")
	// The retries of the first clean-up call, then of the registration: not of every URL.
	if n := len(f.sleeps); n != 4 {
		t.Errorf("%d waits: %v", n, f.sleeps)
	}
	if recs := f.records(); len(recs) != 3 {
		t.Errorf("records %+v: what was not deleted stays", recs)
	}
}

// start prepares, then registers, as listen does.
func start(ctx context.Context, cfg tempsubs.Config) (*tempsubs.Subscriptions, error) {
	s, err := tempsubs.Prepare(cfg)
	if err != nil {
		return nil, err
	}
	if err := s.Register(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// TestCleanupEscapesStoredURLs: a stale record's URL from an older store may hold
// characters a terminal acts on; they are shown escaped.
func TestCleanupEscapesStoredURLs(t *testing.T) {
	f := newFixture(t, "")
	dead := f.scope.NewRecord("user.deleted", "https://dead.example.com/\u202egpj.exe\u0085", store.Filters{}, now.Add(-time.Hour))
	dead.Temporary = true
	f.seed(dead)
	cfg := f.config("user.deleted")
	cfg.Filters = store.Filters{}
	s, err := start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.Stop(context.Background())
	f.stderrHas(`  user.deleted → https://dead.example.com/\u202egpj.exe\x85` + "\n")
}
