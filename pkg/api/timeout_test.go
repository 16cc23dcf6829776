package api

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	realclock "github.com/tagmango-hooks/tagmango-hooks/pkg/clock"
)

// trickler answers status, sends the first byte of a body and then never finishes it,
// until the test ends: a proxy that trickles a 502 page, a stalled 200.
func trickler(t *testing.T, status int) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(status)
		_, _ = w.Write([]byte("{"))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: handlers return, then Close
	return srv, &calls
}

func TestTimeoutWhileReadingTheAnswerIsNotRetried(t *testing.T) {
	for _, status := range []int{502, 200} {
		t.Run(statusLine(status), func(t *testing.T) {
			srv, calls := trickler(t, status)
			c, clock := newTestClient(t, srv.URL, func(o *Options) { o.Timeout = 100 * time.Millisecond })
			start := time.Now()
			res, err := c.Register(context.Background(), RegisterRequest{HookURL: "https://example.com/h", Event: "e"})
			elapsed := time.Since(start)
			e, ok := errors.AsType[*Error](err)
			if !ok || res != nil {
				t.Fatalf("res = %+v, err = %v (%T): a body that never finishes is not an answer", res, err, err)
			}
			want := "TagMango answered " + statusLine(status) + " but the answer did not finish within 100ms"
			if err.Error() != want {
				t.Errorf("Error() = %q\nwant      %q", err.Error(), want)
			}
			if _, ok := errors.AsType[*TimeoutError](err); !ok || e.Status != status || e.ExitCode() != 1 {
				t.Errorf("err = %#v", e)
			}
			if n := calls.Load(); n != 1 || e.Attempts != 1 || len(clock.Sleeps()) != 0 {
				t.Errorf("%d requests, %d attempts, sleeps %v: a timed-out answer was retried", n, e.Attempts, clock.Sleeps())
			}
			// Loose: the point is one timeout, not three.
			if elapsed > 2*time.Second {
				t.Errorf("took %v", elapsed)
			}
		})
	}
}

func TestAnswerThatBreaksOffIsAnError(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(200)
		_, _ = w.Write([]byte(`{"success":true`))
	}))
	t.Cleanup(srv.Close)
	c, _ := newTestClient(t, srv.URL, nil)
	res, err := c.Delete(context.Background(), "https://example.com/h")
	if res != nil || err == nil || err.Error() != "TagMango answered 200 OK but the answer broke off: the connection closed before an answer came" {
		t.Fatalf("res = %+v, err = %v", res, err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("%d requests: an answer that had begun was retried", n)
	}
}

func TestTimeoutIsPerCallAcrossAttempts(t *testing.T) {
	busy := reply{status: 503, body: `{"message":"busy","success":false}`}
	t.Run("no retry when the wait would pass the limit", func(t *testing.T) {
		api := newFakeAPI(t, busy)
		var log strings.Builder
		c, clock := newTestClient(t, api.URL, func(o *Options) { o.Timeout = 100 * time.Millisecond; o.Verbose = &log })
		_, err := c.Register(context.Background(), RegisterRequest{HookURL: "https://example.com/h", Event: "e"})
		if err == nil || err.Error() != "TagMango answered 503 Service Unavailable: busy" {
			t.Errorf("err = %v", err)
		}
		if n := len(api.requests()); n != 1 || len(clock.Sleeps()) != 0 {
			t.Errorf("%d requests, sleeps %v: the 500ms backoff does not fit in a 100ms call", n, clock.Sleeps())
		}
		if !strings.Contains(log.String(), "not retrying (503 Service Unavailable): the call's time limit would pass during the 500ms wait") {
			t.Errorf("log:\n%s", log.String())
		}
	})
	t.Run("retries that fit", func(t *testing.T) {
		api := newFakeAPI(t, busy, reply{status: 200, body: `{"success":true}`})
		c, clock := newTestClient(t, api.URL, func(o *Options) { o.Timeout = 5 * time.Second })
		if _, err := c.Register(context.Background(), RegisterRequest{HookURL: "https://example.com/h", Event: "e"}); err != nil {
			t.Fatal(err)
		}
		if n := len(api.requests()); n != 2 || len(clock.Sleeps()) != 1 {
			t.Errorf("%d requests, sleeps %v", n, clock.Sleeps())
		}
	})
	t.Run("the second attempt gets what is left", func(t *testing.T) {
		// The first answer is a quick 503; the retry's wait takes real time here (745ms),
		// so the second attempt, which hangs, has only the rest of the second.
		var calls atomic.Int32
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if calls.Add(1) == 1 {
				w.WriteHeader(503)
				_, _ = w.Write([]byte(`{"success":false}`))
				return
			}
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		t.Cleanup(srv.Close)
		t.Cleanup(func() { close(release) })
		c, _ := newTestClient(t, srv.URL, func(o *Options) {
			o.Timeout = time.Second
			o.Jitter = func() float64 { return 0.99 } // a 745ms backoff
			o.Sleep = realclock.Sleep
		})
		start := time.Now()
		_, err := c.Register(context.Background(), RegisterRequest{HookURL: "https://example.com/h", Event: "e"})
		elapsed := time.Since(start)
		if err == nil || err.Error() != "TagMango did not answer within 1s (after 2 attempts)" {
			t.Errorf("err = %v", err)
		}
		// Per attempt, the second would have had a second of its own: 1.745s at least.
		if elapsed >= 1600*time.Millisecond {
			t.Errorf("the call took %v, past its 1s limit plus slack", elapsed)
		}
	})
}

