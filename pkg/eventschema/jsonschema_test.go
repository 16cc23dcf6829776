package eventschema_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/eventschema"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/sample"
)

func catalog(t *testing.T) *events.Catalog {
	t.Helper()
	c, err := events.Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// compile compiles doc with an independent validator, which also checks it against the
// 2020-12 meta-schema; ref picks the schema inside doc ("" for its root).
func compile(t *testing.T, doc *eventschema.Object, ref string) *jsonschema.Schema {
	t.Helper()
	data, err := doc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	const loc = "mem://schema.json"
	if err := c.AddResource(loc, v); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(loc + ref)
	if err != nil {
		t.Fatalf("compile %s: %v", ref, err)
	}
	return s
}

func instance(t *testing.T, payload []byte) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(payload))
	if err != nil {
		t.Fatalf("payload %s: %v", payload, err)
	}
	return v
}

// schemas returns, for every event, its standalone schema and its $defs entry of the
// bundle, compiled.
func schemas(t *testing.T, c *events.Catalog) map[string][2]*jsonschema.Schema {
	t.Helper()
	b := eventschema.NewBuilder(c)
	bundle, err := b.Bundle(c.Events, true)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][2]*jsonschema.Schema{}
	for _, e := range c.Events {
		one, err := b.EventSchema(e)
		if err != nil {
			t.Fatal(err)
		}
		out[e.Type] = [2]*jsonschema.Schema{compile(t, one, ""), compile(t, bundle, "#/$defs/"+e.Type)}
	}
	return out
}

func TestCatalogExamplesValidate(t *testing.T) {
	c := catalog(t)
	all := schemas(t, c)
	bundle, err := eventschema.NewBuilder(c).Bundle(c.Events, true)
	if err != nil {
		t.Fatal(err)
	}
	// The bundle's root accepts a payload of any event, and nothing else.
	root := compile(t, bundle, "")
	if err := root.Validate(instance(t, []byte(`{"name":"a"}`))); err == nil {
		t.Error("the bundle's root accepts a payload of no event")
	}
	for _, e := range c.Events {
		if err := root.Validate(instance(t, e.Example)); err != nil {
			t.Errorf("%s: the bundle's root refuses the example: %v", e.Type, err)
		}
		for i, s := range all[e.Type] {
			if err := s.Validate(instance(t, e.Example)); err != nil {
				t.Errorf("%s (schema %d): the catalog's example fails: %v", e.Type, i, err)
			}
		}
	}
}

func TestFakeSamplesValidate(t *testing.T) {
	c := catalog(t)
	all := schemas(t, c)
	for _, seed := range []uint64{1, 2, 3, 42, 9001} {
		g := sample.NewGenerator(seed)
		// Several participants per generator: the second and later draw new people.
		for round := 0; round < 3; round++ {
			for _, e := range c.Events {
				p, err := g.Fake(e).MarshalJSON()
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range all[e.Type] {
					if err := s.Validate(instance(t, p)); err != nil {
						t.Errorf("%s seed %d: a --fake payload fails: %v\n%s", e.Type, seed, err, p)
					}
				}
			}
		}
	}
}

