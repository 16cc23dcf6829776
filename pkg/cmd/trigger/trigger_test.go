package trigger_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/deliver/delivertest"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
)

func run(t *testing.T, args ...string) cmdtest.Result {
	t.Helper()
	return cmdtest.New(t).Run(append([]string{"trigger"}, args...)...)
}

func decode(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, body)
	}
	return m
}

type jsonReport struct {
	Event       string         `json:"event"`
	URL         string         `json:"url"`
	Passed      bool           `json:"passed"`
	Sent        int            `json:"sent"`
	OK          int            `json:"ok"`
	Statuses    map[string]int `json:"statuses"`
	Errors      int            `json:"errors"`
	ErrorKinds  map[string]int `json:"errorKinds"`
	Over30s     int            `json:"over30s"`
	LatencyMs   map[string]float64
	Interrupted bool `json:"interrupted"`
	Failures    []struct {
		ID     int    `json:"id"`
		Status int    `json:"status"`
		Error  string `json:"error"`
	} `json:"failures"`
	Answer *string `json:"answer"`
}

func report(t *testing.T, stdout string) jsonReport {
	t.Helper()
	var r jsonReport
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, stdout)
	}
	return r
}

func TestTriggerSendsOneDeliveryShapedAsTagMango(t *testing.T) {
	rc := delivertest.New(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		_, _ = w.Write([]byte("thanks\x1b[31m"))
	})
	to := rc.URL + "/hooks/tm?src=tagmango"
	res := run(t, "course.completed.50", "--to", to)
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	reqs := rc.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.RequestURI != "/hooks/tm?src=tagmango" {
		t.Errorf("got %s %s, want POST to exactly the --to path", r.Method, r.RequestURI)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("content-type %q", ct)
	}
	if ua := r.Header.Get("User-Agent"); ua != "tagmango-hooks/1.0.0-test" {
		t.Errorf("user-agent %q", ua)
	}
	c, _ := events.Load()
	m := events.NewMatcher(c)
	if problems := m.Check([]string{"course.completed.50"}, events.ParsePayload(r.Body)); len(problems) > 0 {
		t.Errorf("the body does not match the catalog: %v\n%s", problems, r.Body)
	}
	body := decode(t, r.Body)
	for _, f := range []string{"name", "email", "phone", "course", "courseId", "lastProgressOn"} {
		if _, ok := body[f]; !ok {
			t.Errorf("body lacks %s: %s", f, r.Body)
		}
	}
	if !strings.Contains(res.Stdout, "200 OK in ") || !strings.Contains(res.Stdout, `answer: "thanks\x1b[31m"`) {
		t.Errorf("stdout should give status, latency and the escaped answer:\n%s", res.Stdout)
	}
	if strings.Contains(res.Stdout, "\x1b") {
		t.Errorf("an escape sequence reached stdout: %q", res.Stdout)
	}
}

func TestTriggerCountGivesDistinctParticipants(t *testing.T) {
	rc := delivertest.New(t, nil)
	res := run(t, "webinar.created.recurring", "--to", rc.URL, "--count", "50", "--concurrency", "7", "-o", "json")
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	reqs := rc.Requests()
	if len(reqs) != 50 {
		t.Fatalf("%d deliveries, want 50", len(reqs))
	}
	emails := map[string]bool{}
	webinars := map[any]bool{}
	for _, r := range reqs {
		b := decode(t, r.Body)
		emails[b["email"].(string)] = true
		calls, _ := b["callList"].([]any)
		if len(calls) < 2 {
			t.Fatalf("a recurring webinar should list several sessions: %s", r.Body)
		}
		webinars[calls[0].(map[string]any)["webinarId"]] = true
	}
	if len(emails) < 45 {
		t.Errorf("%d distinct emails in 50 deliveries, want at least 45", len(emails))
	}
	if len(webinars) != 1 {
		t.Errorf("a fan-out is about one webinar; got %d", len(webinars))
	}
	rep := report(t, res.Stdout)
	if !rep.Passed || rep.Sent != 50 || rep.OK != 50 || rep.Statuses["200"] != 50 || rep.Errors != 0 || rep.Event != "webinar.created.recurring" {
		t.Errorf("report: %+v", rep)
	}
	if rep.Answer != nil {
		t.Errorf("answer is only given for a single delivery")
	}
}

