package api

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

const (
	testKey    = "tm_live_0123456789SECRETabcd"
	testMasked = "…abcd"
	testUA     = "tagmango-hooks/test"
)

// reply is one scripted answer of a fake TagMango.
type reply struct {
	status int
	header map[string]string
	body   string
}

// seen is what the fake TagMango received.
type seen struct {
	method, path string
	header       http.Header
	body         string
}

// fakeAPI answers with its replies in turn, repeating the last, and records requests.
type fakeAPI struct {
	*httptest.Server
	mu      sync.Mutex
	replies []reply
	reqs    []seen
}

func newFakeAPI(t *testing.T, replies ...reply) *fakeAPI {
	t.Helper()
	f := &fakeAPI{replies: replies}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		n := len(f.reqs)
		f.reqs = append(f.reqs, seen{method: r.Method, path: r.URL.Path, header: r.Header.Clone(), body: string(body)})
		rep := reply{status: http.StatusOK, body: `{"success":true}`}
		if len(f.replies) > 0 {
			rep = f.replies[min(n, len(f.replies)-1)]
		}
		f.mu.Unlock()
		for k, v := range rep.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(rep.status)
		_, _ = io.WriteString(w, rep.body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAPI) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.reqs...)
}

// fakeClock is a clock that only Sleep moves, and a record of the sleeps.
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 22, 10, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.t = c.t.Add(d)
	return ctx.Err()
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// newTestClient builds a client with a fake clock and a jitter of 0.5, which makes
// backoffs exactly 500ms then 1s.
func newTestClient(t *testing.T, baseURL string, mod func(*Options)) (*Client, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	opts := Options{
		BaseURL:   baseURL,
		APIKey:    testKey,
		UserAgent: testUA,
		Sleep:     clock.Sleep,
		Now:       clock.Now,
		Jitter:    func() float64 { return 0.5 },
	}
	if mod != nil {
		mod(&opts)
	}
	return New(opts), clock
}

func sum(ds []time.Duration) time.Duration {
	var total time.Duration
	for _, d := range ds {
		total += d
	}
	return total
}
