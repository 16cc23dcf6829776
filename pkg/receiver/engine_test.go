package receiver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var testNow = time.Date(2026, 11, 22, 10, 4, 5, 0, time.UTC)

const (
	coursePayload   = `{"name":"Student Name","email":"student@example.com","phone":1234567890,"course":"Example course","courseId":"634fc35ddaf58580e2418c40","lastProgressOn":"2023-11-20T18:30Z"}`
	reminderPayload = `{"name":"John Doe","email":"john@example.com","phone":"1234567890","timezone":"+05:30","webinar":"Introduction to Digital Marketing","webinarId":"634fc35ddaf58580e2418c40","webinarLink":"https://meet.google.com/abc-defg-hij","webinarFromTime":"2024-03-15T10:00:00.000Z","webinarToTime":"2024-03-15T11:00:00.000Z","webinarFromTimeInCreatorTimezone":"2024-03-15T15:30:00.000Z","creatorTimezone":"+05:30","mangoes":"Marketing Community, Digital Course Hub"}`
	userPayload     = `{"_id":"66b810000000000000000000","name":"John Doe","email":"someone@example.com","phone":9999999999,"country":"IN","host":"example.tagmango.com","profilePicUrl":"https://example.com/profile.jpg"}`
)

func testMatcher(t testing.TB) *events.Matcher {
	t.Helper()
	c, err := events.Load()
	if err != nil {
		t.Fatal(err)
	}
	return events.NewMatcher(c)
}

// collector hands entries to the test through a channel.
type collector struct {
	ch chan Entry
}

func newCollector() *collector { return &collector{ch: make(chan Entry, 4096)} }

func (c *collector) Render(e Entry) error { c.ch <- e; return nil }
func (c *collector) Flush() error         { return nil }

// next returns the next entry of type T, failing on anything else.
func next[T Entry](t *testing.T, c *collector) T {
	t.Helper()
	select {
	case e := <-c.ch:
		v, ok := e.(T)
		if !ok {
			t.Fatalf("got %T %+v, want %T", e, e, *new(T))
		}
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("no %T came", *new(T))
	}
	panic("unreachable")
}

// running is an engine serving in the background.
type running struct {
	eng *Engine
	url string
	// base is http://HOST:PORT, without the path.
	base   string
	cancel context.CancelFunc
	done   chan struct{}
	sum    *Summary
	err    error
	client *http.Client
}

// start runs an engine on a free loopback port until the test ends or stop is called.
func start(t *testing.T, cfg Config, r Renderer) *running {
	t.Helper()
	cfg.Port = 0
	if cfg.Matcher == nil {
		cfg.Matcher = testMatcher(t)
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return testNow }
	}
	eng, err := New(cfg, r)
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Listen(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rn := &running{eng: eng, url: eng.URL(), base: "http://" + eng.ln.Addr().String(), cancel: cancel, done: make(chan struct{}),
		client: &http.Client{
			// Like TagMango: no Accept-Encoding of its own, no redirects followed.
			Transport:     &http.Transport{MaxIdleConnsPerHost: 100, DisableCompression: true},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}}
	go func() {
		defer close(rn.done)
		rn.sum, rn.err = eng.Run(ctx)
	}()
	t.Cleanup(func() { rn.stop(t) })
	return rn
}

// stop cancels the engine and waits for Run to return.
func (rn *running) stop(t *testing.T) *Summary {
	t.Helper()
	rn.cancel()
	select {
	case <-rn.done:
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return")
	}
	rn.client.CloseIdleConnections()
	return rn.sum
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (rn *running) post(t *testing.T, path, body string, header map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, rn.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return rn.do(t, req)
}

func (rn *running) do(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := rn.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b)}
}

