package inspector_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/inspector"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/receiver"
)

func TestListShapeAndFilters(t *testing.T) {
	handler := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, "boom")
	}))
	defer handler.Close()
	s := startSession(t, sessionConfig{routes: []receiver.Route{{Event: "webinar.*", URL: handler.URL}}})
	s.post("/course.completed.50", coursePayload)  // 1
	s.post("/", reminderPayload)                   // 2: forwarded, 500
	s.post("/course.completed.50", noCourseID)     // 3: a missing field
	s.post("/course.completed.50", coursePayload)  // 4: duplicate of 1
	s.post("/user.deleted", `{"name":"<b>x</b>"}`) // 5
	got := s.waitFor(5)
	if got.Kept != 5 || got.Dropped != 0 || got.More || got.Last != 5 {
		t.Errorf("list: %+v", got)
	}
	first := got.Deliveries[0]
	for _, key := range []string{"id", "kind", "size", "who", "what", "replayOf", "seq", "receivedAt", "event", "candidates", "method", "path", "headers", "body", "warnings", "notes", "repeatOf", "duplicateOf", "status", "forward"} {
		if _, ok := first[key]; !ok {
			t.Errorf("entry lacks %q: %v", key, first)
		}
	}
	if _, ok := first["raw"]; ok {
		t.Error("the list carries raw bodies")
	}
	if first["who"] != "Student Name <student@example.com>" || first["what"] != "Example course" || first["event"] != "course.completed.50" || first["size"] != float64(len(coursePayload)) {
		t.Errorf("first entry: %v", first)
	}
	// The body is the JSON value, as listen --json has it.
	if b, _ := json.Marshal(first["body"]); !bytes.Equal(b, []byte(coursePayload)) && first["body"].(map[string]any)["name"] != "Student Name" {
		t.Errorf("body %s", b)
	}
	fwd, _ := got.Deliveries[1]["forward"].(map[string]any)
	if fwd == nil || fwd["status"] != float64(500) || fwd["answer"] != "boom" || got.Deliveries[1]["status"] != float64(500) {
		t.Errorf("forward of #2: %v", got.Deliveries[1])
	}

	tests := []struct {
		query string
		want  []int
	}{
		{"event=course.completed.50", []int{1, 3, 4}},
		{"event=course.completed.*", []int{1, 3, 4}},
		{"event=webinar.reminder.all", []int{2}},
		{"event=webinar.*", []int{2}},
		{"q=asha", []int{3}},
		{"q=STUDENT%20name", []int{1, 4}},
		{"q=%3Cb%3E", []int{5}},
		{"warnings=1", []int{3, 5}},
		{"duplicates=1", []int{4}},
		{"failed=1", []int{2}},
		{"event=course.completed.50&warnings=1", []int{3}},
		{"after=2", []int{3, 4, 5}},
		{"after=1&limit=2", []int{2, 3}},
		{"before=3", []int{1, 2}},
		{"kind=replay", nil},
	}
	for _, tt := range tests {
		var ans listAnswer
		s.getJSON("/api/deliveries?"+tt.query, &ans)
		if g := ids(ans.Deliveries); !slices.Equal(g, tt.want) {
			t.Errorf("%s: ids %v, want %v", tt.query, g, tt.want)
		}
	}
	var ans listAnswer
	s.getJSON("/api/deliveries?after=1&limit=2", &ans)
	if !ans.More || ans.Last != 3 {
		t.Errorf("paging: more %v last %d", ans.More, ans.Last)
	}
	if code, b, _ := s.request(http.MethodGet, "/api/deliveries?limit=x", nil, nil); code != http.StatusBadRequest || !strings.Contains(string(b), "limit must be a number") {
		t.Errorf("bad limit: %d %s", code, b)
	}
	if code, b, _ := s.request(http.MethodGet, "/api/nothing", nil, nil); code != http.StatusNotFound || !strings.Contains(string(b), "no such endpoint") {
		t.Errorf("unknown endpoint: %d %s", code, b)
	}
}

