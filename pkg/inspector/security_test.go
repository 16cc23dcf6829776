package inspector_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/inspector"
)

// runReplay runs `replay FILE --to URL` through the command tree.
func runReplay(t *testing.T, file, to string) {
	t.Helper()
	env := cmdtest.New(t)
	if res := env.Run("replay", file, "--to", to); res.Code != 0 {
		t.Fatalf("replay: exit %d\n%s", res.Code, res.Stderr)
	}
}

func TestSecurity(t *testing.T) {
	rc := &recorder{}
	target := httptest.NewServer(rc)
	defer target.Close()
	s := startSession(t, sessionConfig{to: target.URL})
	s.post("/", coursePayload)
	s.waitFor(1)
	port := s.page[strings.LastIndex(s.page, ":")+1 : len(s.page)-1]
	token := s.server.Token()
	tests := []struct {
		name   string
		method string
		path   string
		header map[string]string
		host   string
		want   int
		says   string
	}{
		{name: "the page", method: "GET", path: "/", want: 200},
		{name: "localhost", method: "GET", path: "/api/deliveries", host: "localhost:" + port, want: 200},
		{name: "[::1]", method: "GET", path: "/api/deliveries", host: "[::1]:" + port, want: 200},
		{name: "a foreign Host (DNS rebinding)", method: "GET", path: "/api/deliveries", host: "evil.example:" + port, want: 403, says: "unexpected Host"},
		{name: "another port", method: "GET", path: "/", host: "127.0.0.1:1", want: 403, says: "unexpected Host"},
		{name: "a POST without the token", method: "POST", path: "/api/deliveries/1/replay", want: 403, says: inspector.TokenHeader},
		{name: "a POST with a wrong token", method: "POST", path: "/api/deliveries/1/replay", header: map[string]string{inspector.TokenHeader: strings.Repeat("0", len(token))}, want: 403, says: inspector.TokenHeader},
		{name: "a cross-origin POST with the token", method: "POST", path: "/api/deliveries/1/replay", header: map[string]string{inspector.TokenHeader: token, "Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}, want: 403, says: "cross-origin"},
		{name: "a cross-origin POST without Sec-Fetch-Site", method: "POST", path: "/api/deliveries/1/replay", header: map[string]string{inspector.TokenHeader: token, "Origin": "http://evil.example"}, want: 403, says: "cross-origin"},
		{name: "a same-origin POST with the token", method: "POST", path: "/api/deliveries/1/replay", header: map[string]string{inspector.TokenHeader: token, "Origin": "http://127.0.0.1:" + port, "Sec-Fetch-Site": "same-origin"}, want: 200},
		{name: "a cross-origin stream", method: "GET", path: "/api/stream", header: map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}, want: 403, says: "cross-origin stream"},
		{name: "a stream from another site without Sec-Fetch-Site", method: "GET", path: "/api/stream", header: map[string]string{"Origin": "http://evil.example"}, want: 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, strings.TrimSuffix(s.page, "/")+tt.path, strings.NewReader(`{}`))
			if tt.host != "" {
				req.Host = tt.host
			}
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			buf := new(strings.Builder)
			_, _ = io.Copy(buf, resp.Body)
			if resp.StatusCode != tt.want || !strings.Contains(buf.String(), tt.says) {
				t.Errorf("%d %s, want %d %q", resp.StatusCode, buf, tt.want, tt.says)
			}
			h := resp.Header
			if h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'self'") || strings.Contains(h.Get("Content-Security-Policy"), "unsafe-inline") {
				t.Errorf("headers %v", h)
			}
			for k := range h {
				if strings.HasPrefix(k, "Access-Control-") {
					t.Errorf("a CORS header: %s", k)
				}
			}
		})
	}
	if n := len(rc.got()); n != 1 {
		t.Errorf("the target got %d replays, want the one allowed", n)
	}
}

func TestBeyondLoopbackEveryRequestNeedsTheToken(t *testing.T) {
	c := testCatalog(t)
	// Not bound to loopback: a server that was not bound to a loopback address
	// treats every request as coming from beyond.
	srv, err := inspector.New(inspector.Options{Store: inspector.NewStore(0), Catalog: c, Matcher: events.NewMatcher(c), Host: "192.0.2.1", Token: "t0ken"})
	if err != nil {
		t.Fatal(err)
	}
	h := srv.Handler()
	do := func(target string, header map[string]string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", target, nil)
		req.Host = "192.0.2.1:4243"
		for k, v := range header {
			req.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	if w := do("/api/deliveries", nil); w.Code != 401 || !strings.Contains(w.Body.String(), "?token=") {
		t.Errorf("without the token: %d %s", w.Code, w.Body)
	}
	if w := do("/", nil); w.Code != 401 {
		t.Errorf("the page without the token: %d", w.Code)
	}
	w := do("/?token=t0ken", nil)
	if w.Code != 200 || !strings.Contains(w.Header().Get("Set-Cookie"), "HttpOnly") || !strings.Contains(w.Header().Get("Set-Cookie"), "SameSite=Strict") {
		t.Errorf("with ?token=: %d %v", w.Code, w.Header())
	}
	if w := do("/assets/app.js", map[string]string{"Cookie": "inspector_token=t0ken"}); w.Code != 200 {
		t.Errorf("with the cookie: %d", w.Code)
	}
	if w := do("/api/deliveries", map[string]string{inspector.TokenHeader: "t0ken"}); w.Code != 200 {
		t.Errorf("with the header: %d", w.Code)
	}
	if w := do("/api/deliveries", map[string]string{inspector.TokenHeader: "wrong"}); w.Code != 401 {
		t.Errorf("a wrong token: %d", w.Code)
	}
}

// TestTheBoundLoopbackNameIsAllowed: the page bound to another loopback address
// answers at the URL it prints (the Host check allows the name it was bound to).
func TestTheBoundLoopbackNameIsAllowed(t *testing.T) {
	c := testCatalog(t)
	srv, err := inspector.New(inspector.Options{Store: inspector.NewStore(0), Catalog: c, Matcher: events.NewMatcher(c), Host: "127.0.0.2", Port: 0})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := srv.Listen(ctx); err != nil {
		t.Skipf("127.0.0.2 is not a loopback address here: %v", err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()
	var info map[string]any
	getJSONFrom(t, srv.URL()+"api/info", &info)
	if !strings.HasPrefix(srv.URL(), "http://127.0.0.2:") || info["mode"] == nil {
		t.Errorf("%s: %v", srv.URL(), info)
	}
	cancel()
	if err := <-served; err != nil {
		t.Error(err)
	}
}
