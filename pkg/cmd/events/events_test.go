package events_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
)

func catalog(t *testing.T) *events.Catalog {
	t.Helper()
	c, err := events.Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestEventsListPiped(t *testing.T) {
	for _, args := range [][]string{{"events"}, {"events", "list"}, {"events", "ls"}} {
		res := cmdtest.New(t).Run(args...)
		if res.Code != 0 {
			t.Fatalf("%v: exit %d: %s", args, res.Code, res.Stderr)
		}
		lines := strings.Split(strings.TrimSuffix(res.Stdout, "\n"), "\n")
		if len(lines) != 16 {
			t.Fatalf("%v: %d rows, want the 16 catalog events:\n%s", args, len(lines), res.Stdout)
		}
		rows := map[string][]string{}
		for _, l := range lines {
			cells := strings.Split(l, "\t")
			if len(cells) != 5 {
				t.Fatalf("row %q has %d fields, want 5", l, len(cells))
			}
			rows[cells[0]] = cells
		}
		if r := rows["course.completed"]; r[1] != "course" || r[4] != "deprecated" {
			t.Errorf("course.completed row %q", r)
		}
		if r := rows["order.created.initiated"]; r[4] != "inferred" || r[1] != "mango" {
			t.Errorf("order.created.initiated row %q", r)
		}
		if r := rows["user.deleted"]; r[1] != "" || r[4] != "" || !strings.Contains(r[2], "deletes") {
			t.Errorf("user.deleted row %q", r)
		}
		if res.Stderr != "" {
			t.Errorf("no chatter in a pipe: %q", res.Stderr)
		}
	}
}

func TestEventsListTTY(t *testing.T) {
	res := cmdtest.New(t).RunWith(cmdtest.Options{StdoutTTY: true}, "events")
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	lines := strings.Split(strings.TrimSuffix(res.Stdout, "\n"), "\n")
	rows := 0
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l, " ") {
			rows++
		}
	}
	if rows != 16 || !strings.HasPrefix(lines[0], "TYPE") || !strings.Contains(lines[0], "FILTERS") || !strings.Contains(lines[0], "WHEN") || !strings.Contains(lines[0], "DELIVERY") {
		t.Fatalf("want a header and 16 rows:\n%s", res.Stdout)
	}
	for _, want := range []string{"course.completed †", "webinar.reminder.1day *", "order.created.initiated *", "A subscriber starts"} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("missing mark %q", want)
		}
	}
	for _, l := range lines {
		if n := len([]rune(l)); n > 80 {
			t.Errorf("line of %d characters does not fit the terminal: %q", n, l)
		}
	}
	if !strings.Contains(res.Stderr, "† deprecated: course.completed: use course.completed.100") {
		t.Errorf("stderr: %s", res.Stderr)
	}
}

func TestEventsListJSON(t *testing.T) {
	res := cmdtest.New(t).Run("events", "-o", "json")
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	var entries []map[string]any
	if err := json.Unmarshal([]byte(res.Stdout), &entries); err != nil {
		t.Fatalf("%v\n%s", err, res.Stdout)
	}
	if len(entries) != 16 {
		t.Fatalf("%d entries", len(entries))
	}
	for _, e := range entries {
		for _, k := range []string{"type", "filters", "trigger", "delivery", "fieldsStatus", "deprecated"} {
			if _, ok := e[k]; !ok {
				t.Errorf("%v lacks %q", e["type"], k)
			}
		}
		if _, ok := e["filters"].([]any); !ok {
			t.Errorf("%v: filters must be an array, got %#v", e["type"], e["filters"])
		}
		if _, ok := e["fields"]; ok {
			t.Errorf("the list has no schema")
		}
		if e["type"] == "course.completed" && (e["deprecated"] != true || e["replacement"] != "course.completed.100") {
			t.Errorf("course.completed: %v", e)
		}
	}

	res = cmdtest.New(t).Run("events", "list", "-o", "yaml")
	if res.Code != 0 || !strings.Contains(res.Stdout, "  type: order.created.completed") {
		t.Errorf("yaml: exit %d\n%s", res.Code, res.Stdout)
	}
}

