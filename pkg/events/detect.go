package events

import (
	"hash/maphash"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/jsonscan"
)

// Unknown is the detected event of a payload that matches no catalog event.
const Unknown = "unknown"

// minScore is the similarity under which a payload is called unknown: at least half of
// what the payload and the event's schema hold together must agree.
const minScore = 0.5

// Detection says what a delivery was recognised as.
type Detection struct {
	// Event is the event name when known exactly, the family pattern
	// ("course.completed.*") when several catalog events share the payload's shape, or
	// Unknown.
	Event string
	// Candidates are the matching event names in catalog order: one when exact, none
	// when unknown. The slice is shared: do not modify it.
	Candidates []string
	// ByPath reports that the event came from the last segment of the request path
	// (as `listen --register` arranges) rather than from the payload's shape.
	ByPath bool
}

// Exact reports whether exactly one event matched.
func (d Detection) Exact() bool { return len(d.Candidates) == 1 }

// Matcher recognises payloads and checks them against the catalog's schemas. It is
// safe for concurrent use: what it is built from does not change once built, and its
// caches of answers (results, shapes) are guarded by mu.
type Matcher struct {
	catalog *Catalog
	schemas []*schema
	// index maps a top-level field name to the schemas documenting it.
	index map[string][]fieldRef
	// names holds every documented field name once, to share with payloads.
	names map[string]string
	// results caches the Detection of each set of tied events, keyed by their
	// schema indices, so that candidate slices are built once and shared.
	mu      sync.Mutex
	results map[string]Detection
	// shapes remembers what Examine found per payload shape, keyed by hashShape.
	shapes map[uint64]*examined
	seed   maphash.Seed
}

type fieldRef struct {
	schema int
	field  int
}

// schema is an event's fields, prepared for matching.
type schema struct {
	event  *Event
	fields []fieldSpec
	// custom is set when the event documents creator-defined keys: undocumented
	// members then weigh less.
	custom bool
	// same is the index of the first schema with exactly these fields (this one's
	// own index when none before it): their checks give the same warnings.
	same int
}

type fieldSpec struct {
	name string
	// typ is the catalog's type, for messages.
	typ string
	// accept is the set of kinds the field takes; anyKind when the catalog does not
	// pin it ("any", "unknown (null in example)").
	accept   kindSet
	nullable bool
	// notNull is set when the catalog says the field is never null (nullable: false),
	// as opposed to not saying.
	notNull bool
	items   []fieldSpec
}

type kindSet uint8

const anyKind kindSet = 0xff

func (s kindSet) has(k jsonscan.Kind) bool { return s&(1<<k) != 0 }

// NewMatcher prepares the catalog's schemas for matching.
func NewMatcher(c *Catalog) *Matcher {
	m := &Matcher{catalog: c, index: map[string][]fieldRef{}, names: map[string]string{}, results: map[string]Detection{}, shapes: map[uint64]*examined{}, seed: maphash.MakeSeed()}
	for i, e := range c.Events {
		s := &schema{event: e}
		for _, f := range e.Fields {
			if f.IsPseudo() {
				s.custom = true
				continue
			}
			m.index[f.Name] = append(m.index[f.Name], fieldRef{schema: i, field: len(s.fields)})
			m.names[f.Name] = f.Name
			for _, it := range f.Items {
				m.names[it.Name] = it.Name
			}
			s.fields = append(s.fields, newFieldSpec(f))
		}
		s.same = i
		for j, other := range m.schemas {
			if reflect.DeepEqual(other.fields, s.fields) {
				s.same = j
				break
			}
		}
		m.schemas = append(m.schemas, s)
	}
	return m
}

func newFieldSpec(f Field) fieldSpec {
	fs := fieldSpec{name: f.Name, typ: f.Type, accept: parseType(f.Type), nullable: f.Nullable != nil && *f.Nullable,
		notNull: f.Nullable != nil && !*f.Nullable}
	for _, it := range f.Items {
		if !it.IsPseudo() {
			fs.items = append(fs.items, newFieldSpec(it))
		}
	}
	return fs
}

