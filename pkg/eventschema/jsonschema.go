// Package eventschema publishes the event catalog in the formats other tools read: a
// JSON Schema 2020-12 schema per event, and an OpenAPI 3.1 document with the
// register/delete API under paths and every event under webhooks. The schemas say
// what tagmango-hooks' own checks say (pkg/events Check): every documented field is
// required, with the documented JSON type; null only where the catalog says nullable;
// open types ("any", "unknown (null in example)") accept anything; undocumented extra
// members are allowed, as TagMango adds some.
//
// Documents are built as ordered Objects, so the same catalog always gives the same
// bytes: keyword order is fixed, properties follow the payload's (catalog) order, and
// maps whose order is free ($defs, webhooks, components, responses) are sorted.
package eventschema

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/jsonscan"
)

// Dialect is the JSON Schema version of every schema.
const Dialect = "https://json-schema.org/draft/2020-12/schema"

// BaseURL is where the published schemas live (docs/schema/ on the main branch): the
// $id of the bundle is BaseURL+BundleFile, that of each event
// BaseURL+EventFile(type).
const BaseURL = "https://raw.githubusercontent.com/tagmango-hooks/tagmango-hooks/main/docs/schema/"

// The published files, relative to docs/schema/.
const (
	BundleFile  = "events.schema.json"
	OpenAPIFile = "tagmango-webhooks.openapi.yaml"
)

// EventFile is the published schema file of one event, relative to docs/schema/.
func EventFile(eventType string) string { return "events/" + eventType + ".schema.json" }

// FieldsStatusKeyword is the annotation carrying the catalog's fields_status
// ("complete", "partial_schema", "example_only", "inferred_from:<event>") on each
// event schema; TypeSourceKeyword carries a field's type_source where the type is not
// TagMango's documented one.
const (
	FieldsStatusKeyword = "x-tagmango-fields-status"
	TypeSourceKeyword   = "x-tagmango-type-source"
)

// target is the document a schema goes into.
type target int

const (
	// jsonSchema: a standalone schema or a $defs entry, with its $id.
	jsonSchema target = iota
	// openAPI: a components/schemas entry: no $id, and OpenAPI's number format.
	openAPI
)

// Builder makes schemas from one catalog; catalog-wide facts (which events type phone
// as a string) go into the descriptions of each event.
type Builder struct {
	catalog *events.Catalog
	// phoneTypes maps a catalog type of "phone" to the events that use it.
	phoneTypes map[string][]string
}

// NewBuilder prepares c.
func NewBuilder(c *events.Catalog) *Builder {
	b := &Builder{catalog: c, phoneTypes: map[string][]string{}}
	for _, e := range c.Events {
		for _, f := range e.Fields {
			if f.Name == "phone" {
				b.phoneTypes[f.Type] = append(b.phoneTypes[f.Type], e.Type)
			}
		}
	}
	return b
}

// EventSchema is the standalone schema of e: $schema, $id, title, description, the
// properties with their types, required, and the catalog's example under examples.
func (b *Builder) EventSchema(e *events.Event) (*Object, error) {
	s := NewObject().Set("$schema", Dialect)
	return b.eventSchema(s, e, jsonSchema)
}

// Bundle is one schema document holding the events under $defs, keyed by event type
// and sorted; the root accepts a payload of any of them (anyOf). withID gives the
// root the published bundle's $id; leave it out for a selection of events.
func (b *Builder) Bundle(evs []*events.Event, withID bool) (*Object, error) {
	doc := NewObject().Set("$schema", Dialect)
	if withID {
		doc.Set("$id", BaseURL+BundleFile)
	}
	doc.Set("title", "TagMango webhook payloads")
	doc.Set("description", "The payloads TagMango POSTs to a registered hookUrl, one schema per event under $defs (keyed by event type). "+
		"TagMango sends the bare payload with no event name: register one hookUrl per event (or match the payload's shape) to know which schema applies. "+
		"The root accepts a payload of any of these events.")
	defs := NewObject()
	var refs []any
	for _, e := range sortedEvents(evs) {
		s, err := b.eventSchema(NewObject(), e, jsonSchema)
		if err != nil {
			return nil, err
		}
		defs.Set(e.Type, s)
		refs = append(refs, NewObject().Set("$ref", "#/$defs/"+e.Type))
	}
	doc.Set("anyOf", refs)
	doc.Set("$defs", defs)
	return doc, nil
}

