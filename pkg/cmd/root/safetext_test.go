package root_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/store"
)

// A hook URL that would read as another on a terminal is refused before any call.
func TestRegisterRefusesUnsafeURLs(t *testing.T) {
	e := cmdtest.New(t)
	srv := cmdtest.NewAPIServer(t)
	e.WithProfile(srv.URL)
	for _, url := range []string{
		"https://example.com/\u202egnp.exe",
		"https://example.com/a\u2066b",
		"https://example.com/a\u2028b",
		"https://example.com/a\u0085b",
		"https://example.com/a\x7fb",
	} {
		res := e.Run("register", "--url", url, "--event", "course.completed.50")
		if res.Code != 2 || !strings.Contains(res.Stderr, "bidirectional") {
			t.Errorf("%q: exit %d stderr %s", url, res.Code, res.Stderr)
		}
		for _, r := range res.Stderr {
			if r == 0x202e || r == 0x2066 || r == 0x2028 || r == 0x85 || r == 0x7f {
				t.Errorf("%q: the error prints it raw: %q", url, res.Stderr)
			}
		}
	}
	if n := len(srv.Calls()); n != 0 {
		t.Errorf("%d API calls", n)
	}
	if e.ReadState() != "" {
		t.Errorf("recorded: %s", e.ReadState())
	}
}

// A store written by hand (or by an older version) can hold any URL; list shows it
// escaped in every format.
func TestListEscapesStoredURLs(t *testing.T) {
	e := cmdtest.New(t)
	e.WithProfile("http://127.0.0.1:1")
	bad := "https://example.com/\u202egnp.exe\x7f"
	rec := store.Scope{Profile: "default", BaseURL: "http://127.0.0.1:1"}.NewRecord("course.completed.50", bad, store.Filters{}, e.Now)
	if err := store.New(e.StatePath).Update(func(s *store.State) error { s.Upsert(rec); return nil }); err != nil {
		t.Fatal(err)
	}
	for _, o := range []cmdtest.Options{{StdoutTTY: true}, {}} {
		for _, format := range []string{"table", "json"} {
			res := e.RunWith(o, "list", "-o", format)
			if res.Code != 0 || strings.ContainsAny(res.Stdout, "\u202e\x7f") || !strings.Contains(res.Stdout, `\u202egnp.exe`) {
				t.Errorf("tty=%v -o %s: exit %d stdout %q", o.StdoutTTY, format, res.Code, res.Stdout)
			}
			if format == "json" {
				var recs []store.Record
				if err := json.Unmarshal([]byte(res.Stdout), &recs); err != nil || len(recs) != 1 || recs[0].HookURL != bad {
					t.Errorf("-o json is not the same value: %v %v", recs, err)
				}
			}
		}
	}
}

// Deleting a URL nothing tracks leaves no records to show: no lone table header.
func TestEmptyResultPrintsNoHeader(t *testing.T) {
	e := cmdtest.New(t)
	srv := cmdtest.NewAPIServer(t)
	e.WithProfile(srv.URL)
	res := e.RunWith(cmdtest.Options{StdoutTTY: true, StderrTTY: true}, "delete", "--url", "https://example.com/untracked")
	if res.Code != 0 || res.Stdout != "" {
		t.Errorf("exit %d stdout %q stderr %s", res.Code, res.Stdout, res.Stderr)
	}
}