func TestTriggerSet(t *testing.T) {
	cases := []struct {
		name  string
		event string
		sets  []string
		check func(t *testing.T, body map[string]any)
	}{
		{"top-level string", "course.completed.50", []string{"email=qa@example.com"}, func(t *testing.T, b map[string]any) {
			t.Helper()
			if b["email"] != "qa@example.com" {
				t.Errorf("email = %v", b["email"])
			}
		}},
		{"number conversion", "course.completed.50", []string{"phone=919000000001"}, func(t *testing.T, b map[string]any) {
			t.Helper()
			if b["phone"] != float64(919000000001) {
				t.Errorf("phone = %#v, want the number", b["phone"])
			}
		}},
		{"string phone stays a string", "webinar.reminder.15min", []string{"phone=919000000001"}, func(t *testing.T, b map[string]any) {
			t.Helper()
			if b["phone"] != "919000000001" {
				t.Errorf("phone = %#v, want the string", b["phone"])
			}
		}},
		{"nested item", "webinar.created.single", []string{"callList.0.webinar=Live Q&A", "mangoes=A, B"}, func(t *testing.T, b map[string]any) {
			t.Helper()
			item := b["callList"].([]any)[0].(map[string]any)
			if item["webinar"] != "Live Q&A" || b["mangoes"] != "A, B" {
				t.Errorf("got %v / %v", item["webinar"], b["mangoes"])
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc := delivertest.New(t, nil)
			args := []string{tc.event, "--to", rc.URL, "--count", "3"}
			for _, s := range tc.sets {
				args = append(args, "--set", s)
			}
			res := run(t, args...)
			if res.Code != 0 {
				t.Fatalf("exit %d: %s", res.Code, res.Stderr)
			}
			reqs := rc.Requests()
			if len(reqs) != 3 {
				t.Fatalf("%d deliveries", len(reqs))
			}
			for _, r := range reqs {
				tc.check(t, decode(t, r.Body))
			}
		})
	}
}

func TestTriggerUsageErrors(t *testing.T) {
	rc := delivertest.New(t, nil)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown event", []string{"course.complete.50", "--to", rc.URL}, `unknown event "course.complete.50"; did you mean "course.completed.50"?`},
		{"unknown field", []string{"course.completed.50", "--to", rc.URL, "--set", "emial=x"}, `has no field "emial"; did you mean "email"? (--force adds it as a string)`},
		{"not a number", []string{"course.completed.50", "--to", rc.URL, "--set", "phone=abc"}, `phone: "abc" is not a number`},
		{"not finite", []string{"course.completed.50", "--to", rc.URL, "--set", "phone=1e999"}, `--set phone=1e999: phone: 1e999 is out of range: a number must be finite`},
		{"NaN", []string{"course.completed.50", "--to", rc.URL, "--set", "phone=NaN"}, `"NaN" is not a finite number`},
		{"no --to", []string{"course.completed.50"}, "--to is required"},
		{"relative --to", []string{"course.completed.50", "--to", "/hooks"}, "absolute http"},
		{"ftp --to", []string{"course.completed.50", "--to", "ftp://example.com/x"}, "absolute http"},
		{"public --to without a scheme", []string{"course.completed.50", "--to", "hooks.example.com/tm"}, `--to: invalid URL "hooks.example.com/tm": it has no scheme; did you mean https://hooks.example.com/tm?`},
		{"no event", []string{"--to", rc.URL}, "give the event"},
		{"zero count", []string{"course.completed.50", "--to", rc.URL, "--count", "0"}, "--count must be at least 1"},
		{"zero concurrency", []string{"course.completed.50", "--to", rc.URL, "-c", "0"}, "--concurrency must be at least 1"},
		{"set and data", []string{"course.completed.50", "--to", rc.URL, "--set", "a=b", "--data", "-"}, "cannot be used together"},
		{"bad header", []string{"course.completed.50", "--to", rc.URL, "--header", "novalue"}, "use NAME=VALUE"},
		{"bad header name", []string{"course.completed.50", "--to", rc.URL, "--header", "a b=c"}, "not a valid header name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := run(t, tc.args...)
			if res.Code != 2 {
				t.Errorf("exit %d, want 2; stderr: %s", res.Code, res.Stderr)
			}
			if !strings.Contains(res.Stderr, tc.want) {
				t.Errorf("stderr %q does not contain %q", res.Stderr, tc.want)
			}
		})
	}
	if n := len(rc.Requests()); n != 0 {
		t.Errorf("%d deliveries sent by invalid invocations", n)
	}
}

