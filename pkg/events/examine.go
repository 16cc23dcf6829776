package events

import (
	"hash/maphash"
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
	h := m.hashShape(pathEvent, p.Members)
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

// hashShape hashes the path's event and each member's name and kind with the
// Matcher's seed: a sender cannot choose names that collide (matches checks anyway).
// The hashes live only in memory, so the seed may differ between runs.
func (m *Matcher) hashShape(pathEvent string, members []jsonscan.Member) uint64 {
	var h maphash.Hash
	h.SetSeed(m.seed)
	h.WriteString(pathEvent)
	// 0xff is no byte of valid UTF-8: it ends each name unambiguously.
	h.WriteByte(0xff)
	for _, mem := range members {
		h.WriteString(mem.Name)
		h.WriteByte(0xff)
		h.WriteByte(byte(mem.Kind))
	}
	return h.Sum64()
}
