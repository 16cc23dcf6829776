package store

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 22, 10, 4, 5, 0, time.UTC)

func TestRecordIDIsStableAndDistinct(t *testing.T) {
	a := Scope{Profile: "default"}.RecordID("course.completed.50", "https://x/h", Filters{Course: "c"})
	if a != (Scope{Profile: "default"}).RecordID("course.completed.50", "https://x/h", Filters{Course: "c"}) || len(a) != 8 {
		t.Errorf("id %q not stable", a)
	}
	for _, other := range []string{
		Scope{Profile: "ci"}.RecordID("course.completed.50", "https://x/h", Filters{Course: "c"}),
		Scope{Profile: "default"}.RecordID("course.completed.100", "https://x/h", Filters{Course: "c"}),
		Scope{Profile: "default"}.RecordID("course.completed.50", "https://x/h2", Filters{Course: "c"}),
		Scope{Profile: "default"}.RecordID("course.completed.50", "https://x/h", Filters{}),
		Scope{Profile: "default"}.RecordID("course.completed.50", "https://x/h", Filters{Mango: "c"}),
	} {
		if other == a {
			t.Errorf("collision with %q", other)
		}
	}
}

func TestRecordJSONShape(t *testing.T) {
	r := Scope{Profile: "default"}.NewRecord("course.completed.50", "https://example.com/hooks/tm", Filters{Course: "634fc35ddaf58580e2418c40"}, t0)
	b, _ := json.Marshal(r)
	want := `{"id":"` + r.ID + `","profile":"default","baseUrl":"https://api-prod-new.tagmango.com","event":"course.completed.50","hookUrl":"https://example.com/hooks/tm","filters":{"course":"634fc35ddaf58580e2418c40"},"registeredAt":"2026-11-22T10:04:05Z","temporary":false}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	b, _ = json.Marshal(Scope{Profile: "default"}.NewRecord("user.deleted", "https://e/h", Filters{}, t0))
	if strings.Contains(string(b), "filters") {
		t.Errorf("empty filters must be omitted: %s", b)
	}
}

func TestRecordsBelongToAnAPI(t *testing.T) {
	prod := Scope{Profile: "default"}.NewRecord("course.completed.50", "https://x/h", Filters{}, t0)
	// Production ids are those of stores written before records had a base URL.
	if prod.ID != "3fe84ce4" || prod.ID != (Scope{Profile: "default"}).RecordID("course.completed.50", "https://x/h", Filters{}) {
		t.Errorf("production id changed: %s", prod.ID)
	}
	emu := Scope{Profile: "default", BaseURL: "http://127.0.0.1:4280"}
	local := emu.NewRecord("course.completed.50", "https://x/h", Filters{}, t0)
	if local.ID == prod.ID || local.BaseURL != "http://127.0.0.1:4280" || prod.BaseURL != "https://api-prod-new.tagmango.com" {
		t.Errorf("records %+v %+v", prod, local)
	}
	if !emu.Has(local) || emu.Has(prod) || !(Scope{Profile: "default"}).Has(prod) || (Scope{Profile: "ci"}).Has(prod) {
		t.Error("Has does not separate profiles and APIs")
	}
	if emu.String() != "profile default on http://127.0.0.1:4280" || (Scope{Profile: "ci"}).String() != "profile ci" {
		t.Errorf("String: %q", emu.String())
	}
}

func TestRecordsWithoutBaseURLAreProduction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "subscriptions.json")
	old := `{"version":1,"subscriptions":[` +
		`{"id":"3fe84ce4","profile":"default","event":"course.completed.50","hookUrl":"https://x/h","registeredAt":"2026-11-22T10:04:05Z","temporary":false},` +
		`{"id":"12345678","profile":"default","baseUrl":"HTTP://127.0.0.1:4280/","event":"user.deleted","hookUrl":"https://x/h","registeredAt":"2026-11-22T10:04:05Z","temporary":false}]}`
	if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := New(path).Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Subscriptions[0].BaseURL; got != "https://api-prod-new.tagmango.com" {
		t.Errorf("an old record's base URL: %q", got)
	}
	if got := st.Subscriptions[1].BaseURL; got != "http://127.0.0.1:4280" {
		t.Errorf("a hand-written base URL is not canonical: %q", got)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(old, "HTTP://127.0.0.1:4280/", "http://u:p@x", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(path).Load(); err == nil || !strings.Contains(err.Error(), "subscription #2 has an invalid baseUrl") {
		t.Errorf("err %v", err)
	}
}

func TestUpdateWritesPrivateAtomicFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "subscriptions.json")
	s := New(path)
	err := s.Update(func(st *State) error {
		st.Upsert(Scope{Profile: "default"}.NewRecord("user.deleted", "https://e/h", Filters{}, t0))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %o", fi.Mode().Perm())
	}
	if di, _ := os.Stat(filepath.Dir(path)); di.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %o", di.Mode().Perm())
	}
	st, err := s.Load()
	if err != nil || len(st.Subscriptions) != 1 {
		t.Fatalf("load: %v %+v", err, st)
	}
	// A failing update writes nothing.
	before, _ := os.ReadFile(path)
	boom := errors.New("boom")
	if err := s.Update(func(st *State) error { st.Subscriptions = nil; return boom }); !errors.Is(err, boom) {
		t.Errorf("err %v", err)
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Errorf("a failed update changed the file")
	}
}

func TestCorruptFileIsReportedAndLeftUntouched(t *testing.T) {
	for name, content := range map[string]string{
		"truncated":      `{"version":1,"subscriptions":[{"id":"ab`,
		"not json":       "hello",
		"trailing":       `{"version":1,"subscriptions":[]} {}`,
		"missing fields": `{"version":1,"subscriptions":[{"id":"x"}]}`,
		"future version": `{"version":99,"subscriptions":[]}`,
		"wrong type":     `{"version":1,"subscriptions":{}}`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.json")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			s := New(path)
			_, err := s.Load()
			var ce *CorruptError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), path) {
				t.Fatalf("err %v", err)
			}
			err = s.Update(func(st *State) error {
				st.Upsert(Scope{Profile: "p"}.NewRecord("e", "https://u", Filters{}, t0))
				return nil
			})
			if !errors.As(err, &ce) {
				t.Errorf("update over a corrupt file: %v", err)
			}
			if b, _ := os.ReadFile(path); string(b) != content {
				t.Errorf("corrupt file changed: %q", b)
			}
		})
	}
}

