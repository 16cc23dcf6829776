// Package jsonscan reads JSON bodies in one validating pass: whether a body is JSON
// (RFC 8259, in valid UTF-8, nested no deeper than encoding/json allows), whether it
// is already fit for one line of a terminal, and the top-level members of an object,
// their bytes as received. Its helpers then walk the values the scanner has validated.
// It knows nothing of events: pkg/events matches and checks what it finds.
package jsonscan

import (
	"encoding/json"
	"unicode/utf8"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/safetext"
)

// Kind is the JSON type of a value.
type Kind uint8

// The JSON kinds. The zero Kind is "no value".
const (
	KindNull Kind = iota + 1
	KindBool
	KindNumber
	KindString
	KindArray
	KindObject
)

// String names the kind the way the catalog and warnings do.
func (k Kind) String() string {
	switch k {
	case KindNull:
		return "null"
	case KindBool:
		return "boolean"
	case KindNumber:
		return "number"
	case KindString:
		return "string"
	case KindArray:
		return "array"
	case KindObject:
		return "object"
	}
	return "nothing"
}

// Member is one key of a JSON object with its value.
type Member struct {
	Name string
	Kind Kind
	// Raw is the value's bytes, as received.
	Raw []byte
}

// Result is what Scan found in a body: whether it is JSON, and for an object its
// top-level members. Scanning a delivery once serves detection, checks and display.
type Result struct {
	// JSON reports that the body is valid JSON (RFC 8259) in valid UTF-8.
	JSON bool
	// Safe reports a JSON body that is already fit for one line of a terminal: no
	// whitespace between tokens, and no character a terminal could act on (DEL, C1
	// controls, line separators, bidirectional controls) inside its strings.
	Safe bool
	// Kind is the kind of the top-level value when JSON.
	Kind Kind
	// Members are the top-level members, in order, when Kind is KindObject.
	Members []Member
	// Depth is how deep arrays and objects nest when JSON: 0 for a scalar, 1 for a
	// flat object or array. It is at most MaxDepth.
	Depth int
}

// Scan reads body. It never fails: a body that is not JSON gives a Result with JSON
// false. names, which may be nil, holds member names to share rather than allocate a
// string for each member of each body (a catalog's field names).
func Scan(body []byte, names map[string]string) *Result {
	sc := scanner{b: body, safe: true, names: names}
	p := &Result{}
	sc.ws()
	if sc.i >= len(body) {
		return p
	}
	kind := kindOf(body[sc.i])
	if kind == KindObject {
		sc.members = make([]Member, 0, 16)
	}
	if !sc.value(0) {
		return &Result{}
	}
	sc.ws()
	if sc.i != len(body) {
		return &Result{}
	}
	p.JSON, p.Safe, p.Kind, p.Members, p.Depth = true, sc.safe, kind, sc.members, sc.depth
	return p
}

// MaxDepth bounds nesting as encoding/json does: a body with more than MaxDepth
// arrays and objects one inside the other is not JSON.
const MaxDepth = 10000

// scanner validates JSON in one pass, collecting the top-level members of an object
// and noting whether the text is compact and terminal-safe.
type scanner struct {
	b       []byte
	i       int
	safe    bool
	names   map[string]string
	members []Member
	// depth is the deepest nesting seen.
	depth int
}

func (s *scanner) ws() {
	start := s.i
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
			continue
		}
		break
	}
	if s.i != start {
		s.safe = false
	}
}

// value validates the value at s.b[s.i], inside depth arrays and objects.
func (s *scanner) value(depth int) bool {
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; c {
	case '{', '[':
		if depth >= MaxDepth {
			return false
		}
		s.depth = max(s.depth, depth+1)
		if c == '{' {
			return s.object(depth + 1)
		}
		return s.array(depth + 1)
	case '"':
		return s.str()
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			return s.number()
		}
		return false
	}
}

func (s *scanner) literal(lit string) bool {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return false
	}
	s.i += len(lit)
	return true
}

func (s *scanner) digits() int {
	n := 0
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
		n++
	}
	return n
}

