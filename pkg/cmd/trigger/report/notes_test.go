package report

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestNotesTakeTurnsWithTheBar: a note clears the bar, stands on its own line and the
// bar is redrawn below it, at the bar's clock; after close the bar is gone and notes
// are dropped.
func TestNotesTakeTurnsWithTheBar(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var b bytes.Buffer
	n := NewNotes(&b)
	n.Printf("before the bar\n")
	n.startBar(4, clock.now)
	clock.t = clock.t.Add(2 * time.Second)
	n.answered()
	drawn := "sending [" + strings.Repeat("=", 7) + strings.Repeat(" ", 23) + "] 1/4, 0.5 deliveries/s"
	if got := lastLine(&b); got != drawn {
		t.Fatalf("bar %q, want %q", got, drawn)
	}
	clock.t = clock.t.Add(3 * time.Second)
	b.Reset()
	n.Printf("line %d skipped\n", 3)
	redrawn := "sending [" + strings.Repeat("=", 7) + strings.Repeat(" ", 23) + "] 1/4, 0.2 deliveries/s"
	blank := "\r" + strings.Repeat(" ", len(drawn)) + "\r"
	if got, want := b.String(), blank+"line 3 skipped\n\r"+redrawn; got != want {
		t.Errorf("a note during the bar:\n got %q\nwant %q", got, want)
	}

	b.Reset()
	n.close()
	if got := lastLine(&b); got != "" {
		t.Errorf("after close: %q", got)
	}
	b.Reset()
	n.Printf("late warning\n")
	n.answered()
	if b.Len() != 0 {
		t.Errorf("written after close: %q", b.String())
	}
}

// TestNotesWithoutBar: with no bar (a pipe), notes are written as they come.
func TestNotesWithoutBar(t *testing.T) {
	var b bytes.Buffer
	n := NewNotes(&b)
	n.Printf("a %s\n", "note")
	n.answered()
	n.close()
	n.Printf("dropped\n")
	if got := b.String(); got != "a note\n" {
		t.Errorf("%q", got)
	}
}
