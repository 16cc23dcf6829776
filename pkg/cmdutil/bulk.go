package cmdutil

import (
	"fmt"
	"io"
	"strings"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/api"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/safetext"
)

// Bulk is the bookkeeping of a command that makes one API call per item (an event for
// `register`, a URL for `delete`): which items failed, and why the run stopped early.
// It holds the one rule both follow: a rejected key stops the run (every other call
// would be refused the same way) and makes the exit code 4 when it is the only kind of
// failure; an API that cannot be reached at all stops it too (exit 1), rather than
// waiting out the retries of every item.
type Bulk struct {
	// Noun names one call in the summary: "registration", "deletion".
	Noun string

	total    int
	failures []bulkFailure
	stop     error
	untried  []string
}

type bulkFailure struct {
	item string
	err  error
}

// NewBulk starts the bookkeeping of total calls.
func NewBulk(noun string, total int) *Bulk { return &Bulk{Noun: noun, total: total} }

// Fail records that the call for item failed with err, and reports whether the run
// must stop here.
func (b *Bulk) Fail(item string, err error) (stop bool) {
	b.failures = append(b.failures, bulkFailure{item, err})
	if StopsBulk(err) {
		b.stop = err
		return true
	}
	return false
}

// Stopped records the items that were not tried after a stop.
func (b *Bulk) Stopped(untried []string) { b.untried = append(b.untried, untried...) }

// Failed is the number of calls that failed.
func (b *Bulk) Failed() int { return len(b.failures) }

// Err reports the run's failures on w and returns the command's error, nil when every
// call succeeded. done is the number of items that went through (for register, those
// accepted and recorded); what is described as done follows.
func (b *Bulk) Err(w io.Writer, done int, doneText string) error {
	if len(b.failures) == 0 {
		return nil
	}
	if b.total == 1 {
		return b.failures[0].err
	}
	for _, f := range b.failures {
		fmt.Fprintf(w, "✗ %s: %v\n", safetext.Escape(f.item), f.err)
	}
	if len(b.untried) > 0 {
		fmt.Fprintf(w, "not tried (%s): %s\n", StopReason(b.stop), safetext.Escape(strings.Join(b.untried, ", ")))
	}
	summary := fmt.Sprintf("%d of %d %s failed", len(b.failures), b.total, plural(b.total, b.Noun))
	if len(b.untried) > 0 {
		summary += fmt.Sprintf(", %d not tried", len(b.untried))
	}
	err := fmt.Errorf("%s; %d %s", summary, done, doneText)
	if b.allAuth() {
		return NewAuthError(err)
	}
	return err
}

func (b *Bulk) allAuth() bool {
	for _, f := range b.failures {
		if !api.IsAuth(f.err) {
			return false
		}
	}
	return true
}

func plural(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}

// StopsBulk reports whether a failed call stops a bulk run: a rejected key or an API
// that cannot be reached, where every other call would fail the same way.
func StopsBulk(err error) bool {
	return api.IsAuth(err) || api.IsUnreachable(err)
}

// StopReason says in a few words why a bulk run stopped on err.
func StopReason(err error) string {
	if api.IsAuth(err) {
		return "TagMango refused the key"
	}
	return "TagMango cannot be reached"
}