func TestDeliveryEntry(t *testing.T) {
	c := newCollector()
	rn := start(t, Config{}, c)
	if r := next[*Ready](t, c); r.URL != rn.url || !strings.HasPrefix(r.URL, "http://127.0.0.1:") || !strings.HasSuffix(r.URL, "/") {
		t.Errorf("ready URL %q (engine says %q)", r.URL, rn.url)
	}
	a := rn.post(t, "/?x=1", coursePayload, map[string]string{"X-Trace": "abc"})
	if a.status != 200 {
		t.Fatalf("answer %d", a.status)
	}
	d := next[*Delivery](t, c)
	want := []string{"course.completed.all", "course.completed.50", "course.completed.100", "course.completed"}
	if d.Seq != 1 || d.Event != "course.completed.*" || !slices.Equal(d.Candidates, want) || d.ByPath {
		t.Errorf("detection: seq %d %q %v byPath %v", d.Seq, d.Event, d.Candidates, d.ByPath)
	}
	if d.Method != "POST" || d.Path != "/?x=1" || d.Status != 200 || !d.ReceivedAt.Equal(testNow) {
		t.Errorf("request: %s %s → %d at %s", d.Method, d.Path, d.Status, d.ReceivedAt)
	}
	if string(d.Body) != coursePayload || d.Size != int64(len(coursePayload)) || !d.IsJSON {
		t.Errorf("body %q size %d json %v", d.Body, d.Size, d.IsJSON)
	}
	if d.Header.Get("X-Trace") != "abc" || d.Warnings == nil || len(d.Warnings) != 0 || d.DuplicateOf != 0 {
		t.Errorf("header %v warnings %q dup %d", d.Header, d.Warnings, d.DuplicateOf)
	}
	s := rn.stop(t)
	if s.Deliveries != 1 || s.ByEvent["course.completed.*"] != 1 {
		t.Errorf("summary %+v", s)
	}
}

func TestAnswers(t *testing.T) {
	tests := []struct {
		name   string
		cfg    Config
		method string
		path   string
		body   string
		header map[string]string
		// chunked sends the body without Content-Length.
		chunked bool

		status   int
		allow    string
		warning  string // for a delivery entry; "" means a Notice is expected
		notice   string
		rejected bool
	}{
		{name: "POST is accepted", method: "POST", path: "/", body: userPayload, status: 200},
		{name: "GET is refused", method: "GET", path: "/", status: 405, allow: "POST", notice: "method not allowed"},
		{name: "PUT is refused", method: "PUT", path: "/", body: "{}", status: 405, allow: "POST", notice: "method not allowed"},
		{name: "below the path", cfg: Config{Path: "/hooks"}, method: "POST", path: "/hooks/user.deleted", body: userPayload, status: 200},
		{name: "the path itself", cfg: Config{Path: "/hooks/"}, method: "POST", path: "/hooks", body: userPayload, status: 200},
		{name: "outside the path", cfg: Config{Path: "/hooks"}, method: "POST", path: "/hooksx", body: "{}", status: 404, notice: "not found"},
		{name: "too large, announced", cfg: Config{MaxBody: 10}, method: "POST", path: "/", body: `{"a":"12345"}`, status: 413, warning: "body larger than --max-body (10 B): answered 413 without reading it", rejected: true},
		{name: "too large, chunked", cfg: Config{MaxBody: 10}, method: "POST", path: "/", body: `{"a":"12345"}`, chunked: true, status: 413, warning: "body larger than --max-body (10 B)", rejected: true},
		{name: "just fits", cfg: Config{MaxBody: 13}, method: "POST", path: "/", body: `{"a":"12345"}`, chunked: true, status: 200},
		{name: "required header missing", cfg: Config{RequireHeader: &HeaderCheck{Name: "X-Secret", Value: "s3cret"}}, method: "POST", path: "/", body: userPayload, status: 401, warning: "header X-Secret is missing (--require-header): answered 401", rejected: true},
		{name: "required header wrong", cfg: Config{RequireHeader: &HeaderCheck{Name: "X-Secret", Value: "s3cret"}}, method: "POST", path: "/", body: userPayload, header: map[string]string{"X-Secret": "s3cre"}, status: 401, warning: "header X-Secret does not match --require-header: answered 401", rejected: true},
		{name: "required header right", cfg: Config{RequireHeader: &HeaderCheck{Name: "X-Secret", Value: "s3cret"}}, method: "POST", path: "/", body: userPayload, header: map[string]string{"x-secret": "s3cret"}, status: 200},
		{name: "--status 500", cfg: Config{Status: 500}, method: "POST", path: "/", body: userPayload, status: 500},
		{name: "--status 202", cfg: Config{Status: 202}, method: "POST", path: "/", body: userPayload, status: 202},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCollector()
			rn := start(t, tt.cfg, c)
			next[*Ready](t, c)
			var body io.Reader = strings.NewReader(tt.body)
			if tt.chunked {
				body = io.MultiReader(body) // hides the length: sent chunked
			}
			req, _ := http.NewRequest(tt.method, rn.base+tt.path, body)
			if tt.method == "GET" {
				req.Body = nil
			}
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			a := rn.do(t, req)
			if a.status != tt.status {
				t.Errorf("status %d, want %d (%s)", a.status, tt.status, a.body)
			}
			if got := a.header.Get("Allow"); got != tt.allow {
				t.Errorf("Allow %q, want %q", got, tt.allow)
			}
			if tt.notice != "" {
				n := next[*Notice](t, c)
				if n.Status != tt.status || !strings.Contains(n.Message, tt.notice) || n.Method != tt.method {
					t.Errorf("notice %+v", n)
				}
				if s := rn.stop(t); s.Other != 1 || s.Deliveries != 0 {
					t.Errorf("summary %+v", s)
				}
				return
			}
			d := next[*Delivery](t, c)
			if d.Status != tt.status || d.Rejected != tt.rejected {
				t.Errorf("entry status %d rejected %v", d.Status, d.Rejected)
			}
			if tt.warning == "" && len(d.Warnings) != 0 {
				t.Errorf("warnings %q", d.Warnings)
			}
			if tt.warning != "" && (len(d.Warnings) == 0 || !strings.HasPrefix(d.Warnings[0], tt.warning)) {
				t.Errorf("warnings %q, want %q first", d.Warnings, tt.warning)
			}
			s := rn.stop(t)
			if tt.rejected && (s.Refused != 1 || s.Deliveries != 0) || !tt.rejected && (s.Refused != 0 || s.Deliveries != 1) {
				t.Errorf("summary %+v", s)
			}
		})
	}
}

