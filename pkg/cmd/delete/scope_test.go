package delete_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/store"
)

func TestDeleteSeesOnlyTheCurrentAPI(t *testing.T) {
	e, srv := seed(t) // three records on srv
	other := cmdtest.NewAPIServer(t)
	if res := e.Run("register", "--url", hookA, "--event", "course.completed.50", "--base-url", other.URL); res.Code != 0 {
		t.Fatal(res.Stderr)
	}
	var otherID string
	for _, r := range state(t, e) {
		if r.BaseURL == other.URL {
			otherID = r.ID
		}
	}

	// An id of the other API is not this one's; the error says where it is.
	res := e.Run("delete", otherID)
	if res.Code != 2 || !strings.Contains(res.Stderr, "(it belongs to profile default on "+other.URL+": add --profile default --base-url "+other.URL+")") {
		t.Errorf("exit %d: %s", res.Code, res.Stderr)
	}

	before := len(srv.Calls())
	res = e.Run("delete", "--all", "--yes", "-o", "json")
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	if n := len(srv.Calls()) - before; n != 2 || len(other.Calls()) != 1 {
		t.Errorf("%d calls to this API, %d to the other", n, len(other.Calls()))
	}
	if rs := printed(t, res.Stdout); len(rs) != 3 {
		t.Errorf("removed %+v", rs)
	}
	left := state(t, e)
	if len(left) != 1 || left[0].BaseURL != other.URL {
		t.Errorf("left %+v: the other API's record must stay", left)
	}

	// Deleting the same URL on the other API removes its record there.
	res = e.Run("delete", "--url", hookA, "--base-url", other.URL+"/")
	if res.Code != 0 || len(state(t, e)) != 0 {
		t.Errorf("exit %d, left %+v: %s", res.Code, state(t, e), res.Stderr)
	}
}

func TestDeleteSeveralURLs(t *testing.T) {
	e, srv := seed(t)
	before := len(srv.Calls())
	res := e.Run("delete", "--url", hookA, "--url", hookB, "-o", "json")
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	var bodies []string
	for _, c := range srv.Calls()[before:] {
		bodies = append(bodies, c.Method+" "+c.Body)
	}
	if want := []string{`DELETE {"hookUrl":"https://example.com/a"}`, `DELETE {"hookUrl":"https://example.com/b"}`}; !slices.Equal(bodies, want) {
		t.Errorf("calls %v, want %v", bodies, want)
	}
	if rs := printed(t, res.Stdout); len(rs) != 3 || len(state(t, e)) != 0 {
		t.Errorf("removed %d, left %d", len(rs), len(state(t, e)))
	}
	if res := e.Run("delete", "--url", hookA, "--url", "/relative"); res.Code != 2 || !strings.Contains(res.Stderr, "--url /relative") {
		t.Errorf("a bad URL among several: exit %d %s", res.Code, res.Stderr)
	}
}

func TestDeleteNonJSON2xxRemovesNothing(t *testing.T) {
	e, srv := seed(t)
	srv.Enqueue(cmdtest.Response{Status: 200, Header: map[string]string{"Content-Type": "text/html"}, Body: "<html><head><title>Welcome to nginx!</title></head></html>"})
	res := e.Run("delete", "--url", hookA)
	if res.Code != 1 || !strings.Contains(res.Stderr, "(not TagMango's JSON): is --base-url right?") || strings.Contains(res.Stderr, "✓") {
		t.Errorf("exit %d: %s", res.Code, res.Stderr)
	}
	if len(state(t, e)) != 3 {
		t.Errorf("records removed on an answer that was not TagMango's")
	}
}

func TestDeleteStopsOnARejectedKey(t *testing.T) {
	e, srv := seed(t)
	if res := e.Run("register", "--url", "https://example.com/c", "--event", "user.deleted"); res.Code != 0 {
		t.Fatal(res.Stderr)
	}
	before := len(srv.Calls())
	srv.Enqueue(cmdtest.Response{Status: 401, Body: `{"message":"Invalid token","success":false}`})
	res := e.Run("delete", "--all", "--yes")
	if res.Code != 4 {
		t.Errorf("exit %d, want 4", res.Code)
	}
	for _, want := range []string{
		"not tried (TagMango refused the key): https://example.com/b, https://example.com/c\n",
		"error: 1 of 3 deletions failed, 2 not tried; 0 done",
	} {
		if !strings.Contains(res.Stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.Stderr)
		}
	}
	if n := len(srv.Calls()) - before; n != 1 || len(state(t, e)) != 4 {
		t.Errorf("%d calls, %d records left", n, len(state(t, e)))
	}
}

