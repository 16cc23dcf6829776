package root_test

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/emulator"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/output"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/store"
)

func completions(t *testing.T, e *cmdtest.Env, args ...string) []string {
	t.Helper()
	res := e.Run(append([]string{"__complete"}, args...)...)
	if res.Code != 0 {
		t.Fatalf("__complete %v: exit %d %s", args, res.Code, res.Stderr)
	}
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(res.Stdout), "\n") {
		if strings.HasPrefix(line, ":") {
			continue // the directive
		}
		name, _, _ := strings.Cut(line, "\t")
		out = append(out, name)
	}
	return out
}

func has(list []string, want string) bool {
	for _, v := range list {
		if v == want {
			return true
		}
	}
	return false
}

func TestDynamicCompletion(t *testing.T) {
	e := cmdtest.New(t)
	e.WriteConfig("current-profile: a\nprofiles:\n  a:\n    api-key: tmk_aaaaaaaaaaaaaaaa\n  ci:\n    api-key: tmk_bbbbbbbbbbbbbbbb\n")
	rec := store.Scope{Profile: "a"}.NewRecord("course.completed.50", "https://example.com/h", store.Filters{}, e.Now)
	if err := store.New(e.StatePath).Update(func(s *store.State) error { s.Upsert(rec); return nil }); err != nil {
		t.Fatal(err)
	}

	if got := completions(t, e, "register", "--event", "course."); !has(got, "course.completed.50") || !has(got, "course.completed.100") {
		t.Errorf("event completion: %v", got)
	}
	if got := completions(t, e, "trigger", "webinar."); !has(got, "webinar.reminder.all") {
		t.Errorf("trigger event completion: %v", got)
	}
	if got := completions(t, e, "events", "show", ""); !has(got, "user.deleted") {
		t.Errorf("events show completion: %v", got)
	}
	if got := completions(t, e, "listen", "--event", "order."); !has(got, "order.created.failed") {
		t.Errorf("listen --event completion: %v", got)
	}
	if got := completions(t, e, "profile", "use", ""); !has(got, "a") || !has(got, "ci") {
		t.Errorf("profile completion: %v", got)
	}
	if got := completions(t, e, "list", "--profile", ""); !has(got, "ci") {
		t.Errorf("--profile completion: %v", got)
	}
	if got := completions(t, e, "delete", ""); !has(got, rec.ID) {
		t.Errorf("id completion: %v", got)
	}
	if got := completions(t, e, "delete", "--url", ""); !has(got, "https://example.com/h") {
		t.Errorf("url completion: %v", got)
	}
	if got := completions(t, e, "list", "-o", ""); len(got) != 3 || !has(got, "json") {
		t.Errorf("output completion: %v", got)
	}
}

func TestVersion(t *testing.T) {
	e := cmdtest.New(t)
	res := e.Run("version")
	if res.Code != 0 || !strings.HasPrefix(res.Stdout, "tagmango-hooks ") {
		t.Errorf("version: %d %q", res.Code, res.Stdout)
	}
	res = e.Run("version", "-o", "json")
	var info map[string]string
	if err := json.Unmarshal([]byte(res.Stdout), &info); err != nil {
		t.Fatal(err, res.Stdout)
	}
	for _, k := range []string{"version", "commit", "date", "goVersion", "platform"} {
		if _, ok := info[k]; !ok {
			t.Errorf("version -o json lacks %s: %v", k, info)
		}
	}
	if res := e.Run("--version"); res.Code != 0 || !strings.HasPrefix(res.Stdout, "tagmango-hooks ") {
		t.Errorf("--version: %d %q", res.Code, res.Stdout)
	}
}

