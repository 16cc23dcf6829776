package receiver

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// gatedSaver holds each Save until the test lets it return, with the error the
// test chose.
type gatedSaver struct {
	calls chan []byte
	reply chan error
}

func newGatedSaver() *gatedSaver {
	return &gatedSaver{calls: make(chan []byte, 16), reply: make(chan error)}
}

func (g *gatedSaver) Save(lines []byte) (string, error) {
	g.calls <- append([]byte(nil), lines...)
	return "", <-g.reply
}

// postAsync posts body and sends the status it got (0 for a transport error).
func (rn *running) postAsync(path, body string) <-chan int {
	req, _ := http.NewRequest(http.MethodPost, rn.base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return rn.sendAsync(req)
}

// sendAsync sends req from a goroutine; the channel gets the answer's status, 0 when
// none came.
func (rn *running) sendAsync(req *http.Request) <-chan int {
	ch := make(chan int, 1)
	go func() {
		resp, err := rn.client.Do(req)
		if err != nil {
			ch <- 0
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		ch <- resp.StatusCode
	}()
	return ch
}

// expectStatus waits for every answer and fails t unless each is want.
func expectStatus(t *testing.T, answers []<-chan int, want int) {
	t.Helper()
	for _, a := range answers {
		if s := <-a; s != want {
			t.Fatalf("answer %d, want %d", s, want)
		}
	}
}

func TestSaveAnswersOnlyOnceTheLineIsWritten(t *testing.T) {
	g := newGatedSaver()
	c := newCollector()
	rn := start(t, Config{Save: g, SeqBase: 41}, c)
	next[*Ready](t, c)

	answered := rn.postAsync("/", userPayload)
	lines := <-g.calls
	select {
	case st := <-answered:
		t.Fatalf("answered %d before its line was written", st)
	default: // the handler cannot answer while Save has not returned
	}
	if !strings.HasPrefix(string(lines), `{"seq":42,`) || !strings.HasSuffix(string(lines), `,"raw":`+string(mustJSON(t, userPayload))+"}\n") {
		t.Errorf("saved %s", lines)
	}
	g.reply <- nil
	if st := <-answered; st != 200 {
		t.Fatalf("answer %d", st)
	}
	if d := next[*Delivery](t, c); d.Seq != 42 || d.Status != 200 {
		t.Errorf("shown #%d → %d", d.Seq, d.Status)
	}

	// A failed write: that delivery is answered 503 (the sender retries), shown
	// with its 503, and listen stops.
	answered = rn.postAsync("/", coursePayload)
	<-g.calls
	g.reply <- fmt.Errorf("write deliveries.jsonl: %w", syscall.ENOSPC)
	if st := <-answered; st != http.StatusServiceUnavailable {
		t.Fatalf("answer %d after a failed write", st)
	}
	if d := next[*Delivery](t, c); d.Seq != 43 || d.Status != http.StatusServiceUnavailable {
		t.Errorf("shown #%d → %d", d.Seq, d.Status)
	}
	select {
	case <-rn.done:
	case <-time.After(10 * time.Second):
		t.Fatal("listen kept running after --save failed")
	}
	if rn.err == nil || rn.err.Error() != "--save: write deliveries.jsonl: no space left on device: 1 delivery from #43 on was answered 503 (not saved; the sender may retry)" {
		t.Errorf("err %v", rn.err)
	}
	if !errors.Is(rn.err, syscall.ENOSPC) || rn.sum.NotSaved != 1 || rn.sum.Deliveries != 2 {
		t.Errorf("summary %+v", rn.sum)
	}
	// Stopped: nothing more is accepted (the listener is closed).
	if st := <-rn.postAsync("/", userPayload); st != 0 {
		t.Errorf("a delivery after the failure got %d", st)
	}
}

func mustJSON(t *testing.T, s string) []byte {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// With --forward-to and --save, the line carries the handler's answer and is in the
// file before the sender hears it.
func TestSaveWithForward(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"id":"h1"}`)
	}))
	defer target.Close()
	g := newGatedSaver()
	c := newCollector()
	rn := start(t, Config{Save: g, Routes: []Route{{URL: target.URL}}}, c)
	next[*Ready](t, c)

	answered := rn.postAsync("/", userPayload)
	lines := <-g.calls
	select {
	case st := <-answered:
		t.Fatalf("answered %d before its line was written", st)
	default:
	}
	var v struct {
		Seq     int64
		Status  int
		Forward struct {
			URL    string
			Status int
			Answer string
			Error  *string
		}
		Raw string
	}
	if err := json.Unmarshal(lines, &v); err != nil {
		t.Fatalf("%s: %v", lines, err)
	}
	if v.Seq != 1 || v.Status != 201 || v.Forward.URL != target.URL || v.Forward.Status != 201 || v.Forward.Answer != `{"id":"h1"}` || v.Forward.Error != nil || v.Raw != userPayload {
		t.Errorf("saved %s", lines)
	}
	g.reply <- nil
	if st := <-answered; st != http.StatusCreated {
		t.Fatalf("answer %d", st)
	}
	next[*Delivery](t, c)
	if r := next[*ForwardResult](t, c); r.Answered != 201 || r.BodySize != 11 || r.Delivery == nil || r.Delivery.Forward != r {
		t.Errorf("result %+v", r)
	}

	// The handler said 201, but the line could not be written: 503.
	answered = rn.postAsync("/", coursePayload)
	<-g.calls
	g.reply <- errors.New("I/O error")
	if st := <-answered; st != http.StatusServiceUnavailable {
		t.Errorf("answer %d after a failed write", st)
	}
	next[*Delivery](t, c)
	if r := next[*ForwardResult](t, c); r.Status != 201 || r.Answered != http.StatusServiceUnavailable {
		t.Errorf("result %+v", r)
	}
	rn.stop(t)
	if rn.sum.NotSaved != 1 || !strings.Contains(rn.err.Error(), "1 delivery from #2 on was answered 503") {
		t.Errorf("err %v, summary %+v", rn.err, rn.sum)
	}
}

// failAfter is an output that takes n bytes, then fails every write.
type failAfter struct {
	mu  sync.Mutex
	n   int
	err error
	got strings.Builder
}

func (f *failAfter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(p) > f.n {
		f.got.Write(p[:f.n])
		k := f.n
		f.n = 0
		return k, f.err
	}
	f.n -= len(p)
	f.got.Write(p)
	return len(p), nil
}

func (f *failAfter) String() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.got.String()
}

// A display that fails (a full disk under `> file`) stops listen, says how many
// deliveries were not shown, and counts only what was shown.
func TestDisplayFailureIsReported(t *testing.T) {
	out := &failAfter{n: 1, err: fmt.Errorf("write /dev/stdout: %w", syscall.ENOSPC)}
	rn := start(t, Config{}, NewJSONLines(out, io.Discard))
	if a := rn.post(t, "/", userPayload, nil); a.status != 200 {
		t.Fatalf("answer %d", a.status)
	}
	select {
	case <-rn.done:
	case <-time.After(10 * time.Second):
		t.Fatal("listen kept running with a failing display")
	}
	if rn.err == nil || rn.err.Error() != "writing output: write /dev/stdout: no space left on device: 1 received delivery (from #1 on) was not shown" {
		t.Errorf("err %v", rn.err)
	}
	if rn.sum.Deliveries != 0 || rn.sum.NotShown != 1 || len(rn.sum.ByEvent) != 0 {
		t.Errorf("summary counts what was not shown: %+v", rn.sum)
	}
	if st := <-rn.postAsync("/", userPayload); st != 0 {
		t.Errorf("after the failure: %d", st)
	}
}

// The reader of stdout going away is a deliberate end: the error is EPIPE, with no
// story of lost deliveries.
func TestClosedStdoutEndsListen(t *testing.T) {
	out := &failAfter{n: 0, err: &os.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.EPIPE}}
	rn := start(t, Config{}, NewJSONLines(out, io.Discard))
	rn.post(t, "/", userPayload, nil)
	select {
	case <-rn.done:
	case <-time.After(10 * time.Second):
		t.Fatal("listen kept running with a closed stdout")
	}
	if !errors.Is(rn.err, syscall.EPIPE) || strings.Contains(rn.err.Error(), "not shown") {
		t.Errorf("err %v", rn.err)
	}
}

// Tee flushes every renderer even when one fails: the final flush is never skipped.
func TestTeeFlushesPastAFailure(t *testing.T) {
	var good strings.Builder
	bad := &failAfter{n: 0, err: errors.New("I/O error")}
	j := NewJSONLines(&good, io.Discard)
	r := Tee(NewJSONLines(bad, io.Discard), j)
	d := delivery(t, 1, "/", userPayload, nil)
	if err := r.Render(d); err != nil {
		t.Fatal(err) // buffered
	}
	if err := r.Flush(); err == nil {
		t.Error("the failure was not reported")
	}
	if !strings.HasPrefix(good.String(), `{"seq":1,`) {
		t.Errorf("the other renderer was not flushed: %q", good.String())
	}
}

// stuckRenderer blocks in Render (a stalled pipe) until released.
type stuckRenderer struct {
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (s *stuckRenderer) Render(Entry) error {
	s.once.Do(func() { close(s.entered) })
	<-s.release
	return nil
}
func (s *stuckRenderer) Flush() error { return nil }

// Stopping always works: with the display stuck, Abandon ends Run at once, counting
// what was not shown; deliveries waiting for their --save line get 503.
func TestAbandonAStuckDisplay(t *testing.T) {
	for _, withSave := range []bool{false, true} {
		t.Run(fmt.Sprintf("save=%v", withSave), func(t *testing.T) {
			r := &stuckRenderer{entered: make(chan struct{}), release: make(chan struct{})}
			defer close(r.release) // the processing goroutine ends once its write returns
			cfg := Config{}
			var saved *SaveFile
			if withSave {
				var err error
				saved, _, err = OpenSave(filepath.Join(t.TempDir(), "s.jsonl"), false)
				if err != nil {
					t.Fatal(err)
				}
				defer saved.Close()
				cfg.Save = saved
			}
			rn := start(t, cfg, r)
			<-r.entered // stuck on the Ready line
			const n = 5
			answers := make([]<-chan int, n)
			for i := range answers {
				answers[i] = rn.postAsync("/", fmt.Sprintf(`{"n":%d}`, i))
			}
			if !withSave {
				for _, a := range answers {
					if st := <-a; st != 200 {
						t.Fatalf("answer %d", st)
					}
				}
			} else {
				waitFor(t, func() bool { return rn.eng.accepted.Load() == n })
			}
			rn.cancel()
			rn.eng.Abandon()
			select {
			case <-rn.done:
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not return once abandoned")
			}
			if rn.sum.NotShown != n || rn.sum.Deliveries != 0 {
				t.Errorf("summary %+v", rn.sum)
			}
			if rn.err == nil || rn.err.Error() != "stopped without waiting for the display: 5 received deliveries were not shown" {
				t.Errorf("err %v", rn.err)
			}
			if withSave {
				for _, a := range answers {
					if st := <-a; st != http.StatusServiceUnavailable {
						t.Errorf("a delivery whose line was not written got %d", st)
					}
				}
			}
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestOpenSaveContinuesTheNumbering(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.jsonl")
	long := `{"seq":40,"receivedAt":"x","body":"` + strings.Repeat("a", 3<<20) + `"}` // longer than any buffer
	writeFile(t, path, `{"seq":5,"a":1}`+"\n"+long+"\n"+`{"seq":12,"a":1}`+"\n\n"+"not a line\n"+`{"seq":3,"a":1}`+"\n"+`{"seq":99,"rec`)
	s, warning, err := OpenSave(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.LastSeq() != 40 {
		t.Errorf("last seq %d, want 40 (the cut line #99 does not count)", s.LastSeq())
	}
	if want := path + ": 2 lines (the first is line 5) are not saved deliveries; numbering ignores them"; warning != want {
		t.Errorf("warning %q, want %q", warning, want)
	}
	if _, err := s.Save([]byte(`{"seq":41}` + "\n")); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	// The line cut short is ended before the next one: never glued to it.
	if !strings.HasSuffix(string(data), `{"seq":99,"rec`+"\n"+`{"seq":41}`+"\n") {
		t.Errorf("file ends %q", data[len(data)-40:])
	}

	empty := filepath.Join(dir, "new.jsonl")
	s2, warning, err := OpenSave(empty, false)
	if err != nil || s2.LastSeq() != 0 || warning != "" {
		t.Fatalf("new file: %v %d %q", err, s2.LastSeq(), warning)
	}
	s2.Close()
	writeFile(t, empty, `{"seq":7,"a":1}`+"\n"+"garbage\n")
	s3, warning, _ := OpenSave(empty, true)
	defer s3.Close()
	if s3.LastSeq() != 7 || warning != empty+": line 2 is not a saved delivery (cut short, or written by something else); numbering ignores it" {
		t.Errorf("%d %q", s3.LastSeq(), warning)
	}
}

// A save file moved or deleted while listen runs is reopened at its path, and the
// user is told.
func TestSaveFileMovedAway(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.jsonl")
	s, _, err := OpenSave(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	line := func(n int) []byte { return fmt.Appendf(nil, `{"seq":%d}`+"\n", n) }
	if notice, err := s.Save(line(1)); err != nil || notice != "" {
		t.Fatal(notice, err)
	}
	if err := os.Rename(path, path+".old"); err != nil {
		t.Fatal(err)
	}
	notice, err := s.Save(line(2))
	if err != nil || notice != "--save: "+path+" was moved or deleted while listen ran; reopened it, the lines from now on are appended to "+path {
		t.Fatalf("notice %q, err %v", notice, err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if notice, _ := s.Save(line(3)); !strings.Contains(notice, "was moved or deleted") {
		t.Errorf("after a delete: notice %q", notice)
	}
	writeFile(t, path+".new", "")
	if err := os.Rename(path+".new", path); err != nil { // replaced by another file
		t.Fatal(err)
	}
	if notice, _ := s.Save(line(4)); !strings.Contains(notice, "was replaced") {
		t.Errorf("after a replace: notice %q", notice)
	}
	if notice, _ := s.Save(line(5)); notice != "" {
		t.Errorf("no move, yet notice %q", notice)
	}
	for file, want := range map[string]string{path + ".old": "1", path: "4\n5"} {
		data, _ := os.ReadFile(file)
		var seqs []string
		sc := bufio.NewScanner(strings.NewReader(string(data)))
		for sc.Scan() {
			seqs = append(seqs, strings.TrimSuffix(strings.TrimPrefix(sc.Text(), `{"seq":`), "}"))
		}
		if got := strings.Join(seqs, "\n"); got != want {
			t.Errorf("%s holds %q, want %q", file, got, want)
		}
	}
}

// The engine tells the user when it reopened the file.
func TestEngineSaysTheSaveFileWasReopened(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.jsonl")
	s, _, err := OpenSave(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := newCollector()
	rn := start(t, Config{Save: s}, c)
	next[*Ready](t, c)
	rn.post(t, "/", userPayload, nil)
	next[*Delivery](t, c)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	rn.post(t, "/", coursePayload, nil)
	if n := next[*Notice](t, c); !strings.Contains(n.Message, "was moved or deleted while listen ran; reopened it") {
		t.Errorf("notice %+v", n)
	}
	if d := next[*Delivery](t, c); d.Seq != 2 {
		t.Errorf("#%d", d.Seq)
	}
	rn.stop(t)
	data, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(data), `{"seq":2,`) || strings.Count(string(data), "\n") != 1 {
		t.Errorf("reopened file: %s", data)
	}
}

// TestSaveWithForwardLongAndBrokenAnswers: with --save, a handler's answer longer
// than the entry shows is still relayed whole (the line says it went on), and one
// whose body breaks off is a 502 for the sender, not the handler's 2xx.
func TestSaveWithForwardLongAndBrokenAnswers(t *testing.T) {
	long := strings.Repeat("0123456789", 300) // 3,000 bytes, beyond the 512 shown
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/broken" {
			w.Header().Set("Content-Length", "1000")
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, `{"partial":`)
			w.(http.Flusher).Flush()
			conn, _, _ := http.NewResponseController(w).Hijack()
			_ = conn.Close()
			return
		}
		_, _ = io.WriteString(w, long)
	}))
	defer target.Close()
	g := newGatedSaver()
	c := newCollector()
	rn := start(t, Config{Save: g, Routes: []Route{{Event: "user.deleted", URL: target.URL + "/long"}, {URL: target.URL + "/broken"}}}, c)
	next[*Ready](t, c)

	answered := make(chan answer, 1)
	go func() { answered <- rn.post(t, "/", userPayload, nil) }()
	var v struct {
		Forward struct{ Answer string }
	}
	if err := json.Unmarshal(<-g.calls, &v); err != nil {
		t.Fatal(err)
	}
	g.reply <- nil
	if a := <-answered; a.status != http.StatusOK || a.body != long {
		t.Errorf("the sender got %d and %d bytes, want 200 and all %d", a.status, len(a.body), len(long))
	}
	if v.Forward.Answer != long[:DefaultForwardBodyLimit] {
		t.Errorf("the line's answer is %d bytes, want the first %d", len(v.Forward.Answer), DefaultForwardBodyLimit)
	}
	next[*Delivery](t, c)
	if r := next[*ForwardResult](t, c); r.BodySize != -1 || len(r.Body) != DefaultForwardBodyLimit {
		t.Errorf("result: body size %d, %d bytes kept", r.BodySize, len(r.Body))
	}

	// The broken answer: nothing to save before its end, and a 502.
	a := rn.post(t, "/", coursePayload, nil)
	if a.status != http.StatusBadGateway || !strings.Contains(a.body, "reading the answer") {
		t.Errorf("broken answer: %d %q", a.status, a.body)
	}
	if line := <-g.calls; !strings.Contains(string(line), `"status":502`) {
		t.Errorf("the broken answer's line: %s", line)
	}
	g.reply <- nil
	next[*Delivery](t, c)
	if r := next[*ForwardResult](t, c); r.Answered != http.StatusBadGateway || r.Status != http.StatusOK || r.Err == nil {
		t.Errorf("broken result: %+v", r)
	}
}
