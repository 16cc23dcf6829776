package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The emulator end to end, through the built binary: `emulator serve` as a
// subprocess, `register` and `delete` pointed at it with TAGMANGO_BASE_URL,
// `emulator fire`, and a receiver counting what arrives.

var emuReadyLine = regexp.MustCompile(`^Ready: TagMango emulator on (http://\S+)`)

// emuProcess is a running `tagmango-hooks emulator serve`.
type emuProcess struct {
	URL  string
	cmd  *exec.Cmd
	done chan struct{} // closed when stderr has been read to its end

	mu     sync.Mutex
	stderr strings.Builder
}

// startEmulator starts `emulator serve --port 0 ARGS...` and waits for its Ready line.
func startEmulator(t *testing.T, args ...string) *emuProcess {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"emulator", "serve", "--port", "0"}, args...)...)
	cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &emuProcess{cmd: cmd, done: make(chan struct{})}
	ready := make(chan string, 1)
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.stderr.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if m := emuReadyLine.FindStringSubmatch(sc.Text()); m != nil {
				ready <- m[1]
			}
		}
		close(ready)
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-p.done
			_ = cmd.Wait()
		}
	})
	select {
	case u, ok := <-ready:
		if !ok {
			<-p.done
			t.Fatalf("emulator serve ended without a Ready line:\n%s", p.Stderr())
		}
		p.URL = u
	case <-time.After(30 * time.Second):
		t.Fatalf("no Ready line within 30s:\n%s", p.Stderr())
	}
	return p
}

func (p *emuProcess) Stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// stop sends SIGINT and returns the exit code.
func (p *emuProcess) stop(t *testing.T) int {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	<-p.done
	err := p.cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0
}

// emuEnv is a clean environment whose API and emulator are the emulator at url.
func emuEnv(t *testing.T, url string) []string {
	t.Helper()
	dir := t.TempDir()
	return []string{
		"HOME=" + dir,
		"PATH=" + os.Getenv("PATH"),
		"TAGMANGO_API_KEY=any-key-works",
		"TAGMANGO_BASE_URL=" + url,
		"TAGMANGO_EMULATOR_URL=" + url,
		"TAGMANGO_HOOKS_CONFIG=" + filepath.Join(dir, "config.yaml"),
		"TAGMANGO_HOOKS_STATE=" + filepath.Join(dir, "state", "subscriptions.json"),
	}
}

// hookReceiver counts deliveries by path; paths under /fail answer 500.
type hookReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	bodies map[string][]string
	ctypes map[string]int
}

func newHookReceiver(t *testing.T) *hookReceiver {
	t.Helper()
	r := &hookReceiver{bodies: map[string][]string{}, ctypes: map[string]int{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.bodies[req.URL.Path] = append(r.bodies[req.URL.Path], string(b))
		r.ctypes[req.Header.Get("Content-Type")]++
		r.mu.Unlock()
		if strings.HasPrefix(req.URL.Path, "/fail") {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *hookReceiver) contentTypes() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.ctypes)
}

func (r *hookReceiver) got(path string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bodies[path]...)
}