// mutate returns the event's example with field set to value (or removed when value is
// remove), as JSON.
func mutate(t *testing.T, e *events.Event, path []string, value any) []byte {
	t.Helper()
	var ex map[string]any
	dec := json.NewDecoder(bytes.NewReader(e.Example))
	dec.UseNumber()
	if err := dec.Decode(&ex); err != nil {
		t.Fatal(err)
	}
	obj := ex
	for _, p := range path[:len(path)-1] {
		switch v := obj[p].(type) {
		case []any:
			obj = v[0].(map[string]any)
		case map[string]any:
			obj = v
		}
	}
	last := path[len(path)-1]
	if value == remove {
		delete(obj, last)
	} else {
		obj[last] = value
	}
	out, err := json.Marshal(ex)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type removeMarker struct{}

var remove any = removeMarker{}

func TestBrokenPayloadsFail(t *testing.T) {
	c := catalog(t)
	all := schemas(t, c)
	tests := []struct {
		name  string
		event string
		path  []string
		value any
	}{
		{"missing required field", "course.completed.50", []string{"courseId"}, remove},
		{"missing email", "order.created.failed", []string{"email"}, remove},
		{"phone as a string where it is a number", "course.completed.50", []string{"phone"}, "+91 98"},
		{"phone as a number where it is a string", "webinar.completed.all", []string{"phone"}, 9198},
		{"a number where a string is documented", "user.deleted", []string{"name"}, 12},
		{"null where never null", "subscription.expired", []string{"mangoTitle"}, nil},
		{"null where nullability is not documented", "order.created.completed", []string{"amount"}, nil},
		{"mangoes as an array", "webinar.reminder.all", []string{"mangoes"}, []any{"a", "b"}},
		{"callList item missing a field", "webinar.created.recurring", []string{"callList", "webinarId"}, remove},
		{"callList item field of the wrong type", "webinar.created.single", []string{"callList", "webinarFromTime"}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := c.Lookup(tt.event)
			p := mutate(t, e, tt.path, tt.value)
			for _, s := range all[tt.event] {
				if err := s.Validate(instance(t, p)); err == nil {
					t.Errorf("%s validates:\n%s", tt.event, p)
				}
			}
		})
	}
	for _, body := range []string{`[]`, `"x"`, `null`, `1`} {
		for _, s := range all["course.completed.50"] {
			if err := s.Validate(instance(t, []byte(body))); err == nil {
				t.Errorf("%s validates as a payload", body)
			}
		}
	}
}

func TestQuirksTagMangoSendsValidate(t *testing.T) {
	c := catalog(t)
	all := schemas(t, c)
	tests := []struct {
		name  string
		event string
		path  []string
		value any
	}{
		{"nullable timezone is null", "webinar.reminder.all", []string{"timezone"}, nil},
		{"nullable creatorTimezone is null", "webinar.reminder.all", []string{"creatorTimezone"}, nil},
		{"customFields of unknown type as an object", "order.created.failed", []string{"customFields"}, map[string]any{"size": "L"}},
		{"customFields of unknown type as null", "order.created.failed", []string{"customFields"}, nil},
		{"a creator-defined custom key", "order.recurring.created", []string{"tshirtSize"}, "L"},
		{"an undocumented extra field", "order.created.completed", []string{"dialCode"}, "+91"},
		{"a timestamp to the minute", "course.completed.100", []string{"lastProgressOn"}, "2026-01-02T03:04Z"},
		{"a display date", "subscription.expired", []string{"lastPurchaseDate"}, "14 Jul 2025"},
		{"a decimal amount", "order.created.completed", []string{"amount"}, 49.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := c.Lookup(tt.event)
			p := mutate(t, e, tt.path, tt.value)
			for _, s := range all[tt.event] {
				if err := s.Validate(instance(t, p)); err != nil {
					t.Errorf("%s fails: %v\n%s", tt.event, err, p)
				}
			}
		})
	}
}

// TestAgreesWithChecker gives every field of every event each JSON kind in turn, and
// removes it: the schema must accept exactly what tagmango-hooks' own check (listen's
// warnings) accepts.
func TestAgreesWithChecker(t *testing.T) {
	c := catalog(t)
	m := events.NewMatcher(c)
	all := schemas(t, c)
	values := []any{remove, nil, true, json.Number("7"), "s", []any{}, map[string]any{}}
	for _, e := range c.Events {
		var paths [][]string
		for _, f := range e.Fields {
			if strings.HasPrefix(f.Name, "<") {
				continue
			}
			paths = append(paths, []string{f.Name})
			for _, it := range f.Items {
				paths = append(paths, []string{f.Name, it.Name})
			}
		}
		for _, path := range paths {
			for _, v := range values {
				p := mutate(t, e, path, v)
				warnings := m.Check([]string{e.Type}, events.ParsePayload(p))
				for _, s := range all[e.Type] {
					err := s.Validate(instance(t, p))
					if (err == nil) != (len(warnings) == 0) {
						t.Errorf("%s %s=%v: the checker says %q, the schema says %v", e.Type, strings.Join(path, "."), v, warnings, err)
					}
				}
			}
		}
	}
}

