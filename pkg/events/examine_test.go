package events

import (
	"fmt"
	"slices"
	"testing"
)

func TestExamineAgreesWithDetectAndCheck(t *testing.T) {
	c, m := newTestMatcher(t)
	bodies := []string{
		`{"name":"a","email":"b","phone":"1","course":"c","courseId":"d","lastProgressOn":"e"}`,
		`{"name":"a","email":"b","phone":1,"course":"c","courseId":"d","lastProgressOn":"e"}`,
		`{"name":"a","email":"b","phone":1,"course":"c","courseId":"d"}`,
		`{"name":"a","email":"b","phone":null,"course":"c","courseId":"d","lastProgressOn":"e"}`,
		`{"foo":1}`, `[]`, `"x"`, `nope`, `{}`,
	}
	for _, e := range c.Events {
		bodies = append(bodies, string(e.Example))
	}
	for _, path := range []string{"/", "/hooks/course.completed.50", "/user.deleted"} {
		for _, body := range bodies {
			p := m.Parse([]byte(body))
			wantDet := m.Detect(path, p)
			wantW := m.Check(wantDet.Candidates, p)
			for round := range 2 { // the second round is served from the cache
				det, w := m.Examine(path, p)
				if det.Event != wantDet.Event || !slices.Equal(det.Candidates, wantDet.Candidates) || det.ByPath != wantDet.ByPath || !slices.Equal(w, wantW) {
					t.Errorf("%s %s round %d: got %q %v %q, want %q %v %q", path, body, round, det.Event, det.Candidates, w, wantDet.Event, wantDet.Candidates, wantW)
				}
			}
		}
	}
}

func TestExamineMemoryIsBounded(t *testing.T) {
	_, m := newTestMatcher(t)
	for i := range maxShapes + 100 {
		m.Examine("/", ParsePayload(fmt.Appendf(nil, `{"k%d":1}`, i)))
	}
	if n := len(m.shapes); n > maxShapes {
		t.Errorf("%d shapes remembered", n)
	}
}

func TestExamineWithoutPayload(t *testing.T) {
	_, m := newTestMatcher(t)
	// Detect takes a nil payload as "not JSON"; so does Examine.
	if det, w := m.Examine("/", nil); det.Event != Unknown || len(det.Candidates) != 0 || len(w) != 0 {
		t.Errorf("got %q %q %q", det.Event, det.Candidates, w)
	}
	if det, _ := m.Examine("/hooks/user.deleted", nil); det.Event != "user.deleted" || !det.ByPath {
		t.Errorf("by path: got %q byPath %v", det.Event, det.ByPath)
	}
}