// sortedEvents returns evs by type, without repeats.
func sortedEvents(evs []*events.Event) []*events.Event {
	out := append([]*events.Event(nil), evs...)
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return slices.CompactFunc(out, func(a, b *events.Event) bool { return a.Type == b.Type })
}

func (b *Builder) eventSchema(s *Object, e *events.Event, to target) (*Object, error) {
	if to == jsonSchema {
		s.Set("$id", BaseURL+EventFile(e.Type))
	}
	s.Set("title", e.Type)
	s.Set("description", eventDescription(e))
	if e.Deprecated {
		s.Set("deprecated", true)
	}
	s.Set("type", "object")
	var example *Object
	if len(e.Example) > 0 {
		ex, err := decodeOrdered(e.Example)
		if err != nil {
			return nil, fmt.Errorf("the example of %s: %w", e.Type, err)
		}
		example, _ = ex.(*Object)
	}
	props, required, custom := b.properties(e.Fields, example, to)
	s.Set("properties", props)
	s.Set("required", required)
	if custom != "" {
		// Creator-defined keys: say so explicitly, which also makes generators add a
		// map for them.
		s.Set("additionalProperties", NewObject().Set("description", custom))
	}
	s.Set(FieldsStatusKeyword, e.FieldsStatus)
	if example != nil {
		s.Set("examples", []any{example})
	}
	return s, nil
}

func eventDescription(e *events.Event) string {
	var d strings.Builder
	d.WriteString(e.Trigger)
	if note := e.DeprecationNote(); note != "" {
		fmt.Fprintf(&d, "\n\nDeprecated: %s.", note)
	}
	fmt.Fprintf(&d, "\n\nDelivery: %s", e.Delivery)
	if f := e.Filter(); f != "" {
		fmt.Fprintf(&d, "\nFilter: register with %q (tagmango-hooks register --%s ID) to get one %s's events only.", f, f, f)
	} else {
		d.WriteString("\nFilter: none.")
	}
	fmt.Fprintf(&d, "\nFields: %s (%s: %s).", e.FieldsNote(), FieldsStatusKeyword, e.FieldsStatus)
	for _, n := range e.Notes {
		fmt.Fprintf(&d, "\nNote: %s", n)
	}
	if e.Source != "" {
		fmt.Fprintf(&d, "\nSource: %s", e.Source)
	}
	return d.String()
}

// properties builds the properties and required list of fields, whose values in the
// example are in example (nil for array items); custom is the description of
// creator-defined keys when the catalog has a "<...>" pseudo-field.
func (b *Builder) properties(fields []events.Field, example *Object, to target) (props *Object, required []string, custom string) {
	props = NewObject()
	required = []string{}
	for _, f := range fields {
		if f.IsPseudo() {
			custom = f.Description
			continue
		}
		var exv any
		if example != nil {
			exv = example.vals[f.Name]
		}
		props.Set(f.Name, b.fieldSchema(f, exv, to))
		required = append(required, f.Name)
	}
	return props, required, custom
}

