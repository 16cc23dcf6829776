// Package sample makes delivery payloads shaped as the catalog's events: the documented
// example, or realistic fake participants (for `events sample`, `trigger` and the
// emulator), and edits them field by field (`--set`) with the catalog's types.
package sample

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/jsonscan"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/safetext"
)

// Document is one delivery body with its keys in the catalog's order (MarshalJSON writes
// them in order). Values are string, json.Number (every number Example, Fake and Set
// produce), bool, nil, []any, *Document for nested objects, or anything encoding/json
// can marshal (values given to Override).
type Document struct {
	keys []string
	vals map[string]any
}

// NewDocument returns an empty payload.
func NewDocument() *Document {
	return &Document{vals: map[string]any{}}
}

// Parse reads a JSON object, keeping the order of its keys (nested objects too) and
// its numbers exactly as written.
func Parse(data []byte) (*Document, error) {
	v, err := decodeOrdered(data)
	if errors.Is(err, jsonscan.ErrTrailing) {
		return nil, errors.New("unexpected data after the JSON object")
	}
	if err != nil {
		return nil, err
	}
	p, ok := v.(*Document)
	if !ok {
		return nil, fmt.Errorf("the JSON is %s, not an object", kindName(v))
	}
	return p, nil
}

// parseValue reads any JSON value the way Parse does.
func parseValue(data []byte) (any, error) {
	v, err := decodeOrdered(data)
	if errors.Is(err, jsonscan.ErrTrailing) {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return v, err
}

func decodeOrdered(data []byte) (any, error) {
	return jsonscan.DecodeOrdered(data, NewDocument, (*Document).put)
}

// Example returns the event's documented example payload.
func Example(e *events.Event) (*Document, error) {
	if len(e.Example) == 0 {
		return nil, fmt.Errorf("%s has no documented example", e.Type)
	}
	p, err := Parse(e.Example)
	if err != nil {
		return nil, fmt.Errorf("the example of %s: %w", e.Type, err)
	}
	return p, nil
}

// UnmarshalJSON reads a JSON object as Parse does.
func (p *Document) UnmarshalJSON(data []byte) error {
	q, err := Parse(data)
	if err != nil {
		return err
	}
	*p = *q
	return nil
}

// Keys lists the top-level keys in order.
func (p *Document) Keys() []string { return append([]string(nil), p.keys...) }

// Len is the number of top-level keys.
func (p *Document) Len() int { return len(p.keys) }

// put sets key, appending it when new and keeping its place otherwise.
func (p *Document) put(key string, v any) {
	if p.vals == nil {
		p.vals = map[string]any{}
	}
	if _, ok := p.vals[key]; !ok {
		p.keys = append(p.keys, key)
	}
	p.vals[key] = v
}

// lookup returns the value of a top-level key.
func (p *Document) lookup(key string) (any, bool) {
	v, ok := p.vals[key]
	return v, ok
}

// Get returns the value at a dotted path: "email", "callList.0.webinar" (also written
// "callList[0].webinar").
func (p *Document) Get(path string) (any, bool) {
	var cur any = p
	for _, seg := range splitPath(path) {
		switch c := cur.(type) {
		case *Document:
			v, ok := c.lookup(seg)
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// splitPath turns "a.b[0].c" into ["a", "b", "0", "c"].
func splitPath(path string) []string {
	path = strings.NewReplacer("[", ".", "]", "").Replace(path)
	parts := strings.Split(path, ".")
	out := parts[:0]
	for _, s := range parts {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Override merges a JSON object's top-level keys into p (emulator `payload`
// overrides): a key p has keeps its place with the new value, a new key is appended.
func Override(p *Document, overrides map[string]any) {
	if len(overrides) == 0 {
		return
	}
	// Map order is random: new keys are appended in sorted order so that the result is
	// the same on every run.
	keys := make([]string, 0, len(overrides))
	for k := range overrides {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p.put(k, overrides[k])
	}
}

// Clone returns a deep copy of p.
func (p *Document) Clone() *Document {
	c := &Document{keys: append([]string(nil), p.keys...), vals: make(map[string]any, len(p.vals))}
	for k, v := range p.vals {
		c.vals[k] = cloneValue(v)
	}
	return c
}

func cloneValue(v any) any {
	switch t := v.(type) {
	case *Document:
		return t.Clone()
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = cloneValue(e)
		}
		return out
	}
	return v
}

// MarshalJSON writes the payload compactly, keys in order, without HTML escaping (a
// TagMango body is written by JSON.stringify, which does not escape <, > and &).
func (p *Document) MarshalJSON() ([]byte, error) {
	return p.appendJSON(make([]byte, 0, 512))
}

// Indented returns the payload as JSON indented by two spaces, with a final newline.
func (p *Document) Indented() ([]byte, error) {
	b, err := p.MarshalJSON()
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

func (p *Document) appendJSON(b []byte) ([]byte, error) {
	b = append(b, '{')
	for i, k := range p.keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = safetext.AppendPlainJSONString(b, k)
		b = append(b, ':')
		var err error
		if b, err = appendValue(b, p.vals[k]); err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
	}
	return append(b, '}'), nil
}

func appendValue(b []byte, v any) ([]byte, error) {
	switch t := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return safetext.AppendPlainJSONString(b, t), nil
	case json.Number:
		if !isJSONNumber(string(t)) {
			return nil, fmt.Errorf("%q is not a JSON number", string(t))
		}
		return append(b, t...), nil
	case bool:
		return strconv.AppendBool(b, t), nil
	case int:
		return strconv.AppendInt(b, int64(t), 10), nil
	case int64:
		return strconv.AppendInt(b, t, 10), nil
	case float64:
		if math.IsInf(t, 0) || math.IsNaN(t) {
			return nil, fmt.Errorf("%v is not a JSON number", t)
		}
		return strconv.AppendFloat(b, t, 'f', -1, 64), nil
	case *Document:
		return t.appendJSON(b)
	case []any:
		b = append(b, '[')
		for i, e := range t {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendValue(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case json.RawMessage:
		var buf bytes.Buffer
		if err := json.Compact(&buf, t); err != nil {
			return nil, err
		}
		return append(b, buf.Bytes()...), nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return append(b, bytes.TrimRight(buf.Bytes(), "\n")...), nil
}

// isJSONNumber reports whether s is a number as JSON writes it.
func isJSONNumber(s string) bool {
	if s == "" {
		return false
	}
	if !json.Valid([]byte(s)) {
		return false
	}
	c := s[0]
	return c == '-' || (c >= '0' && c <= '9')
}

func kindName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number, int, int64, float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case *Document, map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