func TestEventsShow(t *testing.T) {
	cases := []struct {
		event string
		want  []string
	}{
		{"course.completed.50", []string{"course.completed.50\n", "Fires when", "Filter      course (register --course ID)", "documented by TagMango",
			"FIELD", "lastProgressOn", "Example payload:", `"courseId": "634fc35ddaf58580e2418c40"`, "Source: https://docs.tagmango.com/"}},
		{"webinar.created.recurring", []string{"callList", "├─ webinar ", "└─ creatorTimezone", "string*", "* type inferred from the example"}},
		{"order.created.initiated", []string{"INFERRED", "copied from order.created.failed"}},
		{"webinar.reminder.15min", []string{"PARTLY DOCUMENTED"}},
		{"order.created.completed", []string{"EXAMPLE ONLY", "Notes:"}},
		{"course.completed", []string{"DEPRECATED: use course.completed.100 instead"}},
		{"user.deleted", []string{"Filter      none"}},
	}
	for _, tc := range cases {
		t.Run(tc.event, func(t *testing.T) {
			res := cmdtest.New(t).Run("events", "show", tc.event)
			if res.Code != 0 {
				t.Fatalf("exit %d: %s", res.Code, res.Stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.Stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, res.Stdout)
				}
			}
		})
	}
}

func TestEventsShowJSON(t *testing.T) {
	c := catalog(t)
	for _, e := range c.Events {
		res := cmdtest.New(t).Run("events", "show", e.Type, "-o", "json")
		if res.Code != 0 {
			t.Fatalf("%s: exit %d: %s", e.Type, res.Code, res.Stderr)
		}
		var got events.CatalogEntry
		if err := json.Unmarshal([]byte(res.Stdout), &got); err != nil {
			t.Fatalf("%s: %v", e.Type, err)
		}
		if got.Type != e.Type || len(got.Fields) != len(e.Fields) || !json.Valid(got.Example) || got.FieldsStatus != e.FieldsStatus {
			t.Errorf("%s: %+v", e.Type, got)
		}
	}
	res := cmdtest.New(t).Run("events", "show", "webinar.created.single", "-o", "json")
	var raw map[string]any
	_ = json.Unmarshal([]byte(res.Stdout), &raw)
	fields := raw["fields"].([]any)
	var callList map[string]any
	for _, f := range fields {
		if m := f.(map[string]any); m["name"] == "callList" {
			callList = m
		}
	}
	if callList == nil || len(callList["items"].([]any)) != 8 {
		t.Errorf("callList items missing: %v", callList)
	}
	if _, ok := raw["example"].(map[string]any); !ok {
		t.Errorf("example must be the payload object: %v", raw["example"])
	}
}

func TestEventsUnknownType(t *testing.T) {
	for _, args := range [][]string{
		{"events", "show", "course.complted.50"},
		{"events", "sample", "course.complted.50"},
		{"events", "show", "course.complted.50", "-o", "json"},
	} {
		res := cmdtest.New(t).Run(args...)
		if res.Code != 2 {
			t.Errorf("%v: exit %d, want 2", args, res.Code)
		}
		if !strings.Contains(res.Stderr, `unknown event "course.complted.50"; did you mean "course.completed.50"?`) {
			t.Errorf("%v: stderr %q", args, res.Stderr)
		}
		if res.Stdout != "" {
			t.Errorf("%v: stdout %q", args, res.Stdout)
		}
	}
	for _, args := range [][]string{{"events", "show"}, {"events", "frobnicate"}, {"events", "sample"}} {
		if res := cmdtest.New(t).Run(args...); res.Code != 2 {
			t.Errorf("%v: exit %d, want 2", args, res.Code)
		}
	}
}

func TestEventsSample(t *testing.T) {
	c := catalog(t)
	m := events.NewMatcher(c)
	for _, e := range c.Events {
		res := cmdtest.New(t).Run("events", "sample", e.Type)
		if res.Code != 0 {
			t.Fatalf("%s: exit %d: %s", e.Type, res.Code, res.Stderr)
		}
		if strings.Count(res.Stdout, "\n") != 1 || !json.Valid([]byte(res.Stdout)) {
			t.Errorf("%s: want one compact JSON line in a pipe:\n%s", e.Type, res.Stdout)
		}
		fake := cmdtest.New(t).Run("events", "sample", e.Type, "--fake")
		if fake.Code != 0 {
			t.Fatalf("%s --fake: exit %d: %s", e.Type, fake.Code, fake.Stderr)
		}
		if problems := m.Check([]string{e.Type}, events.ParsePayload([]byte(fake.Stdout))); len(problems) > 0 {
			t.Errorf("%s --fake does not match its schema: %v", e.Type, problems)
		}
		if fake.Stdout == res.Stdout {
			t.Errorf("%s --fake printed the example", e.Type)
		}
	}
}

