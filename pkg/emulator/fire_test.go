package emulator_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/api"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/emulator"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
)

func TestFilterMatching(t *testing.T) {
	e := newEmu(t, emulator.Config{})
	recv := newReceiver(t, nil)
	e.register(t, `{"hookUrl":"`+recv.URL+`/a","event":"course.completed.50","course":"`+courseA+`"}`)
	e.register(t, `{"hookUrl":"`+recv.URL+`/b","event":"course.completed.50","course":"`+courseB+`"}`)
	e.register(t, `{"hookUrl":"`+recv.URL+`/all","event":"course.completed.50"}`)
	// A filter the event does not document is ignored, as TagMango ignores it.
	e.register(t, `{"hookUrl":"`+recv.URL+`/webinar-filter","event":"course.completed.50","webinar":"`+webinarW+`"}`)
	e.register(t, `{"hookUrl":"`+recv.URL+`/other-event","event":"course.completed.100"}`)

	steps := []struct {
		fire    string
		matched int
		want    map[string]int // cumulative per path
	}{
		{`{"event":"course.completed.50","course":"` + courseA + `","participants":3}`, 3,
			map[string]int{"/a": 3, "/b": 0, "/all": 3, "/webinar-filter": 3, "/other-event": 0}},
		{`{"event":"course.completed.50","course":"` + courseB + `","participants":2}`, 3,
			map[string]int{"/a": 3, "/b": 2, "/all": 5, "/webinar-filter": 5, "/other-event": 0}},
		{`{"event":"course.completed.50"}`, 2,
			map[string]int{"/a": 3, "/b": 2, "/all": 6, "/webinar-filter": 6, "/other-event": 0}},
		{`{"event":"course.completed.100","course":"` + courseA + `"}`, 1,
			map[string]int{"/a": 3, "/b": 2, "/all": 6, "/webinar-filter": 6, "/other-event": 1}},
	}
	for _, st := range steps {
		rep := e.fire(t, st.fire)
		if rep.Matched != st.matched {
			t.Errorf("%s: matched %d, want %d", st.fire, rep.Matched, st.matched)
		}
		for path, n := range st.want {
			if got := recv.count(path); got != n {
				t.Errorf("after %s: %s got %d, want %d", st.fire, path, got, n)
			}
		}
	}
}

func TestDeliveriesHaveTheEventsShape(t *testing.T) {
	c := catalog(t)
	matcher := events.NewMatcher(c)
	e := newEmu(t, emulator.Config{Catalog: c})
	recv := newReceiver(t, nil)
	cases := []struct {
		event, key, id, field string
	}{
		{"course.completed.50", "course", courseA, "courseId"},
		{"webinar.completed.all", "webinar", webinarW, "webinarId"},
		{"order.created.completed", "mango", "mango-1", ""},
		{"user.deleted", "", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.event, func(t *testing.T) {
			path := "/" + tc.event
			e.register(t, `{"hookUrl":"`+recv.URL+path+`","event":"`+tc.event+`"}`)
			req := map[string]any{"event": tc.event, "participants": 20}
			if tc.key != "" {
				req[tc.key] = tc.id
			}
			b, _ := json.Marshal(req)
			rep := e.fire(t, string(b))
			if rep.Sent != 20 || rep.Statuses["200"] != 20 || len(rep.Failures) != 0 {
				t.Fatalf("report %+v", rep)
			}
			emails := map[string]bool{}
			for _, d := range recv.deliveries(path) {
				if d.ContentType != "application/json" {
					t.Errorf("content-type %q", d.ContentType)
				}
				p := events.ParsePayload(d.Body)
				det := matcher.Detect("", p)
				if !slices.Contains(det.Candidates, tc.event) {
					t.Errorf("body detected as %v, not %s: %s", det.Candidates, tc.event, d.Body)
				}
				if w := matcher.Check([]string{tc.event}, p); len(w) != 0 {
					t.Errorf("schema warnings %v: %s", w, d.Body)
				}
				var m map[string]any
				if err := json.Unmarshal(d.Body, &m); err != nil {
					t.Fatal(err)
				}
				if tc.field != "" && m[tc.field] != tc.id {
					t.Errorf("%s = %v, want the fired %s", tc.field, m[tc.field], tc.id)
				}
				emails[m["email"].(string)] = true
			}
			if len(emails) != 20 {
				t.Errorf("%d distinct participants in 20 deliveries", len(emails))
			}
		})
	}
}

