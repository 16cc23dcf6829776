package api

import (
	"context"
	"sync"
	"time"
)

// TagMango allows 120 requests per 10 s and answers 429 beyond.
const (
	rateLimit  = 120
	rateWindow = 10 * time.Second
	// rateMargin keeps each start in the window that much longer. TagMango counts
	// arrivals, and we can only count starts: a request that travels longer than a later
	// one (the first call of a run pays for DNS, TCP and TLS) lands later, which squeezes
	// 121 arrivals into 10 s when 121 starts took exactly 10 s. With starts 11 s apart
	// for every 121, arrivals stay under the limit as long as travel times differ by
	// less than 1 s, for about 9% less throughput.
	rateMargin = time.Second
)

// limiter is a sliding window: at most limit starts in any window. A token bucket
// would allow a refilled burst on top of a full window, which TagMango counts.
type limiter struct {
	limit  int
	window time.Duration
	now    func() time.Time
	sleep  func(context.Context, time.Duration) error
	log    *logger

	mu sync.Mutex
	// starts holds the start times still inside the window, oldest first.
	starts []time.Time
	// floor is the latest instant known to have passed: a Sleep that returned means its
	// time went by, even under a clock that tests have pinned, so pacing never spins.
	floor time.Time
}

func newLimiter(limit int, window time.Duration, now func() time.Time, sleep func(context.Context, time.Duration) error, log *logger) *limiter {
	return &limiter{limit: limit, window: window, now: now, sleep: sleep, log: log}
}

// wait blocks until a request may start and records its start.
func (l *limiter) wait(ctx context.Context) error {
	for {
		d, now := l.reserve()
		if d <= 0 {
			return nil
		}
		l.log.printf("waiting %s for TagMango's rate limit (%d requests per %s)", humanDuration(d), rateLimit, humanDuration(rateWindow))
		if err := l.sleep(ctx, d); err != nil {
			return err
		}
		l.mu.Lock()
		if t := now.Add(d); t.After(l.floor) {
			l.floor = t
		}
		l.mu.Unlock()
	}
}

// reserve records a start and returns 0, or returns how long until the oldest start
// leaves the window, and the instant that was measured from.
func (l *limiter) reserve() (time.Duration, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if l.floor.After(now) {
		now = l.floor
	}
	expired := 0
	for expired < len(l.starts) && now.Sub(l.starts[expired]) >= l.window {
		expired++
	}
	l.starts = l.starts[:copy(l.starts, l.starts[expired:])]
	if len(l.starts) < l.limit {
		l.starts = append(l.starts, now)
		return 0, now
	}
	return l.starts[0].Add(l.window).Sub(now), now
}