func TestDetailHasTheSchemaTableAndLinks(t *testing.T) {
	s := startSession(t, sessionConfig{})
	s.post("/course.completed.50", noCourseID)
	s.post("/course.completed.50", noCourseID)
	s.waitFor(2)
	var d map[string]any
	s.getJSON("/api/deliveries/2", &d)
	if d["raw"] != noCourseID || d["duplicateOf"] != float64(1) || d["duplicateOfId"] != float64(1) || d["target"] != "" {
		t.Errorf("detail: raw %v duplicateOf %v duplicateOfId %v target %v", d["raw"], d["duplicateOf"], d["duplicateOfId"], d["target"])
	}
	rows, _ := d["schema"].([]any)
	var missing, ok []string
	for _, r := range rows {
		row := r.(map[string]any)
		switch row["result"] {
		case events.FieldMissing:
			missing = append(missing, row["field"].(string))
			if row["expected"] == "" || row["got"] != "" {
				t.Errorf("missing row %v", row)
			}
		case events.FieldOK:
			ok = append(ok, row["field"].(string))
		}
	}
	if !slices.Equal(missing, []string{"courseId"}) || !slices.Contains(ok, "email") {
		t.Errorf("schema rows: missing %v, ok %v (%v)", missing, ok, rows)
	}
	if code, b, _ := s.request(http.MethodGet, "/api/deliveries/9", nil, nil); code != http.StatusNotFound || !strings.Contains(string(b), "no entry 9") {
		t.Errorf("unknown id: %d %s", code, b)
	}
	if code, _, _ := s.request(http.MethodGet, "/api/deliveries/x", nil, nil); code != http.StatusBadRequest {
		t.Errorf("bad id: %d", code)
	}
}

// sseEvent is one event of the stream.
type sseEvent struct {
	id   string
	data map[string]any
}

// readEvents reads n entry events from an open stream.
func readEvents(t *testing.T, br *bufio.Reader, n int) []sseEvent {
	t.Helper()
	var out []sseEvent
	var cur sseEvent
	for len(out) < n {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("stream: %v after %d events", err, len(out))
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case strings.HasPrefix(line, "id: "):
			cur.id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "data: "):
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &cur.data); err != nil {
				t.Fatal(err)
			}
		case line == "" && cur.data != nil:
			out = append(out, cur)
			cur = sseEvent{}
		}
	}
	return out
}

func openStream(t *testing.T, s *session, header http.Header) (*bufio.Reader, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.page+"api/stream", nil)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return bufio.NewReader(resp.Body), func() { cancel(); resp.Body.Close() }
}

func TestStreamAndResumeWithLastEventID(t *testing.T) {
	s := startSession(t, sessionConfig{})
	s.post("/", coursePayload)
	s.waitFor(1)
	// Without Last-Event-ID: what comes from now on.
	br, closeStream := openStream(t, s, nil)
	s.post("/", reminderPayload)
	s.post("/", noCourseID)
	evs := readEvents(t, br, 2)
	closeStream()
	if evs[0].data["id"] != float64(2) || evs[1].data["id"] != float64(3) || evs[0].data["seq"] != float64(2) {
		t.Fatalf("events %v", evs)
	}
	// Two more while disconnected; resuming after the first event gets the rest.
	s.post("/", `{"a":1}`)
	s.post("/", `{"a":2}`)
	s.waitFor(5)
	br, closeStream = openStream(t, s, http.Header{"Last-Event-Id": {evs[0].id}})
	defer closeStream()
	resumed := readEvents(t, br, 3)
	if g := []any{resumed[0].data["id"], resumed[1].data["id"], resumed[2].data["id"]}; !slices.Equal(g, []any{float64(3), float64(4), float64(5)}) {
		t.Errorf("resumed ids %v", g)
	}
	// ?since= is the same for clients that cannot set headers.
	br2, close2 := openStream(t, s, nil)
	defer close2()
	_ = br2
	var all []sseEvent
	br3, close3 := openStreamQuery(t, s, "since=0")
	defer close3()
	all = readEvents(t, br3, 5)
	if all[0].data["id"] != float64(1) || all[4].data["id"] != float64(5) {
		t.Errorf("since=0: %v", all)
	}
}