// TestToleratesUnknownCatalogFields: a catalog entry may carry fields that neither the
// catalog nor this package knows (say a future retry_policy); the schemas stay as they
// were.
func TestToleratesUnknownCatalogFields(t *testing.T) {
	raw, err := os.ReadFile("../events/events.json")
	if err != nil {
		t.Fatal(err)
	}
	// Inserted as text: a round trip through a map would reorder the examples.
	extended := bytes.ReplaceAll(raw, []byte(`"category":`), []byte(`"retry_policy": 3, "somethingNew": {"x": [1]}, "category":`))
	if bytes.Equal(extended, raw) {
		t.Fatal("no event to extend")
	}
	c2, err := events.Parse(extended)
	if err != nil {
		t.Fatal(err)
	}
	c := catalog(t)
	want, _ := eventschema.NewBuilder(c).OpenAPI(c.Events, "v")
	got, err := eventschema.NewBuilder(c2).OpenAPI(c2.Events, "v")
	if err != nil {
		t.Fatal(err)
	}
	wj, _ := want.JSON()
	gj, _ := got.JSON()
	if !bytes.Equal(wj, gj) {
		t.Error("unknown catalog fields changed the document")
	}
}

func TestEventSchemaShape(t *testing.T) {
	c := catalog(t)
	b := eventschema.NewBuilder(c)
	get := func(t *testing.T, typ string) map[string]any {
		t.Helper()
		e, _ := c.Lookup(typ)
		s, err := b.EventSchema(e)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := s.JSON()
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	prop := func(m map[string]any, name string) map[string]any {
		return m["properties"].(map[string]any)[name].(map[string]any)
	}

	s := get(t, "webinar.reminder.all")
	if s["$schema"] != eventschema.Dialect || s["$id"] != eventschema.BaseURL+"events/webinar.reminder.all.schema.json" || s["title"] != "webinar.reminder.all" {
		t.Errorf("header: %v %v %v", s["$schema"], s["$id"], s["title"])
	}
	if tz := prop(s, "timezone")["type"]; !equalJSON(tz, []any{"string", "null"}) {
		t.Errorf("nullable timezone: type %v", tz)
	}
	if got := prop(s, "phone"); got["type"] != "string" || !strings.Contains(got["description"].(string), "as a number") {
		t.Errorf("phone: %v", got)
	}
	if got := prop(s, "mangoes"); got["type"] != "string" || !strings.Contains(got["description"].(string), "', '") {
		t.Errorf("mangoes: %v", got)
	}
	if s[eventschema.FieldsStatusKeyword] != "complete" || len(s["required"].([]any)) != 12 || len(s["examples"].([]any)) != 1 {
		t.Errorf("status %v, required %v", s[eventschema.FieldsStatusKeyword], s["required"])
	}

	s = get(t, "webinar.reminder.1day")
	if s[eventschema.FieldsStatusKeyword] != "inferred_from:webinar.reminder.all" ||
		!strings.Contains(s["description"].(string), "inferred") ||
		prop(s, "name")[eventschema.TypeSourceKeyword] != "inferred from webinar.reminder.all" ||
		!strings.Contains(prop(s, "name")["description"].(string), "Inferred from webinar.reminder.all") {
		t.Errorf("inferred event: %v", s)
	}

	s = get(t, "order.created.failed")
	if _, typed := prop(s, "customFields")["type"]; typed {
		t.Errorf("customFields of unknown type has a type: %v", prop(s, "customFields"))
	}
	if prop(s, "orderId")[eventschema.TypeSourceKeyword] != "example" || prop(s, "email")[eventschema.TypeSourceKeyword] != nil {
		t.Errorf("type sources: %v %v", prop(s, "orderId"), prop(s, "email"))
	}

	s = get(t, "order.recurring.created")
	if _, ok := s["properties"].(map[string]any)["<custom field keys>"]; ok || s["additionalProperties"] == nil {
		t.Errorf("custom keys: %v", s["additionalProperties"])
	}

	bundle, _ := b.Bundle(c.Events, true)
	if data, _ := bundle.JSON(); bytes.Contains(data, []byte(`"format"`)) {
		t.Error("a format in the JSON Schema: strict validators refuse OpenAPI's")
	}

	s = get(t, "course.completed")
	if s["deprecated"] != true || !strings.Contains(s["description"].(string), "use course.completed.100") {
		t.Errorf("deprecated: %v %v", s["deprecated"], s["description"])
	}
	if d := prop(s, "lastProgressOn")["description"].(string); !strings.Contains(d, "no date-time format") {
		t.Errorf("minute timestamp: %s", d)
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}
