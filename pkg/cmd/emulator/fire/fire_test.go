package fire_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/emulator/fire"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/factory"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/emulator"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
)

const courseA = "634fc35ddaf58580e2418c40"

func TestFireParsesArguments(t *testing.T) {
	tests := []struct {
		name    string
		cli     string
		env     string
		want    fire.FireOptions
		wantErr string
	}{
		{name: "defaults", cli: "course.completed.50",
			want: fire.FireOptions{Event: "course.completed.50", Participants: 1, EmulatorURL: emulator.DefaultURL}},
		{name: "everything", cli: "course.completed.50 --course C -n 25 --set name=Asha --set phone=1 --emulator http://127.0.0.1:9",
			want: fire.FireOptions{Event: "course.completed.50", Course: "C", Participants: 25, Sets: []string{"name=Asha", "phone=1"}, EmulatorURL: "http://127.0.0.1:9"}},
		{name: "env names the emulator", cli: "user.deleted", env: "http://127.0.0.1:7",
			want: fire.FireOptions{Event: "user.deleted", Participants: 1, EmulatorURL: "http://127.0.0.1:7"}},
		{name: "the flag beats the env", cli: "user.deleted --emulator http://127.0.0.1:8", env: "http://127.0.0.1:7",
			want: fire.FireOptions{Event: "user.deleted", Participants: 1, EmulatorURL: "http://127.0.0.1:8"}},
		{name: "no event", cli: "", wantErr: "fire needs one EVENT (see `tagmango-hooks events`)"},
		{name: "two events", cli: "a b", wantErr: "too many arguments (2): fire needs one EVENT (see `tagmango-hooks events`)"},
		{name: "two ids", cli: "x --course c --webinar w", wantErr: "give one of --mango, --course, --webinar, not --course and --webinar"},
		{name: "no participants", cli: "x -n 0", wantErr: "--participants must be between 1 and 10000, not 0"},
		{name: "too many participants", cli: "x --participants 10001", wantErr: "--participants must be between 1 and 10000, not 10001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(fire.EnvEmulatorURL, tt.env)
			ios, _, _, _ := iostreams.Test()
			var got *fire.FireOptions
			cmd := fire.NewCmdFire(factory.New(ios), func(o *fire.FireOptions) error { got = o; return nil })
			cmd.SetArgs(strings.Fields(tt.cli))
			cmd.SetOut(io.Discard)
			cmd.SetErr(io.Discard)
			_, err := cmd.ExecuteC()
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || cmdutil.ExitCodeFor(err) != cmdutil.ExitUsage {
					t.Fatalf("error %v (exit %d), want %q (exit 2)", err, cmdutil.ExitCodeFor(err), tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Event != tt.want.Event || got.Course != tt.want.Course || got.Mango != tt.want.Mango || got.Webinar != tt.want.Webinar ||
				got.Participants != tt.want.Participants || got.EmulatorURL != tt.want.EmulatorURL || strings.Join(got.Sets, "|") != strings.Join(tt.want.Sets, "|") {
				t.Errorf("options %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

// world is an emulator and a receiver, both in this process.
type world struct {
	emu    *emulator.Server
	url    string
	mu     sync.Mutex
	bodies map[string][]string // by path
	recv   *httptest.Server
}

func newWorld(t *testing.T, cfg emulator.Config) *world {
	t.Helper()
	c, err := events.Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Catalog, cfg.Seed = c, 7
	s, err := emulator.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	w := &world{emu: s, url: hs.URL, bodies: map[string][]string{}}
	w.recv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.mu.Lock()
		w.bodies[r.URL.Path] = append(w.bodies[r.URL.Path], string(b))
		w.mu.Unlock()
		if strings.HasPrefix(r.URL.Path, "/fail") {
			rw.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(w.recv.Close)
	return w
}

func (w *world) register(t *testing.T, path, event, filters string) {
	t.Helper()
	body := `{"hookUrl":"` + w.recv.URL + path + `","event":"` + event + `"` + filters + `}`
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, w.url+"/api/v1/integration/webhook/webhook", strings.NewReader(body))
	req.Header.Set("x-api-key", "k")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("register: %d", resp.StatusCode)
	}
}

func (w *world) received(path string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.bodies[path]...)
}

func TestFirePrintsTheReport(t *testing.T) {
	e := cmdtest.New(t)
	w := newWorld(t, emulator.Config{})
	w.register(t, "/a", "course.completed.50", `,"course":"`+courseA+`"`)
	w.register(t, "/all", "course.completed.50", "")

	res := e.Run("emulator", "fire", "course.completed.50", "--course", courseA, "-n", "3", "--emulator", w.url)
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	want := "event\tcourse.completed.50 (course " + courseA + ")\nparticipants\t3\nmatched\t2\nsent\t6\nstatus 200\t6\nfailed\t0\n"
	if res.Stdout != want {
		t.Errorf("stdout\n%s\nwant\n%s", res.Stdout, want)
	}
	if res.Stderr != "" {
		t.Errorf("stderr %q", res.Stderr)
	}
	if len(w.received("/a")) != 3 || len(w.received("/all")) != 3 {
		t.Errorf("received %d and %d", len(w.received("/a")), len(w.received("/all")))
	}

	tty := e.RunWith(cmdtest.Options{StdoutTTY: true}, "emulator", "fire", "course.completed.50", "--emulator", w.url)
	want = "event         course.completed.50\nparticipants  1\nmatched       1\nsent          1\nstatus 200    1\nfailed        0\n"
	if tty.Code != 0 || tty.Stdout != want {
		t.Errorf("tty: exit %d\n%s\nwant\n%s", tty.Code, tty.Stdout, want)
	}
}

func TestFireJSONIsTheEmulatorsReport(t *testing.T) {
	e := cmdtest.New(t)
	w := newWorld(t, emulator.Config{})
	w.register(t, "/ok", "user.deleted", "")
	w.register(t, "/fail", "user.deleted", "")

	res := e.Run("emulator", "fire", "user.deleted", "-n", "2", "--emulator", w.url, "-o", "json")
	if res.Code != cmdutil.ExitExpectation {
		t.Fatalf("exit %d, want 3: %s", res.Code, res.Stderr)
	}
	if res.Stderr != "error: 2 of 4 deliveries failed\n" {
		t.Errorf("stderr %q", res.Stderr)
	}
	want := `{"matched":2,"sent":4,"statuses":{"200":2,"500":2},"failed":2,"failures":[` +
		`{"hookUrl":"` + w.recv.URL + `/fail","status":500},{"hookUrl":"` + w.recv.URL + `/fail","status":500}],` +
		`"failuresOmitted":0,"failuresByCause":{"HTTP 500":2},` +
		`"event":"user.deleted","participants":2,"rounds":1,"duplicates":0,"retries":0}`
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(res.Stdout)); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, res.Stdout)
	}
	if compact.String() != want {
		t.Errorf("stdout\n%s\nwant\n%s", compact.String(), want)
	}

	yaml := e.Run("emulator", "fire", "user.deleted", "--emulator", w.url, "-o", "yaml")
	if yaml.Code != 3 || !strings.Contains(yaml.Stdout, "matched: 2\n") || !strings.Contains(yaml.Stdout, "status: 500\n") {
		t.Errorf("yaml: exit %d\n%s", yaml.Code, yaml.Stdout)
	}
}

func TestFireFailuresExit3(t *testing.T) {
	e := cmdtest.New(t)
	w := newWorld(t, emulator.Config{})
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	w.register(t, "/fail", "course.completed.100", "")
	body := `{"hookUrl":"` + gone.URL + `/gone","event":"course.completed.100"}`
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, w.url+"/api/v1/integration/webhook/webhook", strings.NewReader(body))
	req.Header.Set("x-api-key", "k")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	res := e.Run("emulator", "fire", "course.completed.100", "-n", "2", "--emulator", w.url)
	if res.Code != 3 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	for _, want := range []string{
		"sent\t4\n", "status 500\t2\n", "failed\t4\n",
		"failure\t" + w.recv.URL + "/fail\tHTTP 500\t2\n",
		"failure\t" + gone.URL + "/gone\t",
	} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, res.Stdout)
		}
	}
	if !strings.Contains(res.Stdout, "connection refused\t2\n") {
		t.Errorf("unreachable receiver not reported:\n%s", res.Stdout)
	}

	tty := e.RunWith(cmdtest.Options{StdoutTTY: true}, "emulator", "fire", "course.completed.100", "--emulator", w.url)
	if tty.Code != 3 || !strings.Contains(tty.Stdout, "\nFAILED URL") || !strings.Contains(tty.Stdout, "HTTP 500") {
		t.Errorf("tty: exit %d\n%s", tty.Code, tty.Stdout)
	}
}