func (s *scanner) number() bool {
	if s.b[s.i] == '-' {
		s.i++
	}
	if s.i >= len(s.b) {
		return false
	}
	if s.b[s.i] == '0' {
		s.i++
	} else if s.digits() == 0 {
		return false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if s.digits() == 0 {
			return false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if s.digits() == 0 {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// plainByte marks the bytes a string can hold without a closer look: printable
// ASCII other than '"' and '\\'.
const plainByte = "" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x01\x01\x00\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x00\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x00"

// str validates the string at s.b[s.i] == '"'.
func (s *scanner) str() bool {
	s.i++
	for s.i < len(s.b) {
		c := s.b[s.i]
		if c < 0x80 && plainByte[c] != 0 {
			s.i++
			continue
		}
		switch {
		case c == '"':
			s.i++
			return true
		case c == '\\':
			if s.i+1 >= len(s.b) {
				return false
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if s.i+6 > len(s.b) || !isHex(s.b[s.i+2]) || !isHex(s.b[s.i+3]) || !isHex(s.b[s.i+4]) || !isHex(s.b[s.i+5]) {
					return false
				}
				s.i += 6
			default:
				return false
			}
		case c < 0x20:
			return false
		case c < utf8.RuneSelf:
			if c == 0x7f {
				s.safe = false
			}
			s.i++
		default:
			r, size := utf8.DecodeRune(s.b[s.i:])
			if r == utf8.RuneError && size == 1 {
				return false
			}
			if safetext.Unsafe(r) {
				s.safe = false
			}
			s.i += size
		}
	}
	return false
}

func (s *scanner) object(depth int) bool {
	s.i++ // '{'
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return true
	}
	for {
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return false
		}
		nameStart := s.i
		if !s.str() {
			return false
		}
		nameEnd := s.i
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return false
		}
		s.i++
		s.ws()
		valueStart := s.i
		if !s.value(depth) {
			return false
		}
		if depth == 1 {
			s.members = append(s.members, Member{
				Name: s.name(s.b[nameStart:nameEnd]),
				Kind: kindOf(s.b[valueStart]),
				Raw:  s.b[valueStart:s.i],
			})
		}
		s.ws()
		if s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case ',':
			s.i++
			s.ws()
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

// name decodes a member name, sharing the catalog's copy when it is a known field.
func (s *scanner) name(lit []byte) string {
	if n, ok := s.names[string(lit[1:len(lit)-1])]; ok {
		return n
	}
	return unquote(lit)
}

func (s *scanner) array(depth int) bool {
	s.i++ // '['
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return true
	}
	for {
		if !s.value(depth) {
			return false
		}
		s.ws()
		if s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case ',':
			s.i++
			s.ws()
		case ']':
			s.i++
			return true
		default:
			return false
		}
	}
}

// Lookup returns the first member named name.
func (p *Result) Lookup(name string) (Member, bool) { return Lookup(p.Members, name) }

// Lookup returns the first of members named name.
func Lookup(members []Member, name string) (Member, bool) {
	for _, m := range members {
		if m.Name == name {
			return m, true
		}
	}
	return Member{}, false
}

// The helpers below run on JSON the scanner has validated: they find boundaries,
// they do not validate.

// SkipSpace returns the index of the first byte at or after b[i] that is not JSON
// whitespace.
func SkipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

func kindOf(c byte) Kind {
	switch c {
	case '{':
		return KindObject
	case '[':
		return KindArray
	case '"':
		return KindString
	case 't', 'f':
		return KindBool
	case 'n':
		return KindNull
	}
	return KindNumber
}

// skipString returns the index just past the string starting at b[i] == '"'.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// SkipValue returns the index just past the JSON value starting at b[i], for a
// document that has already been validated (by Scan).
func SkipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

// objectMembers lists the members of the valid JSON object obj.
func objectMembers(obj []byte) []Member {
	var out []Member
	i := SkipSpace(obj, 0) + 1 // past '{'
	for {
		i = SkipSpace(obj, i)
		if i >= len(obj) || obj[i] == '}' {
			return out
		}
		end := skipString(obj, i)
		name := unquote(obj[i:end])
		i = SkipSpace(obj, end) + 1 // past ':'
		i = SkipSpace(obj, i)
		vend := SkipValue(obj, i)
		out = append(out, Member{Name: name, Kind: kindOf(obj[i]), Raw: obj[i:vend]})
		i = SkipSpace(obj, vend)
		if i < len(obj) && obj[i] == ',' {
			i++
		}
	}
}

// arrayElements lists the elements of the valid JSON array arr.
func arrayElements(arr []byte) []Member {
	var out []Member
	i := SkipSpace(arr, 0) + 1 // past '['
	for {
		i = SkipSpace(arr, i)
		if i >= len(arr) || arr[i] == ']' {
			return out
		}
		end := SkipValue(arr, i)
		out = append(out, Member{Kind: kindOf(arr[i]), Raw: arr[i:end]})
		i = SkipSpace(arr, end)
		if i < len(arr) && arr[i] == ',' {
			i++
		}
	}
}

// unquote decodes a JSON string literal; the common case has no escapes.
func unquote(lit []byte) string {
	inner := lit[1 : len(lit)-1]
	for _, c := range inner {
		if c == '\\' {
			var s string
			if json.Unmarshal(lit, &s) == nil {
				return s
			}
			break
		}
	}
	return string(inner)
}

// StringValue returns the member's value when it is a JSON string.
func (m Member) StringValue() (string, bool) {
	if m.Kind != KindString {
		return "", false
	}
	return unquote(m.Raw), true
}

// Elements lists the elements of an array member (nil for other kinds).
func (m Member) Elements() []Member {
	if m.Kind != KindArray {
		return nil
	}
	return arrayElements(m.Raw)
}

// Members lists the members of an object member (nil for other kinds).
func (m Member) Members() []Member {
	if m.Kind != KindObject {
		return nil
	}
	return objectMembers(m.Raw)
}