func TestRateWaitDoesNotCountAgainstTheTimeout(t *testing.T) {
	api := newFakeAPI(t)
	clock := newFakeClock()
	c, _ := newTestClient(t, api.URL, func(o *Options) {
		o.Timeout = 50 * time.Millisecond
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			// The pacing wait takes real time, longer than the call's limit.
			if err := realclock.Sleep(ctx, 100*time.Millisecond); err != nil {
				return err
			}
			return clock.Sleep(ctx, d)
		}
		o.Now = clock.Now
	})
	for i := range rateLimit + 1 {
		if _, err := c.Delete(context.Background(), "https://example.com/h"); err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
	if n := len(clock.Sleeps()); n != 1 {
		t.Errorf("sleeps %v, want one wait for the 121st", clock.Sleeps())
	}
}

func TestVerboseLogRedactsCredentials(t *testing.T) {
	api := newFakeAPI(t)
	var log strings.Builder
	base := strings.Replace(api.URL, "http://", "http://someone:hunter2-password@", 1)
	c, _ := newTestClient(t, base, func(o *Options) { o.Verbose = &log })
	if _, err := c.Delete(context.Background(), "https://example.com/h"); err != nil {
		t.Fatal(err)
	}
	if got := api.requests()[0].header.Get("Authorization"); !strings.HasPrefix(got, "Basic ") {
		t.Fatalf("the test needs the client to send user-info as Basic auth; got %q", got)
	}
	for _, leak := range []string{"hunter2", "c29tZW9uZTpodW50ZXIy"} {
		if strings.Contains(log.String(), leak) {
			t.Errorf("the log leaks %q:\n%s", leak, log.String())
		}
	}
	for _, want := range []string{"> DELETE http://someone:xxxxx@", "> authorization: [redacted]\n"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
	if got := redactURLPasswords(`dial "https://u:p4ss@x.example.com/a" and ftp://v:w@y`); got != `dial "https://u:xxxxx@x.example.com/a" and ftp://v:xxxxx@y` {
		t.Errorf("redactURLPasswords: %s", got)
	}
}

func TestIsUnreachable(t *testing.T) {
	refused, _ := newTestClient(t, "http://"+closedAddr(t), nil)
	_, err := refused.Delete(context.Background(), "https://example.com/h")
	if !IsUnreachable(err) {
		t.Errorf("connection refused: %v", err)
	}
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(tlsSrv.Close)
	untrusted, _ := newTestClient(t, tlsSrv.URL, nil)
	_, err = untrusted.Delete(context.Background(), "https://example.com/h")
	if !IsUnreachable(err) {
		t.Errorf("untrusted certificate: %v", err)
	}
	if !IsUnreachable(&Error{Err: &net.DNSError{Err: "no such host", Name: "api.invalid", IsNotFound: true}}) {
		t.Error("no such host")
	}
	for _, reachable := range []error{
		&Error{Status: 503},
		&Error{Err: &TimeoutError{After: time.Second}},
		&Error{Err: syscall.ECONNRESET},
		&StoppedError{err: context.Canceled},
		errors.New("other"),
	} {
		if IsUnreachable(reachable) {
			t.Errorf("%v counted as unreachable", reachable)
		}
	}
}