func TestEmulatorEndToEnd(t *testing.T) {
	const course = "634fc35ddaf58580e2418c40"
	emu := startEmulator(t)
	recv := newHookReceiver(t)
	env := emuEnv(t, emu.URL)

	// register, unchanged, against the emulator.
	stdout, stderr, code := run(t, env, "register", "--url", recv.URL+"/hooks/tm", "--event", "course.completed.50", "--course", course, "-o", "json")
	if code != 0 {
		t.Fatalf("register: exit %d\n%s", code, stderr)
	}
	var recs []struct {
		RemoteID string `json:"remoteId"`
	}
	if err := json.Unmarshal([]byte(stdout), &recs); err != nil || len(recs) != 1 || len(recs[0].RemoteID) != 24 {
		t.Errorf("register output (want the emulator's 24-hex _id as remoteId): %v\n%s", err, stdout)
	}
	if _, stderr, code := run(t, env, "register", "--url", recv.URL+"/all", "--event", "course.completed.50"); code != 0 {
		t.Fatalf("register: exit %d\n%s", code, stderr)
	}

	// fire: N deliveries of the right shape.
	const n = 25
	stdout, stderr, code = run(t, env, "emulator", "fire", "course.completed.50", "--course", course, "--participants", "25", "-o", "json")
	if code != 0 {
		t.Fatalf("fire: exit %d\n%s", code, stderr)
	}
	var rep struct {
		Matched, Sent int
		Statuses      map[string]int
		Failures      []any
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("fire -o json: %v\n%s", err, stdout)
	}
	if rep.Matched != 2 || rep.Sent != 2*n || rep.Statuses["200"] != 2*n || len(rep.Failures) != 0 {
		t.Errorf("report %+v", rep)
	}
	got := recv.got("/hooks/tm")
	if len(got) != n || len(recv.got("/all")) != n {
		t.Fatalf("received %d and %d, want %d each", len(got), len(recv.got("/all")), n)
	}
	emails := map[string]bool{}
	for _, b := range got {
		var p struct {
			Name, Email, Course, CourseID, LastProgressOn string
			Phone                                         json.Number
		}
		if err := json.Unmarshal([]byte(b), &p); err != nil {
			t.Fatalf("delivery is not the course payload: %v\n%s", err, b)
		}
		var raw map[string]any
		_ = json.Unmarshal([]byte(b), &raw)
		if raw["courseId"] != course || p.Name == "" || p.Email == "" || p.Course == "" || p.LastProgressOn == "" || p.Phone == "" {
			t.Errorf("delivery %s", b)
		}
		emails[p.Email] = true
	}
	if len(emails) != n {
		t.Errorf("%d distinct participants in %d deliveries", len(emails), n)
	}
	if ct := recv.contentTypes(); ct["application/json"] != 2*n || len(ct) != 1 {
		t.Errorf("content types %v", ct)
	}

	// delete stops them.
	if _, stderr, code := run(t, env, "delete", "--url", recv.URL+"/hooks/tm"); code != 0 {
		t.Fatalf("delete: exit %d\n%s", code, stderr)
	}
	if _, stderr, code := run(t, env, "emulator", "fire", "course.completed.50", "--course", course); code != 0 {
		t.Fatalf("fire after delete: exit %d\n%s", code, stderr)
	}
	if len(recv.got("/hooks/tm")) != n || len(recv.got("/all")) != n+1 {
		t.Errorf("after delete: %d and %d", len(recv.got("/hooks/tm")), len(recv.got("/all")))
	}

	// A receiver that fails makes fire exit 3.
	if _, stderr, code := run(t, env, "register", "--url", recv.URL+"/fail", "--event", "user.deleted"); code != 0 {
		t.Fatalf("register: exit %d\n%s", code, stderr)
	}
	stdout, stderr, code = run(t, env, "emulator", "fire", "user.deleted", "-n", "3")
	if code != 3 || !strings.Contains(stdout, "status 500\t3\n") || stderr != "error: 3 of 3 deliveries failed\n" {
		t.Errorf("failing receiver: exit %d\n%s\n%s", code, stdout, stderr)
	}

	if code := emu.stop(t); code != 0 {
		t.Errorf("emulator serve exit %d after SIGINT, want 0\n%s", code, emu.Stderr())
	}
	if !strings.HasSuffix(emu.Stderr(), "emulator stopped\n") {
		t.Errorf("stderr:\n%s", emu.Stderr())
	}

	// Nothing listens any more.
	_, stderr, code = run(t, env, "emulator", "fire", "user.deleted")
	if code != 1 || !strings.Contains(stderr, "no emulator is listening on") {
		t.Errorf("no emulator: exit %d: %s", code, stderr)
	}
}

func TestEmulatorStateAndOptionsThroughTheBinary(t *testing.T) {
	state := filepath.Join(t.TempDir(), "emulator.json")
	recv := newHookReceiver(t)

	first := startEmulator(t, "--state", state, "--api-key", "ci-key")
	env := emuEnv(t, first.URL)
	// The environment's key is not the emulator's: 401 is an auth failure, exit 4.
	if _, stderr, code := run(t, env, "register", "--url", recv.URL+"/r", "--event", "webinar.reminder.all"); code != 4 {
		t.Errorf("wrong key: exit %d, want 4\n%s", code, stderr)
	}
	env = append(env, "TAGMANGO_API_KEY=ci-key")
	if _, stderr, code := run(t, env, "register", "--url", recv.URL+"/r", "--event", "webinar.reminder.all"); code != 0 {
		t.Fatalf("register: exit %d\n%s", code, stderr)
	}
	if code := first.stop(t); code != 0 {
		t.Fatalf("stop: %d", code)
	}

	// Restarted on the same state, with every delivery sent twice.
	second := startEmulator(t, "--state", state, "--duplicates", "1")
	env = emuEnv(t, second.URL)
	stdout, stderr, code := run(t, env, "emulator", "fire", "webinar.reminder.all", "--webinar", "6149b1e5612c4e5fd96041d3", "-n", "4")
	if code != 0 {
		t.Fatalf("fire: exit %d\n%s", code, stderr)
	}
	// 3 rounds × 4 participants, each sent twice.
	if got := len(recv.got("/r")); got != 24 {
		t.Errorf("received %d, want 24\n%s", got, stdout)
	}
	for _, want := range []string{"rounds\t3 ", "matched\t1\n", "sent\t24\n", "duplicates\t12\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
}
