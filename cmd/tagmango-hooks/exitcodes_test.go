package main

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// exitCodeRows reads a table of exit codes — docs/exit-codes.md's Markdown table or
// `help exit-codes` (a code at the start of a line, its text indented below) — into
// code → text, with quotes and backticks dropped and spaces collapsed, so that one
// phrase can be looked up in both.
func exitCodeRows(t *testing.T, text string, markdown bool) map[int]string {
	t.Helper()
	rows := map[int]string{}
	row := regexp.MustCompile(`^(\d+)\s+(.*)$`)
	if markdown {
		row = regexp.MustCompile(`^\|\s*(\d+)\s*\|(.*)\|\s*$`)
	}
	code := -1
	for _, l := range strings.Split(text, "\n") {
		if m := row.FindStringSubmatch(l); m != nil {
			code, _ = strconv.Atoi(m[1])
			rows[code] = m[2]
		} else if !markdown && code >= 0 && strings.HasPrefix(l, " ") {
			rows[code] += " " + l
		} else {
			code = -1
		}
	}
	for c, s := range rows {
		rows[c] = strings.Join(strings.Fields(strings.NewReplacer("`", "", "'", "", `"`, "").Replace(s)), " ")
	}
	if len(rows) < 6 {
		t.Fatalf("found %d exit codes in:\n%s", len(rows), text)
	}
	return rows
}

// Every exit code a command returns is in docs/exit-codes.md and `help exit-codes`,
// under that code: each case below is run through the binary, and its phrase must be
// in the row of the code it exited with, in both.
func TestExitCodesAsDocumented(t *testing.T) {
	md, err := os.ReadFile("../../docs/exit-codes.md")
	if err != nil {
		t.Fatal(err)
	}
	docRows := exitCodeRows(t, string(md), true)
	help, stderr, code := run(t, nil, "help", "exit-codes")
	if code != 0 {
		t.Fatalf("help exit-codes: exit %d %s", code, stderr)
	}
	helpRows := exitCodeRows(t, help, false)

	emu := startEmulator(t)
	env := emuEnv(t, emu.URL)
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.jsonl")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	heldPort := strconv.Itoa(held.Addr().(*net.TCPAddr).Port)
	closedPort := strconv.Itoa(freePort(t))
	noKey := []string{"HOME=" + dir, "TAGMANGO_HOOKS_CONFIG=" + filepath.Join(dir, "none.yaml"), "TAGMANGO_HOOKS_STATE=" + filepath.Join(dir, "state.json")}
	register := []string{"register", "--url", "https://example.com/hooks/tm", "--event", "course.completed.50"}

	cases := []struct {
		phrase string
		code   int
		env    []string
		args   []string
		stdin  string
	}{
		{"already registered", 0, env, register, ""},
		{"a missing replay file", 1, env, []string{"replay", filepath.Join(dir, "none.jsonl"), "--to", "http://127.0.0.1:" + closedPort}, ""},
		{"replay with nothing to replay", 1, env, []string{"replay", empty, "--to", "http://127.0.0.1:" + closedPort}, ""},
		{"a port already in use", 1, env, []string{"listen", "--port", heldPort}, ""},
		{"emulator fire when no emulator answers", 1, env, []string{"emulator", "fire", "course.completed.50", "--emulator", "http://127.0.0.1:" + closedPort}, ""},
		{"an unknown subcommand", 2, env, []string{"nonsense"}, ""},
		{"a filter that does not apply to the event", 2, env, []string{"register", "--url", "https://example.com/w", "--event", "webinar.reminder.all", "--course", "634fc35ddaf58580e2418c40"}, ""},
		{"an empty key piped to profile add", 2, env, []string{"profile", "add", "ci"}, "\n"},
		{"listen --forward-to its own address", 2, env, []string{"listen", "--port", closedPort, "--forward-to", "http://127.0.0.1:" + closedPort + "/"}, ""},
		{"listen --count N --timeout DUR saw fewer than N", 3, env, []string{"listen", "--port", "0", "--count", "1", "--timeout", "50ms"}, ""},
		{"emulator fire matched no registration", 3, env, []string{"emulator", "fire", "user.deleted"}, ""},
		{"no API key for a command that calls the API", 4, noKey, register, ""},
	}
	if _, stderr, code := run(t, env, register...); code != 0 {
		t.Fatalf("register: exit %d %s", code, stderr)
	}
	check := func(phrase string, want, got int, stderr string) {
		t.Helper()
		if got != want {
			t.Errorf("%q: exit %d, want %d\n%s", phrase, got, want, stderr)
		}
		for name, rows := range map[string]map[int]string{"docs/exit-codes.md": docRows, "help exit-codes": helpRows} {
			if !strings.Contains(rows[want], phrase) {
				t.Errorf("%s does not say %q under %d:\n%s", name, phrase, want, rows[want])
			}
		}
	}
	for _, tc := range cases {
		cmd := exec.Command(binary, tc.args...)
		cmd.Env = tc.env
		cmd.Stdin = strings.NewReader(tc.stdin)
		out, err := cmd.CombinedOutput()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		check(tc.phrase, tc.code, code, string(out))
	}

	// Ctrl-C: replay waiting on a FIFO that a listen --save would write, and the
	// emulator's normal end.
	fifo := filepath.Join(dir, "live.jsonl")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	replay := exec.Command(binary, "replay", fifo, "--to", "http://127.0.0.1:"+closedPort)
	replay.Env = env
	var replayErr strings.Builder
	replay.Stderr = &replayErr
	if err := replay.Start(); err != nil {
		t.Fatal(err)
	}
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0) // returns once replay has opened it
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close() // open until replay has ended: it must not see an end of file
	if err := replay.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err = replay.Wait()
	code = 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	}
	check("interrupted (Ctrl-C)", 130, code, replayErr.String())
	check("emulator serve stopped by Ctrl-C or SIGTERM", 0, emu.stop(t), emu.Stderr())
}
