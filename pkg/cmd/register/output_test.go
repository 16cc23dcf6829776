package register_test

import (
	"strings"
	"testing"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/store"
)

func actions(t *testing.T, stdout string) []string {
	t.Helper()
	got := []string{}
	for _, o := range cmdtest.Outcomes(t, stdout) {
		if o.ID == "" || o.HookURL != hook || o.RegisteredAt.IsZero() {
			t.Errorf("a record's fields are missing: %+v", o)
		}
		got = append(got, o.Event+":"+o.Action)
	}
	return got
}

func TestRegisterJSONSaysWhatWasDone(t *testing.T) {
	e := cmdtest.New(t)
	srv := cmdtest.NewAPIServer(t)
	e.WithProfile(srv.URL)
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"-e", "course.completed.50"}, "course.completed.50:registered"},
		{[]string{"-e", "course.completed.50", "-e", "course.completed.100"}, "course.completed.50:already-registered course.completed.100:registered"},
		{[]string{"-e", "course.completed.100", "--force"}, "course.completed.100:registered"},
	}
	for _, s := range steps {
		res := e.Run(append([]string{"register", "--url", hook, "-o", "json"}, s.args...)...)
		if res.Code != 0 {
			t.Fatalf("%v: exit %d: %s", s.args, res.Code, res.Stderr)
		}
		if got := strings.Join(actions(t, res.Stdout), " "); got != s.want {
			t.Errorf("%v: printed %s, want %s", s.args, got, s.want)
		}
	}
	res := e.Run("register", "--url", hook, "-e", "course.completed.50", "-o", "yaml")
	if res.Code != 0 || !strings.Contains(res.Stdout, "- action: already-registered\n") || !strings.Contains(res.Stdout, "  event: course.completed.50\n") {
		t.Errorf("yaml: exit %d\n%s", res.Code, res.Stdout)
	}

	// The action is what this run did, not part of the subscription.
	if strings.Contains(e.ReadState(), "action") {
		t.Errorf("the state file has an action:\n%s", e.ReadState())
	}
	list := e.Run("list", "-o", "json")
	if list.Code != 0 || strings.Contains(list.Stdout, "action") || strings.Count(list.Stdout, `"id"`) != 2 {
		t.Errorf("list -o json: exit %d\n%s", list.Code, list.Stdout)
	}
}

// On a terminal register says what it did in ✓ lines and prints no table; in a pipe
// stdout has the records for scripts (and the ✓ lines stay on stderr).
func TestRegisterPrintsLinesOrATable(t *testing.T) {
	args := []string{"register", "--url", hook, "-e", "course.completed.50", "-e", "course.completed.100", "--course", "c1"}
	t.Run("terminal", func(t *testing.T) {
		e := cmdtest.New(t)
		srv := cmdtest.NewAPIServer(t)
		e.WithProfile(srv.URL)
		if res := e.Run("register", "--url", hook, "-e", "course.completed.50", "--course", "c1"); res.Code != 0 {
			t.Fatalf("seed: %s", res.Stderr)
		}
		res := e.RunWith(cmdtest.Options{StdoutTTY: true, StderrTTY: true}, args...)
		if res.Code != 0 {
			t.Fatalf("exit %d: %s", res.Code, res.Stderr)
		}
		if res.Stdout != "" {
			t.Errorf("a table besides the ✓ lines:\n%s", res.Stdout)
		}
		for _, want := range []string{
			"✓ already registered: " + id(srv, "course.completed.50") + " course.completed.50 → " + hook + " (course=c1) (use --force to send it again)\n",
			"✓ registered " + id(srv, "course.completed.100") + " course.completed.100 → " + hook + " (course=c1)\n",
		} {
			if !strings.Contains(res.Stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, res.Stderr)
			}
		}
	})
	t.Run("pipe", func(t *testing.T) {
		e := cmdtest.New(t)
		srv := cmdtest.NewAPIServer(t)
		e.WithProfile(srv.URL)
		res := e.RunWith(cmdtest.Options{StderrTTY: true}, args...)
		if res.Code != 0 {
			t.Fatalf("exit %d: %s", res.Code, res.Stderr)
		}
		want := id(srv, "course.completed.50") + "\tcourse.completed.50\t" + hook + "\tcourse=c1\tdefault\t2026-11-22T10:04:05Z\n" +
			id(srv, "course.completed.100") + "\tcourse.completed.100\t" + hook + "\tcourse=c1\tdefault\t2026-11-22T10:04:05Z\n"
		if res.Stdout != want {
			t.Errorf("stdout:\n%s\nwant:\n%s", res.Stdout, want)
		}
		if strings.Count(res.Stderr, "✓ registered ") != 2 {
			t.Errorf("stderr: %s", res.Stderr)
		}
	})
	t.Run("terminal, -o json", func(t *testing.T) {
		e := cmdtest.New(t)
		srv := cmdtest.NewAPIServer(t)
		e.WithProfile(srv.URL)
		res := e.RunWith(cmdtest.Options{StdoutTTY: true}, append(args, "-o", "json")...)
		if res.Code != 0 || len(records(t, res.Stdout)) != 2 {
			t.Errorf("exit %d stdout:\n%s", res.Code, res.Stdout)
		}
	})
}

