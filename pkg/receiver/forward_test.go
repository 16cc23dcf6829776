package receiver

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// target is the user's handler, as an httptest server that records what it got.
type target struct {
	*httptest.Server
	mu     sync.Mutex
	calls  []*http.Request
	bodies []string
}

func newTarget(t *testing.T, h http.HandlerFunc) *target {
	t.Helper()
	tg := &target{}
	tg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		tg.mu.Lock()
		tg.calls = append(tg.calls, r)
		tg.bodies = append(tg.bodies, string(b))
		tg.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(tg.Close)
	return tg
}

func (tg *target) got() ([]*http.Request, []string) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return append([]*http.Request(nil), tg.calls...), append([]string(nil), tg.bodies...)
}

func TestForwardRelaysExactly(t *testing.T) {
	tg := newTarget(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Handler", "yes")
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, "created it")
	})
	c := newCollector()
	rn := start(t, Config{Routes: []Route{{URL: tg.URL + "/hooks/tm?src=listen"}}}, c)
	next[*Ready](t, c)

	// Spaces, a BOM-free UTF-8 name and a trailing newline: relayed byte for byte.
	body := "{ \"name\" : \"Ünïcode \\u001b\",\n  \"email\":\"e\",\"phone\":1,\"country\":\"IN\",\"host\":\"h\",\"profilePicUrl\":\"p\",\"_id\":\"x\" }\n"
	req, _ := http.NewRequest(http.MethodPost, rn.base+"/some/path/user.deleted", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "TagMango/1")
	req.Header.Set("X-Kept", "kept")
	req.Header.Set("Connection", "keep-alive, X-Hop")
	req.Header.Set("X-Hop", "hop")
	req.Header.Set("Keep-Alive", "timeout=5")
	req.Header.Set("Te", "trailers")
	req.Header.Set("Proxy-Authorization", "Basic eA==")
	a := rn.do(t, req)

	if a.status != http.StatusCreated || a.body != "created it" || a.header.Get("X-Handler") != "yes" {
		t.Errorf("sender got %d %q %v", a.status, a.body, a.header)
	}
	calls, bodies := tg.got()
	if len(calls) != 1 {
		t.Fatalf("%d calls", len(calls))
	}
	got := calls[0]
	if got.Method != "POST" || got.URL.Path != "/hooks/tm" || got.URL.RawQuery != "src=listen" {
		t.Errorf("forwarded to %s %s (the delivery's path must not be appended)", got.Method, got.URL)
	}
	if bodies[0] != body {
		t.Errorf("body changed:\n got %q\nwant %q", bodies[0], body)
	}
	for _, h := range []string{"X-Hop", "Keep-Alive", "Te", "Proxy-Authorization", "Accept-Encoding"} {
		if v := got.Header.Get(h); v != "" {
			t.Errorf("%s: %q was relayed", h, v)
		}
	}
	if got.Header.Get("X-Kept") != "kept" || got.Header.Get("User-Agent") != "TagMango/1" || got.Header.Get("Content-Type") != "application/json" {
		t.Errorf("end-to-end headers lost: %v", got.Header)
	}

	d := next[*Delivery](t, c)
	if d.ForwardTo != tg.URL+"/hooks/tm?src=listen" || d.Status != 0 || d.Event != "user.deleted" {
		t.Errorf("delivery %+v", d)
	}
	r := next[*ForwardResult](t, c)
	if r.Seq != d.Seq || r.Status != 201 || r.Answered != 201 || string(r.Body) != "created it" || r.BodySize != 10 || r.Err != nil || r.Latency <= 0 {
		t.Errorf("result %+v", r)
	}
	if s := rn.stop(t); s.ForwardFailures != 0 || s.Deliveries != 1 {
		t.Errorf("summary %+v", s)
	}
}

func TestForwardFailures(t *testing.T) {
	// A port nothing listens on: bind one, then close it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := ln.Addr().String()
	ln.Close()

	release := make(chan struct{})
	slow := newTarget(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) })
	redirect := newTarget(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://example.invalid/elsewhere", http.StatusFound)
	})
	broken := newTarget(t, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(500)
		_, _ = io.WriteString(w, strings.Repeat("x", 600))
	})
	untrusted := httptest.NewUnstartedServer(http.NotFoundHandler())
	untrusted.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake it fails
	untrusted.StartTLS()
	t.Cleanup(untrusted.Close)

	tests := []struct {
		name     string
		url      string
		status   int
		body     string
		message  string
		target   int
		headSize int
		timeout  time.Duration // 100ms unless set
	}{
		{name: "nothing listening", url: "http://" + down + "/hook", status: 502,
			body:    "nothing is listening on " + down + " — is your server running?\n",
			message: "nothing is listening on " + down + " — is your server running?"},
		{name: "too slow", url: slow.URL, status: 504, message: " did not answer within 100ms (--forward-timeout)"},
		{name: "a certificate not trusted", url: untrusted.URL, status: 502, message: "TLS: tls: failed to verify certificate: x509: ",
			timeout: 10 * time.Second}, // a handshake under -race takes longer than 100ms
		{name: "a redirect is relayed, not followed", url: redirect.URL, status: 302, target: 302},
		{name: "a 500 is relayed", url: broken.URL, status: 500, target: 500, headSize: DefaultForwardBodyLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCollector()
			timeout := 100 * time.Millisecond
			if tt.timeout != 0 {
				timeout = tt.timeout
			}
			rn := start(t, Config{Routes: []Route{{URL: tt.url}}, ForwardTimeout: timeout}, c)
			next[*Ready](t, c)
			a := rn.post(t, "/", userPayload, nil)
			if a.status != tt.status || (tt.body != "" && a.body != tt.body) {
				t.Errorf("sender got %d %q, want %d %q", a.status, a.body, tt.status, tt.body)
			}
			next[*Delivery](t, c)
			r := next[*ForwardResult](t, c)
			if r.Answered != tt.status || r.Status != tt.target || !strings.Contains(r.Message, tt.message) || len(r.Body) != tt.headSize {
				t.Errorf("result: answered %d target %d message %q head %d", r.Answered, r.Status, r.Message, len(r.Body))
			}
			if s := rn.stop(t); s.ForwardFailures != 1 {
				t.Errorf("forward failures %d", s.ForwardFailures)
			}
		})
	}
}

