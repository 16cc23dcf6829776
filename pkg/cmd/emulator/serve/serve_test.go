package serve_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/factory"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/root"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
)

var readyLine = regexp.MustCompile(`^Ready: TagMango emulator on (http://\S+)`)

// serving is `emulator serve` running in this process.
type serving struct {
	URL     string
	cancel  context.CancelFunc
	done    chan int
	scanned chan struct{} // closed when all of stderr has been read

	mu     sync.Mutex
	stderr strings.Builder
}

// startServe runs args in-process and waits for the Ready line on stderr.
func startServe(t *testing.T, e *cmdtest.Env, args ...string) *serving {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	pr, pw := io.Pipe()
	ios.ErrOut = pw
	f := factory.New(ios)
	e.Configure(f)
	ctx, cancel := context.WithCancel(context.Background())
	s := &serving{cancel: cancel, done: make(chan int, 1), scanned: make(chan struct{})}
	go func() {
		code := root.Main(ctx, f, args)
		pw.Close()
		s.done <- code
	}()
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			s.mu.Lock()
			s.stderr.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
			if m := readyLine.FindStringSubmatch(sc.Text()); m != nil {
				ready <- m[1]
			}
		}
		close(ready)
		close(s.scanned)
	}()
	t.Cleanup(func() { s.stop(t) })
	u, ok := <-ready
	if !ok {
		t.Fatalf("no Ready line; stderr:\n%s", s.Stderr())
	}
	s.URL = u
	return s
}

func (s *serving) Stderr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.String()
}

// stop cancels the context, as SIGINT does, and returns the exit code.
func (s *serving) stop(t *testing.T) int {
	t.Helper()
	s.cancel()
	select {
	case code := <-s.done:
		s.done <- code
		<-s.scanned
		return code
	case <-time.After(10 * time.Second):
		t.Fatal("emulator serve did not stop within 10s of cancel")
		return -1
	}
}

func request(t *testing.T, method, url, key, body string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("x-api-key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// serve's --state and --api-key are its own: they shadow the global flags, and the
// user's config file, store and TAGMANGO_API_KEY are never read.
func TestServeUsesItsOwnStateAndKey(t *testing.T) {
	e := cmdtest.New(t)
	e.WriteConfig("::: not yaml {")
	if err := os.MkdirAll(filepath.Dir(e.StatePath), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.StatePath, []byte("corrupt store"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TAGMANGO_API_KEY", "env-key")
	state := filepath.Join(t.TempDir(), "emulator.json")

	s := startServe(t, e, "emulator", "serve", "--port", "0", "--state", state, "--api-key", "serve-key")
	if !strings.Contains(s.Stderr(), "Ready: TagMango emulator on "+s.URL+"\n") {
		t.Errorf("Ready line with --api-key carries a note:\n%s", s.Stderr())
	}
	reg := s.URL + "/api/v1/integration/webhook/webhook"
	body := `{"hookUrl":"https://example.com/h","event":"user.deleted"}`
	if got := request(t, http.MethodPost, reg, "env-key", body); got != 401 {
		t.Errorf("the environment's key: %d, want 401", got)
	}
	if got := request(t, http.MethodPost, reg, "serve-key", body); got != 200 {
		t.Fatalf("serve's key: %d", got)
	}
	if code := s.stop(t); code != 0 {
		t.Errorf("exit %d after cancel, want 0\n%s", code, s.Stderr())
	}
	b, err := os.ReadFile(state)
	if err != nil || !strings.Contains(string(b), `"hookUrl": "https://example.com/h"`) {
		t.Errorf("--state file: %v\n%s", err, b)
	}
	if b, _ := os.ReadFile(e.StatePath); string(b) != "corrupt store" {
		t.Errorf("the user's store was touched: %q", b)
	}
	if !strings.HasSuffix(s.Stderr(), "emulator stopped\n") {
		t.Errorf("stderr:\n%s", s.Stderr())
	}

	// Restarted on the same file, it has the registration.
	s2 := startServe(t, e, "emulator", "serve", "--port", "0", "--state", state)
	if !strings.Contains(s2.Stderr(), "registrations: 1 loaded from "+state) {
		t.Errorf("restart:\n%s", s2.Stderr())
	}
	if !strings.Contains(s2.Stderr(), "Ready: TagMango emulator on "+s2.URL+" (any non-empty x-api-key is accepted)\n") {
		t.Errorf("Ready line without --api-key:\n%s", s2.Stderr())
	}
	if got := request(t, http.MethodDelete, s2.URL+"/api/v1/integration/webhook/webhook", "any", `{"hookUrl":"https://example.com/h"}`); got != 200 {
		t.Errorf("delete after restart: %d", got)
	}
}

func TestServeLogsEachCall(t *testing.T) {
	e := cmdtest.New(t)
	s := startServe(t, e, "emulator", "serve", "--port", "0", "--api-key", "the-serve-key-1234")
	request(t, http.MethodPost, s.URL+"/api/v1/integration/webhook/webhook", "wrong", `{}`)
	request(t, http.MethodPost, s.URL+"/api/v1/integration/webhook/webhook", "the-serve-key-1234", `{"hookUrl":"https://example.com/h","event":"user.deleted"}`)
	request(t, http.MethodPost, s.URL+"/_emulator/fire", "", `{"event":"user.deleted"}`)
	s.stop(t)
	out := s.Stderr()
	for _, want := range []string{
		"POST /api/v1/integration/webhook/webhook → 401 (wrong x-api-key)\n",
		" user.deleted → https://example.com/h\n",
		"fire user.deleted: 1 matched, 1 sent, 1 failed in ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "the-serve-key-1234") {
		t.Errorf("the key is in the log:\n%s", out)
	}
}

func TestServeRejectsBadFlags(t *testing.T) {
	e := cmdtest.New(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--port", "70000"}, "error: --port must be between 0 and 65535, not 70000"},
		{[]string{"--duplicates", "1.5"}, "error: --duplicates is a fraction between 0 and 1, not 1.5"},
		{[]string{"--retries", "11"}, "error: --retries must be between 0 and 10, not 11"},
		{[]string{"--retry-wait", "0s"}, "error: --retry-wait must be positive"},
		{[]string{"--api-key", ""}, "error: --api-key must not be empty (leave it out to accept any key)"},
		{[]string{"--host", ""}, "error: --host must not be empty"},
		{[]string{"extra"}, `error: unexpected argument "extra"`},
	}
	for _, tt := range tests {
		res := e.Run(append([]string{"emulator", "serve"}, tt.args...)...)
		if res.Code != 2 || !strings.HasPrefix(res.Stderr, tt.want+"\nusage: ") {
			t.Errorf("%v: exit %d\n%s", tt.args, res.Code, res.Stderr)
		}
	}
}

func TestServeReportsABusyPort(t *testing.T) {
	e := cmdtest.New(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	res := e.Run("emulator", "serve", "--port", port)
	want := "error: 127.0.0.1:" + port + " is already in use (another emulator?): choose another --port, or --port 0 for any free one\n"
	if res.Code != 1 || res.Stderr != want {
		t.Errorf("exit %d: %q", res.Code, res.Stderr)
	}
}

func TestServeRefusesACorruptState(t *testing.T) {
	e := cmdtest.New(t)
	state := filepath.Join(t.TempDir(), "emulator.json")
	if err := os.WriteFile(state, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	res := e.Run("emulator", "serve", "--port", "0", "--state", state)
	if res.Code != 1 || !strings.Contains(res.Stderr, "the emulator state "+state+" is not valid") {
		t.Errorf("exit %d: %s", res.Code, res.Stderr)
	}
}
