package list_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/store"
)

func seed(t *testing.T, e *cmdtest.Env) {
	t.Helper()
	err := store.New(e.StatePath).Update(func(s *store.State) error {
		s.Upsert(store.Scope{Profile: "default"}.NewRecord("course.completed.50", "https://example.com/a", store.Filters{Course: "c1"}, e.Now.Add(-5*time.Minute)))
		s.Upsert(store.Scope{Profile: "default"}.NewRecord("webinar.completed.all", "https://example.com/b", store.Filters{}, e.Now.Add(-2*time.Hour)))
		s.Upsert(store.Scope{Profile: "ci"}.NewRecord("user.deleted", "https://example.com/c", store.Filters{}, e.Now.Add(-time.Minute)))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestListPiped(t *testing.T) {
	e := cmdtest.New(t)
	seed(t, e)
	res := e.Run("list")
	if res.Code != 0 {
		t.Fatal(res.Stderr)
	}
	want := "" +
		store.Scope{Profile: "default"}.RecordID("webinar.completed.all", "https://example.com/b", store.Filters{}) + "\twebinar.completed.all\thttps://example.com/b\t\tdefault\t2026-11-22T08:04:05Z\n" +
		store.Scope{Profile: "default"}.RecordID("course.completed.50", "https://example.com/a", store.Filters{Course: "c1"}) + "\tcourse.completed.50\thttps://example.com/a\tcourse=c1\tdefault\t2026-11-22T09:59:05Z\n"
	if res.Stdout != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", res.Stdout, want)
	}
}

func TestListTTY(t *testing.T) {
	e := cmdtest.New(t)
	seed(t, e)
	res := e.RunWith(cmdtest.Options{StdoutTTY: true}, "ls")
	if res.Code != 0 {
		t.Fatal(res.Stderr)
	}
	lines := strings.Split(strings.TrimRight(res.Stdout, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines:\n%s", len(lines), res.Stdout)
	}
	for _, want := range []string{"ID", "EVENT", "HOOK URL", "FILTERS", "PROFILE", "REGISTERED"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("header %q lacks %s", lines[0], want)
		}
	}
	if !strings.Contains(lines[1], "2 hours ago") || !strings.Contains(lines[2], "5 minutes ago") {
		t.Errorf("relative times missing:\n%s", res.Stdout)
	}
}

func TestListFiltersAndProfiles(t *testing.T) {
	e := cmdtest.New(t)
	seed(t, e)
	e.WriteConfig("profiles:\n  ci:\n    api-key: tmk_cccccccccccccccc\n") // --profile must name a profile
	cases := []struct {
		args []string
		n    int
	}{
		{[]string{"--event", "course.completed.50"}, 1},
		{[]string{"--url", "https://example.com/b"}, 1},
		{[]string{"--all-profiles"}, 3},
		{[]string{"--profile", "ci"}, 1},
		{[]string{"--event", "course.completed.*"}, 1},
		{[]string{"-e", "course.completed.50,webinar.completed.all"}, 2},
		{[]string{"-e", "course.*", "-e", "webinar.*"}, 2},
		{[]string{"--event", "user.deleted"}, 0}, // a known event, of another profile
	}
	for _, tc := range cases {
		res := e.Run(append([]string{"list", "-o", "json"}, tc.args...)...)
		if res.Code != 0 {
			t.Fatalf("%v: %s", tc.args, res.Stderr)
		}
		if got := strings.Count(res.Stdout, `"id"`); got != tc.n {
			t.Errorf("%v: %d records, want %d\n%s", tc.args, got, tc.n, res.Stdout)
		}
	}
}

func TestListEmpty(t *testing.T) {
	e := cmdtest.New(t)
	res := e.Run("list", "-o", "json")
	if res.Code != 0 || strings.TrimSpace(res.Stdout) != "[]" {
		t.Errorf("exit %d stdout %q", res.Code, res.Stdout)
	}
	res = e.Run("list")
	if res.Code != 0 || res.Stdout != "" || !strings.Contains(res.Stderr, "no subscriptions tracked") {
		t.Errorf("exit %d stdout %q stderr %q", res.Code, res.Stdout, res.Stderr)
	}
	res = e.Run("list", "-o", "yaml")
	if res.Code != 0 || strings.TrimSpace(res.Stdout) != "[]" {
		t.Errorf("yaml: %q", res.Stdout)
	}
}

func TestListCorruptStore(t *testing.T) {
	e := cmdtest.New(t)
	seed(t, e)
	if err := writeCorrupt(e.StatePath); err != nil {
		t.Fatal(err)
	}
	res := e.Run("list")
	if res.Code != 1 || !strings.Contains(res.Stderr, e.StatePath) || !strings.Contains(res.Stderr, "corrupt") {
		t.Errorf("exit %d stderr %s", res.Code, res.Stderr)
	}
}

// A temporary subscription (made by listen --register) is marked the same way on a
// terminal and in a pipe, with or without filters.
func TestListMarksTemporary(t *testing.T) {
	e := cmdtest.New(t)
	withFilter := store.Scope{Profile: "default"}.NewRecord("course.completed.50", "https://tunnel.example.com/course.completed.50", store.Filters{Course: "c1"}, e.Now.Add(-time.Minute))
	withFilter.Temporary = true
	bare := store.Scope{Profile: "default"}.NewRecord("user.deleted", "https://tunnel.example.com/user.deleted", store.Filters{}, e.Now.Add(-2*time.Minute))
	bare.Temporary = true
	lasting := store.Scope{Profile: "default"}.NewRecord("webinar.completed.all", "https://example.com/b", store.Filters{}, e.Now.Add(-3*time.Minute))
	err := store.New(e.StatePath).Update(func(s *store.State) error {
		s.Upsert(withFilter)
		s.Upsert(bare)
		s.Upsert(lasting)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	res := e.Run("list")
	if res.Code != 0 {
		t.Fatal(res.Stderr)
	}
	want := lasting.ID + "\twebinar.completed.all\thttps://example.com/b\t\tdefault\t2026-11-22T10:01:05Z\n" +
		bare.ID + "\tuser.deleted\thttps://tunnel.example.com/user.deleted\t(temporary)\tdefault\t2026-11-22T10:02:05Z\n" +
		withFilter.ID + "\tcourse.completed.50\thttps://tunnel.example.com/course.completed.50\tcourse=c1 (temporary)\tdefault\t2026-11-22T10:03:05Z\n"
	if res.Stdout != want {
		t.Errorf("piped:\n%s\nwant:\n%s", res.Stdout, want)
	}

	res = e.RunWith(cmdtest.Options{StdoutTTY: true}, "list")
	if res.Code != 0 {
		t.Fatal(res.Stderr)
	}
	lines := strings.Split(strings.TrimSuffix(res.Stdout, "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("terminal:\n%s", res.Stdout)
	}
	col := strings.Index(lines[0], "FILTERS")
	for i, cell := range []string{"FILTERS", "", "(temporary)", "course=c1 (temporary)"} {
		got := strings.Fields(lines[i][col:])
		if cell == "" {
			if lines[i][col] != ' ' || got[0] != "default" {
				t.Errorf("line %d: want an empty FILTERS cell:\n%s", i, res.Stdout)
			}
			continue
		}
		if !strings.HasPrefix(lines[i][col:], cell+"  ") {
			t.Errorf("line %d: FILTERS is not %q where the header says:\n%s", i, cell, res.Stdout)
		}
	}
}

func TestListEventValidation(t *testing.T) {
	e := cmdtest.New(t)
	seed(t, e)
	if err := store.New(e.StatePath).Update(func(s *store.State) error {
		s.Upsert(store.Scope{Profile: "default"}.NewRecord("custom.thing", "https://example.com/x", store.Filters{}, e.Now)) // register --force
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"--event", "course.complted.50"}, 2, `error: --event: unknown event "course.complted.50"; did you mean "course.completed.50"?`},
		{[]string{"-e", "course.completed.50,nothing.*"}, 2, `error: --event: no event is in the family "nothing.*"`},
		{[]string{"--event", "custom.thing"}, 0, ""}, // not in the catalog, but tracked
	}
	for _, tc := range cases {
		res := e.Run(append([]string{"list", "-o", "json"}, tc.args...)...)
		if res.Code != tc.code || !strings.Contains(res.Stderr, tc.stderr) {
			t.Errorf("%v: exit %d stderr %q, want %d %q", tc.args, res.Code, res.Stderr, tc.code, tc.stderr)
		}
		if tc.code == 0 && strings.Count(res.Stdout, `"id"`) != 1 {
			t.Errorf("%v: stdout %s", tc.args, res.Stdout)
		}
	}
}
