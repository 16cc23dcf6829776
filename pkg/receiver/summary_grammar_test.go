package receiver

import (
	"bytes"
	"strings"
	"testing"
)

func TestWriteSummaryCountsOneOtherRequest(t *testing.T) {
	var b bytes.Buffer
	_ = WriteSummary(&b, &Summary{ByEvent: map[string]int{}, Other: 1})
	if !strings.Contains(b.String(), "also: 1 other request (wrong path") {
		t.Errorf("got:\n%s", b.String())
	}
}
