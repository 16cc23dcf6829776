package emulator

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
)

func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A fire lasts as long as its deliveries: longer than the server's read and write
// timeouts, which must not cut it short. Serve then stops cleanly on cancel.
func TestServeFireOutlastsServerTimeouts(t *testing.T) {
	c, err := events.Load()
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer recv.Close()
	// The retry wait (a real one) makes the fire last 200 ms, 10 times the read timeout.
	s, err := New(Config{Catalog: c, Seed: 1, Retries: 1, RetryWait: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s.readTimeout, s.writeTimeout = 20*time.Millisecond, 20*time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	base := "http://" + ln.Addr().String()

	// Registered directly: an API call could itself outlast these tight timeouts on a
	// loaded machine.
	if _, _, err := s.regs.add(Registration{ID: "x", HookURL: recv.URL, Event: "user.deleted"}); err != nil {
		t.Fatal(err)
	}
	status, out := post(t, base+FirePath, `{"event":"user.deleted"}`)
	if status != 200 {
		t.Fatalf("fire: %d %s", status, out)
	}
	var rep Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Statuses["200"] != 1 || rep.Retries != 1 || len(rep.Failures) != 0 {
		t.Errorf("report %+v", rep)
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve returned %v after cancel, want nil", err)
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Errorf("still listening after Serve returned")
	}
}

// Cancelling Serve stops a fire in flight: its deliveries are not all made.
func TestServeStopsDeliveriesOnShutdown(t *testing.T) {
	c, err := events.Load()
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{}, 100)
	release := make(chan struct{})
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer recv.Close()
	defer close(release)
	s, err := New(Config{Catalog: c, Seed: 1, Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.regs.add(Registration{ID: "x", HookURL: recv.URL, Event: "user.deleted"}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()

	fired := make(chan string, 1)
	go func() {
		resp, err := http.Post("http://"+ln.Addr().String()+FirePath, "application/json", strings.NewReader(`{"event":"user.deleted","participants":50}`))
		if err != nil {
			fired <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		fired <- string(b)
	}()
	<-started // deliveries are in flight
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
	var rep Report
	if err := json.Unmarshal([]byte(<-fired), &rep); err != nil {
		t.Fatalf("the fire in flight got no report: %v", err)
	}
	if rep.Sent >= 50 || rep.Sent == 0 || len(rep.Failures) != rep.Sent {
		t.Errorf("report after shutdown %+v", rep)
	}
}

// TestJournalIsFoldedInAsItGrows: the journal never grows much beyond the state.
func TestJournalIsFoldedInAsItGrows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "emulator.json")
	r, err := loadRegistry(path)
	if err != nil {
		t.Fatal(err)
	}
	r.compactAt = 4
	if err := r.check(); err != nil {
		t.Fatal(err)
	}
	for i := range 9 {
		if _, _, err := r.add(Registration{ID: strconv.Itoa(i), HookURL: "https://example.com/" + strconv.Itoa(i), Event: "user.deleted"}); err != nil {
			t.Fatal(err)
		}
	}
	// Folded in after the 4th (4 entries, the minimum) and the 8th (4 entries, as
	// many as the state file had): one entry left.
	j, err := os.ReadFile(path + journalSuffix)
	if err != nil || strings.Count(string(j), "\n") != 1 {
		t.Errorf("journal %v:\n%s", err, j)
	}
	st, err := os.ReadFile(path)
	if err != nil || strings.Count(string(st), `"hookUrl"`) != 8 {
		t.Errorf("state %v:\n%s", err, st)
	}
	again, err := loadRegistry(path)
	if err != nil || len(again.list()) != 9 {
		t.Errorf("reloaded %v: %d registrations", err, len(again.list()))
	}
}
