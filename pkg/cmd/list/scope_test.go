package list_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/store"
)

const emulatorURL = "http://127.0.0.1:4280"

func seedTwoAPIs(t *testing.T, e *cmdtest.Env) (prod, emu store.Record) {
	t.Helper()
	prod = store.Scope{Profile: "default"}.NewRecord("course.completed.50", "https://example.com/a", store.Filters{}, e.Now)
	emu = store.Scope{Profile: "default", BaseURL: emulatorURL}.NewRecord("course.completed.50", "https://example.com/a", store.Filters{}, e.Now)
	if err := store.New(e.StatePath).Update(func(s *store.State) error { s.Upsert(prod); s.Upsert(emu); return nil }); err != nil {
		t.Fatal(err)
	}
	return prod, emu
}

func TestListSeesTheCurrentAPI(t *testing.T) {
	e := cmdtest.New(t)
	prod, emu := seedTwoAPIs(t, e)
	ids := func(stdout string) []string {
		var rs []store.Record
		if err := json.Unmarshal([]byte(stdout), &rs); err != nil {
			t.Fatalf("%v: %s", err, stdout)
		}
		var out []string
		for _, r := range rs {
			out = append(out, r.ID+" "+r.BaseURL)
		}
		return out
	}
	if got := ids(e.Run("list", "-o", "json").Stdout); len(got) != 1 || got[0] != prod.ID+" https://api-prod-new.tagmango.com" {
		t.Errorf("production: %v", got)
	}
	t.Setenv("TAGMANGO_BASE_URL", emulatorURL+"/")
	if got := ids(e.Run("list", "-o", "json").Stdout); len(got) != 1 || got[0] != emu.ID+" "+emulatorURL {
		t.Errorf("emulator: %v", got)
	}
	if got := ids(e.Run("list", "-o", "json", "--all-profiles").Stdout); len(got) != 2 {
		t.Errorf("--all-profiles: %v", got)
	}
	res := e.Run("list", "--base-url", "http://127.0.0.1:9")
	if res.Code != 0 || !strings.Contains(res.Stderr, "no subscriptions tracked for profile default on http://127.0.0.1:9") ||
		!strings.Contains(res.Stderr, "(2 of profile default on other APIs: see `tagmango-hooks list --all-profiles`)") {
		t.Errorf("exit %d: %s", res.Code, res.Stderr)
	}
	if res := e.Run("list", "--base-url", "https://x.example.com/?a=1"); res.Code != 2 {
		t.Errorf("a base URL with a query: exit %d %s", res.Code, res.Stderr)
	}
}

func TestListAllProfilesShowsTheBaseURL(t *testing.T) {
	e := cmdtest.New(t)
	seedTwoAPIs(t, e)
	res := e.RunWith(cmdtest.Options{StdoutTTY: true}, "list", "--all-profiles")
	lines := strings.Split(strings.TrimRight(res.Stdout, "\n"), "\n")
	if res.Code != 0 || len(lines) != 3 || !strings.Contains(lines[0], "BASE URL") ||
		!strings.Contains(res.Stdout, "https://api-prod-new.tagmango.com") || !strings.Contains(res.Stdout, emulatorURL) {
		t.Errorf("exit %d:\n%s", res.Code, res.Stdout)
	}
	res = e.Run("list", "--all-profiles")
	for _, line := range strings.Split(strings.TrimRight(res.Stdout, "\n"), "\n") {
		if cells := strings.Split(line, "\t"); len(cells) != 7 || !strings.HasPrefix(cells[6], "http") {
			t.Errorf("piped row without the base URL last: %q", line)
		}
	}
	// Without --all-profiles the columns are as they were.
	if res := e.Run("list"); strings.Count(strings.TrimRight(res.Stdout, "\n"), "\t") != 5 {
		t.Errorf("list: %q", res.Stdout)
	}
}
