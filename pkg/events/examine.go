package events

import (
	"slices"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/jsonscan"
)

// maxShapes bounds the shapes Examine remembers; past it, it starts afresh.
const maxShapes = 1024

// shape is a payload's top-level member names and kinds, with the event its path
// names, if any: all that Detect and Check look at for a payload without nested
// arrays or objects.
type shape struct {
	pathEvent string
	names     []string
	kinds     []jsonscan.Kind
}

type examined struct {
	shape    shape
	det      Detection
	warnings []string
}

// Examine is Detect followed by Check on the candidates. A fan-out sends thousands
// of payloads of one shape, so the answer is remembered per shape (for payloads
// whose members are all scalars: checks look inside arrays). The returned warnings
// are shared: do not modify them.
func (m *Matcher) Examine(path string, p *jsonscan.Result) (Detection, []string) {
	cacheable := p != nil && p.Kind == jsonscan.KindObject && len(p.Members) > 0
	for i := 0; cacheable && i < len(p.Members); i++ {
		if k := p.Members[i].Kind; k == jsonscan.KindArray || k == jsonscan.KindObject {
			cacheable = false
		}
	}
	if !cacheable {
		d := m.Detect(path, p)
		return d, m.Check(d.Candidates, p)
	}
	pathEvent := ""
	if d, ok := m.DetectPath(path); ok {
		pathEvent = d.Event
	}
	h := hashShape(pathEvent, p.Members)
	m.mu.Lock()
	if e, ok := m.shapes[h]; ok && e.shape.matches(pathEvent, p.Members) {
		m.mu.Unlock()
		return e.det, e.warnings
	}
	m.mu.Unlock()

	d := m.Detect(path, p)
	w := m.Check(d.Candidates, p)
	e := &examined{shape: shape{pathEvent: pathEvent, names: make([]string, len(p.Members)), kinds: make([]jsonscan.Kind, len(p.Members))}, det: d, warnings: slices.Clip(w)}
	for i, mem := range p.Members {
		e.shape.names[i], e.shape.kinds[i] = mem.Name, mem.Kind
	}
	m.mu.Lock()
	if len(m.shapes) >= maxShapes {
		clear(m.shapes)
	}
	m.shapes[h] = e
	m.mu.Unlock()
	return d, e.warnings
}

func (s *shape) matches(pathEvent string, members []jsonscan.Member) bool {
	if s.pathEvent != pathEvent || len(s.names) != len(members) {
		return false
	}
	for i, mem := range members {
		if s.names[i] != mem.Name || s.kinds[i] != mem.Kind {
			return false
		}
	}
	return true
}

// hashShape is FNV-1a over the path's event and each member's name and kind.
func hashShape(pathEvent string, members []jsonscan.Member) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	add := func(s string) {
		for i := 0; i < len(s); i++ {
			h ^= uint64(s[i])
			h *= prime
		}
		h ^= 0xff
		h *= prime
	}
	add(pathEvent)
	for _, mem := range members {
		add(mem.Name)
		h ^= uint64(mem.Kind)
		h *= prime
	}
	return h
}
