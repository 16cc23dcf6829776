package register_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/store"
)

const hook = "https://example.com/hooks/tm"

func records(t *testing.T, stdout string) []store.Record {
	t.Helper()
	var rs []store.Record
	if err := json.Unmarshal([]byte(stdout), &rs); err != nil {
		t.Fatalf("stdout is not a JSON array of records: %v\n%s", err, stdout)
	}
	return rs
}

func TestRegisterSendsExactRequest(t *testing.T) {
	e := cmdtest.New(t)
	srv := cmdtest.NewAPIServer(t)
	e.WithProfile(srv.URL)

	res := e.Run("register", "--url", hook, "--event", "course.completed.50", "--course", "634fc35ddaf58580e2418c40", "-o", "json")
	if res.Code != 0 {
		t.Fatalf("exit %d, stderr: %s", res.Code, res.Stderr)
	}
	calls := srv.Calls()
	if len(calls) != 1 {
		t.Fatalf("want 1 call, got %d", len(calls))
	}
	c := calls[0]
	if c.Method != "POST" || c.Path != "/api/v1/integration/webhook/webhook" {
		t.Errorf("got %s %s", c.Method, c.Path)
	}
	for k, want := range map[string]string{
		"x-api-key":    cmdtest.TestAPIKey,
		"accept":       "application/json",
		"content-type": "application/json",
		"user-agent":   "tagmango-hooks/1.0.0-test",
	} {
		if got := c.Header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	if want := `{"hookUrl":"https://example.com/hooks/tm","event":"course.completed.50","course":"634fc35ddaf58580e2418c40"}`; c.Body != want {
		t.Errorf("body = %s\nwant   %s", c.Body, want)
	}
	rs := records(t, res.Stdout)
	if len(rs) != 1 || rs[0].Event != "course.completed.50" || rs[0].Filters == nil || rs[0].Filters.Course != "634fc35ddaf58580e2418c40" || rs[0].Profile != "default" || rs[0].Temporary {
		t.Errorf("unexpected records %+v", rs)
	}
	if !strings.Contains(e.ReadState(), rs[0].ID) {
		t.Errorf("record not in the state file")
	}
}

func TestRegisterOmitsEmptyFiltersAndCallsPerEvent(t *testing.T) {
	e := cmdtest.New(t)
	srv := cmdtest.NewAPIServer(t)
	e.WithProfile(srv.URL)

	res := e.Run("register", "--url", hook, "--event", "webinar.reminder.all", "--event", "webinar.completed.all", "-o", "json")
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	calls := srv.Calls()
	if len(calls) != 2 {
		t.Fatalf("want 2 calls, got %d", len(calls))
	}
	for i, ev := range []string{"webinar.reminder.all", "webinar.completed.all"} {
		want := `{"hookUrl":"https://example.com/hooks/tm","event":"` + ev + `"}`
		if calls[i].Body != want {
			t.Errorf("call %d body %s, want %s", i, calls[i].Body, want)
		}
	}
	rs := records(t, res.Stdout)
	if len(rs) != 2 || rs[0].Filters != nil {
		t.Errorf("records: %+v", rs)
	}
	if strings.Contains(res.Stdout, `"filters"`) {
		t.Errorf("empty filters must be omitted: %s", res.Stdout)
	}
}

func TestRegisterValidationErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no url", []string{"--event", "course.completed.50"}, "--url is required"},
		{"no event", []string{"--url", hook}, "--event is required"},
		{"relative url", []string{"--url", "/hooks", "--event", "course.completed.50"}, "absolute http"},
		{"ftp url", []string{"--url", "ftp://example.com/x", "--event", "course.completed.50"}, "absolute http"},
		{"no host", []string{"--url", "https://", "--event", "course.completed.50"}, "no host"},
		{"unknown event", []string{"--url", hook, "--event", "course.complete.50"}, `did you mean "course.completed.50"`},
		{"mismatched filter", []string{"--url", hook, "--event", "webinar.reminder.all", "--course", "abc"}, "--course does not apply to webinar.reminder.all (its filter is --webinar)"},
		{"filter on filterless event", []string{"--url", hook, "--event", "user.deleted", "--mango", "abc"}, "takes no filter"},
		{"bad output", []string{"--url", hook, "--event", "course.completed.50", "-o", "xml"}, "invalid --output"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := cmdtest.New(t)
			srv := cmdtest.NewAPIServer(t)
			e.WithProfile(srv.URL)
			res := e.Run(append([]string{"register"}, tc.args...)...)
			if res.Code != 2 {
				t.Errorf("exit %d, want 2; stderr: %s", res.Code, res.Stderr)
			}
			if !strings.Contains(res.Stderr, tc.want) {
				t.Errorf("stderr %q does not contain %q", res.Stderr, tc.want)
			}
			if n := len(srv.Calls()); n != 0 {
				t.Errorf("%d API calls made, want none", n)
			}
			if e.ReadState() != "" {
				t.Errorf("state written")
			}
		})
	}
}

