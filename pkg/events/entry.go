package events

import "encoding/json"

// CatalogEntry is the JSON shape of an event in `events -o json` (an array of them) and
// `events show TYPE -o json` (one, with Fields, Example, Notes and Source).
type CatalogEntry struct {
	Type     string   `json:"type"`
	Category string   `json:"category"`
	Filters  []string `json:"filters"`
	Trigger  string   `json:"trigger"`
	Delivery string   `json:"delivery"`
	// FieldsStatus is the catalog's word: "complete", "partial_schema",
	// "example_only" or "inferred_from:<event>".
	FieldsStatus string `json:"fieldsStatus"`
	Deprecated   bool   `json:"deprecated"`
	// Replacement is the event to use instead of a deprecated one.
	Replacement string          `json:"replacement,omitempty"`
	Fields      []FieldEntry    `json:"fields,omitempty"`
	Example     json.RawMessage `json:"example,omitempty"`
	Notes       []string        `json:"notes,omitempty"`
	Source      string          `json:"source,omitempty"`
}

// FieldEntry is one field of a CatalogEntry.
type FieldEntry struct {
	Name string `json:"name"`
	Type string `json:"type"`
	// Nullable is null when the docs do not say.
	Nullable *bool `json:"nullable"`
	// TypeSource is "schema" (documented) or "example" (inferred from the example).
	TypeSource  string       `json:"typeSource,omitempty"`
	Description string       `json:"description"`
	Items       []FieldEntry `json:"items,omitempty"`
}

// Entry returns the event as a catalog entry; withSchema adds its fields, example,
// notes and source.
func (e *Event) Entry(withSchema bool) CatalogEntry {
	ce := CatalogEntry{
		Type:         e.Type,
		Category:     e.Category,
		Filters:      append([]string{}, e.Filters...),
		Trigger:      e.Trigger,
		Delivery:     e.Delivery,
		FieldsStatus: e.FieldsStatus,
		Deprecated:   e.Deprecated,
		Replacement:  e.Replacement(),
	}
	if withSchema {
		ce.Fields = fieldEntries(e.Fields)
		if ce.Fields == nil {
			ce.Fields = []FieldEntry{}
		}
		ce.Example = e.Example
		ce.Notes = append([]string{}, e.Notes...)
		ce.Source = e.Source
	}
	return ce
}

func fieldEntries(fields []Field) []FieldEntry {
	var out []FieldEntry
	for _, f := range fields {
		out = append(out, FieldEntry{
			Name:        f.Name,
			Type:        f.Type,
			Nullable:    f.Nullable,
			TypeSource:  f.TypeSource,
			Description: f.Description,
			Items:       fieldEntries(f.Items),
		})
	}
	return out
}