// id is the local id of the subscription of hook to event with --course c1 on srv.
func id(srv *cmdtest.APIServer, event string) string {
	return store.Scope{Profile: "default", BaseURL: srv.URL}.RecordID(event, hook, store.Filters{Course: "c1"})
}

// TagMango cannot reach a private address, but a local API (the emulator) delivers
// from this machine: registering a loopback URL with it is what a local test does.
func TestRegisterURLWarningsDependOnTheAPI(t *testing.T) {
	const (
		unreachable = "warning: 192.168.1.20 is a private address that TagMango cannot reach"
		plainHTTP   = "warning: the URL uses plain http"
	)
	cases := []struct {
		name       string
		production bool
		url        string
		want       []string
	}{
		{name: "production, private", production: true, url: "http://192.168.1.20:3000/hook", want: []string{unreachable, plainHTTP}},
		{name: "production, public http", production: true, url: "http://example.com/hook", want: []string{plainHTTP}},
		{name: "local API, loopback", url: "http://127.0.0.1:3000/hooks"},
		{name: "local API, localhost", url: "http://localhost:3000/hooks"},
		{name: "local API, private", url: "http://192.168.1.20:3000/hook"},
		{name: "local API, public http", url: "http://example.com/hook", want: []string{plainHTTP}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := cmdtest.New(t)
			args := []string{"register", "--url", tc.url, "-e", "course.completed.50"}
			if tc.production {
				// Nothing may reach production: the warnings come before the dry run.
				e.WriteConfig("profiles:\n  default:\n    api-key: " + cmdtest.TestAPIKey + "\n")
				args = append(args, "--dry-run")
			} else {
				e.WithProfile(cmdtest.NewAPIServer(t).URL)
			}
			res := e.RunWith(cmdtest.Options{StderrTTY: true}, args...)
			if res.Code != 0 {
				t.Fatalf("exit %d: %s", res.Code, res.Stderr)
			}
			var got []string
			for _, line := range strings.Split(res.Stderr, "\n") {
				if strings.HasPrefix(line, "warning: ") {
					got = append(got, line)
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("warnings %q, want %q", got, tc.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tc.want[i]) {
					t.Errorf("warning %q, want %q", got[i], tc.want[i])
				}
			}
		})
	}
}

// -v logs the answer's body after its status, with the key masked.
func TestRegisterVerboseShowsTheAnswer(t *testing.T) {
	e := cmdtest.New(t)
	srv := cmdtest.NewAPIServer(t)
	e.WithProfile(srv.URL)
	srv.Enqueue(cmdtest.Response{Status: 400, Body: `{"message":"Invalid key ` + cmdtest.TestAPIKey + `","success":false}`})
	res := e.Run("register", "--url", hook, "-e", "course.completed.50", "-v")
	if res.Code != 1 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	if want := "< 400 Bad Request (0s)\n< {\"message\":\"Invalid key …9f3a\",\"success\":false}\n"; !strings.Contains(res.Stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, res.Stderr)
	}
	// cmdtest fails the test by itself if the full key appears anywhere.
}
