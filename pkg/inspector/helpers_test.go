package inspector_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/inspector"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/receiver"
)

const (
	coursePayload   = `{"name":"Student Name","email":"student@example.com","phone":1234567890,"course":"Example course","courseId":"634fc35ddaf58580e2418c40","lastProgressOn":"2023-11-20T18:30Z"}`
	reminderPayload = `{"name":"John Doe","email":"john@example.com","phone":"1234567890","timezone":"+05:30","webinar":"Introduction to Digital Marketing","webinarId":"634fc35ddaf58580e2418c40","webinarLink":"https://meet.google.com/abc-defg-hij","webinarFromTime":"2024-03-15T10:00:00.000Z","webinarToTime":"2024-03-15T11:00:00.000Z","webinarFromTimeInCreatorTimezone":"2024-03-15T15:30:00.000Z","creatorTimezone":"+05:30","mangoes":"Marketing Community, Digital Course Hub"}`
	// noCourseID is a course.completed.50 delivery without its courseId.
	noCourseID = `{"name":"Asha Rao","email":"asha@example.com","phone":9876543210,"course":"Example course","lastProgressOn":"2023-11-20T18:30Z"}`
)

// session is a receiver engine feeding an inspector, both on loopback.
type session struct {
	t        *testing.T
	engine   *receiver.Engine
	server   *inspector.Server
	store    *inspector.Store
	receiver string // the receiver's URL
	page     string // the inspector's URL
	client   *http.Client
	done     chan *receiver.Summary
	cancel   context.CancelFunc
}

type sessionConfig struct {
	keep   int
	routes []receiver.Route
	to     string
	// ready, when set, replaces nothing: extra checks of the announce line.
	announce io.Writer
}

var (
	catalogOnce sync.Once
	catalog     *events.Catalog
)

func testCatalog(t testing.TB) *events.Catalog {
	t.Helper()
	catalogOnce.Do(func() {
		c, err := events.Load()
		if err != nil {
			panic(err)
		}
		catalog = c
	})
	return catalog
}

func startSession(t *testing.T, cfg sessionConfig) *session {
	t.Helper()
	c := testCatalog(t)
	m := events.NewMatcher(c)
	store := inspector.NewStore(cfg.keep)
	srv, err := inspector.New(inspector.Options{Store: store, Catalog: c, Matcher: m, Port: 0, Routes: cfg.routes, To: cfg.to, Mode: "listen", UserAgent: "tagmango-hooks/test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := srv.Listen(ctx); err != nil {
		t.Fatal(err)
	}
	eng, err := receiver.New(receiver.Config{Port: 0, Matcher: m, Routes: cfg.routes}, inspector.NewRenderer(store, cfg.announce, srv.URL(), nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Listen(ctx); err != nil {
		t.Fatal(err)
	}
	s := &session{t: t, engine: eng, server: srv, store: store, receiver: eng.URL(), page: srv.URL(),
		client: &http.Client{Timeout: 30 * time.Second}, done: make(chan *receiver.Summary, 1), cancel: cancel}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()
	go func() {
		sum, err := eng.Run(ctx)
		if err != nil {
			t.Errorf("engine: %v", err)
		}
		s.done <- sum
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Error(err)
		}
		s.stop()
	})
	return s
}

// stop ends the engine and returns its summary (once).
func (s *session) stop() *receiver.Summary {
	s.cancel()
	sum, ok := <-s.done
	if ok {
		close(s.done)
	}
	return sum
}

// post sends a delivery to the receiver and returns its status.
func (s *session) post(path, body string) int {
	s.t.Helper()
	resp, err := s.client.Post(strings.TrimSuffix(s.receiver, "/")+path, "application/json", strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// waitFor polls the list until n entries are there (the renderer runs behind the
// answers; the store is the only thing to wait on).
func (s *session) waitFor(n int) listAnswer {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var got listAnswer
		s.getJSON("/api/deliveries?limit=10000", &got)
		if len(got.Deliveries) >= n || time.Now().After(deadline) {
			if len(got.Deliveries) < n {
				s.t.Fatalf("%d entries, want %d", len(got.Deliveries), n)
			}
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type listAnswer struct {
	Deliveries []map[string]any `json:"deliveries"`
	Count      int              `json:"count"`
	More       bool             `json:"more"`
	Last       int64            `json:"last"`
	Kept       int              `json:"kept"`
	Dropped    int64            `json:"dropped"`
}

// request sends a request to the inspector with its token.
func (s *session) request(method, path string, body []byte, header http.Header) (int, []byte, http.Header) {
	s.t.Helper()
	req, err := http.NewRequest(method, strings.TrimSuffix(s.page, "/")+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if method != http.MethodGet {
		req.Header.Set(inspector.TokenHeader, s.server.Token())
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header
}

func (s *session) getJSON(path string, v any) {
	s.t.Helper()
	code, b, _ := s.request(http.MethodGet, path, nil, nil)
	if code != http.StatusOK {
		s.t.Fatalf("GET %s: %d %s", path, code, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		s.t.Fatalf("GET %s: %v: %s", path, err, b)
	}
}

func (s *session) postJSON(path string, v any) (int, map[string]any) {
	s.t.Helper()
	body, _ := json.Marshal(v)
	code, b, _ := s.request(http.MethodPost, path, body, nil)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		s.t.Fatalf("POST %s: %d %v: %s", path, code, err, b)
	}
	return code, out
}

func ids(entries []map[string]any) []int {
	var out []int
	for _, e := range entries {
		out = append(out, int(e["id"].(float64)))
	}
	return out
}