func openStreamQuery(t *testing.T, s *session, query string) (*bufio.Reader, func()) {
	t.Helper()
	resp, err := http.Get(s.page + "api/stream?" + query)
	if err != nil {
		t.Fatal(err)
	}
	return bufio.NewReader(resp.Body), func() { resp.Body.Close() }
}

func TestStreamSendsTheForwardAnswerAsAnUpdate(t *testing.T) {
	release := make(chan struct{})
	handler := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		<-release
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	defer handler.Close()
	s := startSession(t, sessionConfig{routes: []receiver.Route{{URL: handler.URL}}})
	br, closeStream := openStream(t, s, nil)
	defer closeStream()
	go func() {
		// Answered once the handler is released; the test reads the stream meanwhile.
		if resp, err := http.Post(s.receiver, "application/json", strings.NewReader(coursePayload)); err == nil {
			resp.Body.Close()
		}
	}()
	ev := readEvents(t, br, 1)[0]
	if ev.data["forward"] != nil || ev.data["status"] != float64(0) {
		t.Errorf("before the answer: %v", ev.data)
	}
	close(release)
	up := readEvents(t, br, 1)[0]
	if up.data["id"] != float64(1) || up.id == ev.id {
		t.Errorf("update %v (first %v)", up, ev.id)
	}
	if f, _ := up.data["forward"].(map[string]any); f == nil || f["status"] != float64(200) || f["answer"] != `{"ok":true}` {
		t.Errorf("update forward: %v", up.data["forward"])
	}
}

// recorder is a handler that keeps the requests it got.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	header http.Header
	body   []byte
	path   string
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.reqs = append(rc.reqs, recorded{r.Header.Clone(), b, r.URL.Path})
	rc.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, "thanks")
}

func (rc *recorder) got() []recorded {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.reqs)
}