func TestFireSetsTheWebinarIDOfEverySession(t *testing.T) {
	e := newEmu(t, emulator.Config{})
	recv := newReceiver(t, nil)
	e.register(t, `{"hookUrl":"`+recv.URL+`","event":"webinar.created.recurring"}`)
	e.fire(t, `{"event":"webinar.created.recurring","webinar":"`+webinarW+`"}`)
	var body struct {
		CallList []struct {
			WebinarID string `json:"webinarId"`
		} `json:"callList"`
	}
	d := recv.deliveries("")
	if len(d) != 1 {
		t.Fatalf("%d deliveries", len(d))
	}
	if err := json.Unmarshal(d[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if len(body.CallList) == 0 {
		t.Fatalf("no callList: %s", d[0].Body)
	}
	for i, s := range body.CallList {
		if s.WebinarID != webinarW {
			t.Errorf("callList[%d].webinarId = %q", i, s.WebinarID)
		}
	}
}

func TestFirePayloadOverrides(t *testing.T) {
	e := newEmu(t, emulator.Config{})
	recv := newReceiver(t, nil)
	e.register(t, `{"hookUrl":"`+recv.URL+`","event":"course.completed.50"}`)
	e.fire(t, `{"event":"course.completed.50","course":"`+courseA+`","participants":2,
		"payload":{"name":"Asha","phone":919876543210123456789,"courseId":"overridden","extra":{"k":[1,2]}}}`)
	for _, d := range recv.deliveries("") {
		body := string(d.Body)
		for _, want := range []string{`"name":"Asha"`, `"phone":919876543210123456789`, `"courseId":"overridden"`, `"extra":{"k":[1,2]}`} {
			if !strings.Contains(body, want) {
				t.Errorf("body lacks %s: %s", want, body)
			}
		}
	}
}

func TestDeleteStopsDeliveries(t *testing.T) {
	e := newEmu(t, emulator.Config{})
	recv := newReceiver(t, nil)
	e.register(t, `{"hookUrl":"`+recv.URL+`/h","event":"course.completed.50"}`)
	e.register(t, `{"hookUrl":"`+recv.URL+`/h","event":"course.completed.100"}`)
	e.register(t, `{"hookUrl":"`+recv.URL+`/kept","event":"course.completed.50"}`)
	if rep := e.fire(t, `{"event":"course.completed.50"}`); rep.Matched != 2 {
		t.Fatalf("before delete: %+v", rep)
	}
	if status, out := call(t, http.MethodDelete, e.URL+api.RegisterPath, testKey, `{"hookUrl":"`+recv.URL+`/h"}`); status != 200 {
		t.Fatalf("delete: %d %s", status, out)
	}
	rep50 := e.fire(t, `{"event":"course.completed.50"}`)
	rep100 := e.fire(t, `{"event":"course.completed.100"}`)
	if rep50.Matched != 1 || rep100.Matched != 0 || rep100.Sent != 0 {
		t.Errorf("after delete: %+v %+v", rep50, rep100)
	}
	if recv.count("/h") != 1 || recv.count("/kept") != 2 {
		t.Errorf("/h got %d (want 1, before the delete), /kept %d", recv.count("/h"), recv.count("/kept"))
	}
}

func TestFireReportShape(t *testing.T) {
	e := newEmu(t, emulator.Config{})
	ok := newReceiver(t, nil)
	failing := newReceiver(t, func(int, delivery) int { return http.StatusInternalServerError })
	gone := newReceiver(t, nil)
	gone.Close()
	e.register(t, `{"hookUrl":"`+ok.URL+`","event":"user.deleted"}`)
	e.register(t, `{"hookUrl":"`+failing.URL+`/f","event":"user.deleted"}`)
	e.register(t, `{"hookUrl":"`+gone.URL+`/g","event":"user.deleted"}`)

	status, out := call(t, http.MethodPost, e.URL+emulator.FirePath, "", `{"event":"user.deleted","participants":2}`)
	if status != 200 {
		t.Fatalf("%d %s", status, out)
	}
	m := decode(t, out)
	for _, k := range []string{"matched", "sent", "statuses", "failures"} {
		if _, ok := m[k]; !ok {
			t.Errorf("report lacks %q: %s", k, out)
		}
	}
	var rep emulator.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Matched != 3 || rep.Sent != 6 || rep.Statuses["200"] != 2 || rep.Statuses["500"] != 2 || len(rep.Statuses) != 2 || rep.Rounds != 1 {
		t.Errorf("report %+v", rep)
	}
	var status500, refused int
	for _, f := range rep.Failures {
		switch {
		case f.HookURL == failing.URL+"/f" && f.Status == 500 && f.Error == "":
			status500++
		case f.HookURL == gone.URL+"/g" && f.Status == 0 && strings.Contains(f.Error, "connection refused"):
			refused++
		default:
			t.Errorf("unexpected failure %+v", f)
		}
	}
	if status500 != 2 || refused != 2 {
		t.Errorf("failures %+v", rep.Failures)
	}
	// Exactly one of status and error per failure.
	if !strings.Contains(out, `{"hookUrl":"`+failing.URL+`/f","status":500}`) {
		t.Errorf("a status failure is not {hookUrl, status}: %s", out)
	}

	// Nothing matched: still a full report, with empty collections.
	status, out = call(t, http.MethodPost, e.URL+emulator.FirePath, "", `{"event":"course.completed.50"}`)
	if status != 200 {
		t.Fatalf("%d %s", status, out)
	}
	sameJSON(t, out, `{"matched":0,"sent":0,"statuses":{},"failed":0,"failures":[],"failuresOmitted":0,"failuresByCause":{},"event":"course.completed.50","participants":1,"rounds":1,"duplicates":0,"retries":0}`)
}

func TestFireTimesOut(t *testing.T) {
	release := make(chan struct{})
	slow := newReceiver(t, func(int, delivery) int { <-release; return 200 })
	t.Cleanup(func() { close(release) }) // runs before the receiver closes
	e := newEmu(t, emulator.Config{DeliveryTimeout: 50 * time.Millisecond})
	e.register(t, `{"hookUrl":"`+slow.URL+`","event":"user.deleted"}`)
	rep := e.fire(t, `{"event":"user.deleted"}`)
	if rep.Sent != 1 || len(rep.Failures) != 1 || rep.Failures[0].Error != "timeout: no answer within 50ms" || len(rep.Statuses) != 0 {
		t.Errorf("report %+v", rep)
	}
}

func TestReminderScheduleSendsThreeRounds(t *testing.T) {
	e := newEmu(t, emulator.Config{})
	recv := newReceiver(t, nil)
	e.register(t, `{"hookUrl":"`+recv.URL+`/all","event":"webinar.reminder.all","webinar":"`+webinarW+`"}`)
	e.register(t, `{"hookUrl":"`+recv.URL+`/1day","event":"webinar.reminder.1day"}`)
	const n = 7
	rep := e.fire(t, `{"event":"webinar.reminder.all","webinar":"`+webinarW+`","participants":7}`)
	if rep.Rounds != 3 || rep.Matched != 1 || rep.Sent != 3*n || rep.Statuses["200"] != 3*n {
		t.Errorf("report %+v", rep)
	}
	got := recv.deliveries("/all")
	if len(got) != 3*n || recv.count("/1day") != 0 {
		t.Fatalf("/all got %d, want %d; /1day got %d", len(got), 3*n, recv.count("/1day"))
	}
	// The same participants are reminded in each round, as TagMango does.
	count := map[string]int{}
	for _, d := range got {
		count[string(d.Body)]++
	}
	if len(count) != n {
		t.Errorf("%d distinct bodies, want %d", len(count), n)
	}
	for body, c := range count {
		if c != 3 {
			t.Errorf("body sent %d times, want 3: %s", c, body)
		}
	}
	var rounds []string
	for _, d := range e.Deliveries() {
		if len(rounds) == 0 || rounds[len(rounds)-1] != d.Round {
			rounds = append(rounds, d.Round)
		}
	}
	if want := []string{"1 day before", "30 min before", "15 min before"}; !slices.Equal(rounds, want) {
		t.Errorf("rounds in delivery order %q, want %q back to back", rounds, want)
	}
}

func TestDuplicates(t *testing.T) {
	for _, tc := range []struct {
		fraction float64
		want     int
	}{{1, 8}, {0.5, 6}, {0.25, 5}, {0, 4}} {
		e := newEmu(t, emulator.Config{Duplicates: tc.fraction})
		recv := newReceiver(t, nil)
		e.register(t, `{"hookUrl":"`+recv.URL+`","event":"course.completed.50"}`)
		rep := e.fire(t, `{"event":"course.completed.50","participants":4}`)
		if recv.count("") != tc.want || rep.Sent != tc.want || rep.Duplicates != tc.want-4 || rep.Statuses["200"] != tc.want {
			t.Errorf("duplicates %v: received %d, report %+v; want %d", tc.fraction, recv.count(""), rep, tc.want)
		}
		bodies := map[string]int{}
		for _, d := range recv.deliveries("") {
			bodies[string(d.Body)]++
		}
		if len(bodies) != 4 {
			t.Errorf("duplicates %v: %d distinct bodies, want 4 (a duplicate is the same body)", tc.fraction, len(bodies))
		}
	}
}

func TestRetries(t *testing.T) {
	var mu sync.Mutex
	var waits []time.Duration
	sleep := func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return ctx.Err()
	}
	// Each body fails twice, then succeeds.
	var seenMu sync.Mutex
	seen := map[string]int{}
	flaky := newReceiver(t, func(_ int, d delivery) int {
		seenMu.Lock()
		defer seenMu.Unlock()
		seen[string(d.Body)]++
		if seen[string(d.Body)] <= 2 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	e := newEmu(t, emulator.Config{Retries: 2, RetryWait: time.Second, Sleep: sleep, Concurrency: 1})
	e.register(t, `{"hookUrl":"`+flaky.URL+`","event":"user.deleted"}`)
	rep := e.fire(t, `{"event":"user.deleted","participants":3}`)
	if rep.Sent != 3 || rep.Retries != 6 || rep.Statuses["200"] != 3 || len(rep.Failures) != 0 || flaky.count("") != 9 {
		t.Errorf("report %+v, %d requests", rep, flaky.count(""))
	}
	if want := []time.Duration{time.Second, 2 * time.Second, time.Second, 2 * time.Second, time.Second, 2 * time.Second}; !slices.Equal(waits, want) {
		t.Errorf("waits %v, want %v", waits, want)
	}
	for _, d := range e.Deliveries() {
		if d.Attempts != 3 || d.Status != 200 {
			t.Errorf("delivery %+v", d)
		}
	}

	// Not enough retries: the last answer is the delivery's.
	down := newReceiver(t, func(int, delivery) int { return http.StatusBadGateway })
	e2 := newEmu(t, emulator.Config{Retries: 1, Sleep: sleep})
	e2.register(t, `{"hookUrl":"`+down.URL+`","event":"user.deleted"}`)
	rep = e2.fire(t, `{"event":"user.deleted"}`)
	if rep.Sent != 1 || rep.Retries != 1 || down.count("") != 2 || len(rep.Failures) != 1 || rep.Failures[0].Status != 502 {
		t.Errorf("report %+v", rep)
	}
}

func TestFireValidates(t *testing.T) {
	e := newEmu(t, emulator.Config{MaxParticipants: 100})
	tests := []struct {
		body, code, msg string
	}{
		{`{"event":"course.completed.5"}`, emulator.CodeInvalidEvent, "Invalid event: course.completed.5 (did you mean course.completed.50?)"},
		{`{}`, emulator.CodeEventRequired, "event is required"},
		{`{"event":"user.deleted","participants":101}`, emulator.CodeInvalidParticipants, "participants must be between 1 and 100, not 101"},
		{`{"event":"user.deleted","participants":-1}`, emulator.CodeInvalidParticipants, "participants must be between 1 and 100, not -1"},
		{`{"event":"user.deleted","participants":1.5}`, emulator.CodeInvalidJSON, ""},
		{`{"event":"user.deleted","participant":3}`, emulator.CodeInvalidJSON, `Invalid fire request: unknown field "participant"`},
		{`{"event":"webinar.reminder.all","course":"c"}`, emulator.CodeFilterNotApplicable, `webinar.reminder.all is about a webinar, not a course: give "webinar" instead of "course"`},
		{`{"event":"user.deleted","mango":"m"}`, emulator.CodeFilterNotApplicable, "user.deleted takes no filter: fire it without mango"},
		{`not json`, emulator.CodeInvalidJSON, ""},
		{`{"event":"user.deleted"} {}`, emulator.CodeInvalidJSON, "Invalid fire request: more than one JSON value"},
	}
	for _, tt := range tests {
		status, out := call(t, http.MethodPost, e.URL+emulator.FirePath, "", tt.body)
		if status != 400 {
			t.Errorf("%s: %d %s", tt.body, status, out)
			continue
		}
		env := decode(t, out)
		if env["errorCode"] != tt.code || env["success"] != false || env["statusMessage"] != "BAD_REQUEST" || (tt.msg != "" && env["message"] != tt.msg) {
			t.Errorf("%s: %s", tt.body, out)
		}
	}
	if status, _ := call(t, http.MethodGet, e.URL+emulator.FirePath, "", ""); status != http.StatusMethodNotAllowed {
		t.Errorf("GET fire: %d", status)
	}
}

func TestInspectionEndpoints(t *testing.T) {
	e := newEmu(t, emulator.Config{History: 3})
	recv := newReceiver(t, nil)
	e.register(t, `{"hookUrl":"`+recv.URL+`","event":"user.deleted"}`)
	e.fire(t, `{"event":"user.deleted","participants":5}`)

	status, out := call(t, http.MethodGet, e.URL+emulator.RegistrationsPath, "", "")
	var regs []emulator.Registration
	if status != 200 || json.Unmarshal([]byte(out), &regs) != nil || len(regs) != 1 || regs[0].HookURL != recv.URL {
		t.Errorf("registrations: %d %s", status, out)
	}
	status, out = call(t, http.MethodGet, e.URL+emulator.DeliveriesPath, "", "")
	var ds []emulator.Delivery
	if status != 200 || json.Unmarshal([]byte(out), &ds) != nil {
		t.Fatalf("deliveries: %d %s", status, out)
	}
	if len(ds) != 3 {
		t.Fatalf("%d deliveries kept, want the last 3", len(ds))
	}
	for i, d := range ds {
		if d.Seq != int64(i+3) || d.Event != "user.deleted" || d.Status != 200 || d.RegistrationID != regs[0].ID || !json.Valid(d.Body) {
			t.Errorf("delivery %d: %+v", i, d)
		}
	}

	fresh := newEmu(t, emulator.Config{})
	for _, p := range []string{emulator.RegistrationsPath, emulator.DeliveriesPath} {
		if _, out := call(t, http.MethodGet, fresh.URL+p, "", ""); strings.TrimSpace(out) != "[]" {
			t.Errorf("%s when empty: %s", p, out)
		}
	}
}

// TestFireCapsTheTotal: registrations × participants × rounds beyond the cap is
// refused with a 400 envelope before anything is sent.
func TestFireCapsTheTotal(t *testing.T) {
	recv := newReceiver(t, nil)
	e := newEmu(t, emulator.Config{MaxDeliveries: 10})
	for _, p := range []string{"/a", "/b"} {
		e.register(t, `{"hookUrl":"`+recv.URL+p+`","event":"webinar.reminder.all"}`)
	}
	status, out := call(t, http.MethodPost, e.URL+emulator.FirePath, "", `{"event":"webinar.reminder.all","participants":2}`)
	if status != 400 || !strings.Contains(out, `"errorCode":"TOO_MANY_DELIVERIES"`) ||
		!strings.Contains(out, "this fire would make 12 deliveries (2 registrations × 2 participants × 3 rounds), more than the 10 one fire may make") {
		t.Errorf("%d %s", status, out)
	}
	if n := recv.count(""); n != 0 {
		t.Errorf("%d deliveries sent", n)
	}
	// At the cap, it fires.
	if rep := e.fire(t, `{"event":"user.deleted"}`); rep.Matched != 0 {
		t.Errorf("report %+v", rep)
	}
	e.register(t, `{"hookUrl":"`+recv.URL+`/c","event":"user.deleted"}`)
	if rep := e.fire(t, `{"event":"user.deleted","participants":10}`); rep.Sent != 10 {
		t.Errorf("report %+v", rep)
	}
}

// TestFireReportListsTheFirstFailures: the report lists at most MaxListedFailures
// failures and counts every one by cause.
func TestFireReportListsTheFirstFailures(t *testing.T) {
	failing := newReceiver(t, func(n int, _ delivery) int {
		if n%2 == 0 {
			return 503
		}
		return 500
	})
	e := newEmu(t, emulator.Config{})
	e.register(t, `{"hookUrl":"`+failing.URL+`/f","event":"user.deleted"}`)
	rep := e.fire(t, `{"event":"user.deleted","participants":250}`)
	if rep.Sent != 250 || rep.Failed != 250 || len(rep.Failures) != emulator.MaxListedFailures || rep.FailuresOmitted != 150 {
		t.Errorf("sent %d, failed %d, listed %d, omitted %d", rep.Sent, rep.Failed, len(rep.Failures), rep.FailuresOmitted)
	}
	if len(rep.FailuresByCause) != 2 || rep.FailuresByCause["HTTP 500"] != 125 || rep.FailuresByCause["HTTP 503"] != 125 {
		t.Errorf("by cause %v", rep.FailuresByCause)
	}
}

func TestFireSetAssignments(t *testing.T) {
	e := newEmu(t, emulator.Config{})
	recv := newReceiver(t, nil)
	e.register(t, `{"hookUrl":"`+recv.URL+`","event":"webinar.created.single"}`)
	e.fire(t, `{"event":"webinar.created.single","participants":2,"payload":{"name":"Asha"},"set":["callList.0.webinar=Live","phone=42","name=Ravi"]}`)
	for _, d := range recv.deliveries("") {
		body := string(d.Body)
		// phone is a number in webinar.created.single; set comes after payload.
		for _, want := range []string{`"webinar":"Live"`, `"phone":42`, `"name":"Ravi"`} {
			if !strings.Contains(body, want) {
				t.Errorf("body lacks %s: %s", want, body)
			}
		}
	}
	status, out := call(t, http.MethodPost, e.URL+emulator.FirePath, "", `{"event":"webinar.created.single","set":["callList.0.webinr=x"]}`)
	if env := decode(t, out); status != 400 || env["errorCode"] != emulator.CodeInvalidPayload || !strings.Contains(out, `did you mean \"callList.0.webinar\"?`) {
		t.Errorf("%d %s", status, out)
	}
}