func TestRegisterForceOverridesValidation(t *testing.T) {
	e := cmdtest.New(t)
	srv := cmdtest.NewAPIServer(t)
	e.WithProfile(srv.URL)
	res := e.Run("register", "--url", hook, "--event", "webinar.reminder.all", "--course", "abc", "--force")
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	if !strings.Contains(res.Stderr, "warning: --course does not apply") {
		t.Errorf("expected a warning, got %q", res.Stderr)
	}
	if n := len(srv.Calls()); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}
}

func TestRegisterWarnings(t *testing.T) {
	e := cmdtest.New(t)
	srv := cmdtest.NewAPIServer(t)
	e.WithProfile(srv.URL)
	res := e.Run("register", "--url", "http://192.168.1.20:3000/hook", "--event", "course.completed", "--page", "p1")
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	for _, want := range []string{"--page is accepted by the API", "course.completed is deprecated; use course.completed.100"} {
		if !strings.Contains(res.Stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.Stderr)
		}
	}
	if calls := srv.Calls(); len(calls) != 1 || !strings.Contains(calls[0].Body, `"page":"p1"`) {
		t.Errorf("page filter not sent: %+v", calls)
	}
}

func TestRegisterIsIdempotent(t *testing.T) {
	e := cmdtest.New(t)
	srv := cmdtest.NewAPIServer(t)
	e.WithProfile(srv.URL)
	args := []string{"register", "--url", hook, "--event", "course.completed.50", "-o", "json"}
	first := e.Run(args...)
	if first.Code != 0 {
		t.Fatal(first.Stderr)
	}
	again := e.Run(args...)
	if again.Code != 0 {
		t.Fatalf("exit %d: %s", again.Code, again.Stderr)
	}
	if !strings.Contains(again.Stderr, "already registered") {
		t.Errorf("stderr: %s", again.Stderr)
	}
	if n := len(srv.Calls()); n != 1 {
		t.Errorf("%d calls, want 1 (the second register must not call the API)", n)
	}
	if a, b := records(t, first.Stdout), records(t, again.Stdout); len(b) != 1 || a[0].ID != b[0].ID {
		t.Errorf("second run printed %+v", b)
	}

	// --force sends again and keeps one record with a new registeredAt.
	e.Now = e.Now.Add(3600e9)
	forced := e.Run(append(args, "--force")...)
	if forced.Code != 0 || len(srv.Calls()) != 2 {
		t.Fatalf("force: exit %d, calls %d", forced.Code, len(srv.Calls()))
	}
	st, _ := store.New(e.StatePath).Load()
	if len(st.Subscriptions) != 1 || !st.Subscriptions[0].RegisteredAt.Equal(e.Now) {
		t.Errorf("after --force: %+v", st.Subscriptions)
	}
}

func TestRegisterDryRun(t *testing.T) {
	e := cmdtest.New(t)
	srv := cmdtest.NewAPIServer(t)
	e.WithProfile(srv.URL)
	res := e.Run("register", "--url", hook, "--event", "course.completed.50", "--dry-run")
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	if len(srv.Calls()) != 0 || e.ReadState() != "" {
		t.Errorf("dry run sent or recorded something")
	}
	for _, want := range []string{"POST " + srv.URL + "/api/v1/integration/webhook/webhook", "x-api-key: …9f3a", `"event":"course.completed.50"`} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, res.Stdout)
		}
	}
}