// TestFireFailuresFromAnOlderEmulator: an emulator from a release before the
// "failed" count (a CI image pinned to it) lists every failure and counts none; its
// failures must still fail the step.
func TestFireFailuresFromAnOlderEmulator(t *testing.T) {
	e := cmdtest.New(t)
	old := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		rw.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(rw, `{"matched":1,"sent":3,"statuses":{"200":1,"500":2},`+
			`"failures":[{"hookUrl":"http://127.0.0.1:3000/h","status":500},{"hookUrl":"http://127.0.0.1:3000/h","status":500}],`+
			`"event":"user.deleted","participants":3,"rounds":1,"duplicates":0,"retries":0}`)
	}))
	defer old.Close()
	res := e.Run("emulator", "fire", "user.deleted", "-n", "3", "--emulator", old.URL)
	if res.Code != cmdutil.ExitExpectation || res.Stderr != "error: 2 of 3 deliveries failed\n" {
		t.Fatalf("exit %d, stderr %q", res.Code, res.Stderr)
	}
	for _, want := range []string{"failed\t2\n", "failure\thttp://127.0.0.1:3000/h\tHTTP 500\t2\n"} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, res.Stdout)
		}
	}
}

func TestFireWithoutAnEmulator(t *testing.T) {
	e := cmdtest.New(t)
	gone := httptest.NewServer(http.NotFoundHandler())
	addr := strings.TrimPrefix(gone.URL, "http://")
	gone.Close()
	res := e.Run("emulator", "fire", "course.completed.50", "--emulator", gone.URL)
	if res.Code != 1 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	if want := "error: no emulator is listening on " + addr + ": start one with `tagmango-hooks emulator serve`\n"; res.Stderr != want {
		t.Errorf("stderr %q\nwant   %q", res.Stderr, want)
	}
	if res.Stdout != "" {
		t.Errorf("stdout %q", res.Stdout)
	}

	// Something else listens there.
	other := httptest.NewServer(http.NotFoundHandler())
	defer other.Close()
	res = e.Run("emulator", "fire", "course.completed.50", "--emulator", other.URL)
	if res.Code != 1 || !strings.Contains(res.Stderr, "does not look like a tagmango-hooks emulator") {
		t.Errorf("exit %d: %s", res.Code, res.Stderr)
	}
}

