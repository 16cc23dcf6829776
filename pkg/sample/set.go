package sample

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
)

// UnknownFieldError is returned by Set for a field the event does not document.
type UnknownFieldError struct {
	Event string
	// Path is the field as given; Suggestion the closest documented field, or "".
	Path       string
	Suggestion string
}

func (e *UnknownFieldError) Error() string {
	msg := fmt.Sprintf("%s has no field %q", e.Event, e.Path)
	if e.Suggestion != "" {
		msg += fmt.Sprintf("; did you mean %q?", e.Suggestion)
	}
	return msg
}

// Set applies one `field=value` assignment (dotted paths into nested objects,
// `callList.0.webinar` for array items), converting value to the field's catalog type
// (number, string, boolean, null, or JSON literal for arrays/objects); unknown fields
// are added as strings only when force is true, else an error naming the closest
// field. Errors are plain and user-facing.
//
// The value `null` sets JSON null whatever the type; a string field given a quoted JSON
// string (`name="null"`) gets its content. A field the catalog does not type but the
// payload has keeps its JSON kind. The creator-defined keys of order.recurring.created
// are accepted as strings without force.
func Set(p *Document, e *events.Event, assignment string, force bool) error {
	path, value, ok := strings.Cut(assignment, "=")
	path = strings.TrimSpace(path)
	if !ok || path == "" {
		return fmt.Errorf("%q is not field=value", assignment)
	}
	segs := splitPath(path)
	if len(segs) == 0 {
		return fmt.Errorf("%q is not field=value", assignment)
	}
	// The messages below quote the path as typed: it must hold no character that
	// could break the line or drive the terminal. No payload key has one.
	if !utf8.ValidString(path) || strings.ContainsFunc(path, unprintable) {
		return fmt.Errorf("%q is not a field name: it holds control or invalid characters", path)
	}
	var (
		container any = p
		fields        = e.Fields
		known         = true // fields describes this level
		where         = ""   // the path walked so far, for messages
	)
	for i, seg := range segs {
		last := i == len(segs)-1
		switch c := container.(type) {
		case *Document:
			f := findField(fields, seg)
			name := joinPath(where, seg)
			cur, exists := c.lookup(seg)
			if last {
				var v any
				var err error
				switch {
				case f != nil:
					v, err = convert(f.Type, value)
				case exists:
					v, err = convertLike(cur, value)
				case known && hasPseudoField(fields), force:
					v = value
				default:
					return &UnknownFieldError{Event: e.Type, Path: path, Suggestion: suggestField(fields, c, seg, where)}
				}
				if err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
				c.put(seg, v)
				return nil
			}
			if !exists {
				if f == nil && !force {
					return &UnknownFieldError{Event: e.Type, Path: path, Suggestion: suggestField(fields, c, seg, where)}
				}
				return fmt.Errorf("%s is not in the payload, so %s cannot be set; set %s to a JSON value first", name, path, name)
			}
			container, where = cur, name
			if f != nil {
				fields, known = f.Items, len(f.Items) > 0
			} else {
				fields, known = nil, false
			}
		case []any:
			idx, err := strconv.Atoi(seg)
			if err != nil {
				return fmt.Errorf("%s is an array: name an item by its index, as in %s.0.%s", where, where, seg)
			}
			if idx < 0 || idx >= len(c) {
				if len(c) == 0 {
					return fmt.Errorf("%s has no items", where)
				}
				return fmt.Errorf("%s has %d items: use an index from 0 to %d", where, len(c), len(c)-1)
			}
			name := where + "." + seg
			if last {
				v, err := convertLike(c[idx], value)
				if err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
				c[idx] = v
				return nil
			}
			container, where = c[idx], name
		default:
			return fmt.Errorf("%s is %s, not an object or array, so %s cannot be set", where, kindName(c), path)
		}
	}
	return nil
}

// unprintable reports control and format characters (C0, DEL, C1, bidirectional
// overrides, zero-width marks).
func unprintable(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }

func joinPath(where, seg string) string {
	if where == "" {
		return seg
	}
	return where + "." + seg
}

func findField(fields []events.Field, name string) *events.Field {
	for i := range fields {
		if fields[i].Name == name {
			return &fields[i]
		}
	}
	return nil
}

func hasPseudoField(fields []events.Field) bool {
	return slices.ContainsFunc(fields, func(f events.Field) bool { return f.IsPseudo() })
}

