package report

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progressEvery throttles redraws: a burst of thousands of answers redraws ten
// times a second, not once per answer.
const progressEvery = 100 * time.Millisecond

// progress is the one-line progress display on a terminal's stderr. It counts a
// delivery when its answer (or failure) comes, never when it is sent, and its rate
// is the answered deliveries over the time since the run began: a run where nothing
// has answered yet shows 0 and no rate. Its clock is injected, so that what it
// shows can be tested.
type progress struct {
	w     io.Writer
	total int // ≤ 0: unknown (replay streams its file)
	now   func() time.Time

	start, last time.Time
	done        int
	width       int // of the last line drawn, to clear it
}

func newProgress(w io.Writer, total int, now func() time.Time) *progress {
	p := &progress{w: w, total: total, now: now}
	p.start = now()
	p.draw(p.start)
	return p
}

// answered counts one more answer and redraws when the last drawing is old enough,
// or when this was the last answer.
func (p *progress) answered() {
	p.done++
	t := p.now()
	if t.Sub(p.last) >= progressEvery || p.done == p.total {
		p.draw(t)
	}
}

// line is what the display shows at time t.
func (p *progress) line(t time.Time) string {
	var b strings.Builder
	b.WriteString("sending ")
	if p.total > 0 {
		const width = 30
		filled := min(width*p.done/p.total, width)
		fmt.Fprintf(&b, "[%s%s] %d/%d", strings.Repeat("=", filled), strings.Repeat(" ", width-filled), p.done, p.total)
	} else {
		fmt.Fprintf(&b, "%d", p.done)
	}
	if elapsed := t.Sub(p.start); p.done > 0 && elapsed > 0 {
		fmt.Fprintf(&b, ", %s deliveries/s", rate(float64(p.done)/elapsed.Seconds()))
	}
	return b.String()
}

func (p *progress) draw(t time.Time) {
	p.last = t
	s := p.line(t)
	pad := max(p.width-len(s), 0)
	p.width = len(s)
	fmt.Fprintf(p.w, "\r%s%s", s, strings.Repeat(" ", pad))
}

// clear removes the line, so that the summary starts on a clean line.
func (p *progress) clear() {
	fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.width))
}

// rate shows a rate with the precision that suits it: "0.4", "12.5", "3120".
func rate(r float64) string {
	if r < 100 {
		return fmt.Sprintf("%.1f", r)
	}
	return fmt.Sprintf("%.0f", r)
}
