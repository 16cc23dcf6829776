package report

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func lastLine(b *bytes.Buffer) string {
	s := b.String()
	return strings.TrimRight(s[strings.LastIndex(s, "\r")+1:], " ")
}

// TestProgressCountsAnswers: nothing is counted before an answer comes, and the rate
// is the answered deliveries over the time since the start (it once showed "1/60,
// 233318 deliveries/s" 1.5 s into a run where nothing had answered).
func TestProgressCountsAnswers(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var b bytes.Buffer
	p := newProgress(&b, 60, clock.now)
	if got, want := lastLine(&b), "sending ["+strings.Repeat(" ", 30)+"] 0/60"; got != want {
		t.Errorf("at start: %q, want %q", got, want)
	}
	clock.t = clock.t.Add(1500 * time.Millisecond)
	p.answered()
	if got, want := lastLine(&b), "sending ["+strings.Repeat(" ", 30)+"] 1/60, 0.7 deliveries/s"; got != want {
		t.Errorf("one answer after 1.5 s: %q, want %q", got, want)
	}
	// Answers within the throttle are counted but not drawn; the last one always is.
	for range 58 {
		p.answered()
	}
	if got := lastLine(&b); !strings.HasSuffix(got, "1/60, 0.7 deliveries/s") {
		t.Errorf("redrawn within %s: %q", progressEvery, got)
	}
	clock.t = clock.t.Add(500 * time.Millisecond)
	p.answered()
	if got, want := lastLine(&b), "sending ["+strings.Repeat("=", 30)+"] 60/60, 30.0 deliveries/s"; got != want {
		t.Errorf("at the end: %q, want %q", got, want)
	}
	p.clear()
	if got := lastLine(&b); got != "" {
		t.Errorf("after clear: %q", got)
	}
}

func TestProgressUnknownTotal(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var b bytes.Buffer
	p := newProgress(&b, 0, clock.now)
	clock.t = clock.t.Add(2 * time.Second)
	for range 500 {
		p.answered()
	}
	clock.t = clock.t.Add(progressEvery)
	p.answered()
	if got, want := lastLine(&b), "sending 501, 239 deliveries/s"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}