func TestChecksAndDuplicates(t *testing.T) {
	c := newCollector()
	rn := start(t, Config{}, c)
	next[*Ready](t, c)
	missing := `{"name":"a","email":"b","phone":"12","course":"c","courseId":"d"}`
	rn.post(t, "/", missing, nil)
	rn.post(t, "/course.completed.50", coursePayload, nil)
	rn.post(t, "/", missing, nil)
	rn.post(t, "/", "not json", nil)
	rn.post(t, "/", "", nil)

	d1 := next[*Delivery](t, c)
	if want := []string{`missing field "lastProgressOn" (string)`, `field "phone" is a string, documented as number`}; !slices.Equal(d1.Warnings, []string{want[1], want[0]}) {
		t.Errorf("#1 warnings %q", d1.Warnings)
	}
	d2 := next[*Delivery](t, c)
	if d2.Event != "course.completed.50" || !d2.ByPath || len(d2.Warnings) != 0 {
		t.Errorf("#2 %q byPath %v warnings %q", d2.Event, d2.ByPath, d2.Warnings)
	}
	d3 := next[*Delivery](t, c)
	if d3.DuplicateOf != 1 || d3.Warnings[len(d3.Warnings)-1] != "duplicate of #1 (identical body)" {
		t.Errorf("#3 duplicateOf %d warnings %q", d3.DuplicateOf, d3.Warnings)
	}
	d4 := next[*Delivery](t, c)
	if d4.IsJSON || d4.Event != "unknown" || !slices.Equal(d4.Warnings, []string{"the body is not JSON"}) {
		t.Errorf("#4 %+v", d4)
	}
	d5 := next[*Delivery](t, c)
	if !slices.Equal(d5.Warnings, []string{"the body is empty"}) {
		t.Errorf("#5 warnings %q", d5.Warnings)
	}
	s := rn.stop(t)
	if s.Deliveries != 5 || s.Duplicates != 1 || s.WithWarnings != 4 {
		t.Errorf("summary %+v", s)
	}
}

