package listen_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/factory"
	listencmd "github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/listen"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/root"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/receiver"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/store"
)

const (
	coursePayload   = `{"name":"Student Name","email":"student@example.com","phone":1234567890,"course":"Example course","courseId":"634fc35ddaf58580e2418c40","lastProgressOn":"2023-11-20T18:30Z"}`
	reminderPayload = `{"name":"John Doe","email":"john@example.com","phone":"1234567890","timezone":"+05:30","webinar":"Introduction to Digital Marketing","webinarId":"634fc35ddaf58580e2418c40","webinarLink":"https://meet.google.com/abc-defg-hij","webinarFromTime":"2024-03-15T10:00:00.000Z","webinarToTime":"2024-03-15T11:00:00.000Z","webinarFromTimeInCreatorTimezone":"2024-03-15T15:30:00.000Z","creatorTimezone":"+05:30","mangoes":"Marketing Community, Digital Course Hub"}`
	userPayload     = `{"_id":"66b810000000000000000000","name":"John Doe","email":"someone@example.com","phone":9999999999,"country":"IN","host":"example.tagmango.com","profilePicUrl":"https://example.com/profile.jpg"}`
)

// parse runs argv through the command with a runF that captures the options.
func parse(t *testing.T, args ...string) (*listencmd.ListenOptions, error) {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	f := factory.New(ios)
	fs := pflag.NewFlagSet("global", pflag.ContinueOnError)
	fs.BoolP("verbose", "v", false, "")
	fs.StringP("output", "o", "table", "")
	f.GlobalFlags = fs
	var got *listencmd.ListenOptions
	cmd := listencmd.NewCmdListen(f, func(o *listencmd.ListenOptions) error { got = o; return nil })
	cmd.Flags().AddFlagSet(fs)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cmdutil.FlagErrorWrap(err) })
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	err := cmd.Execute()
	return got, err
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		check func(*listencmd.ListenOptions) bool
		err   string
	}{
		{name: "defaults", args: nil, check: func(o *listencmd.ListenOptions) bool {
			return o.Host == "127.0.0.1" && o.Port == 4242 && o.Path == "/" && o.MaxBodyBytes == 1<<20 && o.Status == 200 &&
				o.ForwardTimeout == 30*time.Second && !o.JSON && o.Count == 0 && o.Timeout == 0 && o.Header == nil && o.Routes == nil && !o.Register && o.MaxConnections == 2048
		}},
		{name: "the largest body", args: []string{"--max-body", "64MiB", "--max-connections", "10"}, check: func(o *listencmd.ListenOptions) bool {
			return o.MaxBodyBytes == 64<<20 && o.MaxConnections == 10
		}},
		{name: "sizes in units", args: []string{"--max-body", "512KiB"}, check: func(o *listencmd.ListenOptions) bool { return o.MaxBodyBytes == 512<<10 }},
		{name: "sizes in bytes", args: []string{"--max-body", "1000000"}, check: func(o *listencmd.ListenOptions) bool { return o.MaxBodyBytes == 1000000 }},
		{name: "path is normalised", args: []string{"--path", "/hooks/"}, check: func(o *listencmd.ListenOptions) bool { return o.Path == "/hooks" }},
		{name: "events, repeatable and comma-separated", args: []string{"--event", "course.completed.50, webinar.*", "-e", "user.deleted", "-n", "3", "--timeout", "1m"}, check: func(o *listencmd.ListenOptions) bool {
			return slices.Equal(o.Events, []string{"course.completed.50", "webinar.*", "user.deleted"}) && o.RegisterEvents == nil && o.Count == 3 && o.Timeout == time.Minute
		}},
		{name: "the deprecated --events", args: []string{"--events", "course.completed.50,webinar.*", "-e", "webinar.*"}, check: func(o *listencmd.ListenOptions) bool {
			return slices.Equal(o.Events, []string{"webinar.*", "course.completed.50"})
		}},
		{name: "--count", args: []string{"--count", "2"}, check: func(o *listencmd.ListenOptions) bool { return o.Count == 2 }},
		{name: "-o json is --json", args: []string{"-o", "json"}, check: func(o *listencmd.ListenOptions) bool { return o.JSON }},
		{name: "-v shows headers", args: []string{"-v", "--json"}, check: func(o *listencmd.ListenOptions) bool { return o.Verbose && o.JSON }},
		{name: "require-header", args: []string{"--require-header", "x-webhook-secret=a=b"}, check: func(o *listencmd.ListenOptions) bool {
			return *o.Header == receiver.HeaderCheck{Name: "X-Webhook-Secret", Value: "a=b"}
		}},
		{name: "routes", args: []string{"--forward-to", "http://localhost:3000/x?a=b", "--forward-to", "webinar.*=http://localhost:3001/w", "--forward-timeout", "5s"}, check: func(o *listencmd.ListenOptions) bool {
			return slices.Equal(o.Routes, []receiver.Route{{URL: "http://localhost:3000/x?a=b"}, {Event: "webinar.*", URL: "http://localhost:3001/w"}}) && o.ForwardTimeout == 5*time.Second
		}},
		{name: "register", args: []string{"--register", "--public-url", "https://x.example.com", "--event", "course.completed.50", "-e", "course.completed.100,course.completed.50", "--course", "c1"}, check: func(o *listencmd.ListenOptions) bool {
			want := []string{"course.completed.50", "course.completed.100"}
			return o.Register && o.PublicURL == "https://x.example.com" && slices.Equal(o.RegisterEvents, want) && slices.Equal(o.Events, want) && o.Filters == store.Filters{Course: "c1"}
		}},
		{name: "bad size", args: []string{"--max-body", "lots"}, err: `--max-body: invalid size "lots"`},
		{name: "body over the cap", args: []string{"--max-body", "65MiB"}, err: "--max-body 65MiB: at most 64 MiB (TagMango's deliveries are a few KiB)"},
		{name: "body far over the cap", args: []string{"--max-body", "64GiB"}, err: "--max-body 64GiB: at most 64 MiB"},
		{name: "no connections", args: []string{"--max-connections", "0"}, err: "invalid --max-connections 0: use a positive number"},
		{name: "bad status", args: []string{"--status", "99"}, err: "invalid --status 99: use 200 to 599"},
		{name: "bad port", args: []string{"--port", "70000"}, err: "invalid --port 70000"},
		{name: "bad path", args: []string{"--path", "hooks"}, err: "--path: invalid path \"hooks\": it must start with /"},
		{name: "bad count", args: []string{"--count", "-1"}, err: "invalid --count -1"},
		{name: "bad header", args: []string{"--require-header", "X-Secret"}, err: "--require-header: use NAME=VALUE"},
		{name: "bad header name", args: []string{"--require-header", "X Secret=1"}, err: `--require-header: "X Secret" is not a valid header name`},
		{name: "bad route", args: []string{"--forward-to", "ftp://localhost:3000"}, err: `--forward-to: invalid URL "ftp://localhost:3000"`},
		{name: "a public route needs its scheme", args: []string{"--forward-to", "hooks.example.com/tm"}, err: `--forward-to: invalid URL "hooks.example.com/tm": it has no scheme; did you mean https://hooks.example.com/tm?`},
		{name: "loopback routes need no scheme", args: []string{"--forward-to", "localhost:3000/x", "--forward-to", "webinar.*=127.0.0.1:3001/w", "-e", "user.deleted", "--forward-to", "user.deleted=[::1]:3002"}, check: func(o *listencmd.ListenOptions) bool {
			return slices.Equal(o.Routes, []receiver.Route{{URL: "http://localhost:3000/x"}, {Event: "webinar.*", URL: "http://127.0.0.1:3001/w"}, {Event: "user.deleted", URL: "http://[::1]:3002"}})
		}},
		{name: "two defaults", args: []string{"--forward-to", "http://a", "--forward-to", "http://b"}, err: "give at most one plain URL"},
		{name: "register without public URL", args: []string{"--register", "--event", "user.deleted"}, err: "--register needs --public-url"},
		{name: "register without events", args: []string{"--register", "--public-url", "https://x"}, err: "--register needs at least one --event"},
		{name: "public URL without register", args: []string{"--public-url", "https://x", "--event", "user.deleted"}, err: "go with --register"},
		{name: "a filter without register", args: []string{"--course", "c1"}, err: "go with --register"},
		{name: "yaml", args: []string{"-o", "yaml"}, err: "YAML is not available"},
		{name: "an argument", args: []string{"now"}, err: `unexpected argument "now"`},
		{name: "unknown flag", args: []string{"--prot", "1"}, err: "unknown flag: --prot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parse(t, tt.args...)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || cmdutil.ExitCodeFor(err) != cmdutil.ExitUsage {
					t.Fatalf("err %v (exit %d), want %q, exit 2", err, cmdutil.ExitCodeFor(err), tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(o) {
				t.Errorf("options %+v", o)
			}
		})
	}
}