func TestExplainForward(t *testing.T) {
	ctx := context.Background()
	dial := func(errno error) error {
		return &url.Error{Op: "Post", URL: "http://10.9.9.9:3000/hook", Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", errno)}}
	}
	tests := []struct {
		name   string
		err    error
		status int
		msg    string
	}{
		{"network unreachable", dial(syscall.ENETUNREACH), 502, "10.9.9.9 is unreachable from here"},
		{"host unreachable", dial(syscall.EHOSTUNREACH), 502, "10.9.9.9 is unreachable from here"},
		{"refused", dial(syscall.ECONNREFUSED), 502, "nothing is listening on 10.9.9.9:3000 — is your server running?"},
		{"reset", dial(syscall.ECONNRESET), 502, "10.9.9.9:3000 closed the connection without answering"},
		{"certificate", &url.Error{Op: "Post", Err: x509.UnknownAuthorityError{}}, 502, "TLS: x509: certificate signed by unknown authority"},
		{"DNS", &url.Error{Op: "Post", Err: &net.DNSError{Err: "no such host", Name: "10.9.9.9"}}, 502, "cannot resolve 10.9.9.9: no such host"},
		{"timeout", &url.Error{Op: "Post", Err: os.ErrDeadlineExceeded}, 504, "10.9.9.9:3000 did not answer within 2s (--forward-timeout)"},
		{"other", &url.Error{Op: "Post", Err: errors.New("strange")}, 502, "could not reach 10.9.9.9:3000: strange"},
	}
	for _, tt := range tests {
		status, msg := explainForward(ctx, ctx, tt.err, "http://10.9.9.9:3000/hook", 2*time.Second)
		if status != tt.status || msg != tt.msg {
			t.Errorf("%s: %d %q, want %d %q", tt.name, status, msg, tt.status, tt.msg)
		}
	}
}

func TestForwardRoutesByEvent(t *testing.T) {
	type hit struct{ name, body string }
	hits := make(chan hit, 10)
	handler := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			hits <- hit{name, string(b)}
		}
	}
	def := httptest.NewServer(handler("default"))
	defer def.Close()
	webinars := httptest.NewServer(handler("webinars"))
	defer webinars.Close()
	course50 := httptest.NewServer(handler("course50"))
	defer course50.Close()
	courses := httptest.NewServer(handler("courses"))
	defer courses.Close()

	c := newCollector()
	rn := start(t, Config{Routes: []Route{
		{URL: def.URL},
		{Event: "webinar.*", URL: webinars.URL},
		{Event: "course.*", URL: courses.URL},
		{Event: "course.completed.50", URL: course50.URL},
	}, Events: []string{"webinar.*", "course.*", "user.deleted", "order.*"}}, c)
	tests := []struct {
		path, body, want string
	}{
		{"/", reminderPayload, "webinars"},
		{"/", coursePayload, "course50"}, // the family's candidates include .50: the exact route wins
		{"/course.completed.100", coursePayload, "courses"},
		{"/", userPayload, "default"},
	}
	for _, tt := range tests {
		rn.post(t, tt.path, tt.body, nil)
		h := <-hits
		if h.name != tt.want || h.body != tt.body {
			t.Errorf("%s %s went to %s", tt.path, tt.body[:20], h.name)
		}
	}
	// A delivery --events does not select is answered 200 and not relayed.
	if a := rn.post(t, "/", `{"mangoTitle":"m","mangoLink":"l","lastPurchaseDate":"d","mangoRecurringType":"w","name":"n","email":"e","phone":1}`, nil); a.status != 200 {
		t.Errorf("hidden delivery answered %d", a.status)
	}
	rn.stop(t)
	if len(hits) != 0 {
		t.Errorf("the hidden delivery was forwarded to %s", (<-hits).name)
	}
}

func TestWithoutHopHeaders(t *testing.T) {
	h := http.Header{
		"Connection":        {"close, X-A", "x-b"},
		"X-A":               {"1"},
		"X-B":               {"2"},
		"Transfer-Encoding": {"chunked"},
		"Upgrade":           {"websocket"},
		"Proxy-Connection":  {"keep-alive"},
		"Trailer":           {"X-T"},
		"X-Kept":            {"3"},
	}
	got := WithoutHopHeaders(h)
	if len(got) != 1 || got.Get("X-Kept") != "3" {
		t.Errorf("got %v", got)
	}
	if len(h) != 8 {
		t.Error("the original header was modified")
	}
}