func TestFireUsesTheEnvironmentsEmulator(t *testing.T) {
	e := cmdtest.New(t)
	w := newWorld(t, emulator.Config{})
	w.register(t, "/x", "user.deleted", "")
	t.Setenv(fire.EnvEmulatorURL, w.url)
	if res := e.Run("emulator", "fire", "user.deleted"); res.Code != 0 || len(w.received("/x")) != 1 {
		t.Errorf("exit %d, %d received: %s", res.Code, len(w.received("/x")), res.Stderr)
	}
}

func TestFireValidatesBeforeCalling(t *testing.T) {
	e := cmdtest.New(t)
	var calls int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { mu.Lock(); calls++; mu.Unlock() }))
	defer srv.Close()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"course.completed.5"}, `error: unknown event "course.completed.5"; did you mean "course.completed.50"?`},
		{[]string{"webinar.reminder.all", "--course", "c"}, "error: --course does not apply to webinar.reminder.all, which is about a webinar: use --webinar"},
		{[]string{"user.deleted", "--mango", "m"}, "error: --mango does not apply to user.deleted, which is about no entity: leave it out"},
		{[]string{"course.completed.50", "--set", "nme=x"}, `error: --set nme=x: course.completed.50 has no field "nme"; did you mean "name"? (--force adds it as a string)`},
		{[]string{"course.completed.50", "--set", "phone=call me"}, `error: --set phone=call me: phone: "call me" is not a number (the field is a number)`},
		{[]string{"webinar.created.single", "--set", "callList.0.webinr=X"}, `error: --set callList.0.webinr=X: webinar.created.single has no field "callList.0.webinr"; did you mean "callList.0.webinar"? (--force adds it as a string)`},
		{[]string{"webinar.created.single", "--set", "callList.9.webinar=X"}, `error: --set callList.9.webinar=X: callList has 1 items: use an index from 0 to 0`},
		{[]string{"course.completed.50", "--emulator", "ftp://x"}, `error: --emulator: invalid emulator URL "ftp://x": use http://HOST:PORT`},
	}
	for _, tt := range tests {
		res := e.Run(append([]string{"emulator", "fire", "--emulator", srv.URL}, tt.args...)...)
		if res.Code != 2 || strings.TrimSpace(res.Stderr) != tt.want {
			t.Errorf("%v: exit %d\n%s\nwant\n%s", tt.args, res.Code, res.Stderr, tt.want)
		}
	}
	if calls != 0 {
		t.Errorf("%d calls made", calls)
	}

	// What only the emulator knows comes back as a validation error too.
	w := newWorld(t, emulator.Config{MaxParticipants: 5})
	res := e.Run("emulator", "fire", "user.deleted", "-n", "6", "--emulator", w.url)
	if res.Code != 2 || res.Stderr != "error: participants must be between 1 and 5, not 6\n" {
		t.Errorf("exit %d: %q", res.Code, res.Stderr)
	}
}

