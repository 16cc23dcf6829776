package api

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLimiterSlidingWindow(t *testing.T) {
	type step struct {
		advance time.Duration // clock moves this much before the request
		wait    time.Duration // the request then waits this long
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{
			name:  "burst: the fourth waits the whole window",
			steps: []step{{0, 0}, {0, 0}, {0, 0}, {0, 10 * time.Second}},
		},
		{
			name:  "spread: the fourth waits until the first leaves",
			steps: []step{{0, 0}, {time.Second, 0}, {time.Second, 0}, {time.Second, 7 * time.Second}},
		},
		{
			name: "the window slides: the fifth waits for the second",
			steps: []step{
				{0, 0}, {time.Second, 0}, {time.Second, 0},
				{time.Second, 7 * time.Second}, // now t=10
				{0, time.Second},               // the start at t=1 leaves at t=11
			},
		},
		{
			name:  "leaving exactly at the window's end",
			steps: []step{{0, 0}, {time.Second, 0}, {time.Second, 0}, {8 * time.Second, 0}},
		},
		{
			name:  "idle empties the window",
			steps: []step{{0, 0}, {0, 0}, {0, 0}, {30 * time.Second, 0}, {0, 0}, {0, 0}, {0, 10 * time.Second}},
		},
		{
			name: "not a refilled bucket: no burst on top of a full window",
			steps: []step{
				{0, 0}, {0, 0}, {9 * time.Second, 0}, // t=9: three in the window
				{time.Second, 0}, // t=10: the two at t=0 left: two slots, not a fresh three
				{0, 0},
				{0, 9 * time.Second}, // until the start at t=9 leaves
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			l := newLimiter(3, 10*time.Second, clock.Now, clock.Sleep, nil)
			var starts []time.Time
			for i, s := range tt.steps {
				clock.Advance(s.advance)
				before := len(clock.Sleeps())
				if err := l.wait(context.Background()); err != nil {
					t.Fatal(err)
				}
				starts = append(starts, clock.Now())
				var waited time.Duration
				for _, d := range clock.Sleeps()[before:] {
					waited += d
				}
				if waited != s.wait {
					t.Errorf("request %d waited %v, want %v", i+1, waited, s.wait)
				}
			}
			assertWindow(t, starts, 3, 10*time.Second)
		})
	}
}

// assertWindow checks the limiter's promise on recorded starts: no limit+1 of them
// within one window.
func assertWindow(t *testing.T, starts []time.Time, limit int, window time.Duration) {
	t.Helper()
	slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
	for i := 0; i+limit < len(starts); i++ {
		if d := starts[i+limit].Sub(starts[i]); d < window {
			t.Fatalf("%d starts within %v (from #%d)", limit+1, d, i+1)
		}
	}
}

func TestLimiterWithPinnedClockDoesNotSpin(t *testing.T) {
	// A clock that never moves (as in command tests) must not make wait loop forever:
	// a Sleep that returned is time that passed.
	pinned := newFakeClock().Now()
	var sleeps []time.Duration
	sleep := func(_ context.Context, d time.Duration) error {
		sleeps = append(sleeps, d)
		if len(sleeps) > 10 {
			return errors.New("spinning")
		}
		return nil
	}
	l := newLimiter(rateLimit, rateWindow, func() time.Time { return pinned }, sleep, nil)
	for range 2*rateLimit + 1 {
		if err := l.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if want := []time.Duration{rateWindow, rateWindow}; !slices.Equal(sleeps, want) {
		t.Errorf("sleeps = %v, want %v", sleeps, want)
	}
}

func TestLimiterHonoursCancel(t *testing.T) {
	clock := newFakeClock()
	l := newLimiter(1, time.Second, clock.Now, clock.Sleep, nil)
	ctx, cancel := context.WithCancel(context.Background())
	if err := l.wait(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := l.wait(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestLimiterConcurrent(t *testing.T) {
	// Time never passes (every Sleep fails), so exactly the limit gets through, however
	// the goroutines interleave.
	pinned := newFakeClock().Now()
	errNoTime := errors.New("no time passes")
	l := newLimiter(5, 10*time.Second, func() time.Time { return pinned },
		func(context.Context, time.Duration) error { return errNoTime }, nil)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		admitted int
	)
	for range 40 {
		wg.Go(func() {
			err := l.wait(context.Background())
			if err != nil && !errors.Is(err, errNoTime) {
				t.Error(err)
			}
			if err == nil {
				mu.Lock()
				admitted++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if admitted != 5 {
		t.Errorf("admitted %d, want 5", admitted)
	}
}

func TestClientPacesAt120Per10s(t *testing.T) {
	api := newFakeAPI(t, reply{status: 200, body: `{"success":true}`})
	var log strings.Builder
	c, clock := newTestClient(t, api.URL, func(o *Options) { o.Verbose = &log })
	for i := range rateLimit + 1 {
		if _, err := c.Delete(context.Background(), "https://example.com/h"); err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
		if i == rateLimit-1 && len(clock.Sleeps()) != 0 {
			t.Fatalf("slept before the window was full: %v", clock.Sleeps())
		}
	}
	if got := clock.Sleeps(); !slices.Equal(got, []time.Duration{rateWindow + rateMargin}) {
		t.Errorf("sleeps = %v, want the 121st to wait 11s (the window and its margin)", got)
	}
	if n := len(api.requests()); n != rateLimit+1 {
		t.Errorf("requests = %d", n)
	}
	if !strings.Contains(log.String(), "waiting 11s for TagMango's rate limit (120 requests per 10s)\n") {
		t.Errorf("log does not say why it waited")
	}
}

func TestClientPacesConcurrentCalls(t *testing.T) {
	api := newFakeAPI(t, reply{status: 200, body: `{"success":true}`})
	c, clock := newTestClient(t, api.URL, nil)
	var wg sync.WaitGroup
	for range rateLimit + 10 {
		wg.Go(func() {
			if _, err := c.Delete(context.Background(), "https://example.com/h"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := len(api.requests()); n != rateLimit+10 {
		t.Errorf("requests = %d", n)
	}
	sleeps := clock.Sleeps()
	if len(sleeps) == 0 || len(sleeps) > 10 {
		t.Errorf("sleeps = %v: the 10 calls beyond the window should wait, no others", sleeps)
	}
	for _, d := range sleeps {
		if d <= 0 || d > rateWindow+rateMargin {
			t.Errorf("sleep of %v", d)
		}
	}
}

func TestCancelWhileWaitingForTheRateLimit(t *testing.T) {
	api := newFakeAPI(t, reply{status: 200, body: `{"success":true}`})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := newFakeClock()
	c, _ := newTestClient(t, api.URL, func(o *Options) {
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			cancel() // Ctrl-C while paced
			return clock.Sleep(ctx, d)
		}
	})
	for range rateLimit {
		if _, err := c.Delete(ctx, "https://example.com/h"); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.Delete(ctx, "https://example.com/h")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := len(api.requests()); n != rateLimit {
		t.Errorf("requests = %d, want %d", n, rateLimit)
	}
}
