package events

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/jsonscan"
)

// FuzzDetect: any request path and body are detected and checked without a panic,
// and the detection keeps the documented promises of the --json line: event is an
// event name, a family pattern or "unknown"; candidates is never nil, holds catalog
// names in catalog order, one when exact and none when unknown. Check's messages
// are one line of catalog text. Examine, cached or not, agrees with Detect + Check.
func FuzzDetect(f *testing.F) {
	c, m := newTestMatcher(f)
	for _, e := range c.Events {
		f.Add("/", []byte(e.Example))
		f.Add("/hooks/"+e.Type, []byte(e.Example))
	}
	files, err := filepath.Glob(filepath.Join("testdata", "seeds", "*.txt"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds: %v", err)
	}
	for _, file := range files {
		if _, payload, ok := seedPayload(f, file); ok {
			f.Add("/", payload)
		}
	}
	for _, body := range bodySeeds {
		f.Add("/x", []byte(body))
	}
	f.Add("/course.completed.7/", []byte(`{"name":null,"email":1,"callList":[{"webinar":2},3]}`))

	// A second matcher, never used for Examine, is the uncached reference.
	ref := NewMatcher(c)
	families := c.Families()
	f.Fuzz(func(t *testing.T, path string, body []byte) {
		p := m.Parse(body)
		det := ref.Detect(path, p)
		checkDetection(t, c, families, path, det)
		warnings := ref.Check(det.Candidates, p)
		if !p.JSON && len(warnings) != 0 {
			t.Errorf("warnings for a body that is not JSON: %q", warnings)
		}
		for _, w := range warnings {
			if w == "" || strings.ContainsFunc(w, unicode.IsControl) {
				t.Errorf("warning %q is not one line of text", w)
			}
		}
		for round := range 2 { // the second round may come from the cache
			got, gotW := m.Examine(path, p)
			if got.Event != det.Event || !slices.Equal(got.Candidates, det.Candidates) || got.ByPath != det.ByPath || !slices.Equal(gotW, warnings) {
				t.Fatalf("round %d: Examine gives %q %q %q, Detect+Check %q %q %q", round, got.Event, got.Candidates, gotW, det.Event, det.Candidates, warnings)
			}
		}
	})
}

// bodySeeds are bodies at the edges of what the scanner takes (pkg/jsonscan's tests
// hold the full list): not JSON, scalars, duplicate keys, unsafe strings, and nesting
// as deep as JSON may go and one level deeper.
var bodySeeds = []string{
	``, ` `, `{`, `0`, `""`, `[]`, `{}`, `{"a":1}x`, "\"\xff\"", `{"a":1,"a":"b"}`, `{"":""}`,
	"{\"a\":\"\u202e\x7f\"}", ` {"a" : [ 1 , {"b":null} ] } `,
	strings.Repeat("[", jsonscan.MaxDepth) + strings.Repeat("]", jsonscan.MaxDepth),
	strings.Repeat(`{"a":`, jsonscan.MaxDepth+1) + "1" + strings.Repeat("}", jsonscan.MaxDepth+1),
}

func checkDetection(t *testing.T, c *Catalog, families []string, path string, det Detection) {
	t.Helper()
	if det.Candidates == nil {
		t.Fatal("nil candidates")
	}
	names := c.Names()
	last := -1
	for _, name := range det.Candidates {
		i := slices.Index(names, name)
		if i < 0 {
			t.Fatalf("candidate %q is not in the catalog", name)
		}
		if i <= last {
			t.Fatalf("candidates %q are not in catalog order", det.Candidates)
		}
		last = i
	}
	switch len(det.Candidates) {
	case 0:
		if det.Event != Unknown || det.ByPath {
			t.Fatalf("no candidates, yet event %q (byPath %v)", det.Event, det.ByPath)
		}
	case 1:
		if det.Event != det.Candidates[0] {
			t.Fatalf("one candidate %q, yet event %q", det.Candidates[0], det.Event)
		}
	default:
		if !IsPattern(det.Event) || !slices.Contains(families, det.Event) {
			t.Fatalf("candidates %q, yet event %q is not a family", det.Candidates, det.Event)
		}
		for _, name := range det.Candidates {
			if !MatchPattern(det.Event, name) {
				t.Fatalf("candidate %q is outside the family %q", name, det.Event)
			}
		}
	}
	// The last path segment names the event when it is a catalog name.
	seg := lastSegment(path)
	_, named := c.Lookup(seg)
	if named != det.ByPath || (named && (det.Event != seg || len(det.Candidates) != 1)) {
		t.Fatalf("path %q: byPath %v, event %q %q", path, det.ByPath, det.Event, det.Candidates)
	}
}
