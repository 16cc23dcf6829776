package inspector_test

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/inspector"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/receiver"
)

// listOf is a full entry as view=list has it: without the request's method, path
// and headers, and without the forward's answer.
func listOf(full map[string]any) map[string]any {
	out := maps.Clone(full)
	delete(out, "method")
	delete(out, "path")
	delete(out, "headers")
	if f, ok := out["forward"].(map[string]any); ok {
		f = maps.Clone(f)
		delete(f, "answer")
		out["forward"] = f
	}
	return out
}

func TestListViewIsTheEntryWithoutTheRequest(t *testing.T) {
	handler := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, "boom")
	}))
	defer handler.Close()
	s := startSession(t, sessionConfig{routes: []receiver.Route{{Event: "webinar.*", URL: handler.URL}}})
	s.post("/course.completed.50", coursePayload)
	s.post("/", reminderPayload) // forwarded, 500
	s.post("/course.completed.50", noCourseID)
	s.post("/course.completed.50", coursePayload) // a duplicate
	s.post("/", "not json \x1b[31m")
	full := s.waitFor(5)
	var list listAnswer
	s.getJSON("/api/deliveries?view=list&limit=10000", &list)
	if len(list.Deliveries) != 5 || list.Kept != 5 {
		t.Fatalf("view=list: %+v", list)
	}
	for i, e := range list.Deliveries {
		if want := listOf(full.Deliveries[i]); !reflect.DeepEqual(e, want) {
			t.Errorf("list entry %d:\n%v\nwant\n%v", i+1, e, want)
		}
	}
	// Filters apply to list entries alike, those of the flags and those of the body.
	for query, want := range map[string]int{"view=list&q=asha": 1, "view=list&duplicates=1": 1, "view=list&failed=1": 1, "view=list&event=course.completed.*": 3} {
		var ans listAnswer
		s.getJSON("/api/deliveries?"+query, &ans)
		if len(ans.Deliveries) != want {
			t.Errorf("%s: %d entries, want %d", query, len(ans.Deliveries), want)
		}
	}
	// The stream, as the page opens it.
	br, closeStream := openStreamQuery(t, s, "view=list&since=0")
	defer closeStream()
	for i, ev := range readEvents(t, br, 5) {
		if want := listOf(full.Deliveries[i]); !reflect.DeepEqual(ev.data, want) {
			t.Errorf("streamed list entry %d:\n%v\nwant\n%v", i+1, ev.data, want)
		}
	}
	for _, path := range []string{"/api/deliveries?view=short", "/api/stream?view=short"} {
		if code, b, _ := s.request(http.MethodGet, path, nil, nil); code != http.StatusBadRequest || !strings.Contains(string(b), "view is full (the default) or list") {
			t.Errorf("%s: %d %s", path, code, b)
		}
	}
}

// TestKeptEntriesAreCopies: the store keeps its own copy of what the engine hands
// over, so that nothing the engine or a reader does to a delivery afterwards changes
// an entry.
func TestKeptEntriesAreCopies(t *testing.T) {
	store := inspector.NewStore(0)
	page := serveStore(t, store)
	r := inspector.NewRenderer(store, nil, "", nil)
	body := []byte(coursePayload)
	h := http.Header{"Content-Type": {"application/json"}, "X-Trace": {"a"}}
	d := &receiver.Delivery{Seq: 1, ReceivedAt: time.Now(), Method: "POST", Path: "/", Header: h, Body: body, Size: int64(len(body)),
		Status: 200, Event: "course.completed.50", Candidates: []string{"course.completed.50"}, IsJSON: true, Warnings: []string{}}
	if err := r.Render(d); err != nil {
		t.Fatal(err)
	}
	if err := r.Flush(); err != nil {
		t.Fatal(err)
	}
	copy(body, strings.Repeat("x", len(body)))
	h["X-Trace"][0] = "changed"
	h.Set("X-Added", "1")
	d.Event = "changed"
	var got map[string]any
	getJSONFrom(t, page+"api/deliveries/1", &got)
	if got["raw"] != coursePayload || got["event"] != "course.completed.50" {
		t.Errorf("the entry changed with the engine's delivery: %v", got)
	}
	if hs, _ := got["headers"].(map[string]any); hs["X-Trace"] != "a" || hs["X-Added"] != nil {
		t.Errorf("headers changed with the engine's: %v", got["headers"])
	}
}

// serveStore serves an inspector over store on loopback and returns its URL.
func serveStore(t *testing.T, store *inspector.Store) string {
	t.Helper()
	c := testCatalog(t)
	srv, err := inspector.New(inspector.Options{Store: store, Catalog: c, Matcher: events.NewMatcher(c), Port: 0, Mode: "listen", UserAgent: "tagmango-hooks/test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := srv.Listen(ctx); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Error(err)
		}
	})
	return srv.URL()
}

func getJSONFrom(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// TestSearchIgnoresASCIICaseOnly: q= matches other letters as they are, whatever
// their case in the query, in the list and in the export alike.
func TestSearchIgnoresASCIICaseOnly(t *testing.T) {
	s := startSession(t, sessionConfig{})
	s.post("/", `{"city":"ÅRHUS","name":"Zoë"}`)
	s.waitFor(1)
	for q, want := range map[string]int{"%C3%85RH": 1, "%C3%A5rh": 0, "%C3%85rhus": 1, "zo%C3%AB": 1, "ZO%C3%8B": 0} {
		var ans listAnswer
		s.getJSON("/api/deliveries?view=list&q="+q, &ans)
		_, exported, _ := s.request(http.MethodGet, "/api/export?q="+q, nil, nil)
		if len(ans.Deliveries) != want || strings.Count(string(exported), "\n") != want {
			t.Errorf("q=%s: %d listed, export %q; want %d", q, len(ans.Deliveries), exported, want)
		}
	}
}
