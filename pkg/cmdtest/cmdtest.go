// Package cmdtest runs tagmango-hooks commands in tests: arguments in, stdout, stderr
// and exit code out, with injected streams, clock and sleep, an isolated config and
// state, and a check that no secret ever reaches the output.
package cmdtest

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/factory"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/root"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
)

// TestAPIKey is the key tests use; output containing it fails the test.
const TestAPIKey = "tmk_live_0123456789abcdefSECRET9f3a"

// DefaultNow is the pinned clock of every run.
var DefaultNow = time.Date(2026, 11, 22, 10, 4, 5, 0, time.UTC)

// Env is an isolated environment: its own config and state files under a temporary
// directory and no TAGMANGO_* variables from the developer's shell.
type Env struct {
	T          testing.TB
	Dir        string
	ConfigPath string
	StatePath  string
	// Secrets must never appear in stdout or stderr.
	Secrets []string
	// Now is the clock given to commands.
	Now time.Time

	mu     sync.Mutex
	sleeps []time.Duration
}

// Result is what a run produced.
type Result struct {
	Stdout string
	Stderr string
	Code   int
}

// Options change one run.
type Options struct {
	Stdin     string
	StdinTTY  bool
	StdoutTTY bool
	StderrTTY bool
	// Color decides colour as a real terminal would: on for the streams marked as
	// terminals, unless ColorEnv sets NO_COLOR or TERM=dumb (or --no-color is given).
	// Without it, no colour.
	Color bool
	// ColorEnv is the environment the colour decision reads, in place of the
	// developer's: TERM is xterm-256color unless it sets TERM.
	ColorEnv map[string]string
	Context  context.Context
	// Factory, when set, changes the factory before the run (to inject faults).
	Factory func(*cmdutil.Factory)
}

// New prepares an Env. It uses t.Setenv, so tests using it cannot be parallel.
func New(t testing.TB) *Env {
	t.Helper()
	dir := t.TempDir()
	e := &Env{
		T:          t,
		Dir:        dir,
		ConfigPath: filepath.Join(dir, "config", "config.yaml"),
		StatePath:  filepath.Join(dir, "state", "subscriptions.json"),
		Secrets:    []string{TestAPIKey},
		Now:        DefaultNow,
	}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "TAGMANGO_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	t.Setenv("HOME", dir)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "xdg-config"))
	t.Setenv("XDG_STATE_HOME", filepath.Join(dir, "xdg-state"))
	t.Setenv("NO_COLOR", "")
	t.Setenv("TAGMANGO_HOOKS_CONFIG", e.ConfigPath)
	t.Setenv("TAGMANGO_HOOKS_STATE", e.StatePath)
	return e
}

// Run runs the command line args with empty stdin and no terminal.
func (e *Env) Run(args ...string) Result {
	e.T.Helper()
	return e.RunWith(Options{}, args...)
}

// RunWith runs args with the given streams.
func (e *Env) RunWith(o Options, args ...string) Result {
	e.T.Helper()
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(o.Stdin)
	ios.SetStdinTTY(o.StdinTTY)
	ios.SetStdoutTTY(o.StdoutTTY)
	ios.SetStderrTTY(o.StderrTTY)
	if o.Color {
		env := map[string]string{"TERM": "xterm-256color"}
		maps.Copy(env, o.ColorEnv)
		ios.DecideColor(func(k string) string { return env[k] })
	}
	f := factory.New(ios)
	e.Configure(f)
	if o.Factory != nil {
		o.Factory(f)
	}
	ctx := o.Context
	if ctx == nil {
		ctx = context.Background()
	}
	code := root.Main(ctx, f, args)
	res := Result{Stdout: out.String(), Stderr: errOut.String(), Code: code}
	e.CheckNoSecrets("stdout", res.Stdout)
	e.CheckNoSecrets("stderr", res.Stderr)
	return res
}

// Configure pins the factory's clock and makes its sleeps instant and recorded.
func (e *Env) Configure(f *cmdutil.Factory) {
	f.Now = func() time.Time { return e.Now }
	f.AppVersion = "1.0.0-test"
	f.Sleep = func(ctx context.Context, d time.Duration) error {
		e.mu.Lock()
		e.sleeps = append(e.sleeps, d)
		e.mu.Unlock()
		return ctx.Err()
	}
}

// Sleeps returns the waits commands asked for, in order.
func (e *Env) Sleeps() []time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]time.Duration(nil), e.sleeps...)
}

// CheckNoSecrets fails the test when text contains one of e.Secrets.
func (e *Env) CheckNoSecrets(where, text string) {
	e.T.Helper()
	for _, s := range e.Secrets {
		if s != "" && strings.Contains(text, s) {
			e.T.Errorf("%s contains a secret (%s…): %q", where, s[:4], text)
		}
	}
}

// WriteConfig writes a config file with the given content, mode 0600.
func (e *Env) WriteConfig(content string) {
	e.T.Helper()
	if err := os.MkdirAll(filepath.Dir(e.ConfigPath), 0o700); err != nil {
		e.T.Fatal(err)
	}
	if err := os.WriteFile(e.ConfigPath, []byte(content), 0o600); err != nil {
		e.T.Fatal(err)
	}
}

// WithProfile writes a config whose default profile has TestAPIKey and base URL.
func (e *Env) WithProfile(baseURL string) {
	e.T.Helper()
	e.WriteConfig("current-profile: default\nprofiles:\n  default:\n    api-key: " + TestAPIKey + "\n    base-url: " + baseURL + "\n")
}

// ReadState returns the state file's content, "" when it does not exist.
func (e *Env) ReadState() string {
	e.T.Helper()
	b, err := os.ReadFile(e.StatePath)
	if os.IsNotExist(err) {
		return ""
	}
	if err != nil {
		e.T.Fatal(err)
	}
	return string(b)
}