func TestFireSetIsTypedByTheCatalog(t *testing.T) {
	e := cmdtest.New(t)
	w := newWorld(t, emulator.Config{})
	w.register(t, "/course", "course.completed.50", "")
	w.register(t, "/webinar", "webinar.completed.all", "")
	w.register(t, "/order", "order.recurring.created", "")

	for _, c := range []struct {
		event, path string
		sets        []string
		want        []string
	}{
		{"course.completed.50", "/course", []string{"phone=9876543210", "name=Asha Rao"}, []string{`"phone":9876543210`, `"name":"Asha Rao"`}},
		{"webinar.completed.all", "/webinar", []string{"phone=9876543210"}, []string{`"phone":"9876543210"`}},
		{"order.recurring.created", "/order", []string{"amount=4999", "coupon=null", "gstNumber=27AAAAA0000A1Z5"}, []string{`"amount":4999`, `"coupon":null`, `"gstNumber":"27AAAAA0000A1Z5"`}},
	} {
		args := []string{"emulator", "fire", c.event, "--emulator", w.url}
		for _, s := range c.sets {
			args = append(args, "--set", s)
		}
		if res := e.Run(args...); res.Code != 0 {
			t.Fatalf("%v: exit %d: %s", c.sets, res.Code, res.Stderr)
		}
		got := w.received(c.path)
		if len(got) != 1 {
			t.Fatalf("%s: %d deliveries", c.path, len(got))
		}
		for _, want := range c.want {
			if !strings.Contains(got[0], want) {
				t.Errorf("%s body lacks %s: %s", c.event, want, got[0])
			}
		}
	}
}

func TestFireReminderSchedule(t *testing.T) {
	e := cmdtest.New(t)
	w := newWorld(t, emulator.Config{})
	w.register(t, "/r", "webinar.reminder.all", "")
	res := e.Run("emulator", "fire", "webinar.reminder.all", "--webinar", "6149b1e5612c4e5fd96041d3", "-n", "4", "--emulator", w.url)
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	for _, want := range []string{"rounds\t3 (1 day, 30 min and 15 min before); the counts below sum all rounds\n", "sent\t12\n", "status 200\t12\n"} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, res.Stdout)
		}
	}
	if n := len(w.received("/r")); n != 12 {
		t.Errorf("%d received, want 12", n)
	}
}

// TestFireNothingMatchedExits3: a fire that matches no registration (a typo in
// --course) is exit 3, with the report on stdout and the reason on stderr.
func TestFireNothingMatchedExits3(t *testing.T) {
	e := cmdtest.New(t)
	w := newWorld(t, emulator.Config{})
	w.register(t, "/a", "course.completed.50", `,"course":"`+courseA+`"`)
	res := e.Run("emulator", "fire", "course.completed.50", "--course", "other", "--emulator", w.url)
	if res.Code != cmdutil.ExitExpectation || !strings.Contains(res.Stdout, "matched\t0\n") {
		t.Fatalf("exit %d, want 3\n%s", res.Code, res.Stdout)
	}
	if !strings.HasPrefix(res.Stderr, "error: no registration receives course.completed.50 about course other, so nothing was sent") {
		t.Errorf("stderr %q", res.Stderr)
	}
	js := e.Run("emulator", "fire", "course.completed.50", "--course", "other", "--emulator", w.url, "-o", "json")
	if js.Code != cmdutil.ExitExpectation || !strings.Contains(js.Stdout, `"matched": 0`) {
		t.Errorf("json: exit %d\n%s", js.Code, js.Stdout)
	}
}

// TestFireTooManyDeliveriesExit2: the emulator's refusal of a fire over its cap is
// a usage error.
func TestFireTooManyDeliveriesExit2(t *testing.T) {
	e := cmdtest.New(t)
	w := newWorld(t, emulator.Config{MaxDeliveries: 5})
	w.register(t, "/a", "user.deleted", "")
	w.register(t, "/b", "user.deleted", "")
	res := e.Run("emulator", "fire", "user.deleted", "-n", "3", "--emulator", w.url)
	if res.Code != cmdutil.ExitUsage || !strings.Contains(res.Stderr, "this fire would make 6 deliveries (2 registrations × 3 participants), more than the 5 one fire may make") {
		t.Errorf("exit %d, stderr %q", res.Code, res.Stderr)
	}
	if n := len(w.received("/a")) + len(w.received("/b")); n != 0 {
		t.Errorf("%d deliveries", n)
	}
}