// TypeKinds reads a catalog type ("string", "number", "array", "string | null", …) as
// the JSON kinds it allows, in the order written, each once: "number", "integer" and
// "float" are all any JSON number. "any", "unknown (…)" and anything unrecognised give
// nil: the type does not pin the kind. The catalog's nullable is not part of the type.
func TypeKinds(t string) []jsonscan.Kind {
	var kinds []jsonscan.Kind
	for _, part := range strings.Split(t, "|") {
		var k jsonscan.Kind
		switch strings.ToLower(strings.TrimSpace(part)) {
		case "string":
			k = jsonscan.KindString
		case "number", "integer", "float":
			k = jsonscan.KindNumber
		case "boolean", "bool":
			k = jsonscan.KindBool
		case "array":
			k = jsonscan.KindArray
		case "object":
			k = jsonscan.KindObject
		case "null":
			k = jsonscan.KindNull
		default:
			return nil
		}
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	return kinds
}

// parseType is TypeKinds as a set; anyKind when the type does not pin the kind.
func parseType(t string) kindSet {
	kinds := TypeKinds(t)
	if kinds == nil {
		return anyKind
	}
	var set kindSet
	for _, k := range kinds {
		set |= 1 << k
	}
	return set
}

// accepts reports whether a value of kind k is what the field documents.
func (f *fieldSpec) accepts(k jsonscan.Kind) bool {
	if f.accept == anyKind || f.accept.has(k) {
		return true
	}
	return k == jsonscan.KindNull && f.nullable
}

// Detect says which event a delivery is: exactly when the last segment of path is a
// catalog event name, otherwise by the payload's shape. Every catalog event is scored
// on the payload's members — present with the documented JSON type counts 1, present
// with another type ½ (¾ for null where the catalog says never null) — divided by the fields of both together; the best
// score wins, and events tied with it (the course-progress events share one schema)
// are reported together as their family.
func (m *Matcher) Detect(path string, p *jsonscan.Result) Detection {
	if d, ok := m.DetectPath(path); ok {
		return d
	}
	if p == nil || p.Kind != jsonscan.KindObject || len(p.Members) == 0 {
		return Detection{Event: Unknown, Candidates: []string{}}
	}
	n := len(m.schemas)
	var (
		matchedBuf [64]float64
		knownBuf   [64]int
	)
	matched, known := matchedBuf[:], knownBuf[:]
	if n > len(matchedBuf) {
		matched, known = make([]float64, n), make([]int, n)
	}
	matched, known = matched[:n], known[:n]
	for _, mem := range p.Members {
		for _, ref := range m.index[mem.Name] {
			f := &m.schemas[ref.schema].fields[ref.field]
			known[ref.schema]++
			switch {
			case f.accepts(mem.Kind):
				matched[ref.schema]++
			case mem.Kind == jsonscan.KindNull && !f.notNull:
				// The catalog does not say: null neither confirms nor contradicts.
				matched[ref.schema]++
			case mem.Kind == jsonscan.KindNull:
				matched[ref.schema] += 0.75
			default:
				matched[ref.schema] += 0.5
			}
		}
	}
	best := 0.0
	var tiedBuf [16]int
	tied := tiedBuf[:0]
	for i, s := range m.schemas {
		extra := float64(len(p.Members) - known[i])
		if s.custom {
			extra /= 2
		}
		score := matched[i] / (float64(len(s.fields)) + extra)
		switch {
		case score > best+1e-9:
			best, tied = score, append(tied[:0], i)
		case score > best-1e-9:
			tied = append(tied, i)
		}
	}
	if best < minScore {
		return Detection{Event: Unknown, Candidates: []string{}}
	}
	return m.result(tied, false)
}

// DetectPath reports the event named by the last segment of path, if any.
func (m *Matcher) DetectPath(path string) (Detection, bool) {
	name := lastSegment(path)
	if name == "" {
		return Detection{}, false
	}
	for i, s := range m.schemas {
		if s.event.Type == name {
			return m.result([]int{i}, true), true
		}
	}
	return Detection{}, false
}

// result builds, once per set of events, the Detection naming them, so that the
// candidate slices are shared rather than built per delivery.
func (m *Matcher) result(schemas []int, byPath bool) Detection {
	// The key marks the chosen schemas, one byte per schema, and the path case.
	var keyBuf [65]byte
	key := keyBuf[:0]
	if len(m.schemas)+1 > len(keyBuf) {
		key = make([]byte, 0, len(m.schemas)+1)
	}
	key = key[:len(m.schemas)+1]
	clear(key)
	for _, i := range schemas {
		key[i] = 1
	}
	if byPath {
		key[len(m.schemas)] = 1
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if d, ok := m.results[string(key)]; ok {
		return d
	}
	names := make([]string, 0, len(schemas))
	for _, i := range schemas {
		names = append(names, m.schemas[i].event.Type)
	}
	d := Detection{Event: Family(names), Candidates: names, ByPath: byPath}
	if d.Event == Unknown {
		// Tied events of unrelated families ({"name","email","phone"} fits a webinar
		// and a course event equally): no family names them, and "unknown" promises no
		// candidates.
		d.Candidates = []string{}
	}
	m.results[string(key)] = d
	return d
}

// lastSegment is the last non-empty segment of a URL path.
func lastSegment(path string) string {
	path = strings.TrimRight(path, "/")
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		path = path[i+1:]
	}
	return path
}

// Family names a set of events: the name itself for one, the longest common
// dot-separated prefix followed by ".*" for several ("course.completed.*"), Unknown for
// none or when they share no prefix.
func Family(names []string) string {
	switch len(names) {
	case 0:
		return Unknown
	case 1:
		return names[0]
	}
	common := strings.Split(names[0], ".")
	for _, n := range names[1:] {
		parts := strings.Split(n, ".")
		k := 0
		for k < len(common) && k < len(parts) && common[k] == parts[k] {
			k++
		}
		common = common[:k]
	}
	if len(common) == 0 {
		return Unknown
	}
	return strings.Join(common, ".") + ".*"
}

// IsPattern reports whether s is a family pattern such as "webinar.*".
func IsPattern(s string) bool { return strings.HasSuffix(s, ".*") }

// MatchPattern reports whether the event name matches pattern: the same name, or for a
// family pattern "p.*" the name p itself or any name starting with "p.".
func MatchPattern(pattern, name string) bool {
	if !IsPattern(pattern) {
		return pattern == name
	}
	prefix := strings.TrimSuffix(pattern, ".*")
	return name == prefix || strings.HasPrefix(name, prefix+".")
}

// Selects reports whether a delivery detected as event, with these candidates, is
// selected by pattern (an event name or family, as --event takes them): pattern is
// the event itself ("unknown" included), or matches one of the candidates.
func Selects(pattern, event string, candidates []string) bool {
	if event == pattern {
		return true
	}
	for _, c := range candidates {
		if MatchPattern(pattern, c) {
			return true
		}
	}
	return false
}

// Expand lists the catalog events matched by an event name or family pattern, in
// catalog order; none when nothing matches.
func (c *Catalog) Expand(pattern string) []string {
	var out []string
	for _, e := range c.Events {
		if MatchPattern(pattern, e.Type) {
			out = append(out, e.Type)
		}
	}
	return out
}

// Families lists the family patterns of the catalog's event names ("course.*",
// "course.completed.*", …), sorted, for completion and suggestions.
func (c *Catalog) Families() []string {
	seen := map[string]bool{}
	for _, e := range c.Events {
		parts := strings.Split(e.Type, ".")
		for k := 1; k < len(parts); k++ {
			seen[strings.Join(parts[:k], ".")+".*"] = true
		}
	}
	out := make([]string, 0, len(seen))
	for f := range seen {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}
