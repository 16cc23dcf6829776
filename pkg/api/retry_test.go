package api

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

const nginx502 = `<html>
<head><title>502 Bad Gateway</title><style>body { color: red }</style></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx</center>
<script>alert("x")</script>
</body>
</html>`

func TestRetries(t *testing.T) {
	busy := reply{status: 503, body: `{"message":"Service busy","success":false}`}
	ok := reply{status: 200, body: `{"success":true,"result":{"_id":"abc"}}`}
	tests := []struct {
		name     string
		replies  []reply
		requests int
		sleeps   []time.Duration
		wantErr  string // substring of Error(); "" for success
		status   int
	}{
		{
			name:     "503 then 200",
			replies:  []reply{busy, ok},
			requests: 2,
			sleeps:   []time.Duration{500 * time.Millisecond},
		},
		{
			name:     "503 three times",
			replies:  []reply{busy},
			requests: 3,
			sleeps:   []time.Duration{500 * time.Millisecond, time.Second},
			wantErr:  "TagMango answered 503 Service Unavailable: Service busy (after 3 attempts)",
			status:   503,
		},
		{
			name:     "502, 504 then 200",
			replies:  []reply{{status: 502}, {status: 504}, ok},
			requests: 3,
			sleeps:   []time.Duration{500 * time.Millisecond, time.Second},
		},
		{
			name:     "429 with Retry-After seconds",
			replies:  []reply{{status: 429, header: map[string]string{"Retry-After": "2"}, body: `{"message":"Too many requests"}`}, ok},
			requests: 2,
			sleeps:   []time.Duration{2 * time.Second},
		},
		{
			name: "429 with Retry-After as an HTTP date",
			replies: []reply{{status: 429, header: map[string]string{
				"Retry-After": newFakeClock().Now().Add(3 * time.Second).Format(http.TimeFormat),
			}}, ok},
			requests: 2,
			sleeps:   []time.Duration{3 * time.Second},
		},
		{
			name:     "Retry-After beyond the budget fails at once",
			replies:  []reply{{status: 429, header: map[string]string{"Retry-After": "60"}, body: `{"message":"Too many requests","success":false}`}},
			requests: 1,
			wantErr:  "TagMango answered 429 Too Many Requests: Too many requests (asked to wait 60s)",
			status:   429,
		},
		{
			name:     "Retry-After beyond what is left of the budget",
			replies:  []reply{{status: 503, header: map[string]string{"Retry-After": "6"}, body: `{"message":"Maintenance"}`}},
			requests: 2,
			sleeps:   []time.Duration{6 * time.Second},
			wantErr:  "TagMango answered 503 Service Unavailable: Maintenance (asked to wait 6s; after 2 attempts)",
			status:   503,
		},
		{
			name:     "Retry-After zero",
			replies:  []reply{{status: 503, header: map[string]string{"Retry-After": "0"}}, ok},
			requests: 2,
			sleeps:   []time.Duration{0},
		},
		{
			name:     "unparsable Retry-After falls back to the backoff",
			replies:  []reply{{status: 503, header: map[string]string{"Retry-After": "soon"}}, ok},
			requests: 2,
			sleeps:   []time.Duration{500 * time.Millisecond},
		},
		{
			name:     "HTML 502 page is reduced to text",
			replies:  []reply{{status: 502, header: map[string]string{"Content-Type": "text/html"}, body: nginx502}},
			requests: 3,
			sleeps:   []time.Duration{500 * time.Millisecond, time.Second},
			wantErr:  "TagMango answered 502 Bad Gateway: 502 Bad Gateway 502 Bad Gateway nginx (after 3 attempts)",
			status:   502,
		},
		{
			name:     "other 4xx not retried",
			replies:  []reply{{status: 409}, ok},
			requests: 1,
			wantErr:  "TagMango answered 409 Conflict",
			status:   409,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeAPI(t, tt.replies...)
			c, clock := newTestClient(t, api.URL, nil)
			res, err := c.Register(context.Background(), RegisterRequest{HookURL: "https://example.com/h", Event: "e"})
			reqs := api.requests()
			if len(reqs) != tt.requests {
				t.Errorf("requests = %d, want %d", len(reqs), tt.requests)
			}
			for i, r := range reqs {
				// Every attempt carries the whole body and the headers again.
				if r.body != `{"hookUrl":"https://example.com/h","event":"e"}` {
					t.Errorf("attempt %d body = %q", i+1, r.body)
				}
				wantHeaders(t, r.header)
			}
			sleeps := clock.Sleeps()
			if !slices.Equal(sleeps, tt.sleeps) {
				t.Errorf("sleeps = %v, want %v", sleeps, tt.sleeps)
			}
			if total := sum(sleeps); total > retryBudget {
				t.Errorf("slept %v in all, over the %v budget", total, retryBudget)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if res.Status != 200 {
					t.Errorf("result = %+v", res)
				}
				return
			}
			e, ok := errors.AsType[*Error](err)
			if !ok {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			if e.Error() != tt.wantErr {
				t.Errorf("Error() = %q\nwant      %q", e.Error(), tt.wantErr)
			}
			if e.Status != tt.status || e.Attempts != tt.requests {
				t.Errorf("Status = %d, Attempts = %d", e.Status, e.Attempts)
			}
			if len(e.Message) > maxSnippet*4 || strings.Contains(e.Message, "<") {
				t.Errorf("message not sanitised: %q", e.Message)
			}
		})
	}
}

