package register_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
)

// TestAPIFaults scripts the API into each way it can misbehave and checks the exit
// code and message the contract promises, and that the store changes only when the
// call succeeded.
func TestAPIFaults(t *testing.T) {
	big := strings.Repeat("x", 5<<20)
	cases := []struct {
		name     string
		handler  func(calls *atomic.Int32) http.HandlerFunc
		args     []string
		code     int
		want     string
		recorded bool
		calls    int32
	}{
		{
			name: "non-JSON 2xx is not TagMango's answer",
			handler: func(*atomic.Int32) http.HandlerFunc {
				return func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }
			},
			code: 1, want: "(not TagMango's JSON): is --base-url right?", calls: 1,
		},
		{
			name: "a web server's welcome page",
			handler: func(*atomic.Int32) http.HandlerFunc {
				return func(w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("Content-Type", "text/html")
					_, _ = w.Write([]byte("<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head><body><h1>Welcome to nginx!</h1><p>If you see this page, the nginx web server is successfully installed.</p></body></html>"))
				}
			},
			code: 1, want: "is --base-url right? It answered 200 OK: Welcome to nginx!", calls: 1,
		},
		{
			name: "a 200 whose body breaks off",
			handler: func(*atomic.Int32) http.HandlerFunc {
				return func(w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("Content-Length", "100")
					_, _ = w.Write([]byte(`{"success":true`))
				}
			},
			code: 1, want: "TagMango answered 200 OK but the answer broke off", calls: 1,
		},
		{
			name: "2xx with success:false",
			handler: func(*atomic.Int32) http.HandlerFunc {
				return func(w http.ResponseWriter, _ *http.Request) {
					_, _ = w.Write([]byte(`{"success":false,"message":"Webhook limit reached"}`))
				}
			},
			code: 1, want: "Webhook limit reached", calls: 1,
		},
		{
			name: "HTML error page",
			handler: func(*atomic.Int32) http.HandlerFunc {
				return func(w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("Content-Type", "text/html")
					w.WriteHeader(502)
					_, _ = w.Write([]byte("<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"))
				}
			},
			code: 1, want: "Bad Gateway", calls: 3,
		},
		{
			name: "200 after two 503s",
			handler: func(calls *atomic.Int32) http.HandlerFunc {
				return func(w http.ResponseWriter, _ *http.Request) {
					if calls.Load() <= 2 {
						w.WriteHeader(503)
						_, _ = w.Write([]byte(`{"success":false,"message":"busy"}`))
						return
					}
					_, _ = w.Write([]byte(`{"success":true}`))
				}
			},
			code: 0, recorded: true, calls: 3,
		},
		{
			name: "429 with a Retry-After beyond the budget",
			handler: func(*atomic.Int32) http.HandlerFunc {
				return func(w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("Retry-After", "120")
					w.WriteHeader(429)
					_, _ = w.Write([]byte(`{"success":false,"message":"Too many requests"}`))
				}
			},
			code: 1, want: "Too many requests", calls: 1,
		},
		{
			name: "truncated body",
			handler: func(*atomic.Int32) http.HandlerFunc {
				return func(w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("Content-Length", "100")
					w.WriteHeader(400)
					_, _ = w.Write([]byte(`{"success":false,"mess`))
				}
			},
			code: 1, want: "400", calls: 1,
		},
		{
			name: "multi-megabyte answer",
			handler: func(*atomic.Int32) http.HandlerFunc {
				return func(w http.ResponseWriter, _ *http.Request) {
					w.WriteHeader(400)
					_, _ = w.Write([]byte(big))
				}
			},
			code: 1, want: "400", calls: 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := cmdtest.New(t)
			var calls atomic.Int32
			h := tc.handler(&calls)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				h(w, r)
			}))
			t.Cleanup(srv.Close)
			e.WithProfile(srv.URL)
			res := e.Run(append([]string{"register", "--url", hook, "--event", "course.completed.50"}, tc.args...)...)
			if res.Code != tc.code {
				t.Errorf("exit %d, want %d; stderr %s", res.Code, tc.code, res.Stderr)
			}
			if !strings.Contains(res.Stderr, tc.want) {
				t.Errorf("stderr lacks %q: %s", tc.want, res.Stderr)
			}
			if strings.Contains(res.Stderr, "<html") || len(res.Stderr) > 2000 {
				t.Errorf("stderr dumps the answer: %.300s", res.Stderr)
			}
			if got := e.ReadState() != ""; got != tc.recorded {
				t.Errorf("recorded = %v, want %v", got, tc.recorded)
			}
			if calls.Load() != tc.calls {
				t.Errorf("%d calls, want %d", calls.Load(), tc.calls)
			}
		})
	}
}

func TestAPIHangsPastTimeout(t *testing.T) {
	e := cmdtest.New(t)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	e.WithProfile(srv.URL)
	res := e.Run("register", "--url", hook, "--event", "course.completed.50", "--timeout", "100ms")
	if res.Code != 1 || !strings.Contains(res.Stderr, "did not answer within 100ms") {
		t.Errorf("exit %d stderr %s", res.Code, res.Stderr)
	}
	if e.ReadState() != "" {
		t.Errorf("recorded after a timeout")
	}
}

func TestAPIKeyDoesNotFollowRedirect(t *testing.T) {
	e := cmdtest.New(t)
	var leaked atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		leaked.Add(1)
	}))
	t.Cleanup(other.Close)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(srv.Close)
	e.WithProfile(srv.URL)
	res := e.Run("register", "--url", hook, "--event", "course.completed.50")
	if res.Code != 1 || !strings.Contains(res.Stderr, "redirect") {
		t.Errorf("exit %d stderr %s", res.Code, res.Stderr)
	}
	if leaked.Load() != 0 {
		t.Errorf("the request (and the key) followed the redirect")
	}
	if e.ReadState() != "" {
		t.Errorf("recorded after a redirect")
	}
}
