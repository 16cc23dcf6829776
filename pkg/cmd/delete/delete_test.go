package delete_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gofrs/flock"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/store"
)

const (
	hookA = "https://example.com/a"
	hookB = "https://example.com/b"
)

// seed registers three subscriptions: two on hookA and one on hookB.
func seed(t *testing.T) (*cmdtest.Env, *cmdtest.APIServer) {
	t.Helper()
	e := cmdtest.New(t)
	srv := cmdtest.NewAPIServer(t)
	e.WithProfile(srv.URL)
	for _, args := range [][]string{
		{"--url", hookA, "--event", "course.completed.50"},
		{"--url", hookA, "--event", "course.completed.100"},
		{"--url", hookB, "--event", "webinar.completed.all"},
	} {
		if res := e.Run(append([]string{"register"}, args...)...); res.Code != 0 {
			t.Fatalf("seed: %s", res.Stderr)
		}
	}
	return e, srv
}

func state(t *testing.T, e *cmdtest.Env) []store.Record {
	t.Helper()
	st, err := store.New(e.StatePath).Load()
	if err != nil {
		t.Fatal(err)
	}
	return st.Subscriptions
}

func printed(t *testing.T, stdout string) []store.Record {
	t.Helper()
	var rs []store.Record
	if err := json.Unmarshal([]byte(stdout), &rs); err != nil {
		t.Fatalf("not a JSON array: %v\n%s", err, stdout)
	}
	return rs
}

func TestDeleteByURLSendsExactRequestAndRemovesEveryRecord(t *testing.T) {
	e, srv := seed(t)
	before := len(srv.Calls())
	res := e.Run("delete", "--url", hookA, "-o", "json")
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	calls := srv.Calls()[before:]
	if len(calls) != 1 {
		t.Fatalf("%d calls", len(calls))
	}
	c := calls[0]
	if c.Method != "DELETE" || c.Path != "/api/v1/integration/webhook/webhook" || c.Body != `{"hookUrl":"https://example.com/a"}` {
		t.Errorf("request %s %s %s", c.Method, c.Path, c.Body)
	}
	for k, want := range map[string]string{"x-api-key": cmdtest.TestAPIKey, "accept": "application/json", "content-type": "application/json"} {
		if c.Header.Get(k) != want {
			t.Errorf("header %s = %q", k, c.Header.Get(k))
		}
	}
	if rs := printed(t, res.Stdout); len(rs) != 2 {
		t.Errorf("printed %d records, want the 2 on %s", len(rs), hookA)
	}
	left := state(t, e)
	if len(left) != 1 || left[0].HookURL != hookB {
		t.Errorf("left %+v", left)
	}
}

func TestDeleteByIDNamesTheOthersOnItsURL(t *testing.T) {
	e, srv := seed(t)
	id := state(t, e)[0].ID
	other := state(t, e)[1].ID
	before := len(srv.Calls())
	res := e.Run("delete", id, "-o", "json")
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	if !strings.Contains(res.Stderr, other) {
		t.Errorf("stderr does not name %s, which shares the URL: %s", other, res.Stderr)
	}
	if calls := srv.Calls()[before:]; len(calls) != 1 || calls[0].Body != `{"hookUrl":"https://example.com/a"}` {
		t.Errorf("calls %+v", calls)
	}
	if len(state(t, e)) != 1 {
		t.Errorf("state %+v", state(t, e))
	}
}

func TestDeleteUnknownIDIsUsageError(t *testing.T) {
	e, srv := seed(t)
	before := len(srv.Calls())
	res := e.Run("delete", "deadbeef")
	if res.Code != 2 || !strings.Contains(res.Stderr, `no tracked subscription with id "deadbeef"`) {
		t.Errorf("exit %d stderr %s", res.Code, res.Stderr)
	}
	if len(srv.Calls()) != before {
		t.Errorf("API called")
	}
}

