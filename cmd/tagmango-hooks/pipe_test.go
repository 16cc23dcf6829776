package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
)

// A closed stdout (`list | :`, `events -o json | head -1`) is a quiet end: no
// message, exit 0.
func TestClosedStdoutIsAQuietEnd(t *testing.T) {
	srv := cmdtest.NewAPIServer(t)
	env := baseEnv(t, srv.URL)
	// Something to list, and a config to show.
	for i := range 3 {
		if _, stderr, code := run(t, env, "register", "--url", "https://example.com/h/"+string(rune('a'+i)), "--event", "course.completed.50"); code != 0 {
			t.Fatalf("register: %d %s", code, stderr)
		}
	}
	dir := filepath.Join(t.TempDir(), "config")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte("current-profile: default\nprofiles:\n  default:\n    api-key: "+cmdtest.TestAPIKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	withConfig := append(append([]string(nil), env...), "TAGMANGO_HOOKS_CONFIG="+cfg)

	for _, args := range [][]string{
		{"list"},
		{"list", "-o", "json"},
		{"list", "-o", "yaml"},
		{"events"},
		{"events", "-o", "json"},
		{"events", "show", "webinar.reminder.all"},
		{"events", "sample", "course.completed.50"},
		{"events", "sample", "course.completed.50", "--fake"},
		{"profile", "list"},
		{"profile", "show", "-o", "json"},
		{"version"},
		{"help", "exit-codes"},
	} {
		cmd := exec.Command(binary, args...)
		cmd.Env = withConfig
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		r.Close() // the reader is gone before anything is written
		var stderr strings.Builder
		cmd.Stdout, cmd.Stderr = w, &stderr
		err = cmd.Run()
		w.Close()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != 0 || stderr.Len() != 0 {
			t.Errorf("%v to a closed pipe: exit %d, stderr %q", args, code, stderr.String())
		}
	}
}