func TestRegisterAPIFailures(t *testing.T) {
	cases := []struct {
		name      string
		responses []cmdtest.Response
		code      int
		calls     int
		want      string
	}{
		{"400", []cmdtest.Response{{Status: 400, Body: `{"code":400,"type":"Bad Request","statusMessage":"BAD_REQUEST","message":"Invalid hook url","success":false}`}}, 1, 1, "Invalid hook url"},
		{"500", []cmdtest.Response{{Status: 500, Body: `{"message":"Internal error","success":false}`}}, 1, 1, "Internal error"},
		{"401", []cmdtest.Response{{Status: 401, Body: `{"code":401,"type":"Unauthorized","statusMessage":"UNAUTHORIZED","message":"Invalid token","success":false}`}}, 4, 1, "Invalid token"},
		{"403", []cmdtest.Response{{Status: 403, Body: `{"message":"Forbidden","success":false}`}}, 4, 1, "Forbidden"},
		{"success false", []cmdtest.Response{{Status: 200, Body: `{"message":"Event not supported","success":false}`}}, 1, 1, "Event not supported"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := cmdtest.New(t)
			srv := cmdtest.NewAPIServer(t)
			srv.Enqueue(tc.responses...)
			e.WithProfile(srv.URL)
			res := e.Run("register", "--url", hook, "--event", "course.completed.50")
			if res.Code != tc.code {
				t.Errorf("exit %d, want %d; stderr %s", res.Code, tc.code, res.Stderr)
			}
			if !strings.Contains(res.Stderr, tc.want) {
				t.Errorf("stderr %q lacks %q", res.Stderr, tc.want)
			}
			if len(srv.Calls()) != tc.calls {
				t.Errorf("%d calls, want %d", len(srv.Calls()), tc.calls)
			}
			if e.ReadState() != "" {
				t.Errorf("a failed call recorded something: %s", e.ReadState())
			}
			if res.Stdout != "" {
				t.Errorf("stdout: %q", res.Stdout)
			}
		})
	}
}

func TestRegisterRetriesThenRecords(t *testing.T) {
	e := cmdtest.New(t)
	srv := cmdtest.NewAPIServer(t)
	srv.Enqueue(cmdtest.Response{Status: 503, Body: `{"message":"busy","success":false}`}, cmdtest.Response{Status: 200, Body: `{"success":true,"result":{"_id":"6650aa00bb11cc22dd33ee44"}}`})
	e.WithProfile(srv.URL)
	res := e.Run("register", "--url", hook, "--event", "course.completed.50", "-o", "json")
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	if n := len(srv.Calls()); n != 2 {
		t.Errorf("%d calls, want 2", n)
	}
	rs := records(t, res.Stdout)
	if len(rs) != 1 || rs[0].RemoteID != "6650aa00bb11cc22dd33ee44" {
		t.Errorf("records %+v", rs)
	}
	st, _ := store.New(e.StatePath).Load()
	if len(st.Subscriptions) != 1 {
		t.Errorf("state has %d records", len(st.Subscriptions))
	}
}

func TestRegisterHonoursRetryAfter(t *testing.T) {
	e := cmdtest.New(t)
	srv := cmdtest.NewAPIServer(t)
	srv.Enqueue(cmdtest.Response{Status: 429, Body: `{"message":"Too many requests","success":false}`, Header: map[string]string{"Retry-After": "3"}})
	e.WithProfile(srv.URL)
	res := e.Run("register", "--url", hook, "--event", "course.completed.50")
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	found := false
	for _, d := range e.Sleeps() {
		if d == 3e9 {
			found = true
		}
	}
	if !found {
		t.Errorf("Retry-After: 3 not honoured; sleeps %v", e.Sleeps())
	}
}

