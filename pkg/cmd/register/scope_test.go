package register_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/store"
)

// The README's tour registers against the emulator; the same register against another
// API (production) must then make its call, not say "already registered".
func TestRegisterIsIdempotentPerAPI(t *testing.T) {
	e := cmdtest.New(t)
	emulator := cmdtest.NewAPIServer(t)
	prod := cmdtest.NewAPIServer(t)
	t.Setenv("TAGMANGO_API_KEY", cmdtest.TestAPIKey)
	args := []string{"register", "--url", hook, "--event", "course.completed.50", "-o", "json"}

	t.Setenv("TAGMANGO_BASE_URL", emulator.URL)
	first := e.Run(args...)
	if first.Code != 0 || len(emulator.Calls()) != 1 {
		t.Fatalf("exit %d: %s", first.Code, first.Stderr)
	}
	// A trailing slash names the same API.
	t.Setenv("TAGMANGO_BASE_URL", emulator.URL+"/")
	if again := e.Run(args...); again.Code != 0 || !strings.Contains(again.Stderr, "already registered") || len(emulator.Calls()) != 1 {
		t.Errorf("the same API: exit %d calls %d: %s", again.Code, len(emulator.Calls()), again.Stderr)
	}

	t.Setenv("TAGMANGO_BASE_URL", prod.URL)
	other := e.Run(args...)
	if other.Code != 0 || strings.Contains(other.Stderr, "already registered") {
		t.Fatalf("exit %d: %s", other.Code, other.Stderr)
	}
	if n := len(prod.Calls()); n != 1 {
		t.Errorf("%d calls to the other API, want 1", n)
	}
	a, b := records(t, first.Stdout), records(t, other.Stdout)
	if len(a) != 1 || len(b) != 1 || a[0].BaseURL != emulator.URL || b[0].BaseURL != prod.URL || a[0].ID == b[0].ID {
		t.Errorf("records %+v and %+v", a, b)
	}
	st, _ := store.New(e.StatePath).Load()
	if len(st.Subscriptions) != 2 {
		t.Errorf("store: %+v", st.Subscriptions)
	}
	if !strings.Contains(e.ReadState(), `"baseUrl": "`+emulator.URL+`"`) {
		t.Errorf("state lacks baseUrl:\n%s", e.ReadState())
	}
}

// Records written before records had a base URL are production's, with the ids they
// had.
func TestRegisterSeesOldProductionRecords(t *testing.T) {
	e := cmdtest.New(t)
	srv := cmdtest.NewAPIServer(t)
	id := store.Scope{Profile: "default"}.RecordID("course.completed.50", hook, store.Filters{})
	writeFile(t, e.StatePath, `{"version":1,"subscriptions":[{"id":"`+id+`","profile":"default","event":"course.completed.50","hookUrl":"`+hook+`","registeredAt":"2026-11-01T00:00:00Z","temporary":false}]}`)
	t.Setenv("TAGMANGO_API_KEY", cmdtest.TestAPIKey)
	res := e.Run("register", "--url", hook, "--event", "course.completed.50")
	if res.Code != 0 || !strings.Contains(res.Stderr, "already registered: "+id) {
		t.Errorf("exit %d: %s", res.Code, res.Stderr)
	}
	// On another API the same subscription is new.
	res = e.Run("register", "--url", hook, "--event", "course.completed.50", "--base-url", srv.URL)
	if res.Code != 0 || len(srv.Calls()) != 1 {
		t.Errorf("exit %d calls %d: %s", res.Code, len(srv.Calls()), res.Stderr)
	}
}

func TestBaseURLRefusals(t *testing.T) {
	cases := []struct {
		name, base, want string
	}{
		{"user-info", "http://someone:" + cmdtest.TestAPIKey + "@127.0.0.1:1", "put the key in a profile or TAGMANGO_API_KEY"},
		{"a key as user", "http://" + cmdtest.TestAPIKey + "@127.0.0.1:1", "put the key in a profile or TAGMANGO_API_KEY"},
		{"query", "http://127.0.0.1:1/?env=prod", "must not have a query"},
		{"fragment", "http://127.0.0.1:1/#x", "or fragment"},
		{"no scheme", "127.0.0.1:4280", "write it as https://HOST[:PORT]"},
	}
	for _, tc := range cases {
		for _, via := range []string{"flag", "env"} {
			t.Run(tc.name+" via "+via, func(t *testing.T) {
				e := cmdtest.New(t)
				t.Setenv("TAGMANGO_API_KEY", cmdtest.TestAPIKey)
				args := []string{"register", "--url", hook, "--event", "course.completed.50", "-v"}
				origin := "(--base-url)"
				if via == "flag" {
					args = append(args, "--base-url", tc.base)
				} else {
					t.Setenv("TAGMANGO_BASE_URL", tc.base)
					origin = "(TAGMANGO_BASE_URL)"
				}
				res := e.Run(args...)
				if res.Code != 2 || !strings.Contains(res.Stderr, "error: the API base URL "+origin+": ") || !strings.Contains(res.Stderr, tc.want) {
					t.Errorf("exit %d: %s", res.Code, res.Stderr)
				}
				if e.ReadState() != "" {
					t.Error("recorded")
				}
			})
		}
	}
}