func TestEmptyAndMissingFilesAreEmptyState(t *testing.T) {
	dir := t.TempDir()
	st, err := New(filepath.Join(dir, "missing.json")).Load()
	if err != nil || len(st.Subscriptions) != 0 {
		t.Errorf("missing: %v", err)
	}
	empty := filepath.Join(dir, "empty.json")
	_ = os.WriteFile(empty, nil, 0o600)
	if _, err := New(empty).Load(); err != nil {
		t.Errorf("empty: %v", err)
	}
}

func TestRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "elsewhere.json")
	_ = os.WriteFile(target, []byte(`{"version":1,"subscriptions":[]}`), 0o644)
	link := filepath.Join(dir, "s.json")
	if err := os.Symlink(target, link); err != nil {
		t.Skip("symlinks unsupported:", err)
	}
	err := New(link).Update(func(st *State) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("err %v", err)
	}
}

func TestRemoveAndSelect(t *testing.T) {
	st := &State{}
	a := Scope{Profile: "p"}.NewRecord("e1", "https://u/a", Filters{}, t0.Add(time.Minute))
	b := Scope{Profile: "p"}.NewRecord("e2", "https://u/a", Filters{}, t0)
	c := Scope{Profile: "q"}.NewRecord("e1", "https://u/c", Filters{}, t0)
	st.Upsert(a)
	st.Upsert(b)
	st.Upsert(c)
	st.Upsert(a)
	if len(st.Subscriptions) != 3 {
		t.Fatalf("upsert duplicated: %d", len(st.Subscriptions))
	}
	sel := st.Select(func(r Record) bool { return r.Profile == "p" })
	if len(sel) != 2 || sel[0].ID != b.ID {
		t.Errorf("select not ordered by time: %+v", sel)
	}
	gone := st.Remove(func(r Record) bool { return r.HookURL == "https://u/a" })
	if len(gone) != 2 || len(st.Subscriptions) != 1 {
		t.Errorf("remove: %d gone, %d left", len(gone), len(st.Subscriptions))
	}
}
