package root_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
)

// TestAPIKeyNeverLeaks runs the commands that touch the key through their success and
// failure paths, verbose and dry runs included. cmdtest fails any run whose stdout or
// stderr holds the key; this test also scans every file written except the config.
func TestAPIKeyNeverLeaks(t *testing.T) {
	e := cmdtest.New(t)
	srv := cmdtest.NewAPIServer(t)
	const hook = "https://example.com/hooks/tm"

	stdin := cmdtest.Options{Stdin: cmdtest.TestAPIKey + "\n"}
	steps := []struct {
		opts cmdtest.Options
		args []string
	}{
		{stdin, []string{"profile", "add", "default", "--base-url", srv.URL}},
		{cmdtest.Options{}, []string{"profile", "list"}},
		{cmdtest.Options{}, []string{"profile", "list", "-o", "yaml"}},
		{cmdtest.Options{}, []string{"profile", "show", "-o", "json"}},
		{cmdtest.Options{}, []string{"register", "--url", hook, "--event", "course.completed.50", "--dry-run", "-v"}},
		{cmdtest.Options{}, []string{"register", "--url", hook, "--event", "course.completed.50", "-v", "-o", "json"}},
		{cmdtest.Options{}, []string{"register", "--url", hook, "--event", "course.completed.50", "--force", "-v", "--api-key", cmdtest.TestAPIKey}},
		{cmdtest.Options{}, []string{"list", "-o", "yaml"}},
		{cmdtest.Options{}, []string{"delete", "--url", hook, "--dry-run", "-v"}},
		{cmdtest.Options{}, []string{"delete", "--url", hook, "-v"}},
		{cmdtest.Options{}, []string{"listen", "--port", "0", "--timeout", "200ms", "-v", "--save", filepath.Join(e.Dir, "saved.jsonl"),
			"--register", "--public-url", "https://tunnel.example.com", "--no-probe", "--event", "course.completed.50"}},
	}
	for _, s := range steps {
		res := e.RunWith(s.opts, s.args...)
		if res.Code != 0 {
			t.Errorf("%v: exit %d %s", s.args, res.Code, res.Stderr)
		}
	}

	// Failure paths: the API refuses the key and echoes it back.
	srv.Default = cmdtest.Response{Status: 401, Body: `{"message":"Invalid token ` + cmdtest.TestAPIKey + `","success":false}`}
	for _, args := range [][]string{
		{"register", "--url", hook, "--event", "user.deleted", "-v"},
		{"delete", "--url", hook, "-v"},
	} {
		if res := e.Run(args...); res.Code != 4 {
			t.Errorf("%v: exit %d, want 4: %s", args, res.Code, res.Stderr)
		}
	}

	err := filepath.WalkDir(e.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path == e.ConfigPath {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), cmdtest.TestAPIKey) {
			t.Errorf("%s holds the API key", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestWritesRefuseSymlinks(t *testing.T) {
	e := cmdtest.New(t)
	target := filepath.Join(e.Dir, "elsewhere.yaml")
	if err := os.WriteFile(target, []byte("# not yours\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(e.ConfigPath), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, e.ConfigPath); err != nil {
		t.Skip("no symlinks:", err)
	}
	res := e.RunWith(cmdtest.Options{Stdin: cmdtest.TestAPIKey}, "profile", "add", "default")
	if res.Code != 1 || !strings.Contains(res.Stderr, "symbolic link") {
		t.Errorf("exit %d stderr %s", res.Code, res.Stderr)
	}
	if b, _ := os.ReadFile(target); string(b) != "# not yours\n" {
		t.Errorf("the link's target was written: %q", b)
	}

	srv := cmdtest.NewAPIServer(t)
	stateTarget := filepath.Join(e.Dir, "elsewhere.json")
	_ = os.WriteFile(stateTarget, []byte(`{"version":1,"subscriptions":[]}`), 0o644)
	_ = os.MkdirAll(filepath.Dir(e.StatePath), 0o700)
	if err := os.Symlink(stateTarget, e.StatePath); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TAGMANGO_API_KEY", cmdtest.TestAPIKey)
	t.Setenv("TAGMANGO_BASE_URL", srv.URL)
	res = e.Run("register", "--url", "https://example.com/h", "--event", "user.deleted")
	if res.Code != 1 || !strings.Contains(res.Stderr, "symbolic link") {
		t.Errorf("exit %d stderr %s", res.Code, res.Stderr)
	}
}

func TestPanicIsRecoveredWithoutTheKey(t *testing.T) {
	e := cmdtest.New(t)
	srv := cmdtest.NewAPIServer(t)
	e.WithProfile(srv.URL)
	inject := func(f *cmdutil.Factory) {
		f.Catalog = func() (*events.Catalog, error) {
			s, _ := f.Settings()
			panic("catalog exploded while holding " + s.APIKey)
		}
	}
	res := e.RunWith(cmdtest.Options{Factory: inject}, "register", "--url", "https://example.com/h", "--event", "user.deleted")
	if res.Code != 1 || !strings.Contains(res.Stderr, "crashed: catalog exploded while holding …9f3a") {
		t.Errorf("exit %d stderr %q", res.Code, res.Stderr)
	}
}