// watchWriter is a stderr that the test can read while listen runs: it announces
// the URL of the Ready line.
type watchWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	ready chan string
	sent  bool
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, _ := w.buf.Write(p)
	if !w.sent {
		for line := range strings.SplitSeq(w.buf.String(), "\n") {
			if u, ok := strings.CutPrefix(line, "Ready: listening on "); ok {
				w.sent = true
				w.ready <- u
				break
			}
		}
	}
	return n, nil
}

func (w *watchWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// session is a listen running in the background through the whole command tree.
type session struct {
	url    string
	cancel context.CancelFunc
	done   chan cmdtest.Result
	errOut *watchWriter
}

// startListen runs `listen --port 0 ARGS` as cmdtest does, but with a stderr the test
// watches, and returns once the Ready line is out.
func startListen(t *testing.T, env *cmdtest.Env, args ...string) *session {
	t.Helper()
	ios, _, out, _ := iostreams.Test()
	w := &watchWriter{ready: make(chan string, 1)}
	ios.ErrOut = w
	f := factory.New(ios)
	env.Configure(f)
	ctx, cancel := context.WithCancel(context.Background())
	s := &session{cancel: cancel, done: make(chan cmdtest.Result, 1), errOut: w}
	go func() {
		code := root.Main(ctx, f, append([]string{"listen", "--port", "0"}, args...))
		s.done <- cmdtest.Result{Stdout: out.String(), Stderr: w.String(), Code: code}
	}()
	t.Cleanup(cancel)
	select {
	case s.url = <-w.ready:
	case res := <-s.done:
		t.Fatalf("listen ended before it was ready: exit %d\n%s", res.Code, res.Stderr)
	case <-time.After(20 * time.Second):
		t.Fatalf("no Ready line; stderr so far:\n%s", w.String())
	}
	return s
}

// wait returns the result once listen has ended by itself.
func (s *session) wait(t *testing.T, env *cmdtest.Env) cmdtest.Result {
	t.Helper()
	select {
	case res := <-s.done:
		env.CheckNoSecrets("stdout", res.Stdout)
		env.CheckNoSecrets("stderr", res.Stderr)
		return res
	case <-time.After(30 * time.Second):
		t.Fatalf("listen did not end; stderr so far:\n%s", s.errOut.String())
	}
	panic("unreachable")
}

// stop ends listen as Ctrl-C does and returns its result.
func (s *session) stop(t *testing.T, env *cmdtest.Env) cmdtest.Result {
	t.Helper()
	s.cancel()
	return s.wait(t, env)
}

func post(t *testing.T, url, body string) int {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func jsonLines(t *testing.T, stdout string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSuffix(stdout, "\n"), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON line: %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func TestListenCountExitsAfterN(t *testing.T) {
	env := cmdtest.New(t)
	s := startListen(t, env, "--json", "--count", "3")
	if !strings.HasPrefix(s.url, "http://127.0.0.1:") || !strings.HasSuffix(s.url, "/") {
		t.Errorf("ready URL %q", s.url)
	}
	for _, b := range []string{coursePayload, userPayload, coursePayload} {
		if st := post(t, s.url, b); st != 200 {
			t.Fatalf("status %d", st)
		}
	}
	res := s.wait(t, env)
	if res.Code != 0 {
		t.Fatalf("exit %d\n%s", res.Code, res.Stderr)
	}
	lines := jsonLines(t, res.Stdout)
	if len(lines) != 3 {
		t.Fatalf("%d lines:\n%s", len(lines), res.Stdout)
	}
	for i, l := range lines {
		if l["seq"] != float64(i+1) || l["receivedAt"] != "2026-11-22T10:04:05Z" {
			t.Errorf("line %d: %v", i+1, l)
		}
	}
	if lines[1]["event"] != "user.deleted" || lines[2]["duplicateOf"] != float64(1) {
		t.Errorf("lines %v", lines)
	}
	want := "Summary: 3 deliveries\n  course.completed.*  2\n  user.deleted        1\n  duplicates: 1 · with warnings: 0 · forward failures: 0\n"
	if !strings.HasSuffix(res.Stderr, want) {
		t.Errorf("stderr:\n%s\nwant suffix:\n%s", res.Stderr, want)
	}
}

func TestListenTimeout(t *testing.T) {
	t.Run("with --count, too few came: exit 3", func(t *testing.T) {
		env := cmdtest.New(t)
		s := startListen(t, env, "--json", "--count", "2", "--timeout", "1500ms")
		post(t, s.url, userPayload)
		res := s.wait(t, env)
		if res.Code != cmdutil.ExitExpectation || !strings.Contains(res.Stderr, "error: only 1 of the 2 deliveries expected came within 1.5s") {
			t.Errorf("exit %d\n%s", res.Code, res.Stderr)
		}
		if len(jsonLines(t, res.Stdout)) != 1 {
			t.Errorf("stdout %q", res.Stdout)
		}
	})
	t.Run("alone: listen for that long, exit 0", func(t *testing.T) {
		env := cmdtest.New(t)
		s := startListen(t, env, "--timeout", "50ms")
		res := s.wait(t, env)
		if res.Code != 0 || !strings.Contains(res.Stderr, "Summary: no deliveries") {
			t.Errorf("exit %d\n%s", res.Code, res.Stderr)
		}
	})
}

func TestListenCtrlCIsANormalEnd(t *testing.T) {
	env := cmdtest.New(t)
	s := startListen(t, env)
	post(t, s.url+"course.completed.50", coursePayload)
	// The entry is out once the summary counts it; wait for the entry itself.
	res := s.stop(t, env)
	if res.Code != 0 {
		t.Fatalf("exit %d\n%s", res.Code, res.Stderr)
	}
	if !strings.Contains(res.Stdout, "#1 course.completed.50 POST /course.completed.50 173 B → 200\n  Student Name <student@example.com> · course \"Example course\"\n  {\n    \"name\": \"Student Name\",") {
		t.Errorf("stdout:\n%s", res.Stdout)
	}
	if strings.Contains(res.Stdout, "\x1b[") {
		t.Error("colour in a pipe")
	}
	if !strings.Contains(res.Stderr, "Summary: 1 delivery\n  course.completed.50  1\n") || strings.Contains(res.Stderr, "interrupted") {
		t.Errorf("stderr:\n%s", res.Stderr)
	}
}

func TestListenEventsFilter(t *testing.T) {
	env := cmdtest.New(t)
	s := startListen(t, env, "--json", "--event", "user.deleted", "-n", "1")
	if st := post(t, s.url, coursePayload); st != 200 {
		t.Errorf("a hidden delivery is answered %d", st)
	}
	post(t, s.url, userPayload)
	res := s.wait(t, env)
	lines := jsonLines(t, res.Stdout)
	if res.Code != 0 || len(lines) != 1 || lines[0]["seq"] != float64(2) || lines[0]["event"] != "user.deleted" {
		t.Errorf("exit %d lines %v", res.Code, lines)
	}
	if !strings.Contains(res.Stderr, "also: 1 hidden by --event") {
		t.Errorf("stderr:\n%s", res.Stderr)
	}
}

func TestListenSave(t *testing.T) {
	env := cmdtest.New(t)
	file := filepath.Join(env.Dir, "deliveries.jsonl")
	indented := "{\n  \"name\": \"Student Name\",\n  \"email\": \"student@example.com\"\n}"
	for run := range 2 {
		s := startListen(t, env, "--save", file, "--count", "2")
		post(t, s.url+"?run=x", indented)
		post(t, s.url, "not json")
		res := s.wait(t, env)
		// Appending continues the numbering: seq is unique within the file.
		if want := fmt.Sprintf("#%d unknown POST / 8 B → 200", 2*run+2); res.Code != 0 || !strings.Contains(res.Stdout, want) {
			t.Fatalf("run %d: exit %d, want %q\n%s\n%s", run, res.Code, want, res.Stdout, res.Stderr)
		}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := jsonLines(t, string(data))
	if len(lines) != 4 {
		t.Fatalf("%d lines saved:\n%s", len(lines), data)
	}
	for i, l := range lines {
		if l["seq"] != float64(i+1) || l["status"] != float64(200) || l["forward"] != nil {
			t.Errorf("line %d: seq %v status %v forward %v", i+1, l["seq"], l["status"], l["forward"])
		}
	}
	// body is the JSON value; raw the exact bytes, whitespace and all, for replay.
	if lines[0]["path"] != "/?run=x" || lines[0]["body"].(map[string]any)["email"] != "student@example.com" || lines[0]["raw"] != indented {
		t.Errorf("line 1: %v", lines[0])
	}
	if lines[1]["body"] != "not json" || lines[1]["raw"] != "not json" || lines[1]["warnings"].([]any)[0] != "the body is not JSON" {
		t.Errorf("line 2: %v", lines[1])
	}
	if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v: payloads hold personal data", fi.Mode().Perm())
	}
}

func TestListenNeedsNoConfig(t *testing.T) {
	env := cmdtest.New(t)
	env.WriteConfig("profiles: [this is not: valid")
	if err := os.MkdirAll(filepath.Dir(env.StatePath), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(env.StatePath, []byte("{corrupt"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startListen(t, env, "--count", "1")
	post(t, s.url, userPayload)
	if res := s.wait(t, env); res.Code != 0 {
		t.Errorf("exit %d\n%s", res.Code, res.Stderr)
	}
}

func TestListenValidation(t *testing.T) {
	tests := []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"--event", "course.complted.50"}, 2, `error: --event: unknown event "course.complted.50"; did you mean "course.completed.50"?`},
		{[]string{"-e", "user.deleted,course.complted.50"}, 2, `error: --event: unknown event "course.complted.50"; did you mean "course.completed.50"?`},
		{[]string{"--events", "course.complted.50"}, 2, `error: --event: unknown event "course.complted.50"; did you mean "course.completed.50"?`},
		{[]string{"--event", "nothing.*"}, 2, `error: --event: no event is in the family "nothing.*"`},
		{[]string{"--event", "course.complted.*"}, 2, `error: --event: no event is in the family "course.complted.*"; did you mean "course.completed.*"?`},
		{[]string{"--forward-to", "webinar.reminder.al=http://localhost:1"}, 2, `did you mean "webinar.reminder.all"?`},
		{[]string{"--register", "--public-url", "https://p.example.com", "--event", "user.delted"}, 2, `error: --event: unknown event "user.delted"; did you mean "user.deleted"?`},
		{[]string{"--register", "--public-url", "https://p.example.com", "--event", "webinar.reminder.*"}, 2, `error: --event: "webinar.reminder.*" is a family, and TagMango subscribes single events; name them: --event webinar.reminder.all,webinar.reminder.1day,webinar.reminder.15min`},
		{[]string{"--register", "--public-url", "https://p.example.com", "--event", "webinar.reminder.all", "--course", "c1"}, 2, "--course does not apply to webinar.reminder.all (its filter is --webinar)"},
		{[]string{"--register", "--public-url", "ftp://p.example.com", "--event", "user.deleted"}, 2, "--public-url: invalid URL"},
		{[]string{"--register", "--public-url", "abc.trycloudflare.com", "--event", "user.deleted"}, 2, `--public-url: invalid URL "abc.trycloudflare.com": it has no scheme; did you mean https://abc.trycloudflare.com?`},
		{[]string{"--save", "/nonexistent-dir/x.jsonl"}, 1, "error: --save: open /nonexistent-dir/x.jsonl"},
		{[]string{"--tunnel", "cloudflared", "--public-url", "https://p.example.com", "--event", "user.deleted"}, 2, "error: --tunnel gives listen its public URL: drop --public-url"},
		{[]string{"--tunnel", "localtunnel", "--event", "user.deleted"}, 2, `error: invalid --tunnel "localtunnel": use cloudflared or ngrok`},
		{[]string{"--tunnel", "cloudflared"}, 2, "--register needs at least one --event"},
		{[]string{"--tunnel", "cloudflared", "--host", "192.0.2.1", "--event", "user.deleted"}, 2, "--tunnel forwards to 127.0.0.1: --host 192.0.2.1 cannot be reached there"},
		{[]string{"--tunnel-bin", "/opt/cloudflared"}, 2, "--tunnel-bin and --tunnel-check go with --tunnel"},
		{[]string{"--tunnel-check", "5s"}, 2, "--tunnel-bin and --tunnel-check go with --tunnel"},
		{[]string{"--tunnel-timeout", "5s"}, 2, "--tunnel-timeout goes with --tunnel or --register"},
		{[]string{"--tunnel", "cloudflared", "--host", "::1", "--event", "user.deleted"}, 2, "--tunnel forwards to 127.0.0.1: --host ::1 cannot be reached there"},
		{[]string{"--no-probe"}, 2, "--no-probe goes with --register or --tunnel"},
		{[]string{"--tunnel", "ngrok", "--tunnel-timeout", "0s", "--event", "user.deleted"}, 2, "invalid --tunnel-timeout 0s"},
		{[]string{"--tunnel", "ngrok", "--tunnel-check", "-1s", "--event", "user.deleted"}, 2, "invalid --tunnel-check -1s: give a duration, or 0 for no checks"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			env := cmdtest.New(t)
			api := cmdtest.NewAPIServer(t)
			env.WithProfile(api.URL)
			res := env.Run(append([]string{"listen", "--port", "0"}, tt.args...)...)
			if res.Code != tt.code || !strings.Contains(res.Stderr, tt.err) {
				t.Errorf("exit %d, stderr:\n%s\nwant %d and %q", res.Code, res.Stderr, tt.code, tt.err)
			}
			if len(api.Calls()) != 0 {
				t.Errorf("API calls: %v", api.Calls())
			}
		})
	}
}

func TestListenPortInUse(t *testing.T) {
	env := cmdtest.New(t)
	s := startListen(t, env)
	port := strings.TrimSuffix(strings.TrimPrefix(s.url, "http://127.0.0.1:"), "/")
	res := env.Run("listen", "--port", port)
	if res.Code != 1 || !strings.Contains(res.Stderr, "the port is in use; pick another --port (0 picks a free one)") {
		t.Errorf("exit %d\n%s", res.Code, res.Stderr)
	}
	s.stop(t, env)
}

func TestListenRefusesToForwardToItself(t *testing.T) {
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(probe.Addr().(*net.TCPAddr).Port)
	_ = probe.Close()
	env := cmdtest.New(t)
	res := env.Run("listen", "--port", port, "--forward-to", "http://localhost:"+port+"/hooks")
	want := "error: --forward-to http://localhost:" + port + "/hooks points at this listener (127.0.0.1:" + port + "): each delivery would be forwarded to itself forever; forward to your handler's address instead\n"
	if res.Code != cmdutil.ExitUsage || !strings.Contains(res.Stderr, want) || strings.Contains(res.Stderr, "Ready") {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 2 and %q", res.Code, res.Stderr, want)
	}
}

func TestListenReadyLineShowsTheHostAsGiven(t *testing.T) {
	env := cmdtest.New(t)
	s := startListen(t, env, "--host", "localhost")
	if !strings.HasPrefix(s.url, "http://localhost:") {
		t.Errorf("ready URL %q", s.url)
	}
	if st := post(t, s.url, userPayload); st != 200 {
		t.Errorf("status %d", st)
	}
	if res := s.stop(t, env); res.Code != 0 || !strings.Contains(res.Stderr, "Ready: listening on http://localhost:") {
		t.Errorf("exit %d\n%s", res.Code, res.Stderr)
	}
}

func TestListenRemindersAreRepeats(t *testing.T) {
	env := cmdtest.New(t)
	s := startListen(t, env, "--json", "--count", "4")
	for range 4 {
		if st := post(t, s.url+"webinar.reminder.all", reminderPayload); st != 200 {
			t.Fatalf("status %d", st)
		}
	}
	res := s.wait(t, env)
	lines := jsonLines(t, res.Stdout)
	if res.Code != 0 || len(lines) != 4 {
		t.Fatalf("exit %d, %d lines\n%s", res.Code, len(lines), res.Stderr)
	}
	for i, want := range []struct {
		repeatOf, duplicateOf any
		notes, warnings       int
	}{{nil, nil, 0, 0}, {float64(1), nil, 1, 0}, {float64(1), nil, 1, 0}, {nil, float64(1), 0, 1}} {
		l := lines[i]
		if l["repeatOf"] != want.repeatOf || l["duplicateOf"] != want.duplicateOf || len(l["notes"].([]any)) != want.notes || len(l["warnings"].([]any)) != want.warnings {
			t.Errorf("line %d: repeatOf %v duplicateOf %v notes %v warnings %v", i+1, l["repeatOf"], l["duplicateOf"], l["notes"], l["warnings"])
		}
	}
	if n := lines[2]["notes"].([]any); len(n) == 1 && n[0] != "round 3 of 3: same body as #1 (webinar.reminder.all is sent 3 times)" {
		t.Errorf("note %q", n[0])
	}
	if !strings.Contains(res.Stderr, "  duplicates: 1 · with warnings: 0 · forward failures: 0 · repeats: 2\n") {
		t.Errorf("stderr:\n%s", res.Stderr)
	}
}

// --events is a deprecated alias of --event: it still selects, and its notice goes to
// stderr, never into the JSON lines on stdout.
func TestListenDeprecatedEventsAlias(t *testing.T) {
	env := cmdtest.New(t)
	s := startListen(t, env, "--json", "--events", "user.deleted", "-n", "1")
	post(t, s.url, coursePayload)
	post(t, s.url, userPayload)
	res := s.wait(t, env)
	lines := jsonLines(t, res.Stdout) // fails on any line that is not JSON
	if res.Code != 0 || len(lines) != 1 || lines[0]["event"] != "user.deleted" {
		t.Errorf("exit %d lines %v", res.Code, lines)
	}
	if !strings.Contains(res.Stderr, "Flag --events has been deprecated, use --event (-e) instead") {
		t.Errorf("no deprecation notice on stderr:\n%s", res.Stderr)
	}
}

// With --register, --event is both what is subscribed and what is shown and counted.
func TestListenRegisterShowsOnlyItsEvents(t *testing.T) {
	env := cmdtest.New(t)
	apiSrv := cmdtest.NewAPIServer(t)
	env.WithProfile(apiSrv.URL)
	s := startListen(t, env, "--register", "--public-url", publicURL, "--no-probe", "-e", "user.deleted", "--json", "-n", "1")
	if st := post(t, s.url+"course.completed.50", coursePayload); st != 200 {
		t.Errorf("an event not listened for is answered %d", st)
	}
	post(t, s.url+"user.deleted", userPayload)
	res := s.wait(t, env)
	lines := jsonLines(t, res.Stdout)
	if res.Code != 0 || len(lines) != 1 || lines[0]["event"] != "user.deleted" {
		t.Errorf("exit %d lines %v\n%s", res.Code, lines, res.Stderr)
	}
	if !strings.Contains(res.Stderr, "1 hidden by --event") {
		t.Errorf("stderr:\n%s", res.Stderr)
	}
}
