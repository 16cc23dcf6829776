package eventschema_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/eventschema"
)

// jsonShape flattens a JSON document into "path=value" lines in document order, keys
// included, so that two documents compare equal only with the same keys in the same
// order.
func jsonShape(t *testing.T, data []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out []string
	var walk func(path string) error
	walk = func(path string) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				if err := walk(path + "/" + k.(string)); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				if err := walk(fmt.Sprintf("%s/%d", path, i)); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		}
		out = append(out, fmt.Sprintf("%s=%v", path, tok))
		return nil
	}
	if err := walk(""); err != nil {
		t.Fatal(err)
	}
	return out
}

func yamlShape(t *testing.T, data []byte) []string {
	t.Helper()
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode:
			walk(n.Content[0], path)
		case yaml.MappingNode:
			for i := 0; i < len(n.Content); i += 2 {
				walk(n.Content[i+1], path+"/"+n.Content[i].Value)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, fmt.Sprintf("%s/%d", path, i))
			}
		default:
			var v any
			if err := n.Decode(&v); err != nil {
				t.Fatal(err)
			}
			if v == nil {
				v = "<nil>"
			}
			out = append(out, fmt.Sprintf("%s=%v", path, v))
		}
	}
	walk(&root, "")
	return out
}

func TestYAMLHasTheJSONOrderAndValues(t *testing.T) {
	c := catalog(t)
	b := eventschema.NewBuilder(c)
	openapi, err := b.OpenAPI(c.Events, "1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := b.Bundle(c.Events, true)
	if err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string]*eventschema.Object{"openapi": openapi, "bundle": bundle} {
		j, err := doc.JSON()
		if err != nil {
			t.Fatal(err)
		}
		y, err := doc.YAML()
		if err != nil {
			t.Fatal(err)
		}
		js, ys := jsonShape(t, j), yamlShape(t, y)
		if len(js) != len(ys) {
			t.Fatalf("%s: %d JSON values, %d YAML values", name, len(js), len(ys))
		}
		for i := range js {
			if js[i] != ys[i] {
				t.Fatalf("%s: value %d differs:\nJSON %s\nYAML %s", name, i, js[i], ys[i])
			}
		}
	}
}

func TestOutputIsDeterministic(t *testing.T) {
	c := catalog(t)
	render := func() []byte {
		b := eventschema.NewBuilder(c)
		var all []byte
		o, err := b.OpenAPI(c.Events, "1.2.3")
		if err != nil {
			t.Fatal(err)
		}
		bu, err := b.Bundle(c.Events, true)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range []*eventschema.Object{o, bu} {
			j, _ := d.JSON()
			y, _ := d.YAML()
			all = append(append(all, j...), y...)
		}
		return all
	}
	first := render()
	for i := 0; i < 5; i++ {
		if !bytes.Equal(first, render()) {
			t.Fatal("two runs give different bytes")
		}
	}
	// No clock: every timestamp in the output is one of the catalog's examples'.
	for _, m := range regexp.MustCompile(`20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]*Z`).FindAll(first, -1) {
		if !bytes.Contains(catalogJSON(t), m) {
			t.Errorf("a timestamp not from the catalog: %s", m)
		}
	}
}

func catalogJSON(t *testing.T) []byte {
	t.Helper()
	var all []byte
	for _, e := range catalog(t).Events {
		all = append(all, e.Example...)
	}
	return all
}

func TestObjectKeepsInsertionOrder(t *testing.T) {
	o := eventschema.NewObject().Set("z", 1).Set("a", "<&>").Set("m", []string{"x"})
	o.Set("z", 2)
	j, err := o.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if string(j) != `{"z":2,"a":"<&>","m":["x"]}` {
		t.Errorf("JSON %s", j)
	}
	y, _ := o.YAML()
	if string(y) != "z: 2\na: <&>\nm:\n  - x\n" {
		t.Errorf("YAML %q", y)
	}
	// A string that reads as another type in YAML stays a string.
	y, _ = eventschema.NewObject().Set("200", "true").Set("v", "1.0").YAML()
	if string(y) != "\"200\": \"true\"\nv: \"1.0\"\n" {
		t.Errorf("YAML %q", y)
	}
}

// Strings are written as encoding/json writes them, HTML characters kept: quotes,
// backslashes, controls and U+2028 escaped, invalid UTF-8 as U+FFFD.
func TestObjectStringsAreJSON(t *testing.T) {
	for _, s := range []string{"plain", `q"b\s`, "a\nb\tc\r\x01\x7f", "\u2028\u2029", "bad \xff utf-8", "<&> ₹ 😀"} {
		j, err := eventschema.NewObject().Set(s, s).MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		enc, _ := json.Marshal(map[string]string{s: s})
		want := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(enc))
		if string(j) != want {
			t.Errorf("%q: JSON %s, want %s", s, j, want)
		}
	}
}