func TestTriggerForceAddsUnknownField(t *testing.T) {
	rc := delivertest.New(t, nil)
	res := run(t, "course.completed.50", "--to", rc.URL, "--set", "progress=50", "--force")
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	if b := decode(t, rc.Requests()[0].Body); b["progress"] != "50" {
		t.Errorf("progress = %#v, want the string 50", b["progress"])
	}
}

func TestTriggerDataIsSentVerbatim(t *testing.T) {
	// Spacing, key order, escapes and a trailing newline must survive.
	data := "{ \"b\":1,\n  \"a\":\"<\\u00e9>\" , \"n\": 1.50 }\n"
	path := filepath.Join(t.TempDir(), "body.json")
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
	}{
		{"file", []string{"--data", path}, ""},
		{"stdin", []string{"--data", "-"}, data},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := delivertest.New(t, nil)
			e := cmdtest.New(t)
			args := append([]string{"trigger", "course.completed.50", "--to", rc.URL, "--count", "2"}, tc.args...)
			res := e.RunWith(cmdtest.Options{Stdin: tc.stdin}, args...)
			if res.Code != 0 {
				t.Fatalf("exit %d: %s", res.Code, res.Stderr)
			}
			for _, r := range rc.Requests() {
				if string(r.Body) != data {
					t.Errorf("body changed:\n got %q\nwant %q", r.Body, data)
				}
			}
		})
	}
}

func TestTriggerDataMissingFile(t *testing.T) {
	rc := delivertest.New(t, nil)
	res := run(t, "course.completed.50", "--to", rc.URL, "--data", filepath.Join(t.TempDir(), "nope.json"))
	if res.Code != 1 || !strings.Contains(res.Stderr, "nope.json") {
		t.Errorf("exit %d, stderr %q", res.Code, res.Stderr)
	}
}

func TestTriggerHeaders(t *testing.T) {
	rc := delivertest.New(t, nil)
	res := run(t, "user.deleted", "--to", rc.URL, "--header", "X-Webhook-Secret=s3cret", "-H", "User-Agent: TagMango")
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	h := rc.Requests()[0].Header
	if h.Get("X-Webhook-Secret") != "s3cret" || h.Get("User-Agent") != "TagMango" {
		t.Errorf("headers %v", h)
	}
}

func TestTriggerFailuresExit3(t *testing.T) {
	// Every third delivery gets a 500.
	rc := delivertest.New(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		if n%3 == 0 {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
	res := run(t, "course.completed.100", "--to", rc.URL, "--count", "30", "-o", "json")
	if res.Code != 3 {
		t.Fatalf("exit %d, want 3; stderr %s", res.Code, res.Stderr)
	}
	rep := report(t, res.Stdout)
	if rep.Passed || rep.Sent != 30 || rep.OK != 20 || rep.Statuses["202"] != 20 || rep.Statuses["500"] != 10 || rep.Errors != 0 || len(rep.Failures) != 10 {
		t.Errorf("report: %+v", rep)
	}
	if !strings.Contains(res.Stderr, "10 of 30 deliveries failed: 10 answered 500") {
		t.Errorf("stderr: %s", res.Stderr)
	}

	// The human summary says the same.
	res = run(t, "course.completed.100", "--to", rc.URL, "--count", "30")
	for _, want := range []string{"Sent 30 deliveries to " + rc.URL, "2xx       20", "500       10", "errors    0", "over 30s  0", "latency   p50 ", "Failures:", `"boom\n"`} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, res.Stdout)
		}
	}
}