func TestReplayByteForByteAndEdited(t *testing.T) {
	rc := &recorder{}
	target := httptest.NewServer(rc)
	defer target.Close()
	s := startSession(t, sessionConfig{})
	// Whitespace and a key order a re-encoding would change: sent as received.
	odd := "{ \"email\" : \"a@example.com\",\n  \"name\":\"A \\u00e9\" }\n"
	req, _ := http.NewRequest(http.MethodPost, s.receiver, strings.NewReader(odd))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("X-Webhook-Secret", "s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	s.waitFor(1)

	code, out := s.postJSON("/api/deliveries/1/replay", map[string]any{"to": target.URL + "/hooks"})
	if code != http.StatusOK || out["status"] != float64(http.StatusAccepted) || out["answer"] != "thanks" || out["error"] != nil || out["id"] != float64(2) {
		t.Fatalf("replay: %d %v", code, out)
	}
	reqs := rc.got()
	if len(reqs) != 1 || string(reqs[0].body) != odd || reqs[0].path != "/hooks" {
		t.Fatalf("target got %q", reqs)
	}
	if h := reqs[0].header; h.Get("Content-Type") != "application/json; charset=utf-8" || h.Get("X-Webhook-Secret") != "s3cret" || h.Get("User-Agent") != "tagmango-hooks/test" {
		t.Errorf("headers %v", h)
	}
	entry := out["entry"].(map[string]any)
	if entry["kind"] != "replay" || entry["replayOf"] != float64(1) || entry["replayTo"] != target.URL+"/hooks" || entry["seq"] != float64(1) {
		t.Errorf("replay entry %v", entry)
	}
	if f := entry["forward"].(map[string]any); f["status"] != float64(202) || f["answer"] != "thanks" {
		t.Errorf("replay entry forward %v", f)
	}

	edited := `{"name":"Edited","email":"e@example.com"}`
	code, out = s.postJSON("/api/deliveries/1/replay", map[string]any{"to": target.URL, "body": edited, "headers": map[string]string{"X-Extra": "1", "X-Webhook-Secret": ""}})
	if code != http.StatusOK || out["status"] != float64(202) {
		t.Fatalf("edited replay: %d %v", code, out)
	}
	reqs = rc.got()
	if len(reqs) != 2 || string(reqs[1].body) != edited || reqs[1].header.Get("X-Extra") != "1" || reqs[1].header.Get("X-Webhook-Secret") != "" {
		t.Errorf("edited: %q %v", reqs[1].body, reqs[1].header)
	}
	var d map[string]any
	s.getJSON("/api/deliveries/3", &d)
	if d["raw"] != edited || d["who"] != "Edited <e@example.com>" {
		t.Errorf("edited entry %v", d)
	}

	code, out = s.postJSON("/api/deliveries/1/replay", map[string]any{"to": target.URL, "body": `{"name": "x",}`})
	if code != http.StatusBadRequest || !strings.Contains(out["error"].(string), "the edited body is not valid JSON") || !strings.Contains(out["error"].(string), "line 1, column") {
		t.Errorf("invalid edit: %d %v", code, out)
	}
	if len(rc.got()) != 2 {
		t.Error("an invalid edit was sent")
	}
	code, out = s.postJSON("/api/deliveries/1/replay", map[string]any{})
	if code != http.StatusBadRequest || !strings.Contains(out["error"].(string), `no target: pass "to"`) {
		t.Errorf("no target: %d %v", code, out)
	}
	big := `{"x":"` + strings.Repeat("a", receiver.DefaultMaxBody) + `"}`
	code, out = s.postJSON("/api/deliveries/1/replay", map[string]any{"to": target.URL, "body": big})
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(out["error"].(string), "--max-body") {
		t.Errorf("too large: %d %v", code, out["error"])
	}
	// Nothing listens: said in plain words, and still an entry.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String() + "/"
	ln.Close()
	code, out = s.postJSON("/api/deliveries/1/replay", map[string]any{"to": dead})
	if code != http.StatusOK || out["status"] != nil || !strings.Contains(fmt.Sprint(out["error"]), "nothing is listening on") {
		t.Errorf("unreachable: %d %v", code, out)
	}
	var failed listAnswer
	s.getJSON("/api/deliveries?failed=1", &failed)
	if g := ids(failed.Deliveries); !slices.Equal(g, []int{4}) {
		t.Errorf("failed replays %v", g)
	}
}

func TestReplayDefaultTargetIsTheRoute(t *testing.T) {
	rc := &recorder{}
	target := httptest.NewServer(rc)
	defer target.Close()
	other := &recorder{}
	otherSrv := httptest.NewServer(other)
	defer otherSrv.Close()
	s := startSession(t, sessionConfig{routes: []receiver.Route{{URL: otherSrv.URL}, {Event: "course.*", URL: target.URL}}})
	s.post("/course.completed.50", coursePayload)
	s.waitFor(1)
	for range 50 { // the forward answer replaces the entry
		var d map[string]any
		s.getJSON("/api/deliveries/1", &d)
		if d["forward"] != nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	before := len(rc.got())
	code, out := s.postJSON("/api/deliveries/1/replay", map[string]any{})
	if code != http.StatusOK || len(rc.got()) != before+1 || out["entry"].(map[string]any)["replayTo"] != target.URL {
		t.Errorf("default target: %d %v; target got %d", code, out, len(rc.got()))
	}
}

func TestCurlReproducesTheRequest(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed (Debian package curl)")
	}
	rc := &recorder{}
	target := httptest.NewServer(rc)
	defer target.Close()
	s := startSession(t, sessionConfig{})
	// Quotes, a percent sign, a backslash, a newline at the end, non-ASCII text, a
	// terminal escape and a NUL: all must come out exactly.
	body := "{\"name\":\"O'Brien 100% \\\\ é\",\"x\":\"\x1b[31m\"}\x00\n"
	req, _ := http.NewRequest(http.MethodPost, s.receiver, strings.NewReader(body))
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("X-Quote", `it's "quoted"`)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	s.waitFor(1)
	code, cmdLine, _ := s.request(http.MethodGet, "/api/deliveries/1/curl?to="+target.URL+"/x", nil, nil)
	if code != http.StatusOK || !strings.HasPrefix(string(cmdLine), "printf '") || bytes.ContainsAny(cmdLine, "\x00\x1b") {
		t.Fatalf("curl: %d %q", code, cmdLine)
	}
	out, err := exec.Command("sh", "-c", string(cmdLine)).CombinedOutput()
	if err != nil {
		t.Fatalf("running %s: %v %s", cmdLine, err, out)
	}
	reqs := rc.got()
	if len(reqs) != 1 || string(reqs[0].body) != body || reqs[0].path != "/x" {
		t.Fatalf("got %q, want %q", reqs, body)
	}
	if h := reqs[0].header; h.Get("Content-Type") != "text/plain" || h.Get("X-Quote") != `it's "quoted"` {
		t.Errorf("headers %v", h)
	}
}

func TestExportIsReadBackByInspectAndReplay(t *testing.T) {
	s := startSession(t, sessionConfig{})
	s.post("/course.completed.50", coursePayload)
	s.post("/", "not json \xff")
	s.post("/", reminderPayload)
	s.waitFor(3)
	code, nd, h := s.request(http.MethodGet, "/api/export", nil, nil)
	if code != http.StatusOK || h.Get("Content-Type") != "application/x-ndjson" || bytes.Count(nd, []byte("\n")) != 3 {
		t.Fatalf("export: %d %s %q", code, h.Get("Content-Type"), nd)
	}
	_, filtered, _ := s.request(http.MethodGet, "/api/export?event=webinar.*", nil, nil)
	if bytes.Count(filtered, []byte("\n")) != 1 || !bytes.Contains(filtered, []byte(`"seq":3`)) {
		t.Errorf("filtered export %s", filtered)
	}
	// inspect reads it back to the same lines.
	store := inspector.NewStore(0)
	m := events.NewMatcher(testCatalog(t))
	var warnings []string
	res, err := inspector.Load(context.Background(), store, m, "x.jsonl", bytes.NewReader(nd), func(s string) { warnings = append(warnings, s) })
	if err != nil || res.Loaded != 3 || len(warnings) != 0 {
		t.Fatalf("load: %+v %v %v", res, err, warnings)
	}
	srv, _ := inspector.New(inspector.Options{Store: store, Catalog: testCatalog(t), Matcher: m, Port: 0})
	if err := srv.Listen(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	resp, err := http.Get(srv.URL() + "api/export")
	if err != nil {
		t.Fatal(err)
	}
	again, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(again, nd) {
		t.Errorf("read back:\n%s\nwant\n%s", again, nd)
	}
	// replay sends each one's exact bytes.
	rc := &recorder{}
	target := httptest.NewServer(rc)
	defer target.Close()
	file := filepath.Join(t.TempDir(), "export.jsonl")
	if err := os.WriteFile(file, nd, 0o600); err != nil {
		t.Fatal(err)
	}
	runReplay(t, file, target.URL)
	reqs := rc.got()
	if len(reqs) != 3 || string(reqs[0].body) != coursePayload || string(reqs[1].body) != "not json \xff" || string(reqs[2].body) != reminderPayload {
		t.Errorf("replayed %q", reqs)
	}
}

func TestKeepEvictsTheOldest(t *testing.T) {
	s := startSession(t, sessionConfig{keep: 3})
	for i := range 5 {
		s.post("/", fmt.Sprintf(`{"n":%d}`, i))
	}
	var got listAnswer
	for range 400 {
		s.getJSON("/api/deliveries", &got)
		if got.Dropped == 2 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if g := ids(got.Deliveries); !slices.Equal(g, []int{3, 4, 5}) || got.Dropped != 2 || got.Kept != 3 {
		t.Fatalf("kept %v, dropped %d", g, got.Dropped)
	}
	code, b, _ := s.request(http.MethodGet, "/api/deliveries/1", nil, nil)
	if code != http.StatusNotFound || !strings.Contains(string(b), "no longer kept") || !strings.Contains(string(b), "--ui-keep") {
		t.Errorf("evicted: %d %s", code, b)
	}
	var stats map[string]any
	s.getJSON("/api/stats", &stats)
	if stats["dropped"] != float64(2) || stats["deliveries"] != float64(3) {
		t.Errorf("stats %v", stats)
	}
}

func TestCatalogAndStats(t *testing.T) {
	handler := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer handler.Close()
	s := startSession(t, sessionConfig{routes: []receiver.Route{{URL: handler.URL}}})
	var cat []map[string]any
	s.getJSON("/api/catalog", &cat)
	if len(cat) != len(testCatalog(t).Events) || cat[0]["fields"] == nil {
		t.Fatalf("catalog: %d entries", len(cat))
	}
	s.post("/course.completed.50", coursePayload)
	s.post("/course.completed.50", noCourseID)
	s.post("/", reminderPayload)
	var stats struct {
		Deliveries int            `json:"deliveries"`
		ByEvent    map[string]int `json:"byEvent"`
		PerSecond  []struct {
			T, N int64
		} `json:"perSecond"`
		Latency struct {
			Count    int
			P50, P99 float64
		} `json:"latency"`
	}
	for range 400 {
		s.getJSON("/api/stats", &stats)
		if stats.Latency.Count == 3 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if stats.Deliveries != 3 || stats.ByEvent["course.completed.50"] != 2 || stats.ByEvent["webinar.reminder.*"] != 1 || stats.Latency.Count != 3 || stats.Latency.P99 <= 0 || stats.Latency.P50 > stats.Latency.P99 {
		t.Errorf("stats %+v", stats)
	}
	total := int64(0)
	for _, sec := range stats.PerSecond {
		total += sec.N
	}
	if total != 3 {
		t.Errorf("per second %+v", stats.PerSecond)
	}
}

// TestStalledStreamCostsTheReceiverNothing: a client that opens the stream and
// never reads does not slow the receiver: a burst of 10,000 is answered and kept.
func TestStalledStreamCostsTheReceiverNothing(t *testing.T) {
	s := startSession(t, sessionConfig{})
	conn, err := net.Dial("tcp", strings.TrimPrefix(strings.TrimSuffix(s.page, "/"), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4096) // and never read it
	}
	host := strings.TrimPrefix(strings.TrimSuffix(s.page, "/"), "http://")
	fmt.Fprintf(conn, "GET /api/stream?since=0 HTTP/1.1\r\nHost: %s\r\n\r\n", host)

	const n = 10000
	var ok, other atomic.Int64
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	next := atomic.Int64{}
	for range 32 {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > n {
					return
				}
				resp, err := client.Post(s.receiver, "application/json", strings.NewReader(`{"name":"P`+strconv.FormatInt(i, 10)+`","email":"p@example.com","pad":"`+strings.Repeat("x", 400)+`"}`))
				if err != nil {
					other.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					ok.Add(1)
				} else {
					other.Add(1)
				}
			}
		})
	}
	wg.Wait()
	sum := s.stop()
	if ok.Load() != n || other.Load() != 0 || sum.Deliveries != n || sum.NotShown != 0 {
		t.Errorf("answered %d ok, %d other; shown %d, not shown %d", ok.Load(), other.Load(), sum.Deliveries, sum.NotShown)
	}
	if s.store.Len() != n {
		t.Errorf("kept %d, want %d", s.store.Len(), n)
	}
}

// TestLoadPutsForwardedLinesBackInOrder: listen saves a forwarded delivery when its
// answer came; inspect lists them by seq.
func TestLoadPutsForwardedLinesBackInOrder(t *testing.T) {
	var saved bytes.Buffer
	for _, seq := range []int{2, 1, 3, 5, 4} {
		fmt.Fprintf(&saved, `{"seq":%d,"raw":"{\"n\":%d}"}`+"\n", seq, seq)
	}
	store := inspector.NewStore(0)
	if _, err := inspector.Load(context.Background(), store, events.NewMatcher(testCatalog(t)), "f", &saved, func(s string) { t.Error(s) }); err != nil {
		t.Fatal(err)
	}
	srv, _ := inspector.New(inspector.Options{Store: store, Catalog: testCatalog(t), Matcher: events.NewMatcher(testCatalog(t)), Token: "t"})
	req := httptest.NewRequest("GET", "/api/deliveries", nil)
	req.Header.Set(inspector.TokenHeader, "t")
	w := httptest.NewRecorder()
	srv.Handler().ServeHTTP(w, req)
	var got listAnswer
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	var seqs []int
	for _, e := range got.Deliveries {
		seqs = append(seqs, int(e["seq"].(float64)))
	}
	if !slices.Equal(seqs, []int{1, 2, 3, 4, 5}) {
		t.Errorf("seqs %v", seqs)
	}
}

// TestLoadDetectsOlderLinesAsListen: a line saved without the detection is detected
// and checked as listen does, body warnings included; a line with its detection
// keeps it.
func TestLoadDetectsOlderLinesAsListen(t *testing.T) {
	saved := strings.NewReader(`{"seq":1,"path":"/","raw":""}
{"seq":2,"path":"/","raw":"a=b"}
{"seq":3,"path":"/course.completed.50","raw":` + strconv.Quote(coursePayload) + `}
{"seq":4,"path":"/","raw":"","event":"user.deleted","candidates":["user.deleted"],"warnings":[]}
`)
	store := inspector.NewStore(0)
	m := events.NewMatcher(testCatalog(t))
	if _, err := inspector.Load(context.Background(), store, m, "f", saved, func(s string) { t.Error(s) }); err != nil {
		t.Fatal(err)
	}
	srv, _ := inspector.New(inspector.Options{Store: store, Catalog: testCatalog(t), Matcher: m, Token: "t"})
	want := []struct {
		event    string
		warnings []any
	}{
		{"unknown", []any{"the body is empty"}},
		{"unknown", []any{"the body is not JSON"}},
		{"course.completed.50", []any{}},
		{"user.deleted", []any{}},
	}
	for i, w := range want {
		req := httptest.NewRequest("GET", "/api/deliveries/"+strconv.Itoa(i+1), nil)
		req.Header.Set(inspector.TokenHeader, "t")
		rr := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rr, req)
		var d map[string]any
		if err := json.Unmarshal(rr.Body.Bytes(), &d); err != nil {
			t.Fatalf("line %d: %v %s", i+1, err, rr.Body)
		}
		if got, _ := d["warnings"].([]any); d["event"] != w.event || !slices.Equal(got, w.warnings) {
			t.Errorf("line %d: event %v, warnings %#v; want %s, %#v", i+1, d["event"], d["warnings"], w.event, w.warnings)
		}
	}
}