func TestDelete404MeansAlreadyGone(t *testing.T) {
	e, srv := seed(t)
	srv.Enqueue(cmdtest.Response{Status: 404, Body: `{"message":"Webhook not found","success":false}`})
	res := e.Run("delete", "--url", hookB)
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	if !strings.Contains(res.Stderr, "already gone") {
		t.Errorf("stderr: %s", res.Stderr)
	}
	if len(state(t, e)) != 2 {
		t.Errorf("the record on %s should be gone locally", hookB)
	}
}

func TestDeleteUntrackedURLStillCallsAPI(t *testing.T) {
	e, srv := seed(t)
	before := len(srv.Calls())
	res := e.Run("delete", "--url", "https://elsewhere.example.com/curl-registered", "-o", "json")
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	if len(srv.Calls()) != before+1 {
		t.Errorf("no API call for an untracked URL")
	}
	// Something was done: [] would say nothing was.
	if want := "[\n  {\n    \"hookUrl\": \"https://elsewhere.example.com/curl-registered\",\n    \"action\": \"deleted\"\n  }\n]\n"; res.Stdout != want {
		t.Errorf("stdout %q, want %q", res.Stdout, want)
	}
	if !strings.Contains(res.Stderr, "not tracked locally") {
		t.Errorf("stderr: %s", res.Stderr)
	}
}

func TestDeleteFailureKeepsRecords(t *testing.T) {
	e, srv := seed(t)
	srv.Enqueue(cmdtest.Response{Status: 500, Body: `{"message":"boom","success":false}`})
	res := e.Run("delete", "--url", hookA)
	if res.Code != 1 || !strings.Contains(res.Stderr, "boom") {
		t.Errorf("exit %d stderr %s", res.Code, res.Stderr)
	}
	if len(state(t, e)) != 3 {
		t.Errorf("records removed despite the failure")
	}
}

func TestDeleteAll(t *testing.T) {
	t.Run("refuses off a TTY without --yes", func(t *testing.T) {
		e, srv := seed(t)
		before := len(srv.Calls())
		res := e.Run("delete", "--all")
		if res.Code != 2 || !strings.Contains(res.Stderr, "--yes") {
			t.Errorf("exit %d stderr %s", res.Code, res.Stderr)
		}
		if len(srv.Calls()) != before || len(state(t, e)) != 3 {
			t.Errorf("something was deleted")
		}
	})
	t.Run("with --yes deletes every URL", func(t *testing.T) {
		e, srv := seed(t)
		before := len(srv.Calls())
		res := e.Run("delete", "--all", "--yes", "-o", "json")
		if res.Code != 0 {
			t.Fatalf("exit %d: %s", res.Code, res.Stderr)
		}
		if n := len(srv.Calls()) - before; n != 2 {
			t.Errorf("%d calls, want one per URL (2)", n)
		}
		if len(printed(t, res.Stdout)) != 3 || len(state(t, e)) != 0 {
			t.Errorf("stdout %s", res.Stdout)
		}
	})
	t.Run("asks on a TTY", func(t *testing.T) {
		e, srv := seed(t)
		before := len(srv.Calls())
		res := e.RunWith(cmdtest.Options{Stdin: "n\n", StdinTTY: true, StderrTTY: true}, "delete", "--all")
		if res.Code != 1 || !strings.Contains(res.Stderr, "Delete 2 URL(s)") {
			t.Errorf("exit %d stderr %s", res.Code, res.Stderr)
		}
		if len(srv.Calls()) != before {
			t.Errorf("declined but deleted")
		}
		res = e.RunWith(cmdtest.Options{Stdin: "y\n", StdinTTY: true, StderrTTY: true}, "delete", "--all")
		if res.Code != 0 || len(state(t, e)) != 0 {
			t.Errorf("exit %d stderr %s", res.Code, res.Stderr)
		}
	})
}

