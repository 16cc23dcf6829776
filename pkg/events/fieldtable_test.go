package events

import (
	"slices"
	"strings"
	"testing"
)

func TestFieldTable(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	m := NewMatcher(c)
	// course.completed.50 documents name, email, phone, course, courseId, lastProgressOn.
	p := ParsePayload([]byte(`{"name":"A","email":7,"phone":1,"course":"C","lastProgressOn":"x","extra":true}`))
	rows := m.FieldTable([]string{"course.completed.50"}, p)
	byField := map[string]FieldCheck{}
	var order []string
	for _, r := range rows {
		byField[r.Field] = r
		order = append(order, r.Field)
	}
	if got := byField["name"]; got.Result != FieldOK || got.Got != "string" || got.Expected == "" {
		t.Errorf("name: %+v", got)
	}
	if got := byField["email"]; got.Result != FieldWrongType || got.Got != "number" {
		t.Errorf("email: %+v", got)
	}
	if got := byField["courseId"]; got.Result != FieldMissing || got.Got != "" {
		t.Errorf("courseId: %+v", got)
	}
	if got := byField["extra"]; got.Result != FieldUndocumented || got.Expected != "" || got.Got != "boolean" {
		t.Errorf("extra: %+v", got)
	}
	if order[len(order)-1] != "extra" {
		t.Errorf("undocumented members come last: %v", order)
	}
	// The table agrees with Check on what is wrong.
	for _, w := range m.Check([]string{"course.completed.50"}, p) {
		if !slices.ContainsFunc(rows, func(r FieldCheck) bool {
			return r.Result != FieldOK && r.Result != FieldUndocumented && strings.Contains(w, `"`+r.Field+`"`)
		}) {
			t.Errorf("warning %q has no row", w)
		}
	}
	if m.FieldTable(nil, p) != nil || m.FieldTable([]string{"course.completed.50"}, ParsePayload([]byte(`[1]`))) != nil {
		t.Error("no schema or no object: no table")
	}
}

func TestFieldTableArrayItems(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	m := NewMatcher(c)
	for _, e := range c.Events {
		for _, f := range e.Fields {
			if len(f.Items) == 0 {
				continue
			}
			p := ParsePayload(e.Example)
			rows := m.FieldTable([]string{e.Type}, p)
			if !slices.ContainsFunc(rows, func(r FieldCheck) bool { return strings.HasPrefix(r.Field, f.Name+"[") }) {
				t.Errorf("%s: no rows for the items of %s: %+v", e.Type, f.Name, rows)
			}
			return
		}
	}
	t.Skip("no event with array items")
}
