package receiver

import (
	"net/http"
	"slices"
	"testing"
)

func TestDeliveryDetect(t *testing.T) {
	m := testMatcher(t)
	tests := []struct {
		name     string
		d        Delivery
		event    string
		byPath   bool
		isJSON   bool
		warnings []string
	}{
		{name: "by the body", d: Delivery{Path: "/", Body: []byte(userPayload)}, event: "user.deleted", isJSON: true, warnings: []string{}},
		{name: "by the path", d: Delivery{Path: "/hooks/user.deleted?x=1", Body: []byte(userPayload)}, event: "user.deleted", byPath: true, isJSON: true, warnings: []string{}},
		{name: "empty", d: Delivery{Path: "/"}, event: "unknown", warnings: []string{"the body is empty"}},
		{name: "not JSON", d: Delivery{Path: "/", Body: []byte("a=b")}, event: "unknown", warnings: []string{"the body is not JSON"}},
		{name: "too large", d: Delivery{Path: "/user.deleted", Status: http.StatusRequestEntityTooLarge}, event: "user.deleted", byPath: true, warnings: []string{}},
		{name: "too large, unknown path", d: Delivery{Path: "/", Status: http.StatusRequestEntityTooLarge}, event: "unknown", warnings: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.d
			d.Detect(m)
			if d.Event != tt.event || d.ByPath != tt.byPath || d.IsJSON != tt.isJSON || d.Candidates == nil || !slices.Equal(d.Warnings, tt.warnings) || d.Warnings == nil {
				t.Errorf("Detect: event %q byPath %v isJSON %v candidates %q warnings %q; want %q %v %v, %q", d.Event, d.ByPath, d.IsJSON, d.Candidates, d.Warnings, tt.event, tt.byPath, tt.isJSON, tt.warnings)
			}
			if tt.d.Status != http.StatusRequestEntityTooLarge && d.payload == nil {
				t.Error("Detect did not keep the parsed body")
			}
			d.Warnings = append(d.Warnings, "later")
			d.Detect(m)
			if len(d.Warnings) != len(tt.warnings)+1 {
				t.Errorf("a second Detect changed the warnings: %q", d.Warnings)
			}
		})
	}
}

// The catalog's failed checks are shared between deliveries; each delivery's
// warnings are its own.
func TestDeliveryDetectOwnWarnings(t *testing.T) {
	m := testMatcher(t)
	body := []byte(`{"name":1,"email":"someone@example.com","phone":9999999999,"country":"IN","host":"example.tagmango.com","profilePicUrl":"https://example.com/profile.jpg","_id":"x"}`)
	a, b := &Delivery{Path: "/user.deleted", Body: body}, &Delivery{Path: "/user.deleted", Body: body}
	a.Detect(m)
	b.Detect(m)
	if len(a.Warnings) == 0 || !slices.Equal(a.Warnings, b.Warnings) {
		t.Fatalf("warnings %q and %q; want the same failed checks", a.Warnings, b.Warnings)
	}
	want := slices.Clone(b.Warnings)
	a.Warnings[0] = "changed"
	if !slices.Equal(b.Warnings, want) {
		t.Errorf("changing one delivery's warnings changed another's: %q", b.Warnings)
	}
}
