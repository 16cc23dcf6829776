// Package events is the TagMango event catalog: every event type, its filter, its
// fields and its example payload, read from the embedded events.json. Everything that
// knows about events — validation, completion, shape matching, samples, the `events`
// command and the docs — reads it from here.
package events

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

//go:embed events.json
var catalogJSON []byte

// Field is one documented field of a payload.
type Field struct {
	Name        string  `json:"name"`
	Type        string  `json:"type"`
	Nullable    *bool   `json:"nullable"`
	TypeSource  string  `json:"type_source,omitempty"`
	Description string  `json:"description"`
	Items       []Field `json:"items,omitempty"`
}

// IsPseudo recognises a catalog entry such as "<custom field keys>" that stands for
// keys the creator chooses rather than naming a field.
func (f *Field) IsPseudo() bool { return strings.HasPrefix(f.Name, "<") }

// Event is one catalog entry.
type Event struct {
	Type               string          `json:"type"`
	Category           string          `json:"category"`
	Deprecated         bool            `json:"deprecated,omitempty"`
	Filters            []string        `json:"filters"`
	Trigger            string          `json:"trigger"`
	Delivery           string          `json:"delivery"`
	FieldsStatus       string          `json:"fields_status"`
	Fields             []Field         `json:"fields"`
	Example            json.RawMessage `json:"example"`
	Notes              []string        `json:"notes"`
	DistinguishingKeys []string        `json:"distinguishing_keys_inferred"`
	Source             string          `json:"source"`
	// IdenticalSends is how many times TagMango sends one body of the event (see
	// Sends); 0 when the catalog does not say.
	IdenticalSends int `json:"identical_sends,omitempty"`
	replacement    string
}

// Filter is the entity filter the event documents ("mango", "course", "webinar"), or ""
// when it documents none.
func (e *Event) Filter() string {
	if len(e.Filters) == 0 {
		return ""
	}
	return e.Filters[0]
}

// Replacement names the event to use instead of a deprecated one, "" when none.
func (e *Event) Replacement() string { return e.replacement }

// FieldsComplete reports whether every field's type is documented by TagMango.
func (e *Event) FieldsComplete() bool { return e.FieldsStatus == "complete" }

// InferredFrom names the event whose fields this one's are copied from (fields status
// "inferred_from:<event>"), "" when they are not copied.
func (e *Event) InferredFrom() string {
	from, ok := strings.CutPrefix(e.FieldsStatus, "inferred_from:")
	if !ok {
		return ""
	}
	return from
}

// FieldsNote says in a sentence how far the event's fields are documented; an unknown
// fields status is given as it is.
func (e *Event) FieldsNote() string {
	switch {
	case e.FieldsComplete():
		return "documented by TagMango"
	case e.FieldsStatus == "partial_schema":
		return "partly documented: TagMango's schema is cut off, the remaining types are inferred from the example"
	case e.FieldsStatus == "example_only":
		return "example only: TagMango documents no schema, every type is inferred from the example"
	case e.InferredFrom() != "":
		return "inferred: TagMango's page shows no payload, the fields are copied from " + e.InferredFrom()
	}
	return e.FieldsStatus
}

// Catalog is the parsed catalog.
type Catalog struct {
	Events []*Event
	byType map[string]*Event
}

type catalogFile struct {
	Events []*Event `json:"events"`
}

// Load parses the embedded catalog.
func Load() (*Catalog, error) {
	return Parse(catalogJSON)
}

// Parse reads a catalog document shaped like events.json.
func Parse(data []byte) (*Catalog, error) {
	var f catalogFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("event catalog: %w", err)
	}
	c := &Catalog{Events: f.Events, byType: make(map[string]*Event, len(f.Events))}
	for _, e := range f.Events {
		if e.Type == "" {
			return nil, fmt.Errorf("event catalog: an entry has no type")
		}
		c.byType[e.Type] = e
	}
	for _, e := range f.Events {
		if e.Deprecated {
			e.replacement = c.mentionedIn(e)
		}
	}
	return c, nil
}

// mentionedIn finds the other catalog event named in e's notes: for a deprecated event
// that is its replacement.
func (c *Catalog) mentionedIn(e *Event) string {
	best := ""
	for _, note := range e.Notes {
		for _, other := range c.Events {
			if other.Type != e.Type && strings.Contains(note, other.Type) && len(other.Type) > len(best) {
				best = other.Type
			}
		}
	}
	return best
}

// Lookup returns the event named name.
func (c *Catalog) Lookup(name string) (*Event, bool) {
	e, ok := c.byType[name]
	return e, ok
}

// Names lists every event type in catalog order.
func (c *Catalog) Names() []string {
	out := make([]string, len(c.Events))
	for i, e := range c.Events {
		out[i] = e.Type
	}
	return out
}

// Suggest returns the catalog event closest to name, or "" when none is close.
func (c *Catalog) Suggest(name string) string {
	names := c.Names()
	sort.Strings(names)
	return Closest(name, names)
}

// Closest returns the candidate nearest to name by edit distance, ignoring case, or ""
// when none is within about half of name's length: the "did you mean" of every
// suggestion.
func Closest(name string, candidates []string) string {
	best, bestDist := "", len(name)/2+2
	for _, n := range candidates {
		if d := levenshtein(strings.ToLower(name), strings.ToLower(n)); d < bestDist {
			best, bestDist = n, d
		}
	}
	return best
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
