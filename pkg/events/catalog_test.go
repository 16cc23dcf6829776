package events

import "testing"

// TestFieldsNote: each fields status has its sentence, and the event an inferred one is
// copied from is named without the status's prefix.
func TestFieldsNote(t *testing.T) {
	tests := []struct {
		status, from, note string
	}{
		{"complete", "", "documented by TagMango"},
		{"partial_schema", "", "partly documented: TagMango's schema is cut off, the remaining types are inferred from the example"},
		{"example_only", "", "example only: TagMango documents no schema, every type is inferred from the example"},
		{"inferred_from:webinar.reminder.all", "webinar.reminder.all", "inferred: TagMango's page shows no payload, the fields are copied from webinar.reminder.all"},
		{"not_retrieved", "", "not_retrieved"},
	}
	for _, tt := range tests {
		e := &Event{FieldsStatus: tt.status}
		if got := e.InferredFrom(); got != tt.from {
			t.Errorf("%s: InferredFrom() = %q, want %q", tt.status, got, tt.from)
		}
		if got := e.FieldsNote(); got != tt.note {
			t.Errorf("%s: FieldsNote() = %q, want %q", tt.status, got, tt.note)
		}
	}
}
