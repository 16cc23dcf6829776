package receiver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/jsonscan"
	"go.uber.org/goleak"
)

// The listener under abuse: one engine on loopback takes every hostile client in
// turn — slowloris headers, trickled and abandoned bodies, bodies over the limit,
// deep and wide JSON, invalid UTF-8, HTTP/1.0, pipelining — and afterwards still
// serves a normal delivery, holds bounded memory and leaves no goroutine behind.
//
// Only the cases whose behaviour is a timeout wait for time to pass, and their
// timeouts are short. Everything else waits for the entry it expects; after each
// case a sentinel delivery proves that nothing else was emitted.
const (
	abuseHeaderTimeout = time.Second
	abuseReadTimeout   = 2 * time.Second
	abuseMaxBody       = 512 << 10
	// cutSlack is how late a cut may come on a loaded machine (-race, 2 cores).
	cutSlack = 3 * time.Second
)

// abuseRig is the engine with what the test watches.
type abuseRig struct {
	rn     *running
	c      *collector
	addr   string
	pretty *syncBuffer // colour pretty output, checked at the end
	jsonl  *syncBuffer // --json output
	seq    int         // sentinels sent
}

func TestListenerUnderAbuse(t *testing.T) {
	mem := startMemWatch()
	defer mem.stop()
	c := newCollector()
	pretty, jsonl := &syncBuffer{}, &syncBuffer{}
	// The collector comes last: once it has an entry, the other renderers have
	// rendered it.
	r := Tee(NewPretty(PrettyOptions{Out: pretty, ErrOut: pretty, Color: true, Verbose: true, Location: time.UTC}),
		NewJSONLines(jsonl, io.Discard), c)
	rn := start(t, Config{
		Path:              "/hooks",
		MaxBody:           abuseMaxBody,
		ReadHeaderTimeout: abuseHeaderTimeout,
		ReadTimeout:       abuseReadTimeout,
		IdleTimeout:       abuseReadTimeout,
	}, r)
	next[*Ready](t, c)
	rig := &abuseRig{rn: rn, c: c, addr: strings.TrimPrefix(rn.base, "http://"), pretty: pretty, jsonl: jsonl}

	t.Run("slowloris headers", rig.slowloris)
	t.Run("trickled bodies and idle connections", rig.trickledBodies)
	t.Run("bodies over the limit", rig.overLimit)
	t.Run("deep nesting", rig.deepNesting)
	t.Run("invalid UTF-8", rig.invalidUTF8)
	t.Run("10,000 keys", rig.wideObjects)
	t.Run("HTTP/1.0", rig.http10)
	t.Run("pipelined", rig.pipelined)
	t.Run("abrupt disconnects", rig.disconnects)
	if t.Failed() {
		return
	}

	// Still serving.
	if a := rn.post(t, "/hooks", coursePayload, nil); a.status != 200 {
		t.Fatalf("a normal delivery after the abuse: %d %s", a.status, a.body)
	}
	if d := next[*Delivery](t, c); d.Event != "course.completed.*" || string(d.Body) != coursePayload || len(d.Warnings) != 0 {
		t.Errorf("the normal delivery after the abuse: %q %q %q", d.Event, d.Body, d.Warnings)
	}
	sum := rn.stop(t)
	if sum.Refused != 3 {
		t.Errorf("refused %d, want the 3 bodies over the limit", sum.Refused)
	}

	// Everything the pretty renderer wrote is safe on a terminal: the only escapes
	// are its own colours.
	out := pretty.String()
	terminalSafe(t, stripOurSGR(t, out))
	// Every --json line is valid JSON that encoding/json (and so replay) reads.
	lines := strings.Split(strings.TrimSuffix(jsonl.String(), "\n"), "\n")
	for i, line := range lines {
		var v map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Errorf("--json line %d does not parse: %v", i+1, err)
		}
	}
	if len(lines) != sum.Deliveries+sum.Refused {
		t.Errorf("%d --json lines for %d deliveries and %d refused", len(lines), sum.Deliveries, sum.Refused)
	}

	mem.report(t, len(out))
	goleak.VerifyNone(t)
}