// convert turns value into the catalog type typ.
func convert(typ, value string) (any, error) {
	if value == "null" {
		return nil, nil
	}
	switch typ {
	case "string":
		if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
			var s string
			if json.Unmarshal([]byte(value), &s) == nil {
				return s, nil
			}
		}
		return value, nil
	case "number":
		v := strings.TrimSpace(value)
		if nonFiniteWord(v) {
			return nil, fmt.Errorf("%q is not a finite number: JSON has no NaN or Infinity (the field is a number)", value)
		}
		if !isJSONNumber(v) {
			return nil, fmt.Errorf("%q is not a number (the field is a number)", value)
		}
		if err := finite(json.Number(v)); err != nil {
			return nil, err
		}
		return json.Number(v), nil
	case "boolean":
		b, err := strconv.ParseBool(strings.TrimSpace(value))
		if err != nil {
			return nil, fmt.Errorf("%q is not a boolean: use true or false", value)
		}
		return b, nil
	case "array", "object":
		v, err := parseValue([]byte(value))
		if err != nil {
			return nil, fmt.Errorf("the field is an %s: give it as JSON, e.g. %s", typ, map[string]string{"array": "'[]'", "object": "'{}'"}[typ])
		}
		if got := kindName(v); got != "an "+typ && v != nil {
			return nil, fmt.Errorf("the field is an %s; the value is %s", typ, got)
		}
		if err := finite(v); err != nil {
			return nil, err
		}
		return v, nil
	}
	// Types the catalog leaves open ("any", "unknown (null in example)"): JSON when it
	// is JSON, else the text.
	if v, err := parseValue([]byte(value)); err == nil {
		if err := finite(v); err != nil {
			return nil, err
		}
		return v, nil
	}
	return value, nil
}

// nonFiniteWord reports the words other languages print for non-finite numbers.
func nonFiniteWord(s string) bool {
	switch strings.ToLower(strings.TrimLeft(s, "+-")) {
	case "nan", "inf", "infinity":
		return true
	}
	return false
}

// finite refuses a number, anywhere in v, too large for a float64: JSON allows
// 1e999, but JavaScript reads it as Infinity and Go's decoder refuses it, so a
// handler would see a value TagMango never sends.
func finite(v any) error {
	switch x := v.(type) {
	case json.Number:
		if f, err := strconv.ParseFloat(string(x), 64); err != nil && math.IsInf(f, 0) {
			return fmt.Errorf("%s is out of range: a number must be finite (at most about 1.8e308)", x)
		}
	case []any:
		for _, item := range x {
			if err := finite(item); err != nil {
				return err
			}
		}
	case *Document:
		for _, k := range x.keys {
			if err := finite(x.vals[k]); err != nil {
				return err
			}
		}
	case map[string]any:
		for _, item := range x {
			if err := finite(item); err != nil {
				return err
			}
		}
	}
	return nil
}

// convertLike converts value to the JSON kind of cur, the value it replaces.
func convertLike(cur any, value string) (any, error) {
	switch cur.(type) {
	case string:
		return convert("string", value)
	case json.Number, float64, int, int64:
		return convert("number", value)
	case bool:
		return convert("boolean", value)
	case []any:
		return convert("array", value)
	case *Document, map[string]any:
		return convert("object", value)
	}
	return convert("any", value)
}

// suggestField names the documented (or present) field closest to name.
func suggestField(fields []events.Field, p *Document, name, where string) string {
	var names []string
	for _, f := range fields {
		if !f.IsPseudo() {
			names = append(names, f.Name)
		}
	}
	names = append(names, p.keys...)
	best := events.Closest(name, names)
	if best == "" {
		return ""
	}
	return joinPath(where, best)
}

// IsUnknownField reports whether err is an UnknownFieldError.
func IsUnknownField(err error) bool {
	var u *UnknownFieldError
	return errors.As(err, &u)
}

// FieldPath is a field of an event as Set names it, for completion.
type FieldPath struct {
	// Path is what Set takes before "=": "name", "callList.0.webinar".
	Path string
	// Type is the catalog's type of the field.
	Type string
}

// FieldPaths lists the fields Set can change in e's payloads, in catalog order: each
// documented field, and under an array of objects its items' fields by the first
// index (callList.0.webinar), under an object its own (a.b).
func FieldPaths(e *events.Event) []FieldPath {
	var out []FieldPath
	var walk func(prefix string, fields []events.Field)
	walk = func(prefix string, fields []events.Field) {
		for _, f := range fields {
			if f.IsPseudo() {
				continue
			}
			path := joinPath(prefix, f.Name)
			out = append(out, FieldPath{Path: path, Type: f.Type})
			if len(f.Items) == 0 {
				continue
			}
			if f.Type == "array" {
				walk(path+".0", f.Items)
			} else {
				walk(path, f.Items)
			}
		}
	}
	walk("", e.Fields)
	return out
}
