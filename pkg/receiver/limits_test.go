package receiver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// rawConn dials the engine; nothing done on it may hang past its deadline.
func (rn *running) rawConn(t *testing.T) net.Conn {
	t.Helper()
	conn, err := (&net.Dialer{}).DialContext(context.Background(), "tcp", strings.TrimPrefix(rn.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// allocated is how many bytes the process allocated while f ran.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestReadBodyDoesNotTrustContentLength(t *testing.T) {
	eng, err := New(Config{Matcher: testMatcher(t), MaxBody: MaxBodyLimit}, newCollector())
	if err != nil {
		t.Fatal(err)
	}
	// 60 bytes behind a claim of 60 MiB: the buffer follows the bytes, not the claim.
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("x", 60)))
	r.ContentLength = 60 << 20
	var held int64
	var body []byte
	var readErr error
	got := allocated(func() { body, _, readErr = eng.readBody(r, &held) })
	if !errors.Is(readErr, io.ErrUnexpectedEOF) || len(body) != 60 {
		t.Errorf("got %d B, %v; want the 60 B that came and ErrUnexpectedEOF", len(body), readErr)
	}
	if got > 1<<20 {
		t.Errorf("allocated %s for a 60-byte body", FormatSize(int64(got)))
	}
	if held != bodyChunk || eng.inflight.used.Load() != bodyChunk {
		t.Errorf("reserved %d (budget %d), want one chunk of %d", held, eng.inflight.used.Load(), bodyChunk)
	}

	// A body that does come grows to its length, reserving as it grows.
	eng.inflight.used.Store(0)
	want := strings.Repeat("y", 300<<10)
	r = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(want))
	held = 0
	body, tooLarge, err := eng.readBody(r, &held)
	if err != nil || tooLarge || string(body) != want {
		t.Fatalf("got %d B, tooLarge %v, %v", len(body), tooLarge, err)
	}
	if held < int64(len(want)) || held > 2*int64(len(want)) || eng.inflight.used.Load() != held {
		t.Errorf("reserved %d for %d B (budget %d)", held, len(want), eng.inflight.used.Load())
	}
}

func TestAbsurdContentLengthIsRefusedWithoutAllocating(t *testing.T) {
	c := newCollector()
	rn := start(t, Config{MaxBody: MaxBodyLimit}, c)
	next[*Ready](t, c)
	tests := []struct {
		name, length, status, message string
	}{
		{"over --max-body", "68719476735", "413", ""},
		{"under --max-body, body missing", "62914560", "400", "the sender closed the connection before the body was complete (60 B of 60 MiB came): not recorded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var answer string
			got := allocated(func() {
				conn := rn.rawConn(t)
				if _, err := io.WriteString(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: "+tt.length+"\r\n\r\n"+strings.Repeat("z", 60)); err != nil {
					t.Fatal(err)
				}
				_ = conn.(*net.TCPConn).CloseWrite()
				b, _ := io.ReadAll(conn)
				answer = string(b)
			})
			if !strings.HasPrefix(answer, "HTTP/1.1 "+tt.status+" ") {
				t.Errorf("answer %q", answer)
			}
			// Before: 60 MiB allocated up front, and 64 GiB was the end of the process.
			if got > 8<<20 {
				t.Errorf("allocated %s", FormatSize(int64(got)))
			}
			if tt.message != "" {
				if n := next[*Notice](t, c); n.Status != 400 || n.Message != tt.message {
					t.Errorf("notice %+v", n)
				}
			} else if d := next[*Delivery](t, c); d.Status != 413 || d.Size != 68719476735 {
				t.Errorf("delivery %+v", d)
			}
		})
	}
}

func TestMaxBodyIsCapped(t *testing.T) {
	_, err := New(Config{Matcher: testMatcher(t), MaxBody: MaxBodyLimit + 1}, newCollector())
	if err == nil || err.Error() != "invalid max body 64 MiB: at most 64 MiB" {
		t.Errorf("err %v", err)
	}
	if _, err := New(Config{Matcher: testMatcher(t), MaxBody: MaxBodyLimit}, newCollector()); err != nil {
		t.Error(err)
	}
}

func TestQueueBudgetCountsHeaders(t *testing.T) {
	h := http.Header{}
	raw := int64(0)
	for i := range 1000 {
		k, v := fmt.Sprintf("X-H%d", i), "v"
		h[k] = []string{v}
		raw += int64(len(k) + len(v))
	}
	r := httptest.NewRequest(http.MethodPost, "/some/path?q=1", nil)
	r.Header = h
	// Measured: 1000 short headers hold ~130 KiB once parsed.
	if got := requestSize(r); got < raw+1000*headerOverhead || got < 128<<10 {
		t.Errorf("1000 headers of %d B count %d", raw, got)
	}

	// With the display stalled, deliveries that are mostly headers fill the queue:
	// the handlers then wait (before: 1000 headers counted as 512 bytes).
	br := &blockingRenderer{release: make(chan struct{}), got: make(chan Entry, 100), entered: make(chan Entry, 100)}
	rn := start(t, Config{QueueBytes: 256 << 10}, br)
	// The processing goroutine is stuck on the Ready line: every delivery stays queued
	// (popped in one batch with Ready, some would not count against the budget).
	if _, ok := (<-br.entered).(*Ready); !ok {
		t.Fatal("the first entry is not Ready")
	}
	const n = 6
	answers := make([]<-chan int, n)
	for i := range answers {
		req, _ := http.NewRequest(http.MethodPost, rn.url, strings.NewReader(userPayload))
		for i := range 500 {
			req.Header.Set(fmt.Sprintf("X-H%d", i), "v")
		}
		answers[i] = rn.sendAsync(req)
	}
	waitFor(t, func() bool { return rn.eng.q.waiters() > 0 })
	close(br.release)
	expectStatus(t, answers, 200)
	if s := rn.stop(t); s.Deliveries != n {
		t.Errorf("%d deliveries, want %d", s.Deliveries, n)
	}
}