func TestRegisterPartialFailureRecordsAccepted(t *testing.T) {
	e := cmdtest.New(t)
	srv := cmdtest.NewAPIServer(t)
	srv.Enqueue(cmdtest.OK, cmdtest.Response{Status: 400, Body: `{"message":"Invalid event","success":false}`}, cmdtest.OK)
	e.WithProfile(srv.URL)
	res := e.Run("register", "--url", hook, "-e", "course.completed.10x", "-e", "course.completed.50", "-e", "course.completed.100", "--force", "-o", "json")
	if res.Code != 1 {
		t.Fatalf("exit %d, want 1: %s", res.Code, res.Stderr)
	}
	rs := records(t, res.Stdout)
	if len(rs) != 2 || rs[0].Event != "course.completed.10x" || rs[1].Event != "course.completed.100" {
		t.Errorf("printed %+v", rs)
	}
	st, _ := store.New(e.StatePath).Load()
	if len(st.Subscriptions) != 2 {
		t.Errorf("recorded %d, want exactly the 2 accepted", len(st.Subscriptions))
	}
	if !strings.Contains(res.Stderr, "course.completed.50") || !strings.Contains(res.Stderr, "Invalid event") {
		t.Errorf("stderr: %s", res.Stderr)
	}
}

func TestRegisterWithoutKey(t *testing.T) {
	e := cmdtest.New(t)
	res := e.Run("register", "--url", hook, "--event", "course.completed.50")
	if res.Code != 4 {
		t.Errorf("exit %d, want 4", res.Code)
	}
	if !strings.Contains(res.Stderr, "profile add") || !strings.Contains(res.Stderr, "TAGMANGO_API_KEY") {
		t.Errorf("stderr: %s", res.Stderr)
	}
}

func TestRegisterCorruptStoreStopsBeforeAPI(t *testing.T) {
	e := cmdtest.New(t)
	srv := cmdtest.NewAPIServer(t)
	e.WithProfile(srv.URL)
	writeFile(t, e.StatePath, "{not json")
	res := e.Run("register", "--url", hook, "--event", "course.completed.50")
	if res.Code != 1 || !strings.Contains(res.Stderr, e.StatePath) {
		t.Errorf("exit %d stderr %s", res.Code, res.Stderr)
	}
	if len(srv.Calls()) != 0 {
		t.Errorf("API called despite a corrupt store")
	}
	if e.ReadState() != "{not json" {
		t.Errorf("corrupt file was changed")
	}
}

func TestRegisterVerboseLogsRedacted(t *testing.T) {
	e := cmdtest.New(t)
	srv := cmdtest.NewAPIServer(t)
	e.WithProfile(srv.URL)
	res := e.Run("register", "--url", hook, "--event", "course.completed.50", "-v")
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	for _, want := range []string{"> POST " + srv.URL, "x-api-key: …9f3a", "< 200"} {
		if !strings.Contains(res.Stderr, want) {
			t.Errorf("verbose log lacks %q:\n%s", want, res.Stderr)
		}
	}
	// cmdtest fails the test by itself if the full key appears anywhere.
}

