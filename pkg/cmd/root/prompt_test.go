package root_test

import (
	"context"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
)

// stuckStdin is a terminal nobody types into: a read blocks until the test ends.
type stuckStdin struct {
	reading chan struct{} // closed when the first read starts
	once    sync.Once
	release chan struct{}
}

func newStuckStdin(t *testing.T) *stuckStdin {
	t.Helper()
	s := &stuckStdin{reading: make(chan struct{}), release: make(chan struct{})}
	t.Cleanup(func() { close(s.release) })
	return s
}

func (s *stuckStdin) Read([]byte) (int, error) {
	s.once.Do(func() { close(s.reading) })
	<-s.release
	return 0, io.EOF
}

// interruptAtPrompt runs args on a terminal and presses Ctrl-C (cancels the context)
// once the command waits for an answer.
func interruptAtPrompt(t *testing.T, e *cmdtest.Env, args ...string) cmdtest.Result {
	t.Helper()
	stdin := newStuckStdin(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-stdin.reading
		cancel()
	}()
	opts := cmdtest.Options{
		StdinTTY: true, StderrTTY: true, StdoutTTY: true, Context: ctx,
		Factory: func(f *cmdutil.Factory) { f.IOStreams.In = stdin },
	}
	done := make(chan cmdtest.Result, 1)
	go func() { done <- e.RunWith(opts, args...) }()
	select {
	case res := <-done:
		return res
	case <-time.After(20 * time.Second):
		t.Fatalf("%v: still waiting at the prompt after Ctrl-C", args)
	}
	return cmdtest.Result{}
}

func TestCtrlCAtAPromptExits130AndChangesNothing(t *testing.T) {
	e := cmdtest.New(t)
	srv := cmdtest.NewAPIServer(t)
	e.WithProfile(srv.URL)
	for _, u := range []string{"https://example.com/a", "https://example.com/b"} {
		if res := e.Run("register", "--url", u, "--event", "course.completed.50"); res.Code != 0 {
			t.Fatalf("register: %s", res.Stderr)
		}
	}
	config, _ := os.ReadFile(e.ConfigPath)
	state := e.ReadState()
	calls := len(srv.Calls())

	for _, tc := range []struct {
		args   []string
		prompt string
	}{
		{[]string{"delete", "--all"}, "  https://example.com/a  (course.completed.50)\n  https://example.com/b  (course.completed.50)\n" +
			"Delete 2 URL(s) of profile default on " + srv.URL + "? [y/N] "},
		{[]string{"profile", "remove", "default"}, "Remove profile default and its API key? [y/N] "},
		{[]string{"profile", "add", "staging"}, "API key for profile staging: "},
	} {
		res := interruptAtPrompt(t, e, tc.args...)
		if res.Code != 130 || res.Stderr != tc.prompt+"\ninterrupted\n" || res.Stdout != "" {
			t.Errorf("%v: exit %d stdout %q stderr %q", tc.args, res.Code, res.Stdout, res.Stderr)
		}
	}
	if b, _ := os.ReadFile(e.ConfigPath); string(b) != string(config) {
		t.Errorf("the config changed:\n%s", b)
	}
	if e.ReadState() != state {
		t.Errorf("the store changed:\n%s", e.ReadState())
	}
	if n := len(srv.Calls()); n != calls {
		t.Errorf("%d API calls after the prompt", n-calls)
	}
}

// A prompt whose context is already done does not wait for input at all.
func TestPromptAfterCtrlCDoesNotRead(t *testing.T) {
	e := cmdtest.New(t)
	e.WriteConfig("current-profile: a\nprofiles:\n  a:\n    api-key: tmk_aaaaaaaaaaaaaaaa\n")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := e.RunWith(cmdtest.Options{StdinTTY: true, StderrTTY: true, Context: ctx, Stdin: "y\n"}, "profile", "remove", "a")
	if res.Code != 130 || !strings.HasSuffix(res.Stderr, "interrupted\n") {
		t.Errorf("exit %d stderr %q", res.Code, res.Stderr)
	}
	if b, _ := os.ReadFile(e.ConfigPath); !strings.Contains(string(b), "tmk_aaaa") {
		t.Errorf("removed after Ctrl-C")
	}
}
