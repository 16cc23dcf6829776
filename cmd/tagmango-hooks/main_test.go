package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/store"
)

// binary is the tagmango-hooks executable built once for these tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tagmango-hooks-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "tagmango-hooks")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the binary:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func run(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{out.String(), errOut.String()} {
		if strings.Contains(s, cmdtest.TestAPIKey) {
			t.Errorf("output contains the API key: %q", s)
		}
	}
	return out.String(), errOut.String(), code
}

func baseEnv(t *testing.T, baseURL string) []string {
	t.Helper()
	dir := t.TempDir()
	return []string{
		"HOME=" + dir,
		"PATH=" + os.Getenv("PATH"),
		"TAGMANGO_API_KEY=" + cmdtest.TestAPIKey,
		"TAGMANGO_BASE_URL=" + baseURL,
		"TAGMANGO_HOOKS_CONFIG=" + filepath.Join(dir, "config.yaml"),
		"TAGMANGO_HOOKS_STATE=" + filepath.Join(dir, "state", "subscriptions.json"),
	}
}

func TestConcurrentProcessesLoseNothing(t *testing.T) {
	srv := cmdtest.NewAPIServer(t)
	env := baseEnv(t, srv.URL)
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(binary, "register", "--url", fmt.Sprintf("https://example.com/hook/%d", i), "--event", "course.completed.50")
			cmd.Env = env
			if out, err := cmd.CombinedOutput(); err != nil {
				errs <- fmt.Sprintf("process %d: %v: %s", i, err, out)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	var statePath string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "TAGMANGO_HOOKS_STATE="); ok {
			statePath = v
		}
	}
	st, err := store.New(statePath).Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Subscriptions) != n {
		t.Errorf("%d records after %d concurrent registrations", len(st.Subscriptions), n)
	}
	if len(srv.Calls()) != n {
		t.Errorf("%d API calls", len(srv.Calls()))
	}
}

func TestBinaryExitCodes(t *testing.T) {
	srv := cmdtest.NewAPIServer(t)
	env := baseEnv(t, srv.URL)
	cases := []struct {
		args []string
		code int
	}{
		{[]string{"--version"}, 0},
		{[]string{"nonsense"}, 2},
		{[]string{"register", "--url", "nope", "--event", "course.completed.50"}, 2},
		{[]string{"list", "-o", "json"}, 0},
	}
	for _, tc := range cases {
		_, stderr, code := run(t, env, tc.args...)
		if code != tc.code {
			t.Errorf("%v: exit %d, want %d (%s)", tc.args, code, tc.code, stderr)
		}
	}
	noKey := []string{"HOME=" + t.TempDir(), "TAGMANGO_HOOKS_CONFIG=" + filepath.Join(t.TempDir(), "c.yaml")}
	if _, stderr, code := run(t, noKey, "register", "--url", "https://e.com/h", "--event", "course.completed.50"); code != 4 {
		t.Errorf("no key: exit %d (%s)", code, stderr)
	}
}

func TestTwentyProcessesTimesTwentyRegistrations(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 400 processes")
	}
	srv := cmdtest.NewAPIServer(t)
	env := baseEnv(t, srv.URL)
	const procs, each = 20, 20
	var wg sync.WaitGroup
	errs := make(chan string, procs*each)
	for p := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				cmd := exec.Command(binary, "register", "--url", fmt.Sprintf("https://example.com/p%d/%d", p, i), "--event", "user.deleted")
				cmd.Env = env
				if out, err := cmd.CombinedOutput(); err != nil {
					errs <- fmt.Sprintf("process %d/%d: %v: %s", p, i, err, out)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	st, err := store.New(envValue(env, "TAGMANGO_HOOKS_STATE")).Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Subscriptions) != procs*each {
		t.Errorf("%d records, want %d", len(st.Subscriptions), procs*each)
	}
}

func envValue(env []string, key string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v
		}
	}
	return ""
}