// TestFireReportCountsOmittedFailuresByCause: beyond the listed failures, the
// report says how many failed of each cause.
func TestFireReportCountsOmittedFailuresByCause(t *testing.T) {
	e := cmdtest.New(t)
	w := newWorld(t, emulator.Config{})
	w.register(t, "/fail", "user.deleted", "")
	res := e.Run("emulator", "fire", "user.deleted", "-n", "120", "--emulator", w.url)
	if res.Code != cmdutil.ExitExpectation || res.Stderr != "error: 120 of 120 deliveries failed\n" {
		t.Fatalf("exit %d, stderr %q", res.Code, res.Stderr)
	}
	for _, want := range []string{"failed\t120\n", "failed by\tHTTP 500: 120\n", "listed\tthe first 100 failures of 120\n",
		"failure\t" + w.recv.URL + "/fail\tHTTP 500\t100\n"} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, res.Stdout)
		}
	}
}

func TestFireEmulatorWithoutScheme(t *testing.T) {
	e := cmdtest.New(t)
	w := newWorld(t, emulator.Config{})
	w.register(t, "/all", "user.deleted", "")
	res := e.Run("emulator", "fire", "user.deleted", "--emulator", strings.TrimPrefix(w.url, "http://"))
	if res.Code != 0 || len(w.received("/all")) != 1 {
		t.Errorf("exit %d: %s", res.Code, res.Stderr)
	}
	// The hint to register first names the URL register accepts, with its scheme.
	bare := strings.TrimPrefix(w.url, "http://")
	res = e.Run("emulator", "fire", "course.completed.50", "--emulator", bare)
	if want := "(TAGMANGO_BASE_URL=" + w.url + " tagmango-hooks register --url URL --event course.completed.50)"; res.Code != cmdutil.ExitExpectation || !strings.Contains(res.Stderr, want) {
		t.Errorf("exit %d, stderr %q, want %q", res.Code, res.Stderr, want)
	}
	res = e.Run("emulator", "fire", "user.deleted", "--emulator", "emulator.example.com:4280")
	if res.Code != 2 || !strings.Contains(res.Stderr, `--emulator: invalid URL "emulator.example.com:4280": it has no scheme; did you mean https://emulator.example.com:4280?`) {
		t.Errorf("exit %d: %s", res.Code, res.Stderr)
	}
}

// emulator fire --set is trigger --set: dotted paths into nested fields, typed by the
// catalog, applied to every delivery (here, every participant's).
func TestFireSetTakesDottedPaths(t *testing.T) {
	e := cmdtest.New(t)
	w := newWorld(t, emulator.Config{})
	w.register(t, "/w", "webinar.created.single", "")
	w.register(t, "/c", "course.completed.50", "")
	res := e.Run("emulator", "fire", "webinar.created.single", "-n", "2", "--set", "callList.0.webinar=Live Q&A", "--set", "phone=9876543210", "--emulator", w.url)
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	got := w.received("/w")
	if len(got) != 2 {
		t.Fatalf("%d deliveries", len(got))
	}
	for _, b := range got {
		var body struct {
			Phone    any `json:"phone"`
			CallList []struct {
				Webinar string `json:"webinar"`
			} `json:"callList"`
		}
		if err := json.Unmarshal([]byte(b), &body); err != nil {
			t.Fatal(err)
		}
		if len(body.CallList) == 0 || body.CallList[0].Webinar != "Live Q&A" || body.Phone != float64(9876543210) {
			t.Errorf("body %s", b)
		}
	}
	res = e.Run("emulator", "fire", "course.completed.50", "--set", "utm.source=ads", "--force", "--emulator", w.url)
	if res.Code == 0 {
		t.Errorf("a nested field under a missing one: exit 0")
	}
	res = e.Run("emulator", "fire", "course.completed.50", "--set", "utm=ads", "--force", "--emulator", w.url)
	if c := w.received("/c"); res.Code != 0 || len(c) != 1 || !strings.Contains(c[0], `"utm":"ads"`) {
		t.Errorf("--force: exit %d %s %v", res.Code, res.Stderr, c)
	}
}