func TestConnectionCap(t *testing.T) {
	c := newCollector()
	rn := start(t, Config{MaxConnections: 2}, c)
	next[*Ready](t, c)
	request := "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
	// roundTrip sends a delivery on conn and reads the answer, leaving it open.
	roundTrip := func(conn net.Conn, br *bufio.Reader) (*http.Response, error) {
		if _, err := io.WriteString(conn, request); err != nil {
			return nil, err
		}
		resp, err := http.ReadResponse(br, nil)
		if err == nil {
			resp.Body.Close()
		}
		return resp, err
	}
	var held []net.Conn
	for range 2 {
		conn := rn.rawConn(t)
		if resp, err := roundTrip(conn, bufio.NewReader(conn)); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%v %v", resp, err)
		}
		held = append(held, conn)
	}
	if a := rn.eng.ln.(*limitListener).active(); a != 2 {
		t.Fatalf("%d connections open", a)
	}
	// A third waits in the backlog: not served while two are open.
	third := rn.rawConn(t)
	br := bufio.NewReader(third)
	_ = third.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if resp, err := roundTrip(third, br); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a third connection was served: %v %v", resp, err)
	}
	_ = held[0].Close()
	_ = third.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("once one closed, the third was not served: %v %v", resp, err)
	}
	resp.Body.Close()
	for range 3 {
		next[*Delivery](t, c)
	}
}

func TestInFlightBudget(t *testing.T) {
	const maxBody = 64 << 10
	c := newCollector()
	// The budget is at least twice --max-body: 128 KiB here.
	rn := start(t, Config{MaxBody: maxBody, InFlightBytes: 1}, c)
	next[*Ready](t, c)
	if rn.eng.inflight.max != 2*maxBody {
		t.Fatalf("budget %d", rn.eng.inflight.max)
	}
	body := `"` + strings.Repeat("a", maxBody-2) + `"`
	// A slow sender holds a body's worth of the budget, and its headers.
	slow := rn.rawConn(t)
	if _, err := io.WriteString(slow, fmt.Sprintf("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", maxBody, body[:1])); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return rn.eng.inflight.used.Load() > maxBody })
	// Another whole body does not fit beside it: 503, the sender may retry.
	a := rn.post(t, "/", body, nil)
	if a.status != http.StatusServiceUnavailable || a.header.Get("Retry-After") != "5" {
		t.Errorf("while the budget is spent: %d %q %v", a.status, a.body, a.header)
	}
	n := next[*Notice](t, c)
	if n.Status != 503 || !strings.HasPrefix(n.Message, "busy: requests being read hold ") || !strings.HasSuffix(n.Message, " already (at most 128 KiB at once): answered 503, not recorded; the sender may retry") {
		t.Errorf("notice %+v", n)
	}
	// The slow body completes: answered, and its bytes are given back.
	if _, err := io.WriteString(slow, body[1:]); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(slow), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("the slow body, once complete: %v %v", resp, err)
	}
	resp.Body.Close()
	if d := next[*Delivery](t, c); len(d.Body) != maxBody {
		t.Errorf("delivery of %d B", len(d.Body))
	}
	waitFor(t, func() bool { return rn.eng.inflight.used.Load() == 0 })
	if a := rn.post(t, "/", body, nil); a.status != 200 {
		t.Errorf("once the budget is free: %d %q", a.status, a.body)
	}
	if s := rn.stop(t); s.Deliveries != 2 || s.Other != 1 {
		t.Errorf("summary %+v", s)
	}
}

func TestForwardRefusesHugeAnswerHeaders(t *testing.T) {
	tg := newTarget(t, func(w http.ResponseWriter, _ *http.Request) {
		for i := range 3000 {
			w.Header().Set(fmt.Sprintf("X-Padding-%d", i), strings.Repeat("p", 40))
		}
		w.WriteHeader(http.StatusOK)
	})
	c := newCollector()
	rn := start(t, Config{Routes: []Route{{URL: tg.URL}}}, c)
	next[*Ready](t, c)
	a := rn.post(t, "/", userPayload, nil)
	host := strings.TrimPrefix(tg.URL, "http://")
	want := host + " answered with headers larger than 64 KiB: not relayed"
	if a.status != http.StatusBadGateway || strings.TrimSpace(a.body) != want || len(a.header) > 10 {
		t.Errorf("sender got %d %q, %d headers", a.status, a.body, len(a.header))
	}
	next[*Delivery](t, c)
	if r := next[*ForwardResult](t, c); r.Message != want || r.Answered != 502 || r.Header != nil {
		t.Errorf("result: status %d answered %d message %q, %d headers kept", r.Status, r.Answered, r.Message, len(r.Header))
	}
}