func TestDeleteLocalOnlyAndDryRun(t *testing.T) {
	e, srv := seed(t)
	before := len(srv.Calls())
	res := e.Run("delete", "--url", hookA, "--dry-run")
	if res.Code != 0 || !strings.Contains(res.Stdout, "DELETE "+srv.URL) || !strings.Contains(res.Stdout, `{"hookUrl":"https://example.com/a"}`) {
		t.Errorf("dry run: exit %d stdout %s", res.Code, res.Stdout)
	}
	if len(srv.Calls()) != before || len(state(t, e)) != 3 {
		t.Errorf("dry run changed something")
	}
	res = e.Run("delete", "--url", hookA, "--local-only")
	if res.Code != 0 || len(srv.Calls()) != before || len(state(t, e)) != 1 {
		t.Errorf("local-only: exit %d calls %d state %d", res.Code, len(srv.Calls())-before, len(state(t, e)))
	}
}

func TestDeleteModesAreExclusive(t *testing.T) {
	e, _ := seed(t)
	for _, args := range [][]string{{}, {"--url", hookA, "--all"}, {"abc", "--url", hookA}} {
		res := e.Run(append([]string{"delete"}, args...)...)
		if res.Code != 2 {
			t.Errorf("%v: exit %d", args, res.Code)
		}
	}
}