func TestEventsSampleExampleIsDocumented(t *testing.T) {
	res := cmdtest.New(t).RunWith(cmdtest.Options{StdoutTTY: true}, "events", "sample", "course.completed.50")
	want := `{
  "name": "Student Name",
  "email": "student@example.com",
  "phone": 1234567890,
  "course": "Example course",
  "courseId": "634fc35ddaf58580e2418c40",
  "lastProgressOn": "2023-11-20T18:30Z"
}
`
	if res.Code != 0 || res.Stdout != want {
		t.Errorf("exit %d, got:\n%s\nwant:\n%s", res.Code, res.Stdout, want)
	}
}

func TestEventsSampleSeed(t *testing.T) {
	a := cmdtest.New(t).Run("events", "sample", "webinar.created.recurring", "--seed", "42")
	b := cmdtest.New(t).Run("events", "sample", "webinar.created.recurring", "--fake", "--seed", "42")
	c := cmdtest.New(t).Run("events", "sample", "webinar.created.recurring", "--fake", "--seed", "43")
	if a.Code != 0 || a.Stdout != b.Stdout {
		t.Errorf("--seed must imply --fake and be reproducible:\n%s\n%s", a.Stdout, b.Stdout)
	}
	if a.Stdout == c.Stdout {
		t.Errorf("different seeds, same payload")
	}
	var p map[string]any
	if err := json.Unmarshal([]byte(a.Stdout), &p); err != nil {
		t.Fatal(err)
	}
	if calls, _ := p["callList"].([]any); len(calls) < 3 {
		t.Errorf("a recurring webinar should have several sessions: %v", p["callList"])
	}
}

func TestEventsSampleSet(t *testing.T) {
	res := cmdtest.New(t).Run("events", "sample", "webinar.created.single", "--set", "phone=9876543210", "--set", "callList.0.webinar=Q&A <live>", "--set", "timezone=null")
	want := `"phone":9876543210,"timezone":null,"callList":[{"webinar":"Q&A <live>",`
	if res.Code != 0 || !strings.Contains(res.Stdout, want) {
		t.Errorf("exit %d: %s\nwant it to contain %s", res.Code, res.Stdout, want)
	}
	res = cmdtest.New(t).Run("events", "sample", "webinar.created.single", "--set", "callList.3.webinar=x")
	if res.Code != 2 || !strings.Contains(res.Stderr, "callList has 1 items") {
		t.Errorf("exit %d: %s", res.Code, res.Stderr)
	}
}

func TestEventsSampleDeprecatedWarns(t *testing.T) {
	res := cmdtest.New(t).Run("events", "sample", "course.completed")
	if res.Code != 0 || !strings.Contains(res.Stderr, "deprecated; use course.completed.100") || !json.Valid([]byte(res.Stdout)) {
		t.Errorf("exit %d, stderr %q, stdout %q", res.Code, res.Stderr, res.Stdout)
	}
}

// The source of every event is a public documentation page, in text and JSON; the
// catalog's working files (seeds/…) are nobody's business.
func TestEventsShowSourceIsPublic(t *testing.T) {
	e := cmdtest.New(t)
	c, err := events.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range c.Names() {
		res := e.Run("events", "show", name)
		_, source, ok := strings.Cut(res.Stdout, "\nSource: ")
		if res.Code != 0 || !ok {
			t.Fatalf("%s: exit %d, no Source line:\n%s", name, res.Code, res.Stdout)
		}
		source = strings.TrimSuffix(source, "\n")
		if !strings.HasPrefix(source, "https://docs.tagmango.com/") || strings.ContainsAny(source, " ;") {
			t.Errorf("%s: Source: %q", name, source)
		}
		res = e.Run("events", "show", name, "-o", "json")
		var entry struct{ Source string }
		if err := json.Unmarshal([]byte(res.Stdout), &entry); err != nil || entry.Source != source {
			t.Errorf("%s: -o json source %q (%v)", name, entry.Source, err)
		}
	}
}