func TestDeleteStopsWhenTheAPICannotBeReached(t *testing.T) {
	e, _ := seed(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	// The records were made on closed's API, which has gone away since.
	err = store.New(e.StatePath).Update(func(s *store.State) error {
		for i, r := range s.Subscriptions {
			r.BaseURL = closed
			r.ID = fmt.Sprintf("%08d", i)
			s.Subscriptions[i] = r
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	res := e.Run("delete", "--all", "--yes", "--base-url", closed)
	if res.Code != 1 {
		t.Errorf("exit %d, want 1", res.Code)
	}
	if !strings.Contains(res.Stderr, "not tried (TagMango cannot be reached): https://example.com/b\n") {
		t.Errorf("stderr:\n%s", res.Stderr)
	}
	if n := len(e.Sleeps()); n != 2 {
		t.Errorf("%d waits %v, want only the retries of the first call", n, e.Sleeps())
	}
	if len(state(t, e)) != 3 {
		t.Error("records removed")
	}
}

func TestDeleteUntrackedURLOnATerminalPrintsNoTable(t *testing.T) {
	e, _ := seed(t)
	res := e.RunWith(cmdtest.Options{StdoutTTY: true}, "delete", "--url", "https://elsewhere.example.com/x")
	if res.Code != 0 || res.Stdout != "" || !strings.Contains(res.Stderr, "not tracked locally") {
		t.Errorf("exit %d stdout %q stderr %s", res.Code, res.Stdout, res.Stderr)
	}
}

func TestDeleteHelpShowsTemporaryAsASwitch(t *testing.T) {
	e := cmdtest.New(t)
	res := e.Run("delete", "--help")
	if res.Code != 0 {
		t.Fatal(res.Stderr)
	}
	for _, line := range strings.Split(res.Stdout, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "--temporary") && !strings.HasPrefix(strings.TrimSpace(line), "--temporary   ") {
			t.Errorf("--temporary looks as if it took a value: %q", line)
		}
	}
	if !strings.Contains(res.Stdout, "--url stringArray") {
		t.Errorf("--url is not repeatable:\n%s", res.Stdout)
	}
}

// fakeClock is the clock of the whole invocation: only the command's sleeps and the
// simulated travel of each request move it.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// travel delays each request on the fake clock before it reaches the server: the first
// of a run pays for DNS, TCP and TLS, the others vary a little.
type travel struct {
	next  http.RoundTripper
	clock *fakeClock
	mu    sync.Mutex
	n     int
}

func (t *travel) RoundTrip(req *http.Request) (*http.Response, error) {
	t.mu.Lock()
	t.n++
	d := time.Duration(t.n%7) * 20 * time.Millisecond
	if t.n == 1 {
		d = 600 * time.Millisecond
	}
	t.mu.Unlock()
	t.clock.Advance(d)
	return t.next.RoundTrip(req)
}

// TestDeleteAllStaysUnderTheRateLimitAtTheServer counts, at the server, the calls in
// every 10 s window of arrival times on the invocation's clock.
func TestDeleteAllStaysUnderTheRateLimitAtTheServer(t *testing.T) {
	e := cmdtest.New(t)
	srv := cmdtest.NewAPIServer(t)
	e.WithProfile(srv.URL)
	scope := store.Scope{Profile: "default", BaseURL: srv.URL}
	const urls = 250
	err := store.New(e.StatePath).Update(func(s *store.State) error {
		for i := range urls {
			s.Upsert(scope.NewRecord("user.deleted", fmt.Sprintf("https://example.com/h/%d", i), store.Filters{}, e.Now))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: e.Now}
	var (
		mu       sync.Mutex
		arrivals []time.Time
	)
	srv.Handle(func(cmdtest.Call) (cmdtest.Response, bool) {
		mu.Lock()
		arrivals = append(arrivals, clock.Now())
		mu.Unlock()
		return cmdtest.OK, true
	})
	res := e.RunWith(cmdtest.Options{Factory: func(f *cmdutil.Factory) {
		f.Now = clock.Now
		f.Sleep = func(ctx context.Context, d time.Duration) error {
			clock.Advance(d)
			return ctx.Err()
		}
		f.HTTPTransport = &travel{next: http.DefaultTransport.(*http.Transport).Clone(), clock: clock}
	}}, "delete", "--all", "--yes")
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	if len(arrivals) != urls {
		t.Fatalf("%d calls, want %d", len(arrivals), urls)
	}
	most := 0
	for i := range arrivals {
		n := 0
		for j := i; j < len(arrivals) && arrivals[j].Sub(arrivals[i]) < 10*time.Second; j++ {
			n++
		}
		most = max(most, n)
	}
	if most > 120 {
		t.Errorf("%d calls arrived within one 10 s window; TagMango allows 120", most)
	}
	t.Logf("at most %d calls in any 10 s window; %d calls took %v", most, urls, arrivals[len(arrivals)-1].Sub(arrivals[0]))
}