func TestRemindersRepeatBeforeTheyDuplicate(t *testing.T) {
	c := newCollector()
	rn := start(t, Config{}, c)
	next[*Ready](t, c)
	// webinar.reminder.all sends one body three times (1 day, 30 and 15 minutes
	// before): by the path, and by the payload's shape (its family).
	for _, path := range []string{"/webinar.reminder.all", "/", "/", "/", "/course.completed.50", "/course.completed.50"} {
		body := reminderPayload
		if strings.HasPrefix(path, "/course") {
			body = coursePayload
		}
		if a := rn.post(t, path, body, nil); a.status != 200 {
			t.Fatalf("%s: %d", path, a.status)
		}
	}
	type want struct {
		repeatOf, duplicateOf int64
		notes, warnings       []string
	}
	for i, w := range []want{
		{},
		{repeatOf: 1, notes: []string{"round 2 of 3: same body as #1 (webinar.reminder.all is sent 3 times)"}},
		{repeatOf: 1, notes: []string{"round 3 of 3: same body as #1 (webinar.reminder.all is sent 3 times)"}},
		{duplicateOf: 1, warnings: []string{"duplicate of #1 (identical body); more than the 3 sends of webinar.reminder.all"}},
		{},
		// An event sent once: the second is a duplicate, as before.
		{duplicateOf: 5, warnings: []string{"duplicate of #5 (identical body)"}},
	} {
		d := next[*Delivery](t, c)
		if d.RepeatOf != w.repeatOf || d.DuplicateOf != w.duplicateOf || !slices.Equal(d.Notes, w.notes) || !slices.Equal(d.Warnings, append([]string{}, w.warnings...)) {
			t.Errorf("#%d: repeatOf %d duplicateOf %d notes %q warnings %q; want %+v", i+1, d.RepeatOf, d.DuplicateOf, d.Notes, d.Warnings, w)
		}
	}
	s := rn.stop(t)
	if s.Deliveries != 6 || s.Repeats != 2 || s.Duplicates != 2 || s.WithWarnings != 0 {
		t.Errorf("summary %+v", s)
	}
	var b strings.Builder
	_ = WriteSummary(&b, s)
	if !strings.Contains(b.String(), "  duplicates: 2 · with warnings: 0 · forward failures: 0 · repeats: 2\n") {
		t.Errorf("summary:\n%s", b.String())
	}
}

func TestReadyURLShowsTheHostAsGiven(t *testing.T) {
	c := newCollector()
	rn := start(t, Config{Host: "localhost", Path: "/hooks"}, c)
	port := rn.eng.ln.Addr().(*net.TCPAddr).Port
	want := fmt.Sprintf("http://localhost:%d/hooks", port)
	if r := next[*Ready](t, c); r.URL != want || rn.eng.URL() != want {
		t.Errorf("ready %q, URL %q; want %q", r.URL, rn.eng.URL(), want)
	}
}

func TestDuplicateWindowIsBounded(t *testing.T) {
	d := newDedupe(3)
	for i, body := range []string{"a", "b", "c", "a", "d", "a", "e", "b"} {
		got, nth := d.seen([]byte(body), int64(i+1))
		// "a" at #4 repeats #1 (its second sighting); "d" then evicts the oldest body,
		// "a", so #6 is new again; "b" was evicted by "e" before #8.
		want, wantNth := map[int]int64{3: 1}[i], map[int]int64{3: 2}[i]
		if wantNth == 0 {
			wantNth = 1
		}
		if got != want || nth != wantNth {
			t.Errorf("%s at #%d: duplicate of %d (sighting %d), want %d (%d)", body, i+1, got, nth, want, wantNth)
		}
	}
	if len(d.first) != 3 || len(d.ring) != 3 {
		t.Errorf("remembers %d bodies, ring %d: want 3", len(d.first), len(d.ring))
	}
}

func TestEventsFilter(t *testing.T) {
	c := newCollector()
	rn := start(t, Config{Events: []string{"course.completed.50", "user.*"}}, c)
	next[*Ready](t, c)
	for _, body := range []string{reminderPayload, coursePayload, userPayload, "{}"} {
		if a := rn.post(t, "/", body, nil); a.status != 200 {
			t.Errorf("a hidden delivery must still be answered 200, got %d", a.status)
		}
	}
	if d := next[*Delivery](t, c); d.Seq != 2 || d.Event != "course.completed.*" {
		t.Errorf("first shown: #%d %s", d.Seq, d.Event)
	}
	if d := next[*Delivery](t, c); d.Seq != 3 || d.Event != "user.deleted" {
		t.Errorf("second shown: #%d %s", d.Seq, d.Event)
	}
	s := rn.stop(t)
	if s.Deliveries != 2 || s.Hidden != 2 {
		t.Errorf("summary %+v", s)
	}
	select {
	case e := <-c.ch:
		t.Errorf("unexpected entry %T %+v", e, e)
	default:
	}
}