// A 401 stops the run: the other events are named as not tried, nothing is counted
// as accepted that was not recorded, and the exit code is 4.
func TestRegisterStopsOnARejectedKey(t *testing.T) {
	rejected := cmdtest.Response{Status: 401, Body: `{"code":401,"message":"Invalid token","success":false}`}
	t.Run("first call", func(t *testing.T) {
		e := cmdtest.New(t)
		srv := cmdtest.NewAPIServer(t)
		srv.Enqueue(rejected)
		e.WithProfile(srv.URL)
		res := e.Run("register", "--url", hook, "-e", "course.completed.all", "-e", "course.completed.50", "-e", "course.completed.100")
		if res.Code != 4 {
			t.Errorf("exit %d, want 4", res.Code)
		}
		for _, want := range []string{
			"✗ course.completed.all: TagMango answered 401 Unauthorized: Invalid token\n",
			"not tried (TagMango refused the key): course.completed.50, course.completed.100\n",
			"error: 1 of 3 registrations failed, 2 not tried; 0 accepted and recorded\n",
		} {
			if !strings.Contains(res.Stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, res.Stderr)
			}
		}
		if len(srv.Calls()) != 1 || e.ReadState() != "" || res.Stdout != "" {
			t.Errorf("calls %d, state %q, stdout %q", len(srv.Calls()), e.ReadState(), res.Stdout)
		}
	})
	t.Run("after an accepted one and another failure", func(t *testing.T) {
		e := cmdtest.New(t)
		srv := cmdtest.NewAPIServer(t)
		srv.Enqueue(cmdtest.OK, cmdtest.Response{Status: 400, Body: `{"message":"Invalid event","success":false}`}, rejected)
		e.WithProfile(srv.URL)
		res := e.Run("register", "--url", hook, "-e", "course.completed.all", "-e", "course.completed.50", "-e", "course.completed.100", "-e", "user.deleted", "-o", "json")
		if res.Code != 1 {
			t.Errorf("exit %d, want 1 (not every failure was the key)", res.Code)
		}
		for _, want := range []string{
			"not tried (TagMango refused the key): user.deleted\n",
			"error: 2 of 4 registrations failed, 1 not tried; 1 accepted and recorded\n",
		} {
			if !strings.Contains(res.Stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, res.Stderr)
			}
		}
		if rs := records(t, res.Stdout); len(rs) != 1 || rs[0].Event != "course.completed.all" {
			t.Errorf("printed %+v", rs)
		}
	})
}

func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func TestRegisterStopsWhenTheAPICannotBeReached(t *testing.T) {
	e := cmdtest.New(t)
	e.WithProfile(closedURL(t))
	res := e.Run("register", "--url", hook, "-e", "course.completed.all", "-e", "course.completed.50", "-e", "course.completed.100")
	if res.Code != 1 {
		t.Errorf("exit %d, want 1", res.Code)
	}
	for _, want := range []string{
		"connection refused (after 3 attempts)",
		"not tried (TagMango cannot be reached): course.completed.50, course.completed.100\n",
	} {
		if !strings.Contains(res.Stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.Stderr)
		}
	}
	if n := len(e.Sleeps()); n != 2 {
		t.Errorf("%d waits (%v), want the 2 retries of one call", n, e.Sleeps())
	}
}

func TestRegisterInterrupted(t *testing.T) {
	for _, tc := range []struct {
		name    string
		stopAt  int // the call during which Ctrl-C comes
		done    string
		notSent string
	}{
		{"during the first call", 1, "", "not sent: course.completed.50, course.completed.100\n"},
		{"during the last call", 3, " course.completed.all → " + hook, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := cmdtest.New(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				// Reading the body lets the server notice the client going away.
				_, _ = io.Copy(io.Discard, r.Body)
				if int(n.Add(1)) == tc.stopAt {
					cancel() // Ctrl-C while TagMango handles this call
					<-r.Context().Done()
					return
				}
				_, _ = w.Write([]byte(cmdtest.OK.Body))
			}))
			t.Cleanup(srv.Close)
			e.WithProfile(srv.URL)
			res := e.RunWith(cmdtest.Options{Context: ctx, StdoutTTY: true}, "register", "--url", hook, "-e", "course.completed.all", "-e", "course.completed.50", "-e", "course.completed.100")
			if res.Code != 130 {
				t.Errorf("exit %d, want 130", res.Code)
			}
			if !strings.Contains(res.Stderr, "TagMango may have registered it, but it is not recorded") {
				t.Errorf("stderr does not warn about the call in flight:\n%s", res.Stderr)
			}
			if tc.notSent != "" && !strings.Contains(res.Stderr, tc.notSent) {
				t.Errorf("stderr lacks %q:\n%s", tc.notSent, res.Stderr)
			}
			// On a terminal what was done is the ✓ lines, not a table.
			if res.Stdout != "" {
				t.Errorf("a table was printed:\n%s", res.Stdout)
			}
			if tc.done != "" && (!strings.Contains(res.Stderr, "✓ registered ") || !strings.Contains(res.Stderr, tc.done)) {
				t.Errorf("stderr lacks the ✓ line of %q:\n%s", tc.done, res.Stderr)
			}
		})
	}
}