// TestReplayOfAnEmptyBodyWarnsAsListen: the replay's entry is checked as listen
// checks a delivery.
func TestReplayOfAnEmptyBodyWarnsAsListen(t *testing.T) {
	target := httptest.NewServer(&recorder{})
	defer target.Close()
	s := startSession(t, sessionConfig{})
	s.post("/", "")
	s.waitFor(1)
	code, out := s.postJSON("/api/deliveries/1/replay", map[string]any{"to": target.URL})
	if code != http.StatusOK {
		t.Fatalf("replay: %d %v", code, out)
	}
	var orig, replayed map[string]any
	s.getJSON("/api/deliveries/1", &orig)
	s.getJSON("/api/deliveries/2", &replayed)
	want := []any{"the body is empty"}
	if got, _ := orig["warnings"].([]any); !slices.Equal(got, want) {
		t.Errorf("delivery warnings %#v, want %#v", orig["warnings"], want)
	}
	if got, _ := replayed["warnings"].([]any); !slices.Equal(got, want) {
		t.Errorf("replay warnings %#v, want %#v", replayed["warnings"], want)
	}
}

// TestNewRefusesAnInvalidPort without naming a flag: the commands own theirs.
func TestNewRefusesAnInvalidPort(t *testing.T) {
	for _, port := range []int{-1, 65536} {
		_, err := inspector.New(inspector.Options{Store: inspector.NewStore(0), Catalog: testCatalog(t), Matcher: events.NewMatcher(testCatalog(t)), Port: port})
		want := fmt.Sprintf("inspector: invalid port %d: use 0 to 65535", port)
		if err == nil || err.Error() != want {
			t.Errorf("port %d: %v, want %q", port, err, want)
		}
	}
	if inspector.ValidPort(0) != nil || inspector.ValidPort(65535) != nil {
		t.Error("0 and 65535 are valid ports")
	}
}