func TestTriggerSingle500(t *testing.T) {
	rc := delivertest.New(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		http.Error(w, `{"error":"bad"}`, http.StatusInternalServerError)
	})
	res := run(t, "order.created.failed", "--to", rc.URL)
	if res.Code != 3 {
		t.Fatalf("exit %d", res.Code)
	}
	if !strings.Contains(res.Stdout, "500 Internal Server Error in ") || !strings.Contains(res.Stdout, `answer: "{\"error\":\"bad\"}\n"`) {
		t.Errorf("stdout: %s", res.Stdout)
	}
	if !strings.Contains(res.Stderr, "error: the endpoint answered 500 Internal Server Error") {
		t.Errorf("stderr: %s", res.Stderr)
	}
}

func TestTriggerTimeout(t *testing.T) {
	release := make(chan struct{})
	// The first delivery is answered; the others hang until the test ends.
	rc := delivertest.New(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			return
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) }) // runs before the server's Close
	res := run(t, "course.completed.50", "--to", rc.URL, "--count", "3", "--concurrency", "1", "--timeout", "150ms", "-o", "json")
	if res.Code != 3 {
		t.Fatalf("exit %d, want 3; stderr %s", res.Code, res.Stderr)
	}
	rep := report(t, res.Stdout)
	if rep.Sent != 3 || rep.OK != 1 || rep.Errors != 2 || rep.ErrorKinds["timeout"] != 2 || rep.Over30s != 0 {
		t.Errorf("report: %+v", rep)
	}
	if len(rep.Failures) != 2 || rep.Failures[0].Error != "no answer within 150ms" {
		t.Errorf("failures: %+v", rep.Failures)
	}
	if !strings.Contains(res.Stderr, "2 of 3 deliveries failed: 2 timed out") {
		t.Errorf("stderr: %s", res.Stderr)
	}
}

func TestTriggerUnreachable(t *testing.T) {
	url := delivertest.ClosedURL(t)
	for _, count := range []string{"1", "4"} {
		res := run(t, "course.completed.50", "--to", url, "--count", count)
		if res.Code != 3 {
			t.Errorf("count %s: exit %d, want 3", count, res.Code)
		}
		if !strings.Contains(res.Stderr, "could not reach "+url+": nothing is listening on 127.0.0.1:") {
			t.Errorf("count %s: stderr %s", count, res.Stderr)
		}
	}
}

func TestTriggerInterruptPrintsPartialSummary(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	rc := delivertest.New(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n < 5 {
			return
		}
		// The fifth delivery "presses Ctrl-C" and waits to be abandoned.
		once.Do(cancel)
		<-r.Context().Done()
	})
	res := cmdtest.New(t).RunWith(cmdtest.Options{Context: ctx}, "trigger", "course.completed.50", "--to", rc.URL, "--count", "100", "--concurrency", "1")
	if res.Code != 130 {
		t.Fatalf("exit %d, want 130; stderr %s", res.Code, res.Stderr)
	}
	// The fifth was sent, and the receiver has it: it counts, as interrupted.
	if !strings.Contains(res.Stdout, "Interrupted: sent 5 of 100 deliveries") || !strings.Contains(res.Stdout, "errors    1 (interrupted 1)") {
		t.Errorf("stdout: %s", res.Stdout)
	}
	if n := len(rc.Requests()); n != 5 {
		t.Errorf("%d deliveries after the interruption began, want 5", n)
	}
}

