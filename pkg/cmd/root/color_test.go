package root_test

import (
	"os"
	"strings"
	"testing"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
)

// Warnings and errors are coloured on a terminal's stderr, whatever stdout is, and
// never when NO_COLOR, TERM=dumb or --no-color says so or stderr is not a terminal.
func TestStderrColour(t *testing.T) {
	const (
		yellowWarning = "\x1b[33mwarning:\x1b[0m "
		redError      = "\x1b[31merror:\x1b[0m "
	)
	cases := []struct {
		name   string
		opts   cmdtest.Options
		flags  []string
		colour bool
	}{
		{name: "stderr a terminal, stdout piped", opts: cmdtest.Options{StderrTTY: true, Color: true}, colour: true},
		{name: "both terminals", opts: cmdtest.Options{StdoutTTY: true, StderrTTY: true, Color: true}, colour: true},
		{name: "NO_COLOR", opts: cmdtest.Options{StderrTTY: true, Color: true, ColorEnv: map[string]string{"NO_COLOR": "1"}}},
		{name: "TERM=dumb", opts: cmdtest.Options{StderrTTY: true, Color: true, ColorEnv: map[string]string{"TERM": "dumb"}}},
		{name: "--no-color", opts: cmdtest.Options{StderrTTY: true, Color: true}, flags: []string{"--no-color"}},
		{name: "stderr piped", opts: cmdtest.Options{StdoutTTY: true, Color: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := cmdtest.New(t)

			// A warning: course.completed is deprecated.
			res := e.RunWith(tc.opts, append([]string{"events", "sample", "course.completed"}, tc.flags...)...)
			if res.Code != 0 {
				t.Fatalf("exit %d: %s", res.Code, res.Stderr)
			}
			wantWarning := "warning: course.completed is deprecated"
			if tc.colour {
				wantWarning = yellowWarning + "course.completed is deprecated"
			}
			if !strings.HasPrefix(res.Stderr, wantWarning) {
				t.Errorf("stderr = %q, want it to start with %q", res.Stderr, wantWarning)
			}
			if strings.Contains(res.Stdout, "\x1b") {
				t.Errorf("the sample on stdout is coloured: %q", res.Stdout)
			}

			// An error, and a warning printed by the config file's loader.
			e.WriteConfig("profiles: {}\n")
			if err := os.Chmod(e.ConfigPath, 0o644); err != nil {
				t.Fatal(err)
			}
			res = e.RunWith(tc.opts, append([]string{"events", "show", "no.such.event"}, tc.flags...)...)
			wantError := "error: unknown event"
			if tc.colour {
				wantError = redError + "unknown event"
			}
			if res.Code != 2 || !strings.HasPrefix(res.Stderr, wantError) {
				t.Errorf("exit %d, stderr = %q, want it to start with %q", res.Code, res.Stderr, wantError)
			}
			res = e.RunWith(tc.opts, append([]string{"profile", "list"}, tc.flags...)...)
			wantWarning = "warning: " + e.ConfigPath + " is accessible by other users"
			if tc.colour {
				wantWarning = yellowWarning + e.ConfigPath + " is accessible by other users"
			}
			if !strings.Contains(res.Stderr, wantWarning) {
				t.Errorf("stderr = %q, want %q", res.Stderr, wantWarning)
			}
			if !tc.colour && strings.Contains(res.Stderr, "\x1b") {
				t.Errorf("colour on stderr: %q", res.Stderr)
			}
		})
	}
}
