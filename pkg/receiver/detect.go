package receiver

import (
	"net/http"
	"strings"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
)

// Detect detects d's event and checks its body against the catalog, as the engine
// does before rendering: it sets Event, Candidates, ByPath and IsJSON, keeps the
// parsed body for Payload, and sets Warnings to the body's warnings — the checks
// that failed, or "the body is empty", or "the body is not JSON". A delivery refused
// as too large (413) has no body to detect from: its path alone names the event,
// and it has no warnings. Detect does nothing the second time.
func (d *Delivery) Detect(m *events.Matcher) {
	if d.detected {
		return
	}
	d.detected = true
	if d.Status == http.StatusRequestEntityTooLarge {
		det, ok := m.DetectPath(pathOnly(d.Path))
		if !ok {
			det = events.Detection{Event: events.Unknown, Candidates: []string{}}
		}
		d.Event, d.Candidates, d.ByPath = det.Event, det.Candidates, det.ByPath
		d.Warnings = []string{}
		return
	}
	p := m.Parse(d.Body)
	d.payload = p
	det, checks := m.Examine(pathOnly(d.Path), p)
	d.Event, d.Candidates, d.ByPath, d.IsJSON = det.Event, det.Candidates, det.ByPath, p.JSON
	switch {
	case p.JSON:
		// checks is shared with other deliveries: Warnings gets its own copy.
		d.Warnings = append([]string{}, checks...)
	case len(d.Body) == 0:
		d.Warnings = []string{"the body is empty"}
	default:
		d.Warnings = []string{"the body is not JSON"}
	}
}

func pathOnly(uri string) string {
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		return uri[:i]
	}
	return uri
}