func TestDeleteTemporary(t *testing.T) {
	e, srv := seed(t)
	err := store.New(e.StatePath).Update(func(s *store.State) error {
		r := store.Scope{Profile: "default", BaseURL: srv.URL}.NewRecord("course.completed.50", "https://tunnel.example.com/course.completed.50", store.Filters{}, e.Now)
		r.Temporary = true
		s.Upsert(r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	before := len(srv.Calls())
	res := e.Run("delete", "--temporary", "-o", "json")
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	calls := srv.Calls()[before:]
	if len(calls) != 1 || !strings.Contains(calls[0].Body, "tunnel.example.com") {
		t.Errorf("calls %+v", calls)
	}
	if len(state(t, e)) != 3 {
		t.Errorf("only the temporary one should go")
	}
}

func TestDeleteForeign404IsNotAlreadyGone(t *testing.T) {
	e, srv := seed(t)
	srv.Enqueue(cmdtest.Response{Status: 404, Header: map[string]string{"Content-Type": "text/html"}, Body: "<html><body>Cannot DELETE /api/v1/integration/webhook/webhook</body></html>"})
	res := e.Run("delete", "--url", hookB)
	if res.Code != 1 || strings.Contains(res.Stderr, "already gone") {
		t.Errorf("a non-TagMango 404 passed for already deleted: exit %d %s", res.Code, res.Stderr)
	}
	if len(state(t, e)) != 3 {
		t.Errorf("records removed on a foreign 404")
	}
}

func TestDeleteTemporaryLeavesARunningListenAlone(t *testing.T) {
	e, srv := seed(t)
	st := store.New(e.StatePath)
	err := st.Update(func(s *store.State) error {
		for _, base := range []string{"https://live.example.com", "https://dead.example.com"} {
			r := store.Scope{Profile: "default", BaseURL: srv.URL}.NewRecord("course.completed.50", base+"/course.completed.50", store.Filters{}, e.Now)
			r.Temporary = true
			s.Upsert(r)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	lock := flock.New(st.ListenLockPath("default", "https://live.example.com"))
	if ok, err := lock.TryLock(); err != nil || !ok {
		t.Fatalf("lock: %v %v", ok, err)
	}
	defer func() { _ = lock.Unlock() }()

	before := len(srv.Calls())
	res := e.Run("delete", "--temporary", "-o", "json")
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	calls := srv.Calls()[before:]
	if len(calls) != 1 || !strings.Contains(calls[0].Body, "dead.example.com") {
		t.Errorf("calls %+v", calls)
	}
	if !strings.Contains(res.Stderr, "still running for https://live.example.com") {
		t.Errorf("stderr: %s", res.Stderr)
	}
}

func TestDeleteByIDPrefix(t *testing.T) {
	e := cmdtest.New(t)
	srv := cmdtest.NewAPIServer(t)
	e.WithProfile(srv.URL)
	scope := store.Scope{Profile: "default", BaseURL: srv.URL}
	other := store.Scope{Profile: "ci", BaseURL: srv.URL}
	err := store.New(e.StatePath).Update(func(s *store.State) error {
		for _, r := range []struct {
			scope store.Scope
			id    string
			url   string
		}{
			{scope, "abcd1111", hookA},
			{scope, "abcd2222", hookB},
			{scope, "ef012345", "https://example.com/e"},
			{other, "77aa0000", "https://example.com/ci"},
		} {
			rec := r.scope.NewRecord("user.deleted", r.url, store.Filters{}, e.Now)
			rec.ID = r.id
			s.Upsert(rec)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"abcd"}, 2, `error: id "abcd" is ambiguous: give more characters of one of abcd1111 (user.deleted → https://example.com/a), abcd2222 (user.deleted → https://example.com/b)`},
		{[]string{"ef0"}, 2, `error: id "ef0" is too short: give at least 4 characters of it (ef012345 (user.deleted → https://example.com/e))`},
		{[]string{"77aa"}, 2, `no tracked subscription with id "77aa" for profile default on ` + srv.URL + ` (it belongs to profile ci on ` + srv.URL + `: add --profile ci`}, // ids are per profile and API
		{[]string{"ffff"}, 2, `no tracked subscription with id "ffff"`},
	}
	for _, tc := range cases {
		res := e.Run(append([]string{"delete"}, tc.args...)...)
		if res.Code != tc.code || !strings.Contains(res.Stderr, tc.stderr) {
			t.Errorf("%v: exit %d stderr %s\nwant %d %q", tc.args, res.Code, res.Stderr, tc.code, tc.stderr)
		}
	}
	if n := len(srv.Calls()); n != 0 {
		t.Fatalf("%d calls before the deletion", n)
	}

	res := e.Run("delete", "abcd2", "ef01", "-o", "json")
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	var bodies []string
	for _, c := range srv.Calls() {
		bodies = append(bodies, c.Body)
	}
	if strings.Join(bodies, " ") != `{"hookUrl":"https://example.com/b"} {"hookUrl":"https://example.com/e"}` {
		t.Errorf("calls %v", bodies)
	}
	var left []string
	for _, r := range state(t, e) {
		left = append(left, r.ID)
	}
	if strings.Join(left, " ") != "abcd1111 77aa0000" {
		t.Errorf("left %v", left)
	}
}

func TestDeleteDryRunStructured(t *testing.T) {
	e, srv := seed(t)
	before := len(srv.Calls())
	res := e.Run("delete", "--all", "--dry-run", "-o", "json")
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	var plans []struct {
		Method  string            `json:"method"`
		URL     string            `json:"url"`
		Headers map[string]string `json:"headers"`
		Body    map[string]string `json:"body"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &plans); err != nil {
		t.Fatalf("not a JSON array: %v\n%s", err, res.Stdout)
	}
	if len(plans) != 2 || plans[0].Method != "DELETE" || plans[0].URL != srv.URL+"/api/v1/integration/webhook/webhook" ||
		plans[0].Headers["x-api-key"] != "…9f3a" || plans[0].Body["hookUrl"] != hookA || plans[1].Body["hookUrl"] != hookB {
		t.Errorf("plans %+v", plans)
	}
	if len(srv.Calls()) != before || len(state(t, e)) != 3 {
		t.Errorf("a dry run sent or changed something")
	}
	res = e.Run("delete", "--all", "--dry-run", "--local-only", "-o", "json")
	if res.Code != 0 || strings.TrimSpace(res.Stdout) != "[]" || !strings.Contains(res.Stderr, "would forget 2 tracked subscription(s) on "+hookA) {
		t.Errorf("--local-only: exit %d stdout %q stderr %s", res.Code, res.Stdout, res.Stderr)
	}
}
