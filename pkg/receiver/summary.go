package receiver

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/output"
)

// WriteSummary writes the end-of-session summary: deliveries by event, duplicates,
// warnings, forward failures, and what was refused, hidden or came too late.
func WriteSummary(w io.Writer, s *Summary) error {
	var b strings.Builder
	switch s.Deliveries {
	case 0:
		b.WriteString("Summary: no deliveries\n")
	case 1:
		b.WriteString("Summary: 1 delivery\n")
	default:
		fmt.Fprintf(&b, "Summary: %d deliveries\n", s.Deliveries)
	}
	names := make([]string, 0, len(s.ByEvent))
	width := 0
	for name := range s.ByEvent {
		names = append(names, name)
		width = max(width, len(name))
	}
	sort.Slice(names, func(i, j int) bool {
		if s.ByEvent[names[i]] != s.ByEvent[names[j]] {
			return s.ByEvent[names[i]] > s.ByEvent[names[j]]
		}
		return names[i] < names[j]
	})
	for _, name := range names {
		fmt.Fprintf(&b, "  %-*s  %d\n", width, name, s.ByEvent[name])
	}
	fmt.Fprintf(&b, "  duplicates: %d · with warnings: %d · forward failures: %d", s.Duplicates, s.WithWarnings, s.ForwardFailures)
	if s.Repeats > 0 {
		// Only when there are some: they are expected, not a problem.
		fmt.Fprintf(&b, " · repeats: %d", s.Repeats)
	}
	b.WriteString("\n")
	var also []string
	if s.Refused > 0 {
		also = append(also, fmt.Sprintf("%d refused (401/413)", s.Refused))
	}
	if s.Hidden > 0 {
		also = append(also, fmt.Sprintf("%d hidden by --event", s.Hidden))
	}
	if s.Late > 0 {
		also = append(also, fmt.Sprintf("%d arrived after --count was reached (answered, not shown)", s.Late))
	}
	if s.NotShown > 0 {
		also = append(also, fmt.Sprintf("%d received but not shown (the display failed, or listen stopped before it caught up)", s.NotShown))
	}
	if s.NotSaved > 0 {
		also = append(also, fmt.Sprintf("%d answered 503 because --save could not write them", s.NotSaved))
	}
	if s.Other > 0 {
		also = append(also, fmt.Sprintf("%d other %s (wrong path or method, incomplete body, or after stopping)", s.Other, output.Plural(s.Other, "request", "requests")))
	}
	if len(also) > 0 {
		b.WriteString("  also: " + strings.Join(also, " · ") + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