// dial opens a raw connection to the engine; nothing done on it may hang past its
// deadline.
func (rig *abuseRig) dial(t *testing.T) net.Conn {
	t.Helper()
	conn, err := (&net.Dialer{}).DialContext(context.Background(), "tcp", rig.addr)
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func (rig *abuseRig) post(t *testing.T, body string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, rig.rn.base+"/hooks", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return rig.rn.do(t, req)
}

// sentinel sends a normal delivery and checks that it is the next entry: the case
// before it emitted nothing more than it expected.
func (rig *abuseRig) sentinel(t *testing.T) {
	t.Helper()
	rig.seq++
	body := fmt.Sprintf(`{"sentinel":%d}`, rig.seq)
	if a := rig.post(t, body); a.status != 200 {
		t.Fatalf("sentinel answered %d %s", a.status, a.body)
	}
	select {
	case e := <-rig.c.ch:
		if d, ok := e.(*Delivery); !ok || string(d.Body) != body {
			t.Fatalf("an unexpected entry before the sentinel: %T %+v", e, e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the sentinel was not emitted")
	}
}

// cut reads conn to its end and returns what came, and how long after since the
// server closed it. A reset after the answer counts as the end; the error is for
// a connection the server did not close.
func cut(conn io.Reader, since time.Time) ([]byte, time.Duration, error) {
	got, err := io.ReadAll(conn)
	took := time.Since(since)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		return got, took, fmt.Errorf("the connection was not closed: %w (after %s, got %q)", err, took, got)
	}
	return got, took, nil
}

// mustCut is cut on the test's goroutine.
func mustCut(t *testing.T, conn net.Conn) []byte {
	t.Helper()
	got, _, err := cut(conn, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func (rig *abuseRig) slowloris(t *testing.T) {
	const conns = 16
	type slow struct {
		conn  net.Conn
		start time.Time
	}
	var slows []slow
	var wg sync.WaitGroup
	for i := range conns {
		start := time.Now() // before the dial: the server's clock starts after it
		conn := rig.dial(t)
		if _, err := io.WriteString(conn, "POST /hooks HTTP/1.1\r\nHost: x\r\n"); err != nil {
			t.Fatal(err)
		}
		slows = append(slows, slow{conn, start})
		wg.Go(func() {
			// A header line every 20 ms, until the server hangs up (bounded: 10 s).
			for j := range 500 {
				if _, err := fmt.Fprintf(conn, "X-Slow-%d: %d\r\n", i, j); err != nil {
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
	// Normal deliveries are served meanwhile.
	for i := range 10 {
		body := fmt.Sprintf(`{"during":%d}`, i)
		if a := rig.post(t, body); a.status != 200 {
			t.Fatalf("a delivery during slowloris: %d %s", a.status, a.body)
		}
		if d := next[*Delivery](t, rig.c); string(d.Body) != body {
			t.Fatalf("entry %q, want %q", d.Body, body)
		}
	}
	served := time.Now()
	for _, s := range slows {
		got, took, err := cut(s.conn, s.start)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 0 {
			t.Errorf("a slowloris client got an answer: %q", got)
		}
		if took < abuseHeaderTimeout || took > abuseHeaderTimeout+cutSlack {
			t.Errorf("a slowloris client was cut after %s, want %s", took, abuseHeaderTimeout)
		}
		if served.After(s.start.Add(abuseHeaderTimeout)) {
			t.Errorf("the normal deliveries took until %s after the slowloris began: not served meanwhile", served.Sub(s.start))
		}
	}
	wg.Wait()
	rig.sentinel(t)
}

// trickledBodies: bodies that come a byte at a time are cut at ReadTimeout and
// answered 408; a quiet keep-alive connection is cut at IdleTimeout.
func (rig *abuseRig) trickledBodies(t *testing.T) {
	type trickle struct {
		path, header string
		piece        string
	}
	cases := []trickle{
		{"/hooks/trickle-length", "Content-Length: 1000\r\n", "x"},
		{"/hooks/trickle-chunked", "Transfer-Encoding: chunked\r\n", "1\r\nx\r\n"},
	}
	var wg sync.WaitGroup
	// Alongside, a keep-alive connection that goes quiet after one delivery.
	idleStart := time.Now()
	idle := rig.dial(t)
	if _, err := io.WriteString(idle, "POST /hooks/idle HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(idle)
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 200 || resp.Close {
		t.Fatalf("idle: %v", err)
	}
	if d := next[*Delivery](t, rig.c); d.Path != "/hooks/idle" {
		t.Fatalf("idle: entry %s", d.Path)
	}
	wg.Go(func() {
		got, took, err := cut(br, idleStart)
		if err != nil || len(got) != 0 {
			t.Errorf("idle: %v %q", err, got)
		}
		if took < abuseReadTimeout || took > abuseReadTimeout+cutSlack {
			t.Errorf("idle: cut after %s, want %s", took, abuseReadTimeout)
		}
	})
	answers := make([]string, len(cases))
	for i, tc := range cases {
		start := time.Now()
		conn := rig.dial(t)
		if _, err := io.WriteString(conn, "POST "+tc.path+" HTTP/1.1\r\nHost: x\r\n"+tc.header+"\r\n"); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for range 500 { // a piece every 20 ms, bounded: 10 s
				if _, err := io.WriteString(conn, tc.piece); err != nil {
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
		wg.Go(func() {
			got, took, err := cut(conn, start)
			answers[i] = string(got)
			if err != nil {
				t.Error(err)
			}
			if took < abuseReadTimeout || took > abuseReadTimeout+cutSlack {
				t.Errorf("%s: cut after %s, want %s", tc.path, took, abuseReadTimeout)
			}
		})
	}
	notices := map[string]*Notice{}
	for range cases {
		n := next[*Notice](t, rig.c)
		notices[n.Path] = n
	}
	wg.Wait()
	for i, tc := range cases {
		if !strings.HasPrefix(answers[i], "HTTP/1.1 408 Request Timeout\r\n") || !strings.Contains(answers[i], "\r\nConnection: close\r\n") {
			t.Errorf("%s: answered %q, want 408 and close", tc.path, answers[i])
		}
		n := notices[tc.path]
		if n == nil || n.Status != 408 || !strings.HasPrefix(n.Message, "the body was not complete after the 2s read timeout (") || !strings.HasSuffix(n.Message, "): not recorded") {
			t.Errorf("%s: notice %+v", tc.path, n)
		}
	}
	rig.sentinel(t)
}

func (rig *abuseRig) overLimit(t *testing.T) {
	big := strings.Repeat("a", abuseMaxBody+100)
	// Announced.
	if a := rig.post(t, big); a.status != 413 {
		t.Errorf("announced: %d", a.status)
	}
	// Chunked: read up to the limit, then refused.
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, rig.rn.base+"/hooks", io.MultiReader(strings.NewReader(big)))
	if a := rig.rn.do(t, req); a.status != 413 {
		t.Errorf("chunked: %d", a.status)
	}
	// An absurd length, with no body behind it.
	conn := rig.dial(t)
	if _, err := io.WriteString(conn, "POST /hooks HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000000000\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if got := string(mustCut(t, conn)); !strings.HasPrefix(got, "HTTP/1.1 413 ") || !strings.Contains(got, "\r\nConnection: close\r\n") {
		t.Errorf("absurd length: %q", got)
	}
	for _, size := range []int64{int64(len(big)), -1, 1e18} {
		d := next[*Delivery](t, rig.c)
		if d.Status != 413 || !d.Rejected || d.Size != size || len(d.Body) != 0 || !slices.Contains(d.Warnings, "body larger than --max-body (512 KiB): answered 413 without reading it") {
			t.Errorf("entry: status %d rejected %v size %d (want %d) body %d B warnings %q", d.Status, d.Rejected, d.Size, size, len(d.Body), d.Warnings)
		}
	}
	// Exactly the limit is fine.
	fits := `"` + strings.Repeat("a", abuseMaxBody-2) + `"`
	if a := rig.post(t, fits); a.status != 200 {
		t.Errorf("a body of exactly --max-body: %d", a.status)
	}
	if d := next[*Delivery](t, rig.c); !d.IsJSON || len(d.Body) != abuseMaxBody {
		t.Errorf("a body of exactly --max-body: json %v, %d B", d.IsJSON, len(d.Body))
	}
	rig.sentinel(t)
}

func (rig *abuseRig) deepNesting(t *testing.T) {
	cases := []struct {
		name   string
		body   string
		isJSON bool
	}{
		{"100,000 [", strings.Repeat("[", 100_000), false},
		{"100,000 levels", strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000), false},
		{"10,000 levels", strings.Repeat("[", jsonscan.MaxDepth) + strings.Repeat("]", jsonscan.MaxDepth), true},
		{"10,000 levels of objects", strings.Repeat(`{"a":`, jsonscan.MaxDepth) + "null" + strings.Repeat("}", jsonscan.MaxDepth), true},
	}
	for _, tc := range cases {
		before := len(rig.pretty.String())
		if a := rig.post(t, tc.body); a.status != 200 {
			t.Fatalf("%s: answered %d", tc.name, a.status)
		}
		d := next[*Delivery](t, rig.c)
		if d.IsJSON != tc.isJSON || string(d.Body) != tc.body {
			t.Errorf("%s: json %v, body of %d B", tc.name, d.IsJSON, len(d.Body))
		}
		if !tc.isJSON && !slices.Contains(d.Warnings, "the body is not JSON") {
			t.Errorf("%s: warnings %q", tc.name, d.Warnings)
		}
		// Shown within a small multiple of its size (the renderer may still hold up
		// to one buffer's worth).
		if shown := len(rig.pretty.String()) - before; shown > 2*len(tc.body)+outBufferSize {
			t.Errorf("%s: %d B shown for a %d B body", tc.name, shown, len(tc.body))
		}
		// The --json line is readable by encoding/json, and gives the body back.
		var line struct{ Body json.RawMessage }
		if err := json.Unmarshal(AppendJSONLine(nil, d), &line); err != nil {
			t.Fatalf("%s: the --json line does not parse: %v", tc.name, err)
		}
		var text string
		if err := json.Unmarshal(line.Body, &text); err != nil || text != tc.body {
			t.Errorf("%s: the --json line does not hold the body as its text (%v)", tc.name, err)
		}
	}
	rig.sentinel(t)
}

func (rig *abuseRig) invalidUTF8(t *testing.T) {
	body := "\xff\xfe{\"name\":\"\xc3\x28\x1b[2J\"}\x80"
	if a := rig.post(t, body); a.status != 200 {
		t.Fatalf("answered %d", a.status)
	}
	d := next[*Delivery](t, rig.c)
	if d.IsJSON || string(d.Body) != body || !slices.Equal(d.Warnings, []string{"the body is not JSON"}) {
		t.Errorf("json %v body %q warnings %q", d.IsJSON, d.Body, d.Warnings)
	}
	var line struct{ Body string }
	if err := json.Unmarshal(AppendJSONLine(nil, d), &line); err != nil || line.Body != string([]rune(body)) {
		t.Errorf("--json body %q (%v)", line.Body, err)
	}
	// Also inside a JSON string, where the scanner must refuse it.
	body = `{"name":"` + "\xc3\x28" + `"}`
	rig.post(t, body)
	if d := next[*Delivery](t, rig.c); d.IsJSON {
		t.Errorf("%q taken for JSON", body)
	}
	rig.sentinel(t)
}

func (rig *abuseRig) wideObjects(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"name":"Wide","email":"w@example.com"`)
	for i := range 10_000 {
		fmt.Fprintf(&b, `,"k%d":%d`, i, i)
	}
	b.WriteString("}")
	// The same documented key 10,000 times, each with an array to check.
	var r strings.Builder
	r.WriteString("{")
	for i := range 10_000 {
		if i > 0 {
			r.WriteString(",")
		}
		r.WriteString(`"callList":[{"webinar":1}]`)
	}
	r.WriteString("}")
	for _, body := range []string{b.String(), r.String()} {
		start := time.Now()
		if a := rig.post(t, body); a.status != 200 {
			t.Fatalf("answered %d", a.status)
		}
		d := next[*Delivery](t, rig.c)
		if !d.IsJSON || len(d.Payload().Members) < 10_000 || d.Warnings == nil {
			t.Errorf("json %v, %d members, warnings %q", d.IsJSON, len(d.Payload().Members), d.Warnings)
		}
		t.Logf("%d B, %d members: %s from POST to entry", len(body), len(d.Payload().Members), time.Since(start).Round(time.Millisecond))
	}
	rig.sentinel(t)
}

func (rig *abuseRig) http10(t *testing.T) {
	for _, tc := range []struct {
		name, request, body string
	}{
		{"with a length", "POST /hooks/h10 HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(userPayload)) + "\r\n\r\n" + userPayload, userPayload},
		// HTTP/1.0 delimits a request body by its length only: without one, there is none.
		{"without a length", "POST /hooks/h10 HTTP/1.0\r\n\r\n" + userPayload, ""},
	} {
		conn := rig.dial(t)
		if _, err := io.WriteString(conn, tc.request); err != nil {
			t.Fatal(err)
		}
		got := mustCut(t, conn) // HTTP/1.0 without keep-alive: closed after the answer
		if !strings.HasPrefix(string(got), "HTTP/1.0 200 OK\r\n") {
			t.Errorf("%s: answered %q", tc.name, got)
		}
		if d := next[*Delivery](t, rig.c); string(d.Body) != tc.body || d.Path != "/hooks/h10" {
			t.Errorf("%s: entry %s body %q", tc.name, d.Path, d.Body)
		}
	}
	rig.sentinel(t)
}

func (rig *abuseRig) pipelined(t *testing.T) {
	type req struct {
		method, path, body string
		status             int
	}
	var reqs []req
	for i := range 30 {
		switch i % 5 {
		case 1:
			reqs = append(reqs, req{"GET", "/hooks", "", 405})
		case 3:
			reqs = append(reqs, req{"POST", "/elsewhere", "{}", 404})
		default:
			reqs = append(reqs, req{"POST", "/hooks/p" + strconv.Itoa(i), fmt.Sprintf(`{"pipelined":%d}`, i), 200})
		}
	}
	var all bytes.Buffer
	for _, r := range reqs {
		fmt.Fprintf(&all, "%s %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", r.method, r.path, len(r.body), r.body)
	}
	conn := rig.dial(t)
	if _, err := conn.Write(all.Bytes()); err != nil { // all of them at once
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	for i, r := range reqs {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("answer %d: %v", i, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != r.status {
			t.Errorf("answer %d (%s %s): %d, want %d", i, r.method, r.path, resp.StatusCode, r.status)
		}
	}
	_ = conn.Close()
	var lastSeq int64
	for _, r := range reqs {
		if r.status != 200 {
			if n := next[*Notice](t, rig.c); n.Path != r.path || n.Status != r.status {
				t.Errorf("notice %+v, want %s %d", n, r.path, r.status)
			}
			continue
		}
		d := next[*Delivery](t, rig.c)
		if d.Path != r.path || string(d.Body) != r.body || (lastSeq != 0 && d.Seq != lastSeq+1) {
			t.Errorf("entry #%d %s %q, want %s %q after #%d", d.Seq, d.Path, d.Body, r.path, r.body, lastSeq)
		}
		lastSeq = d.Seq
	}
	rig.sentinel(t)
}

func (rig *abuseRig) disconnects(t *testing.T) {
	// Mid-headers: no request, no entry.
	conn := rig.dial(t)
	_, _ = io.WriteString(conn, "POST /hooks HTTP/1.1\r\nHost: x\r\nContent-Le")
	_ = conn.Close()

	// Mid-body, announced length: closed, then reset.
	conn = rig.dial(t)
	_, _ = io.WriteString(conn, "POST /hooks/gone-length HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"+strings.Repeat("x", 100))
	_ = conn.Close()
	n := next[*Notice](t, rig.c)
	if n.Path != "/hooks/gone-length" || n.Status != 400 || n.Message != "the sender closed the connection before the body was complete (100 B of 1000 B came): not recorded" {
		t.Errorf("notice %+v", n)
	}

	// Reset mid-body. A reset may discard what the server has not read yet, so it
	// comes once the handler asks for the body (100 Continue).
	conn = rig.dial(t)
	_, _ = io.WriteString(conn, "POST /hooks/gone-reset HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n")
	if resp, err := http.ReadResponse(bufio.NewReader(conn), nil); err != nil || resp.StatusCode != http.StatusContinue {
		t.Fatalf("no 100 Continue: %v", err)
	}
	_, _ = io.WriteString(conn, strings.Repeat("x", 10))
	_ = conn.(*net.TCPConn).SetLinger(0) // RST, not FIN
	_ = conn.Close()
	n = next[*Notice](t, rig.c)
	if n.Path != "/hooks/gone-reset" || n.Status != 400 || !strings.HasPrefix(n.Message, "the sender closed the connection before the body was complete (") {
		t.Errorf("notice %+v", n)
	}

	// Mid-body, chunked.
	conn = rig.dial(t)
	_, _ = io.WriteString(conn, "POST /hooks/gone-chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3\r\nwo")
	_ = conn.Close()
	n = next[*Notice](t, rig.c)
	if n.Path != "/hooks/gone-chunked" || n.Status != 400 || n.Message != "the sender closed the connection before the body was complete (7 B came): not recorded" {
		t.Errorf("notice %+v", n)
	}

	// A malformed chunked body: refused, the sender told why.
	conn = rig.dial(t)
	_, _ = io.WriteString(conn, "POST /hooks/bad-chunk HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n")
	if got := string(mustCut(t, conn)); !strings.HasPrefix(got, "HTTP/1.1 400 Bad Request\r\n") {
		t.Errorf("malformed chunks answered %q", got)
	}
	n = next[*Notice](t, rig.c)
	if n.Path != "/hooks/bad-chunk" || n.Status != 400 || !strings.HasPrefix(n.Message, "the body could not be read (0 B came: ") {
		t.Errorf("notice %+v", n)
	}

	// After the whole body, without waiting for the answer: the delivery came whole
	// and is recorded.
	conn = rig.dial(t)
	_, _ = io.WriteString(conn, "POST /hooks/gone-after HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
	_ = conn.Close()
	if d := next[*Delivery](t, rig.c); d.Path != "/hooks/gone-after" || string(d.Body) != "{}" {
		t.Errorf("entry %s %q", d.Path, d.Body)
	}
	rig.sentinel(t)
}

// memWatch samples the heap while the test runs.
type memWatch struct {
	before   runtime.MemStats
	quit     chan struct{}
	done     chan struct{}
	once     sync.Once
	peakHeap uint64
}

func startMemWatch() *memWatch {
	w := &memWatch{quit: make(chan struct{}), done: make(chan struct{})}
	runtime.GC()
	runtime.ReadMemStats(&w.before)
	go func() {
		defer close(w.done)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-w.quit:
				return
			case <-tick.C:
				runtime.ReadMemStats(&ms)
				w.peakHeap = max(w.peakHeap, ms.HeapInuse)
			}
		}
	}()
	return w
}

// stop ends the sampling.
func (w *memWatch) stop() {
	w.once.Do(func() { close(w.quit) })
	<-w.done
}

// report logs the memory figures and fails when the heap grew past a bound: the
// bodies of this test are at most 600 KB each, and nothing should be kept.
func (w *memWatch) report(t *testing.T, shown int) {
	t.Helper()
	w.stop()
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	const mib = 1 << 20
	t.Logf("heap in use: %.1f MiB before, peak %.1f MiB (sampled every 5 ms), %.1f MiB after; Sys %.1f → %.1f MiB; %.1f MiB of pretty output; %s",
		float64(w.before.HeapInuse)/mib, float64(w.peakHeap)/mib, float64(after.HeapInuse)/mib,
		float64(w.before.Sys)/mib, float64(after.Sys)/mib, float64(shown)/mib, peakRSS())
	if w.peakHeap > w.before.HeapInuse+128*mib {
		t.Errorf("the heap peaked at %.1f MiB", float64(w.peakHeap)/mib)
	}
	// The test's own buffers hold the pretty and --json output; beyond them, nothing
	// may stay.
	if grown := int64(after.HeapInuse) - int64(w.before.HeapInuse); grown > int64(4*shown)+32*mib {
		t.Errorf("the heap grew by %.1f MiB", float64(grown)/mib)
	}
}

// peakRSS is the process's peak resident set (VmHWM), where Linux says it.
func peakRSS() string {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "peak RSS unknown"
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return "peak RSS (VmHWM) " + strings.TrimSpace(v)
		}
	}
	return "peak RSS unknown"
}
