package gendocs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGenerateWritesEveryCommandAndIsDeterministic(t *testing.T) {
	dir := t.TempDir()
	if err := Generate(dir); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"docs/cli/tagmango-hooks.md",
		"docs/cli/tagmango-hooks_register.md",
		"docs/cli/tagmango-hooks_profile_add.md",
		"docs/cli/tagmango-hooks_help_exit-codes.md",
		"docs/man/tagmango-hooks.1",
		"docs/man/tagmango-hooks-register.1",
		"docs/cli/tagmango-hooks_events_schema.md",
		"docs/schema/events.schema.json",
		"docs/schema/events/course.completed.50.schema.json",
		"docs/schema/tagmango-webhooks.openapi.yaml",
		"completions/tagmango-hooks.bash",
		"completions/_tagmango-hooks",
		"completions/tagmango-hooks.fish",
		"completions/tagmango-hooks.ps1",
	} {
		if _, err := os.Stat(filepath.Join(dir, want)); err != nil {
			t.Errorf("missing %s", want)
		}
	}
	page, _ := os.ReadFile(filepath.Join(dir, "docs/cli/tagmango-hooks_register.md"))
	if !strings.Contains(string(page), "--event") || strings.Contains(string(page), "Auto generated") {
		t.Errorf("register page:\n%s", page)
	}

	// A second run gives the same bytes.
	dir2 := t.TempDir()
	if err := Generate(dir2); err != nil {
		t.Fatal(err)
	}
	err := filepath.Walk(filepath.Join(dir, "docs"), func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		a, _ := os.ReadFile(p)
		b, _ := os.ReadFile(filepath.Join(dir2, rel))
		if string(a) != string(b) {
			t.Errorf("%s differs between runs", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
