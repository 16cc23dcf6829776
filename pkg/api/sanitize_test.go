package api

import "testing"

// The log and the dry run strip what pkg/safetext calls unsafe, line separators and
// every bidi control included.
func TestStripControlsIsSafetext(t *testing.T) {
	if got := stripControls("a\u2028b\u2029c\u202ed\x1b[2Je\u0085f"); got != "abcdef" {
		t.Errorf("got %q", got)
	}
}