func TestCountStopsTheEngine(t *testing.T) {
	c := newCollector()
	cfg := Config{Count: 3, Events: []string{"user.deleted"}, Matcher: testMatcher(t), Now: func() time.Time { return testNow }}
	eng, err := New(cfg, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Listen(context.Background()); err != nil {
		t.Fatal(err)
	}
	type result struct {
		s   *Summary
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := eng.Run(context.Background()) // never cancelled: only the count ends it
		done <- result{s, err}
	}()
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	for i, body := range []string{userPayload, coursePayload, userPayload, userPayload} {
		resp, err := client.Post(eng.URL(), "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatalf("#%d: %v", i+1, err)
		}
		resp.Body.Close()
	}
	r := <-done
	if r.err != nil || !r.s.CountReached || r.s.Deliveries != 3 || r.s.Hidden != 1 {
		t.Fatalf("summary %+v, err %v", r.s, r.err)
	}
	// The listener is closed once Run returns.
	if _, err := client.Post(eng.URL(), "application/json", strings.NewReader(userPayload)); err == nil {
		t.Error("still accepting after Run returned")
	}
}

func TestBurstLosesNothing(t *testing.T) {
	const n = 1000
	var out, errOut syncBuffer
	rn := start(t, Config{}, NewJSONLines(&out, &errOut))
	var wg sync.WaitGroup
	failures := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf(`{"name":"P%d","email":"p%d@example.com","phone":"1","webinar":"w","webinarId":"i","webinarLink":"l"}`, i, i)
			resp, err := rn.client.Post(rn.url, "application/json", strings.NewReader(body))
			if err != nil {
				failures <- err
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				failures <- fmt.Errorf("status %d", resp.StatusCode)
			}
		}()
	}
	wg.Wait()
	close(failures)
	for err := range failures {
		t.Fatal(err)
	}
	s := rn.stop(t)
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != n || s.Deliveries != n {
		t.Fatalf("%d lines, %d deliveries counted, for %d sent", len(lines), s.Deliveries, n)
	}
	names := map[string]bool{}
	for i, line := range lines {
		var v struct {
			Seq   int64
			Event string
			Body  struct{ Name string }
		}
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if v.Seq != int64(i+1) || v.Event != "webinar.completed.all" {
			t.Fatalf("line %d: seq %d event %q (entries must come in seq order)", i+1, v.Seq, v.Event)
		}
		names[v.Body.Name] = true
	}
	if len(names) != n {
		t.Errorf("%d distinct deliveries, want %d", len(names), n)
	}
}

// blockingRenderer holds every Render until released.
type blockingRenderer struct {
	release chan struct{}
	got     chan Entry
	// entered, when set, hears each entry as Render starts on it, before it blocks.
	entered chan Entry
}

func (b *blockingRenderer) Render(e Entry) error {
	if b.entered != nil {
		b.entered <- e
	}
	<-b.release
	b.got <- e
	return nil
}
func (b *blockingRenderer) Flush() error { return nil }

func TestBackPressureInsteadOfDropping(t *testing.T) {
	r := &blockingRenderer{release: make(chan struct{}), got: make(chan Entry, 100), entered: make(chan Entry, 100)}
	rn := start(t, Config{QueueLen: 2}, r)
	if _, ok := (<-r.entered).(*Ready); !ok {
		t.Fatal("the first entry is not Ready")
	}
	const n = 8
	answers := make([]<-chan int, n)
	for i := range answers {
		answers[i] = rn.postAsync("/", userPayload)
	}
	// The renderer is stuck on Ready; the queue holds 2; the other handlers wait.
	waitFor(t, func() bool { return rn.eng.q.waiters() > 0 })
	close(r.release)
	expectStatus(t, answers, 200)
	s := rn.stop(t)
	if s.Deliveries != n {
		t.Fatalf("%d deliveries rendered, want %d", s.Deliveries, n)
	}
	seqs := []int64{}
	for len(r.got) > 0 {
		if d, ok := (<-r.got).(*Delivery); ok {
			seqs = append(seqs, d.Seq)
		}
	}
	if !slices.Equal(seqs, []int64{1, 2, 3, 4, 5, 6, 7, 8}) {
		t.Errorf("seqs %v", seqs)
	}
}

// waitFor polls cond, yielding, until it holds: it synchronises on state, not on time.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition never held")
		}
		runtime.Gosched()
	}
}

