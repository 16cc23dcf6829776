package eventschema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/jsonscan"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/safetext"
	"go.yaml.in/yaml/v3"
)

// Object is a JSON object whose members keep the order they were set in, so that the
// JSON and the YAML of a document list them alike and every run writes the same bytes.
// Its values are nil, bool, string, int, json.Number, []any, []string or *Object.
type Object struct {
	keys []string
	vals map[string]any
}

// NewObject returns an empty object.
func NewObject() *Object { return &Object{vals: map[string]any{}} }

// Set adds key with value v, or replaces the value of an existing key in place, and
// returns o for chaining.
func (o *Object) Set(key string, v any) *Object {
	if _, ok := o.vals[key]; !ok {
		o.keys = append(o.keys, key)
	}
	o.vals[key] = v
	return o
}

// Keys lists the keys in order.
func (o *Object) Keys() []string { return append([]string(nil), o.keys...) }

// MarshalJSON writes o compactly, members in order, without HTML escaping.
func (o *Object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	if err := writeJSON(&b, o); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// JSON returns o indented by two spaces, with a final newline.
func (o *Object) JSON() ([]byte, error) {
	compact, err := o.MarshalJSON()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := json.Indent(&b, compact, "", "  "); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// YAML returns o as YAML with its members in the same order as JSON.
func (o *Object) YAML() ([]byte, error) {
	n, err := yamlNode(o)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func writeJSON(b *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if v {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case int:
		fmt.Fprint(b, v)
	case json.Number:
		b.WriteString(v.String())
	case string:
		writeString(b, v)
	case []string:
		b.WriteByte('[')
		for i, s := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, s)
		}
		b.WriteByte(']')
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeJSON(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case *Object:
		b.WriteByte('{')
		for i, k := range v.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, k)
			b.WriteByte(':')
			if err := writeJSON(b, v.vals[k]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	default:
		return fmt.Errorf("eventschema: cannot write a %T", v)
	}
	return nil
}

// writeString writes s as a JSON string, "<" and "&" as they are: the catalog's text,
// which docs/schema shows to people.
func writeString(b *bytes.Buffer, s string) {
	b.Write(safetext.AppendPlainJSONString(b.AvailableBuffer(), s))
}

func yamlNode(v any) (*yaml.Node, error) {
	scalar := func(tag, value string) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
	}
	switch v := v.(type) {
	case nil:
		return scalar("!!null", "null"), nil
	case bool:
		return scalar("!!bool", fmt.Sprint(v)), nil
	case int:
		return scalar("!!int", fmt.Sprint(v)), nil
	case json.Number:
		if _, err := v.Int64(); err == nil {
			return scalar("!!int", v.String()), nil
		}
		return scalar("!!float", v.String()), nil
	case string:
		n := scalar("!!str", v)
		if strings.Contains(v, "\n") {
			n.Style = yaml.LiteralStyle
		}
		return n, nil
	case []string:
		seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, s := range v {
			seq.Content = append(seq.Content, scalar("!!str", s))
		}
		return seq, nil
	case []any:
		seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, e := range v {
			n, err := yamlNode(e)
			if err != nil {
				return nil, err
			}
			seq.Content = append(seq.Content, n)
		}
		return seq, nil
	case *Object:
		m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, k := range v.keys {
			n, err := yamlNode(v.vals[k])
			if err != nil {
				return nil, err
			}
			m.Content = append(m.Content, scalar("!!str", k), n)
		}
		return m, nil
	}
	return nil, fmt.Errorf("eventschema: cannot write a %T", v)
}

// decodeOrdered reads a JSON value, keeping the order of object members and the
// literal text of numbers.
func decodeOrdered(data []byte) (any, error) {
	return jsonscan.DecodeOrdered(data, NewObject, func(o *Object, key string, v any) { o.Set(key, v) })
}
