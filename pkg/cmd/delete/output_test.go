package delete_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
)

func TestDeleteJSONSaysWhatWasDone(t *testing.T) {
	const untracked = "https://elsewhere.example.com/curl-registered"
	notFound := cmdtest.Response{Status: 404, Body: `{"message":"Webhook not found","success":false}`}
	cases := []struct {
		name   string
		answer *cmdtest.Response
		args   []string
		want   []string // event@url:action, in order
	}{
		{name: "deleted", args: []string{"--url", hookA}, want: []string{"course.completed.50@a:deleted", "course.completed.100@a:deleted"}},
		{name: "already deleted", answer: &notFound, args: []string{"--url", hookB}, want: []string{"webinar.completed.all@b:already-deleted"}},
		{name: "local only", args: []string{"--url", hookA, "--url", hookB, "--local-only"}, want: []string{"course.completed.50@a:forgotten", "course.completed.100@a:forgotten", "webinar.completed.all@b:forgotten"}},
		{name: "untracked", args: []string{"--url", untracked}, want: []string{"@curl-registered:deleted"}},
		{name: "untracked, already deleted", answer: &notFound, args: []string{"--url", untracked}, want: []string{"@curl-registered:already-deleted"}},
		{name: "untracked, local only", args: []string{"--url", untracked, "--local-only"}, want: []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, srv := seed(t)
			if tc.answer != nil {
				srv.Enqueue(*tc.answer)
			}
			res := e.Run(append([]string{"delete", "-o", "json"}, tc.args...)...)
			if res.Code != 0 {
				t.Fatalf("exit %d: %s", res.Code, res.Stderr)
			}
			got := []string{}
			for _, o := range cmdtest.Outcomes(t, res.Stdout) {
				got = append(got, o.Event+"@"+o.HookURL[strings.LastIndex(o.HookURL, "/")+1:]+":"+o.Action)
				if o.Event != "" && (o.ID == "" || o.Profile != "default" || o.RegisteredAt.IsZero()) {
					t.Errorf("a record's fields are missing: %+v", o)
				}
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("printed %v, want %v\n%s", got, tc.want, res.Stdout)
			}
			if strings.Contains(e.ReadState(), "action") {
				t.Errorf("the state file has an action:\n%s", e.ReadState())
			}
		})
	}
}

func TestDeleteYAMLSaysWhatWasDone(t *testing.T) {
	e, _ := seed(t)
	res := e.Run("delete", "--url", hookB, "-o", "yaml")
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	for _, want := range []string{"- action: deleted\n", "  hookUrl: " + hookB + "\n", "  event: webinar.completed.all\n"} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("yaml lacks %q:\n%s", want, res.Stdout)
		}
	}
}

// On a terminal the deleted records come under a heading, so that they do not read as
// what is left; in a pipe they are plain rows.
func TestDeleteResultsHaveAHeadingOnATerminal(t *testing.T) {
	t.Run("terminal", func(t *testing.T) {
		e, _ := seed(t)
		res := e.RunWith(cmdtest.Options{StdoutTTY: true}, "delete", "--url", hookA)
		if res.Code != 0 {
			t.Fatalf("exit %d: %s", res.Code, res.Stderr)
		}
		lines := strings.Split(res.Stdout, "\n")
		if len(lines) != 5 || lines[0] != "Deleted:" || !strings.HasPrefix(lines[1], "ID ") || !strings.Contains(lines[2], "course.completed.") {
			t.Errorf("stdout:\n%s", res.Stdout)
		}
		if !strings.Contains(res.Stderr, "✓ deleted "+hookA+" on TagMango\n") {
			t.Errorf("stderr: %s", res.Stderr)
		}
	})
	t.Run("terminal, local only", func(t *testing.T) {
		e, _ := seed(t)
		res := e.RunWith(cmdtest.Options{StdoutTTY: true}, "delete", "--url", hookB, "--local-only")
		if res.Code != 0 || !strings.HasPrefix(res.Stdout, "Forgotten locally (TagMango was not called):\nID ") {
			t.Errorf("exit %d stdout:\n%s", res.Code, res.Stdout)
		}
	})
	t.Run("pipe", func(t *testing.T) {
		e, _ := seed(t)
		res := e.Run("delete", "--url", hookA)
		if res.Code != 0 {
			t.Fatalf("exit %d: %s", res.Code, res.Stderr)
		}
		lines := strings.Split(strings.TrimSuffix(res.Stdout, "\n"), "\n")
		if len(lines) != 2 || strings.Contains(res.Stdout, "Deleted") {
			t.Errorf("stdout:\n%s", res.Stdout)
		}
		for _, l := range lines {
			if f := strings.Split(l, "\t"); len(f) != 6 || f[2] != hookA {
				t.Errorf("row %q", l)
			}
		}
	})
	t.Run("terminal, nothing tracked", func(t *testing.T) {
		e, _ := seed(t)
		res := e.RunWith(cmdtest.Options{StdoutTTY: true}, "delete", "--url", "https://elsewhere.example.com/x")
		if res.Code != 0 || res.Stdout != "" {
			t.Errorf("exit %d: a heading over nothing?\n%s", res.Code, res.Stdout)
		}
	})
}

// The --all prompt names what it would delete: up to 10 URLs, then how many more.
func TestDeleteAllPromptListsTheURLs(t *testing.T) {
	for _, n := range []int{2, 10, 12} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			e := cmdtest.New(t)
			srv := cmdtest.NewAPIServer(t)
			e.WithProfile(srv.URL)
			urls := []string{}
			for i := range n {
				u := fmt.Sprintf("https://example.com/hooks/%02d", i)
				urls = append(urls, u)
				if res := e.Run("register", "--url", u, "-e", "course.completed.50", "-e", "course.completed.100"); res.Code != 0 {
					t.Fatalf("seed: %s", res.Stderr)
				}
			}
			before := len(srv.Calls())
			res := e.RunWith(cmdtest.Options{Stdin: "n\n", StdinTTY: true, StderrTTY: true}, "delete", "--all")
			if res.Code != 1 {
				t.Fatalf("exit %d: %s", res.Code, res.Stderr)
			}
			var want strings.Builder
			for i, u := range urls {
				if i == 10 {
					fmt.Fprintf(&want, "  and %d more\n", n-10)
					break
				}
				want.WriteString("  " + u + "  (course.completed.50, course.completed.100)\n")
			}
			fmt.Fprintf(&want, "Delete %d URL(s) of profile default on %s? [y/N] Cancelled; nothing was deleted.\n", n, srv.URL)
			if !strings.HasSuffix(res.Stderr, want.String()) {
				t.Errorf("stderr:\n%s\nwant it to end with:\n%s", res.Stderr, want.String())
			}
			if len(srv.Calls()) != before {
				t.Errorf("declined but deleted")
			}
		})
	}
}