func TestQueueOrderAndCapacity(t *testing.T) {
	q := newQueue(2, 1<<20)
	q.push(&Delivery{}, 1)
	q.push(&Delivery{}, 1)
	pushed := make(chan struct{})
	go func() {
		q.push(&Delivery{}, 1)
		close(pushed)
	}()
	waitFor(t, func() bool { return q.waiters() == 1 })
	batch, _, _, ok := q.popAll(nil, 0, nil)
	if !ok || len(batch) != 2 {
		t.Fatalf("batch %d", len(batch))
	}
	<-pushed
	batch2, _, _, _ := q.popAll(nil, 0, nil)
	all := append(slices.Clone(batch), batch2...)
	for i, e := range all {
		if d := e.(*Delivery); d.Seq != int64(i+1) {
			t.Errorf("entry %d has seq %d", i, d.Seq)
		}
	}
	// Once the engine stops, pushes no longer wait for room: a delivery waiting is
	// refused (its sender gets 503), other entries go through.
	qc := newQueue(1, 1<<20)
	qc.push(&Delivery{}, 1)
	through := make(chan bool)
	go func() {
		through <- qc.push(&Delivery{}, 1)
	}()
	waitFor(t, func() bool { return qc.waiters() == 1 })
	qc.close()
	if <-through {
		t.Error("a delivery was accepted by a closed queue")
	}
	if !qc.push(&Notice{}, 1) {
		t.Error("a notice was refused by a closed queue")
	}
	qc.finish()
	if b, _, _, _ := qc.popAll(nil, 0, nil); len(b) != 2 {
		t.Errorf("after close: %d entries", len(b))
	}
	// A body larger than the byte budget passes when the queue is empty.
	qb := newQueue(10, 100)
	qb.push(&Delivery{}, 1000)
	qb.finish()
	if b, _, _, ok := qb.popAll(nil, 0, nil); !ok || len(b) != 1 {
		t.Errorf("large entry: %d %v", len(b), ok)
	}
	if _, _, _, ok := qb.popAll(nil, 0, nil); ok {
		t.Error("a closed, drained queue must say so")
	}
}

type failingRenderer struct{ collector }

func (f *failingRenderer) Render(e Entry) error {
	if _, ok := e.(*Delivery); ok {
		return errors.New("broken pipe")
	}
	return nil
}

func TestRendererFailureStopsTheEngine(t *testing.T) {
	rn := start(t, Config{}, &failingRenderer{})
	rn.post(t, "/", userPayload, nil)
	select {
	case <-rn.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the engine kept running with a broken output")
	}
	if rn.err == nil || !strings.Contains(rn.err.Error(), "writing output: broken pipe") {
		t.Errorf("err %v", rn.err)
	}
}

func TestBindErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	eng, err := New(Config{Port: port, Matcher: testMatcher(t)}, newCollector())
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Listen(context.Background()); err == nil || !strings.Contains(err.Error(), "the port is in use; pick another --port (0 picks a free one)") {
		t.Errorf("err %v", err)
	}
	for _, cfg := range []Config{{Path: "hooks"}, {Status: 99}, {Port: 70000}, {Routes: []Route{{URL: "http://a"}, {URL: "http://b"}}}} {
		cfg.Matcher = testMatcher(t)
		if _, err := New(cfg, newCollector()); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}

func TestNoGoroutineLeak(t *testing.T) {
	defer goleak.VerifyNone(t)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	defer target.Close()
	var out syncBuffer
	rn := start(t, Config{Routes: []Route{{URL: target.URL}}}, NewJSONLines(&out, io.Discard))
	for range 20 {
		if a := rn.post(t, "/", userPayload, nil); a.status != 200 {
			t.Fatalf("answer %d", a.status)
		}
	}
	// An idle keep-alive connection stays open until the engine stops.
	rn.stop(t)
}

// syncBuffer is a bytes.Buffer safe to read while the engine writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// BenchmarkProcess is the work behind the handler for one delivery: detection,
// checks, duplicate detection and the --json line.
func BenchmarkProcess(b *testing.B) {
	for _, mode := range []string{"json", "pretty"} {
		b.Run(mode, func(b *testing.B) {
			var r Renderer = NewJSONLines(io.Discard, io.Discard)
			if mode == "pretty" {
				r = NewPretty(PrettyOptions{Out: io.Discard, ErrOut: io.Discard})
			}
			eng, err := New(Config{Matcher: testMatcher(b)}, r)
			if err != nil {
				b.Fatal(err)
			}
			body := []byte(reminderPayload)
			h := http.Header{"Content-Type": {"application/json"}, "User-Agent": {"TagMango"}, "Content-Length": {"454"}}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				d := &Delivery{Seq: int64(i), ReceivedAt: testNow, Method: "POST", Path: "/", Header: h, Body: body, Size: int64(len(body)), Status: 200}
				eng.prepare(d)
				eng.show(d)
				if len(eng.unflushed) >= maxUnflushed {
					eng.flush()
				}
			}
		})
	}
}