func TestRegisterEventListsAndFamilies(t *testing.T) {
	e := cmdtest.New(t)
	srv := cmdtest.NewAPIServer(t)
	e.WithProfile(srv.URL)

	res := e.Run("register", "--url", hook, "-e", "webinar.reminder.all, webinar.completed.all", "-e", "user.deleted,webinar.reminder.all", "-o", "json")
	if res.Code != 0 || strings.Contains(res.Stderr, "did you mean") {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	var got []string
	for _, c := range srv.Calls() {
		got = append(got, c.Body)
	}
	want := []string{
		`{"hookUrl":"https://example.com/hooks/tm","event":"webinar.reminder.all"}`,
		`{"hookUrl":"https://example.com/hooks/tm","event":"webinar.completed.all"}`,
		`{"hookUrl":"https://example.com/hooks/tm","event":"user.deleted"}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\n%s", strings.Join(got, "\n"))
	}
	if rs := records(t, res.Stdout); len(rs) != 3 {
		t.Errorf("%d records", len(rs))
	}

	for _, args := range [][]string{{"-e", "webinar.reminder.*"}, {"-e", "webinar.reminder.*", "--force"}} {
		res = e.Run(append([]string{"register", "--url", hook}, args...)...)
		if res.Code != 2 || !strings.Contains(res.Stderr, `error: --event: "webinar.reminder.*" is a family, and TagMango subscribes single events; name them: --event webinar.reminder.all,webinar.reminder.1day,webinar.reminder.15min`) {
			t.Errorf("%v: exit %d stderr %s", args, res.Code, res.Stderr)
		}
	}
	if n := len(srv.Calls()); n != 3 {
		t.Errorf("%d calls after the refusals", n)
	}
}

func TestRegisterDryRunStructured(t *testing.T) {
	e := cmdtest.New(t)
	srv := cmdtest.NewAPIServer(t)
	e.WithProfile(srv.URL)
	res := e.Run("register", "--url", hook, "-e", "course.completed.50,user.deleted", "--course", "c1", "--force", "--dry-run", "-o", "json")
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	if len(srv.Calls()) != 0 || e.ReadState() != "" {
		t.Errorf("dry run sent or recorded something")
	}
	var plans []struct {
		Method  string            `json:"method"`
		URL     string            `json:"url"`
		Headers map[string]string `json:"headers"`
		Body    map[string]any    `json:"body"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &plans); err != nil {
		t.Fatalf("stdout is not a JSON array: %v\n%s", err, res.Stdout)
	}
	if len(plans) != 2 {
		t.Fatalf("%d requests:\n%s", len(plans), res.Stdout)
	}
	p := plans[0]
	if p.Method != "POST" || p.URL != srv.URL+"/api/v1/integration/webhook/webhook" {
		t.Errorf("request %s %s", p.Method, p.URL)
	}
	for k, want := range map[string]string{"x-api-key": "…9f3a", "content-type": "application/json", "accept": "application/json", "user-agent": "tagmango-hooks/1.0.0-test"} {
		if p.Headers[k] != want {
			t.Errorf("header %s = %q, want %q", k, p.Headers[k], want)
		}
	}
	if p.Body["hookUrl"] != hook || p.Body["event"] != "course.completed.50" || p.Body["course"] != "c1" || plans[1].Body["event"] != "user.deleted" {
		t.Errorf("bodies %v %v", p.Body, plans[1].Body)
	}

	res = e.Run("register", "--url", hook, "-e", "user.deleted", "--dry-run", "-o", "yaml")
	for _, want := range []string{"  method: POST\n", "  headers:\n", "    x-api-key: …9f3a\n", "- body:\n", "    event: user.deleted\n"} {
		if res.Code != 0 || !strings.Contains(res.Stdout, want) {
			t.Errorf("yaml lacks %q (exit %d):\n%s%s", want, res.Code, res.Stdout, res.Stderr)
		}
	}
}

func TestRegisterURLWithoutScheme(t *testing.T) {
	e := cmdtest.New(t)
	srv := cmdtest.NewAPIServer(t)
	e.WithProfile(srv.URL)
	for url, want := range map[string]string{
		"hooks.example.com/tm": `error: --url: invalid URL "hooks.example.com/tm": it has no scheme; did you mean https://hooks.example.com/tm?`,
		"localhost:3000/hooks": `did you mean http://localhost:3000/hooks?`,
	} {
		res := e.Run("register", "--url", url, "-e", "user.deleted")
		if res.Code != 2 || !strings.Contains(res.Stderr, want) {
			t.Errorf("%s: exit %d stderr %s", url, res.Code, res.Stderr)
		}
	}
	if len(srv.Calls()) != 0 || e.ReadState() != "" {
		t.Errorf("sent or recorded something")
	}
}

// Events given twice, with blanks around them or as empty items are subscribed once
// each, in the order first given (--event's parsing; register adds no rule of its own).
func TestRegisterSendsEachEventOnce(t *testing.T) {
	e := cmdtest.New(t)
	srv := cmdtest.NewAPIServer(t)
	e.WithProfile(srv.URL)
	res := e.Run("register", "--url", hook, "-e", " course.completed.100 ,course.completed.50,", "-e", "course.completed.100", "-e", " , ", "-e", "course.completed.50", "-o", "json")
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	var sent []string
	for _, c := range srv.Calls() {
		var body struct{ Event string }
		if err := json.Unmarshal([]byte(c.Body), &body); err != nil {
			t.Fatal(err)
		}
		sent = append(sent, body.Event)
	}
	if strings.Join(sent, " ") != "course.completed.100 course.completed.50" {
		t.Errorf("sent %q", sent)
	}
	if rs := records(t, res.Stdout); len(rs) != 2 {
		t.Errorf("%d records", len(rs))
	}
}
