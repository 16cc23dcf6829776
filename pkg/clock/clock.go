// Package clock holds the real implementations of the clock that the Factory, the API
// client and the emulator take as dependencies, so that tests can pass instant,
// recording ones instead.
package clock

import (
	"context"
	"time"
)

// Sleep waits for d, or until ctx is done, and then returns ctx's error. A d of zero
// or less does not wait, and still reports a cancelled ctx: a caller that sleeps
// between attempts stops there rather than making one more.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