func TestBackoffJitter(t *testing.T) {
	tests := []struct {
		jitter  float64
		attempt int
		want    time.Duration
	}{
		{0, 1, 250 * time.Millisecond},
		{0.5, 1, 500 * time.Millisecond},
		{0.5, 2, time.Second},
		{0.99, 2, 1490 * time.Millisecond},
		{7, 1, 500 * time.Millisecond}, // out of range: treated as the middle
	}
	for _, tt := range tests {
		rt := &retryTransport{base: backoffBase, jitter: func() float64 { return tt.jitter }}
		if got := rt.backoff(tt.attempt).Round(time.Millisecond); got != tt.want {
			t.Errorf("backoff(%d) with jitter %v = %v, want %v", tt.attempt, tt.jitter, got, tt.want)
		}
	}
}

func TestTotalWaitsStayInBudget(t *testing.T) {
	// Worst jitter, every attempt retryable, with Retry-After values that fit one by one.
	for _, after := range []string{"", "1", "4", "5", "9", "10", "11"} {
		header := map[string]string{}
		if after != "" {
			header["Retry-After"] = after
		}
		api := newFakeAPI(t, reply{status: 503, header: header})
		c, clock := newTestClient(t, api.URL, func(o *Options) { o.Jitter = func() float64 { return 0.999 } })
		_, err := c.Delete(context.Background(), "https://example.com/h")
		if err == nil {
			t.Fatalf("Retry-After %q: no error", after)
		}
		if total := sum(clock.Sleeps()); total > retryBudget {
			t.Errorf("Retry-After %q: slept %v", after, total)
		}
		if n := len(api.requests()); n > maxAttempts {
			t.Errorf("Retry-After %q: %d requests", after, n)
		}
	}
}

func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestConnectionRefusedIsRetried(t *testing.T) {
	base := "http://" + closedAddr(t)
	var log strings.Builder
	c, clock := newTestClient(t, base, func(o *Options) { o.Verbose = &log })
	_, err := c.Register(context.Background(), RegisterRequest{HookURL: "https://example.com/h", Event: "e"})
	e, ok := errors.AsType[*Error](err)
	if !ok {
		t.Fatalf("err = %v (%T), want *Error", err, err)
	}
	if e.Status != 0 || e.Attempts != 3 || e.ExitCode() != 1 {
		t.Errorf("Status = %d, Attempts = %d, ExitCode = %d", e.Status, e.Attempts, e.ExitCode())
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("err does not wrap ECONNREFUSED: %v", e.Err)
	}
	want := "could not reach TagMango at " + base + ": connection refused (after 3 attempts)"
	if err.Error() != want {
		t.Errorf("Error() = %q\nwant      %q", err.Error(), want)
	}
	if got := clock.Sleeps(); !slices.Equal(got, []time.Duration{500 * time.Millisecond, time.Second}) {
		t.Errorf("sleeps = %v", got)
	}
	if !strings.Contains(log.String(), "retrying in 500ms (connection refused, attempt 2 of 3)\n") {
		t.Errorf("log lacks the retry line:\n%s", log.String())
	}
}

func TestConnectionClosedWithoutAnswerIsRetried(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		_, _ = w.Write([]byte(`{"success":true}`))
	}))
	t.Cleanup(srv.Close)
	c, clock := newTestClient(t, srv.URL, nil)
	if _, err := c.Delete(context.Background(), "https://example.com/h"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if n := calls.Load(); n != 2 || len(clock.Sleeps()) != 1 {
		t.Errorf("calls = %d, sleeps = %v", n, clock.Sleeps())
	}
}

func TestAttemptTimeoutIsNotRetried(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: handlers return, then Close
	c, clock := newTestClient(t, srv.URL, func(o *Options) { o.Timeout = 50 * time.Millisecond })
	_, err := c.Register(context.Background(), RegisterRequest{HookURL: "https://example.com/h", Event: "e"})
	e, ok := errors.AsType[*Error](err)
	if !ok {
		t.Fatalf("err = %v (%T), want *Error", err, err)
	}
	if want := "TagMango did not answer within 50ms"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
	if _, ok := errors.AsType[*TimeoutError](err); !ok {
		t.Errorf("err does not wrap *TimeoutError: %v", e.Err)
	}
	if e.Status != 0 || e.Attempts != 1 || e.ExitCode() != 1 {
		t.Errorf("Status = %d, Attempts = %d, ExitCode = %d", e.Status, e.Attempts, e.ExitCode())
	}
	if s := clock.Sleeps(); len(s) != 0 {
		t.Errorf("slept %v: a timeout was retried", s)
	}
}

func TestCallerCancelStopsRetries(t *testing.T) {
	api := newFakeAPI(t, reply{status: 503})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, _ := newTestClient(t, api.URL, func(o *Options) {
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			cancel() // Ctrl-C during the first wait
			return ctx.Err()
		}
	})
	_, err := c.Register(ctx, RegisterRequest{HookURL: "https://example.com/h", Event: "e"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if _, ok := errors.AsType[*Error](err); ok {
		t.Errorf("a cancelled call is an *Error: %v", err)
	}
	if n := len(api.requests()); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}

	// Already cancelled: nothing is sent.
	_, err = c.Delete(ctx, "https://example.com/h")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := len(api.requests()); n != 1 {
		t.Errorf("requests = %d after a cancelled call, want still 1", n)
	}
}

func TestCallerDeadlineDuringRequest(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-entered
		cancel()
	}()
	c, clock := newTestClient(t, srv.URL, nil)
	_, err := c.Register(ctx, RegisterRequest{HookURL: "https://example.com/h", Event: "e"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if s := clock.Sleeps(); len(s) != 0 {
		t.Errorf("slept %v after the caller cancelled", s)
	}
}