func TestHelpTopics(t *testing.T) {
	e := cmdtest.New(t)
	for topic, want := range map[string]string{"exit-codes": "130", "environment": "TAGMANGO_API_KEY"} {
		res := e.Run("help", topic)
		if res.Code != 0 || !strings.Contains(res.Stdout, want) {
			t.Errorf("help %s: %d %q", topic, res.Code, res.Stdout)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	e := cmdtest.New(t)
	for _, args := range [][]string{{"nonsense"}, {"list", "--bogus"}, {"list", "extra"}, {"-o", "xml", "list"}} {
		res := e.Run(args...)
		if res.Code != 2 {
			t.Errorf("%v: exit %d", args, res.Code)
		}
		if !strings.Contains(res.Stderr, "usage:") || strings.Count(res.Stderr, "\n") > 4 {
			t.Errorf("%v: stderr should be a short usage error:\n%s", args, res.Stderr)
		}
	}
}

// A typo anywhere in the tree is a usage error naming the command and suggesting the
// right one; only the root used to check.
func TestUnknownSubcommands(t *testing.T) {
	e := cmdtest.New(t)
	cases := []struct {
		args          []string
		unknown, path string
		suggest       string
	}{
		{[]string{"profile", "ad", "ci"}, "ad", "tagmango-hooks profile", "add"},
		{[]string{"emulator", "serv"}, "serv", "tagmango-hooks emulator", "serve"},
		{[]string{"completion", "bogus"}, "bogus", "tagmango-hooks completion", ""},
		{[]string{"completion", "zhs"}, "zhs", "tagmango-hooks completion", "zsh"},
		{[]string{"help", "bogus"}, "bogus", "tagmango-hooks", ""},
		{[]string{"help", "exit-code"}, "exit-code", "tagmango-hooks", "exit-codes"},
		{[]string{"help", "profile", "ad"}, "ad", "tagmango-hooks profile", "add"},
		{[]string{"events", "bogus"}, "", "", ""},
		{[]string{"lisen"}, "lisen", "tagmango-hooks", "listen"},
	}
	for _, tc := range cases {
		res := e.Run(tc.args...)
		if res.Code != 2 || res.Stdout != "" {
			t.Errorf("%v: exit %d, stdout %q", tc.args, res.Code, res.Stdout)
		}
		if tc.unknown != "" && !strings.Contains(res.Stderr, `error: unknown command "`+tc.unknown+`" for "`+tc.path+`"`) {
			t.Errorf("%v: stderr %s", tc.args, res.Stderr)
		}
		if tc.suggest != "" && (!strings.Contains(res.Stderr, "Did you mean this?\n") || !strings.Contains(res.Stderr, "\t"+tc.suggest+"\n")) {
			t.Errorf("%v: no suggestion of %s: %s", tc.args, tc.suggest, res.Stderr)
		}
	}
	// A group alone still shows its help, and help still helps.
	for _, args := range [][]string{{"profile"}, {"emulator"}, {"completion"}, {"help", "profile"}, {"help", "profile", "add"}, {"profile", "--help"}} {
		res := e.Run(args...)
		if res.Code != 0 || !strings.Contains(res.Stdout, "Usage:") || strings.Contains(res.Stdout, "<command> [flags]") {
			t.Errorf("%v: exit %d stdout %q stderr %s", args, res.Code, res.Stdout, res.Stderr)
		}
	}
	if got := completions(t, e, "help", "exit"); !has(got, "exit-codes") {
		t.Errorf("help completion: %v", got)
	}
}

// closedPipe fails every write as a pipe without a reader does.
type closedPipe struct{}

func (closedPipe) Write([]byte) (int, error) {
	return 0, &os.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.EPIPE}
}

func TestClosedStdoutEndsQuietly(t *testing.T) {
	e := cmdtest.New(t)
	closeStdout := cmdtest.Options{Factory: func(f *cmdutil.Factory) { f.IOStreams.Out = closedPipe{} }}
	for _, args := range [][]string{{"events", "-o", "json"}, {"events", "show", "user.deleted"}, {"profile", "list", "-o", "json"}} {
		if res := e.RunWith(closeStdout, args...); res.Code != 0 || res.Stderr != "" {
			t.Errorf("%v: exit %d stderr %q", args, res.Code, res.Stderr)
		}
	}
}

// directive returns the completion directive cobra prints last (":4" and so on).
func directive(t *testing.T, e *cmdtest.Env, args ...string) string {
	t.Helper()
	res := e.Run(append([]string{"__complete"}, args...)...)
	lines := strings.Split(strings.TrimSpace(res.Stdout), "\n")
	return lines[len(lines)-1]
}

func TestSetCompletion(t *testing.T) {
	e := cmdtest.New(t)
	for _, cmd := range [][]string{{"trigger"}, {"emulator", "fire"}} {
		args := append(append([]string{}, cmd...), "webinar.created.single", "--set", "")
		got := completions(t, e, args...)
		for _, want := range []string{"name=", "phone=", "callList=", "callList.0.webinar=", "callList.0.webinarId=", "mangoes="} {
			if !has(got, want) {
				t.Errorf("%v: lacks %s: %v", cmd, want, got)
			}
		}
		if has(got, "courseId=") {
			t.Errorf("%v: a field of another event: %v", cmd, got)
		}
		// The value follows the "=": no space after it, and no file names.
		if d := directive(t, e, args...); d != ":6" {
			t.Errorf("%v: directive %s, want :6 (no space, no files)", cmd, d)
		}
		if got := completions(t, e, append(append([]string{}, cmd...), "webinar.created.single", "--set", "name=")...); len(got) != 0 {
			t.Errorf("%v: values are not completed: %v", cmd, got)
		}
	}
	// The creator-defined keys of order.recurring.created are no field name.
	if got := completions(t, e, "trigger", "order.recurring.created", "--set", ""); !has(got, "amount=") || slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "<") }) {
		t.Errorf("order.recurring.created: %v", got)
	}
	if got := completions(t, e, "trigger", "no.such.event", "--set", ""); len(got) != 0 {
		t.Errorf("an unknown event: %v", got)
	}
}

func TestEventListCompletion(t *testing.T) {
	e := cmdtest.New(t)
	// After a comma, the next event, not the one already given.
	got := completions(t, e, "register", "-e", "course.completed.50,course.")
	if !has(got, "course.completed.50,course.completed.100") || has(got, "course.completed.50,course.completed.50") || has(got, "course.completed.50,course.completed.*") {
		t.Errorf("register: %v", got)
	}
	// Where --event selects, families too.
	for _, cmd := range [][]string{{"list"}, {"listen"}, {"replay", "f.jsonl"}} {
		if got := completions(t, e, append(cmd, "--event", "")...); !has(got, "course.completed.*") || !has(got, "user.deleted") {
			t.Errorf("%v: %v", cmd, got)
		}
	}
	if got := completions(t, e, "listen", "--register", "-e", ""); !has(got, "user.deleted") {
		t.Errorf("listen --register: %v", got)
	}
}

// TestExitCodesStateTheFireLimit: the topic states the limit emulator fire enforces.
func TestExitCodesStateTheFireLimit(t *testing.T) {
	res := cmdtest.New(t).Run("help", "exit-codes")
	want := "an 'emulator fire' of more than " + output.Thousands(emulator.DefaultMaxDeliveries) + " deliveries"
	if res.Code != 0 || !strings.Contains(res.Stdout, want) {
		t.Errorf("help exit-codes: %d, want %q in %q", res.Code, want, res.Stdout)
	}
}
