package report

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Notes is stderr while a run is shown: the progress bar and the lines written
// meanwhile by other goroutines (replay's source warns about the lines it skips as it
// reads) take turns, so that neither is torn, and a note first clears the bar and
// then redraws it below. Once the run is over, notes from a source still winding down
// are dropped: the command's own last words must come last.
type Notes struct {
	mu     sync.Mutex
	w      io.Writer
	bar    *progress
	closed bool
}

// NewNotes returns Notes writing to w.
func NewNotes(w io.Writer) *Notes { return &Notes{w: w} }

// Printf writes one note (a line: give the newline).
func (n *Notes) Printf(format string, args ...any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return
	}
	if n.bar != nil {
		n.bar.clear()
	}
	fmt.Fprintf(n.w, format, args...)
	if n.bar != nil {
		n.bar.draw(n.bar.now())
	}
}

func (n *Notes) startBar(total int, now func() time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.bar = newProgress(n.w, total, now)
}

func (n *Notes) answered() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.bar != nil {
		n.bar.answered()
	}
}

// close clears the bar and drops every later note.
func (n *Notes) close() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.bar != nil {
		n.bar.clear()
		n.bar = nil
	}
	n.closed = true
}