func (b *Builder) fieldSchema(f events.Field, example any, to target) *Object {
	s := NewObject()
	t := jsonTypes(f)
	if t != nil {
		if len(t) == 1 {
			s.Set("type", t[0])
		} else {
			s.Set("type", t)
		}
	}
	if to == openAPI && slices.Contains(t, "number") {
		// OpenAPI's own format for a JSON number: without it generators pick float32
		// (oapi-codegen), which cannot hold a 10-digit phone number. JSON Schema has no
		// such format (and strict validators refuse unknown ones), so only here.
		s.Set("format", "double")
	}
	s.Set("description", b.fieldDescription(f, example))
	if len(f.Items) > 0 {
		props, required, custom := b.properties(f.Items, nil, to)
		items := NewObject().Set("type", "object").Set("properties", props).Set("required", required)
		if custom != "" {
			items.Set("additionalProperties", NewObject().Set("description", custom))
		}
		s.Set("items", items)
	}
	if f.TypeSource != "" && f.TypeSource != "schema" {
		s.Set(TypeSourceKeyword, f.TypeSource)
	}
	return s
}

// jsonTypes gives a field's JSON Schema types: the kinds its catalog type allows as the
// checker reads them (events.TypeKinds), nil for no type constraint, and null added
// only where the catalog says nullable: true.
func jsonTypes(f events.Field) []string {
	kinds := events.TypeKinds(f.Type)
	if kinds == nil {
		return nil
	}
	out := make([]string, 0, len(kinds)+1)
	for _, k := range kinds {
		out = append(out, schemaType(k))
	}
	if f.Nullable != nil && *f.Nullable && !slices.Contains(kinds, jsonscan.KindNull) {
		out = append(out, "null")
	}
	return out
}

// schemaType names a JSON kind as JSON Schema's "type" keyword does.
func schemaType(k jsonscan.Kind) string {
	switch k {
	case jsonscan.KindNull:
		return "null"
	case jsonscan.KindBool:
		return "boolean"
	case jsonscan.KindNumber:
		return "number"
	case jsonscan.KindString:
		return "string"
	case jsonscan.KindArray:
		return "array"
	case jsonscan.KindObject:
		return "object"
	}
	panic(fmt.Sprintf("eventschema: no JSON Schema type for kind %d", k))
}

var minuteTimestamp = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\dZ$`)

// fieldDescription is the catalog's description with what a reader of the schema
// needs besides: where an inferred type comes from, and TagMango's quirks.
func (b *Builder) fieldDescription(f events.Field, example any) string {
	d := strings.TrimSpace(f.Description)
	add := func(s string) {
		if d != "" && !strings.HasSuffix(d, ".") {
			d += "."
		}
		if d != "" {
			d += " "
		}
		d += s
	}
	switch src := f.TypeSource; {
	case src == "" || src == "schema":
	case src == "example":
		add("Type inferred from the example.")
	case strings.HasPrefix(src, "inferred from "):
		add("Inferred from " + strings.TrimPrefix(src, "inferred from ") + ": TagMango shows no payload for this event.")
	default:
		add("Type source: " + src + ".")
	}
	if f.Name == "phone" && len(b.phoneTypes) > 1 {
		add(b.phoneNote(f.Type))
	}
	if ex, _ := example.(string); minuteTimestamp.MatchString(ex) {
		add("Written to the minute without seconds (" + ex + "), which RFC 3339 does not allow, so no date-time format is asserted; other events use milliseconds.")
	}
	return d
}

// phoneNote explains the phone quirk: TagMango's pages type it per event.
func (b *Builder) phoneNote(typ string) string {
	var others []string
	n := 0
	for t, evs := range b.phoneTypes {
		if t != typ {
			others = append(others, evs...)
			n++
		}
	}
	sort.Strings(others)
	where := "in " + strings.Join(others, ", ")
	if len(others) > 4 {
		where = fmt.Sprintf("in the %d other events", len(others))
	}
	kind := "the other type"
	if n == 1 {
		for t := range b.phoneTypes {
			if t != typ {
				kind = "a " + t
			}
		}
	}
	return fmt.Sprintf("Phone quirk: TagMango sends phone as a JSON %s here but as %s %s; each schema follows its event's documented payload, "+
		"so a handler shared by several events should accept both.", typ, kind, where)
}
