package emulator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/api"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/emulator"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
)

const (
	testKey  = "emulator-test-key"
	courseA  = "634fc35ddaf58580e2418c40"
	courseB  = "65a1b2c3d4e5f6a7b8c9d0e1"
	webinarW = "6149b1e5612c4e5fd96041d3"
)

var pinnedNow = time.Date(2026, 11, 22, 10, 4, 5, 0, time.UTC)

func catalog(t testing.TB) *events.Catalog {
	t.Helper()
	c, err := events.Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// emu is an emulator served on loopback.
type emu struct {
	*emulator.Server
	URL string
}

// newEmu starts an emulator; cfg.Catalog, Seed and Now are filled in when zero.
func newEmu(t *testing.T, cfg emulator.Config) *emu {
	t.Helper()
	if cfg.Catalog == nil {
		cfg.Catalog = catalog(t)
	}
	if cfg.Seed == 0 {
		cfg.Seed = 42
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return pinnedNow }
	}
	s, err := emulator.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return &emu{Server: s, URL: hs.URL}
}

// call makes one request and returns the status and the body.
func call(t *testing.T, method, url, key, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if key != "" {
		req.Header.Set("x-api-key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s %s: content-type %q", method, url, ct)
	}
	return resp.StatusCode, string(b)
}

func (e *emu) register(t *testing.T, body string) map[string]any {
	t.Helper()
	status, out := call(t, http.MethodPost, e.URL+api.RegisterPath, testKey, body)
	if status != http.StatusOK {
		t.Fatalf("register %s: %d %s", body, status, out)
	}
	return decode(t, out)
}

func (e *emu) fire(t *testing.T, req string) *emulator.Report {
	t.Helper()
	status, out := call(t, http.MethodPost, e.URL+emulator.FirePath, "", req)
	if status != http.StatusOK {
		t.Fatalf("fire %s: %d %s", req, status, out)
	}
	var rep emulator.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report %s: %v", out, err)
	}
	return &rep
}

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, s)
	}
	return m
}

// sameJSON fails unless got and want are the same JSON value (key order aside).
func sameJSON(t *testing.T, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("got is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want is not JSON: %v\n%s", err, want)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if !bytes.Equal(gb, wb) {
		t.Errorf("JSON differs\n got: %s\nwant: %s", gb, wb)
	}
}

// delivery is one request a receiver got.
type delivery struct {
	Path        string
	ContentType string
	Body        []byte
}

// receiver is a webhook endpoint that records what it gets and answers with status
// (200 unless told otherwise).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []delivery
	answer func(n int, d delivery) int // n: 1-based count of deliveries so far
}

func newReceiver(t *testing.T, answer func(n int, d delivery) int) *receiver {
	t.Helper()
	r := &receiver{answer: answer}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		d := delivery{Path: req.URL.Path, ContentType: req.Header.Get("Content-Type"), Body: body}
		r.mu.Lock()
		r.got = append(r.got, d)
		n := len(r.got)
		r.mu.Unlock()
		status := http.StatusOK
		if r.answer != nil {
			status = r.answer(n, d)
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

// deliveries returns what reached path ("" = any path).
func (r *receiver) deliveries(path string) []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []delivery
	for _, d := range r.got {
		if path == "" || d.Path == path {
			out = append(out, d)
		}
	}
	return out
}

func (r *receiver) count(path string) int { return len(r.deliveries(path)) }