// TestTriggerInterruptedCountsInFlight: every request the receiver got is counted,
// those in flight at the interruption included, and an interrupted run never passes.
func TestTriggerInterruptedCountsInFlight(t *testing.T) {
	const conc = 4
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	arrived := 0
	rc := delivertest.New(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n <= 2 {
			return // answered 200 before the interruption
		}
		mu.Lock()
		arrived++
		if arrived == conc {
			cancel() // every sender holds one delivery: Ctrl-C now
		}
		mu.Unlock()
		<-r.Context().Done()
	})
	res := cmdtest.New(t).RunWith(cmdtest.Options{Context: ctx}, "trigger", "course.completed.50", "--to", rc.URL,
		"--count", "60", "--concurrency", strconv.Itoa(conc), "-o", "json")
	if res.Code != 130 {
		t.Fatalf("exit %d, want 130; stderr %s", res.Code, res.Stderr)
	}
	rep := report(t, res.Stdout)
	got := len(rc.Requests())
	if rep.Sent != got || got != 2+conc {
		t.Errorf("sent %d, the receiver got %d, want %d", rep.Sent, got, 2+conc)
	}
	if rep.Passed || !rep.Interrupted || rep.OK != 2 || rep.Statuses["200"] != 2 || rep.Errors != conc || rep.ErrorKinds["interrupted"] != conc {
		t.Errorf("report %+v", rep)
	}
	if len(rep.Failures) != conc || rep.Failures[0].Error != "interrupted before the answer came" {
		t.Errorf("failures %+v", rep.Failures)
	}
}

func TestTriggerProgressStaysOnStderr(t *testing.T) {
	rc := delivertest.New(t, nil)
	res := cmdtest.New(t).RunWith(cmdtest.Options{StderrTTY: true}, "trigger", "course.completed.50", "--to", rc.URL, "--count", "20", "-o", "json")
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	if rep := report(t, res.Stdout); rep.Sent != 20 {
		t.Errorf("report: %+v", rep)
	}
	if !strings.Contains(res.Stderr, "sending") {
		t.Errorf("no progress bar on a terminal stderr: %q", res.Stderr)
	}
}

func TestTriggerSeedIsReproducible(t *testing.T) {
	bodies := func() []string {
		rc := delivertest.New(t, nil)
		if res := run(t, "order.recurring.created", "--to", rc.URL, "--count", "3", "--concurrency", "1", "--seed", "99"); res.Code != 0 {
			t.Fatalf("exit %d: %s", res.Code, res.Stderr)
		}
		var out []string
		for _, r := range rc.Requests() {
			out = append(out, string(r.Body))
		}
		return out
	}
	a, b := bodies(), bodies()
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Errorf("same seed, different payloads:\n%v\n%v", a, b)
	}
}

func TestTriggerSingleJSON(t *testing.T) {
	rc := delivertest.New(t, nil)
	res := run(t, "subscription.expired", "--to", rc.URL, "-o", "json")
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	rep := report(t, res.Stdout)
	if rep.Answer == nil || *rep.Answer != "ok" || rep.Sent != 1 || !rep.Passed {
		t.Errorf("report %+v", rep)
	}
}

func TestTriggerDeprecatedWarns(t *testing.T) {
	rc := delivertest.New(t, nil)
	res := run(t, "course.completed", "--to", rc.URL)
	if res.Code != 0 || !strings.Contains(res.Stderr, "warning: course.completed is deprecated; use course.completed.100 instead") {
		t.Errorf("exit %d, stderr %q", res.Code, res.Stderr)
	}
}

// A loopback --to needs no scheme, and -n is --count.
func TestTriggerToLoopbackWithoutScheme(t *testing.T) {
	rc := delivertest.New(t, nil)
	addr := strings.TrimPrefix(rc.URL, "http://") // 127.0.0.1:PORT
	_, port, _ := strings.Cut(addr, ":")
	for _, to := range []string{addr + "/hooks", "localhost:" + port + "/hooks"} {
		res := run(t, "course.completed.50", "--to", to, "-n", "2", "-o", "json")
		if res.Code != 0 {
			t.Fatalf("%s: exit %d: %s", to, res.Code, res.Stderr)
		}
		if r := report(t, res.Stdout); r.URL != "http://"+to || r.Sent != 2 || r.OK != 2 {
			t.Errorf("%s: report %+v", to, r)
		}
	}
	if n := len(rc.Requests()); n != 4 {
		t.Errorf("%d requests, want 4", n)
	}
}
