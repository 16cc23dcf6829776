package output

import (
	"fmt"
	"time"
)

// RelativeTime renders t relative to now for people: "just now", "5 minutes ago",
// "3 days ago"; dates further back than a month are shown as dates.
func RelativeTime(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < 0:
		return t.UTC().Format(time.RFC3339)
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute") + " ago"
	case d < 24*time.Hour:
		return plural(int(d/time.Hour), "hour") + " ago"
	case d < 30*24*time.Hour:
		return plural(int(d/(24*time.Hour)), "day") + " ago"
	}
	return t.UTC().Format("Jan 2, 2006")
}

func plural(n int, unit string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", unit)
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// Plural is one when n is 1, else many: "1 delivery", "2 deliveries".
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
