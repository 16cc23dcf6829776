package receiver

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func TestPointsAt(t *testing.T) {
	loop4 := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4242}
	loop6 := &net.TCPAddr{IP: net.IPv6loopback, Port: 4242}
	any6 := &net.TCPAddr{IP: net.IPv6unspecified, Port: 4242}
	other := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 4242}
	tests := []struct {
		url   string
		bound *net.TCPAddr
		want  bool
	}{
		{"http://127.0.0.1:4242/hooks", loop4, true},
		{"http://localhost:4242/", loop4, true},
		{"http://LOCALHOST.:4242/", loop4, true},
		{"http://app.localhost:4242/", loop4, true},
		{"http://localhost:4242/", loop6, true},
		{"http://[::1]:4242/", loop6, true},
		{"http://0.0.0.0:4242/", loop4, true},
		{"http://[::]:4242/", loop4, true},
		// --host 0.0.0.0 binds [::]: every local address reaches it.
		{"http://127.0.0.1:4242/", any6, true},
		{"http://[::1]:4242/", any6, true},
		{"http://localhost:4242/", any6, true},
		{"http://0.0.0.0:4242/", any6, true},
		{"http://192.0.2.7:4242/", other, true},
		{"http://192.0.2.7:80/", &net.TCPAddr{IP: other.IP, Port: 80}, true},
		{"http://192.0.2.7/", &net.TCPAddr{IP: other.IP, Port: 80}, true},
		{"https://192.0.2.7/", &net.TCPAddr{IP: other.IP, Port: 443}, true},
		// Not this listener.
		{"http://127.0.0.1:4243/", loop4, false},
		{"http://127.0.0.1/", loop4, false},
		{"http://[::1]:4242/", loop4, false},
		{"http://127.0.0.2:4242/", loop4, false},
		{"http://192.0.2.8:4242/", other, false},
		{"http://0.0.0.0:4242/", other, false},
		{"http://handler.example.com:4242/", any6, false},
	}
	for _, tt := range tests {
		var local []net.IP
		if got := pointsAt(tt.url, tt.bound, &local); got != tt.want {
			t.Errorf("%s bound to %s: %v, want %v", tt.url, tt.bound, got, tt.want)
		}
	}
}

func TestForwardToItselfIsRefused(t *testing.T) {
	// A free port, to name in the route before binding it.
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := probe.Addr().(*net.TCPAddr).Port
	_ = probe.Close()
	eng, err := New(Config{Matcher: testMatcher(t), Port: port, Routes: []Route{
		{Event: "course.*", URL: "http://127.0.0.1:1/elsewhere"},
		{URL: "http://localhost:" + strconv.Itoa(port) + "/hooks"},
	}}, newCollector())
	if err != nil {
		t.Fatal(err)
	}
	err = eng.Listen(context.Background())
	var loop *LoopError
	if !errors.As(err, &loop) || loop.Route.URL != "http://localhost:"+strconv.Itoa(port)+"/hooks" {
		t.Fatalf("err %v", err)
	}
	want := "--forward-to http://localhost:" + strconv.Itoa(port) + "/hooks points at this listener (127.0.0.1:" + strconv.Itoa(port) + "): each delivery would be forwarded to itself forever; forward to your handler's address instead"
	if err.Error() != want {
		t.Errorf("message %q", err.Error())
	}
	// The port was given back.
	again, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("the port is still held: %v", err)
	}
	_ = again.Close()
}

func TestForwardLoopIsAnswered508(t *testing.T) {
	// The handler relays what it gets back to listen, headers and all: a loop
	// through an address listen cannot know at start-up.
	var back string
	relay := &http.Transport{}
	t.Cleanup(relay.CloseIdleConnections)
	tg := newTarget(t, func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, back, r.Body)
		req.Header = r.Header.Clone()
		resp, err := relay.RoundTrip(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	})
	c := newCollector()
	rn := start(t, Config{Routes: []Route{{URL: tg.URL}}}, c)
	back = rn.url
	next[*Ready](t, c)
	a := rn.post(t, "/", userPayload, map[string]string{HopHeader: "another-listen"})
	if a.status != http.StatusLoopDetected || !strings.Contains(a.body, "loop detected") {
		t.Errorf("sender got %d %q", a.status, a.body)
	}
	calls, _ := tg.got()
	if len(calls) != 1 {
		t.Fatalf("the handler got %d calls, want 1", len(calls))
	}
	// Ours is added after the other listen's.
	if got := calls[0].Header.Values(HopHeader); len(got) != 2 || got[0] != "another-listen" || got[1] != rn.eng.hopID || len(rn.eng.hopID) != 24 {
		t.Errorf("hop header %q (id %q)", got, rn.eng.hopID)
	}
	if d := next[*Delivery](t, c); d.Seq != 1 {
		t.Errorf("delivery %+v", d)
	}
	n := next[*Notice](t, c)
	if n.Status != http.StatusLoopDetected || n.Message != "loop detected: this request was forwarded by this listen (--forward-to leads back to it): not forwarded again" {
		t.Errorf("notice %+v", n)
	}
	if r := next[*ForwardResult](t, c); r.Status != http.StatusLoopDetected {
		t.Errorf("result %+v", r)
	}
	if s := rn.stop(t); s.Deliveries != 1 || s.Other != 1 || s.ForwardFailures != 1 {
		t.Errorf("summary %+v", s)
	}
}
