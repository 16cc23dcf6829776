package replay_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/deliver/delivertest"
)

// saved is a file as listen --save writes it: seq 1-4 plus a malformed line (line 3)
// and a blank one.
const saved = `{"seq":1,"receivedAt":"2026-11-22T10:04:05Z","event":"course.completed.*","candidates":["course.completed.all","course.completed.50","course.completed.100","course.completed"],"method":"POST","path":"/","headers":{"Content-Type":"application/json","User-Agent":"axios/1.6"},"body":{"name":"A","email":"a@x.io", "phone":1,"n":1.50},"warnings":[],"duplicateOf":null}
{"seq":2,"receivedAt":"2026-11-22T10:04:06Z","event":"webinar.reminder.all","candidates":["webinar.reminder.all"],"method":"POST","path":"/webinar.reminder.all","headers":{"Content-Type":"text/plain; charset=utf-8"},"body":"not json <at all>\n","warnings":["the body is not JSON"],"duplicateOf":null}
{"seq":3,"receivedAt": oops
{"seq":4,"receivedAt":"2026-11-22T10:04:08Z","event":"unknown","candidates":[],"method":"POST","path":"/","headers":{},"body":[1,2,{"b":"\u001b[31m"}],"warnings":[],"duplicateOf":null}

{"seq":5,"receivedAt":"2026-11-22T10:04:09Z","event":"webinar.reminder.all","candidates":["webinar.reminder.all"],"method":"POST","path":"/","headers":{"content-type":"application/json"},"body":{"name":"E"},"warnings":[],"duplicateOf":2}
`

func writeSaved(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "deliveries.jsonl")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func run(t *testing.T, args ...string) cmdtest.Result {
	t.Helper()
	return cmdtest.New(t).Run(append([]string{"replay"}, args...)...)
}

func TestReplaySendsInOrderWithOriginalBodies(t *testing.T) {
	rc := delivertest.New(t, nil)
	file := writeSaved(t, saved)
	res := run(t, file, "--to", rc.URL+"/hooks/tm")
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	want := []struct{ body, contentType string }{
		{`{"name":"A","email":"a@x.io", "phone":1,"n":1.50}`, "application/json"},
		{"not json <at all>\n", "text/plain; charset=utf-8"},
		{`[1,2,{"b":"\u001b[31m"}]`, "application/json"},
		{`{"name":"E"}`, "application/json"},
	}
	reqs := rc.Requests()
	if len(reqs) != len(want) {
		t.Fatalf("%d deliveries, want %d", len(reqs), len(want))
	}
	for i, w := range want {
		r := reqs[i]
		if string(r.Body) != w.body {
			t.Errorf("delivery %d body %q, want %q (byte for byte)", i, r.Body, w.body)
		}
		if ct := r.Header.Get("Content-Type"); ct != w.contentType {
			t.Errorf("delivery %d content-type %q, want %q", i, ct, w.contentType)
		}
		if r.Method != "POST" || r.RequestURI != "/hooks/tm" {
			t.Errorf("delivery %d: %s %s", i, r.Method, r.RequestURI)
		}
	}
	if !strings.Contains(res.Stderr, "deliveries.jsonl line 3: not JSON") || !strings.Contains(res.Stderr, "skipped") {
		t.Errorf("the malformed line must be reported with its number: %s", res.Stderr)
	}
	if !strings.Contains(res.Stdout, "Sent 4 deliveries to "+rc.URL+"/hooks/tm") {
		t.Errorf("stdout: %s", res.Stdout)
	}
}

func TestReplaySelection(t *testing.T) {
	cases := []struct {
		name     string
		args     []string
		wantSeqs []string // the names in the bodies, in order
		stderr   string
	}{
		{"repeatable seq", []string{"--seq", "5", "--seq", "1"}, []string{"A", "E"}, ""},
		{"comma seq", []string{"--seq", "4,1"}, []string{"A", "[1"}, ""},
		{"missing seq", []string{"--seq", "1,9"}, []string{"A"}, "no delivery with seq 9"},
		{"event", []string{"--event", "webinar.reminder.all"}, []string{"not json", "E"}, ""},
		{"candidate", []string{"-e", "course.completed.50"}, []string{"A"}, ""},
		{"family", []string{"--event", "course.completed.*,webinar.reminder.all"}, []string{"A", "not json", "E"}, ""},
		{"repeated", []string{"-e", "course.completed.*", "-e", "webinar.reminder.all"}, []string{"A", "not json", "E"}, ""},
		{"unknown", []string{"--event", "unknown"}, []string{"[1"}, ""},
		{"seq and event", []string{"--event", "webinar.reminder.all", "--seq", "5"}, []string{"E"}, ""},
		{"the deprecated --events", []string{"--events", "course.completed.*,webinar.reminder.all"}, []string{"A", "not json", "E"}, "Flag --events has been deprecated, use --event (-e) instead"},
	}
	file := writeSaved(t, saved)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc := delivertest.New(t, nil)
			res := run(t, append([]string{file, "--to", rc.URL}, tc.args...)...)
			if res.Code != 0 {
				t.Fatalf("exit %d: %s", res.Code, res.Stderr)
			}
			reqs := rc.Requests()
			if len(reqs) != len(tc.wantSeqs) {
				t.Fatalf("%d deliveries, want %d", len(reqs), len(tc.wantSeqs))
			}
			for i, w := range tc.wantSeqs {
				if !strings.Contains(string(reqs[i].Body), w) {
					t.Errorf("delivery %d is %s, want the one with %q", i, reqs[i].Body, w)
				}
			}
			if !strings.Contains(res.Stderr, tc.stderr) {
				t.Errorf("stderr %q lacks %q", res.Stderr, tc.stderr)
			}
		})
	}
}

func TestReplayErrors(t *testing.T) {
	rc := delivertest.New(t, nil)
	file := writeSaved(t, saved)
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing file", []string{filepath.Join(t.TempDir(), "nope.jsonl"), "--to", rc.URL}, 1, "cannot read"},
		{"directory", []string{t.TempDir(), "--to", rc.URL}, 1, "cannot read"},
		{"no --to", []string{file}, 2, "--to is required"},
		{"bad --to", []string{file, "--to", "ftp://localhost:3000"}, 2, "absolute http"},
		{"public --to without a scheme", []string{file, "--to", "hooks.example.com/tm"}, 2, `--to: invalid URL "hooks.example.com/tm": it has no scheme; did you mean https://hooks.example.com/tm?`},
		{"bad seq", []string{file, "--to", rc.URL, "--seq", "x"}, 2, `--seq "x"`},
		{"unknown event", []string{file, "--to", rc.URL, "--event", "webinar.reminder.al"}, 2, `error: --event: unknown event "webinar.reminder.al"; did you mean "webinar.reminder.all"?`},
		{"unknown event in a list", []string{file, "--to", rc.URL, "-e", "webinar.reminder.all,webinar.reminder.al"}, 2, `did you mean "webinar.reminder.all"?`},
		{"unknown family", []string{file, "--to", rc.URL, "-e", "webinar.remnder.*"}, 2, `error: --event: no event is in the family "webinar.remnder.*"; did you mean "webinar.reminder.*"?`},
		{"nothing selected", []string{file, "--to", rc.URL, "--seq", "42"}, 1, "nothing to replay"},
		{"empty file", []string{writeSaved(t, "\n"), "--to", rc.URL}, 1, "holds no saved deliveries"},
		{"only junk", []string{writeSaved(t, "hello\n[1]\n{\"seq\":1}\n"), "--to", rc.URL}, 1, "holds no saved deliveries"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := run(t, tc.args...)
			if res.Code != tc.code {
				t.Errorf("exit %d, want %d; stderr %s", res.Code, tc.code, res.Stderr)
			}
			if !strings.Contains(res.Stderr, tc.want) {
				t.Errorf("stderr %q lacks %q", res.Stderr, tc.want)
			}
		})
	}
	if n := len(rc.Requests()); n != 0 {
		t.Errorf("%d deliveries sent", n)
	}
}

func TestReplayJunkLinesAreNumbered(t *testing.T) {
	rc := delivertest.New(t, nil)
	file := writeSaved(t, "hello\n[1]\n{\"seq\":1}\n{\"seq\":2,\"body\":{}}\n")
	res := run(t, file, "--to", rc.URL)
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	for _, want := range []string{"line 1: not JSON", "line 2: not a JSON object", `line 3: no "body"`} {
		if !strings.Contains(res.Stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.Stderr)
		}
	}
	if n := len(rc.Requests()); n != 1 {
		t.Errorf("%d deliveries, want 1", n)
	}
}

func TestReplayFailuresExit3(t *testing.T) {
	rc := delivertest.New(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		if n == 2 {
			w.WriteHeader(http.StatusBadRequest)
		}
	})
	file := writeSaved(t, saved)
	res := run(t, file, "--to", rc.URL, "-o", "json")
	if res.Code != 3 {
		t.Fatalf("exit %d, want 3", res.Code)
	}
	var rep struct {
		File         string         `json:"file"`
		Sent         int            `json:"sent"`
		OK           int            `json:"ok"`
		Statuses     map[string]int `json:"statuses"`
		SkippedLines int            `json:"skippedLines"`
		Failures     []struct {
			ID     int `json:"id"`
			Status int `json:"status"`
		} `json:"failures"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, res.Stdout)
	}
	if rep.File != file || rep.Sent != 4 || rep.OK != 3 || rep.Statuses["400"] != 1 || rep.SkippedLines != 1 ||
		len(rep.Failures) != 1 || rep.Failures[0].ID != 2 || rep.Failures[0].Status != 400 {
		t.Errorf("report %+v", rep)
	}
	if !strings.Contains(res.Stderr, "1 of 4 deliveries failed: 1 answered 400") {
		t.Errorf("stderr: %s", res.Stderr)
	}
}

func TestReplayUnreachable(t *testing.T) {
	res := run(t, writeSaved(t, saved), "--to", delivertest.ClosedURL(t))
	if res.Code != 3 || !strings.Contains(res.Stderr, "nothing is listening on") {
		t.Errorf("exit %d, stderr %s", res.Code, res.Stderr)
	}
}

// TestReplayIsByteForByte: lines carrying "raw" or "rawBase64" are replayed with
// exactly those bytes, whatever "body" holds; old lines without them as before.
func TestReplayIsByteForByte(t *testing.T) {
	indented := "{\n  \"name\": \"A\",\n  \"mail\": \"a@x.io\",\n  \"n\": 1.5\n}" // 49 bytes
	if len(indented) != 49 {
		t.Fatalf("the indented body is %d bytes", len(indented))
	}
	control := "{\"note\":\"del \x7f c1 \u0085 \u009b[31m\"}"              // valid UTF-8 with DEL and C1
	binary := []byte{0x89, 'P', 'N', 'G', 0, 0xff, 0x85, 0x9b, '\n', 0x7f} // not UTF-8
	line := func(seq int, ct, body string, extra map[string]string) string {
		m := map[string]any{"seq": seq, "event": "unknown", "candidates": []string{}, "method": "POST", "path": "/",
			"headers": map[string]string{"Content-Type": ct}, "body": json.RawMessage(body), "warnings": []string{}, "duplicateOf": nil}
		for k, v := range extra {
			m[k] = v
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(b) + "\n"
	}
	file := writeSaved(t,
		line(1, "application/json", `{"name":"A","mail":"a@x.io","n":1.5}`, map[string]string{"raw": indented})+
			line(2, "application/json; charset=utf-8", `{"note":"del \u007f c1 \u0085 \u009b[31m"}`, map[string]string{"raw": control})+
			line(3, "image/png", `"\ufffdPNG\u0000\ufffd\ufffd\ufffd\n\u007f"`, map[string]string{"rawBase64": base64.StdEncoding.EncodeToString(binary)})+
			line(4, "application/json", `{"old":"line"}`, nil))
	rc := delivertest.New(t, nil)
	res := run(t, file, "--to", rc.URL)
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	want := []struct {
		body []byte
		ct   string
	}{
		{[]byte(indented), "application/json"},
		{[]byte(control), "application/json; charset=utf-8"},
		{binary, "image/png"},
		{[]byte(`{"old":"line"}`), "application/json"},
	}
	reqs := rc.Requests()
	if len(reqs) != len(want) {
		t.Fatalf("%d deliveries, want %d", len(reqs), len(want))
	}
	for i, w := range want {
		if !bytes.Equal(reqs[i].Body, w.body) {
			t.Errorf("delivery %d: %d bytes %q, want %d bytes %q", i+1, len(reqs[i].Body), reqs[i].Body, len(w.body), w.body)
		}
		if ct := reqs[i].Header.Get("Content-Type"); ct != w.ct {
			t.Errorf("delivery %d: content-type %q, want %q", i+1, ct, w.ct)
		}
	}
}

func TestReplayBadRawFields(t *testing.T) {
	rc := delivertest.New(t, nil)
	file := writeSaved(t, `{"seq":1,"body":{},"rawBase64":"not base64!"}`+"\n"+
		`{"seq":2,"body":{},"raw":"{}","rawBase64":"e30="}`+"\n"+
		`{"seq":3,"body":{},"raw":"{ }"}`+"\n")
	res := run(t, file, "--to", rc.URL)
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	for _, want := range []string{`line 1: "rawBase64" is not standard base64`, `line 2: both "raw" and "rawBase64"`} {
		if !strings.Contains(res.Stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.Stderr)
		}
	}
	if reqs := rc.Requests(); len(reqs) != 1 || string(reqs[0].Body) != "{ }" {
		t.Errorf("deliveries %+v", reqs)
	}
}

// TestReplayDevZero: an endless line is read in bounded pieces, skipped, and the
// interruption ends it.
func TestReplayDevZero(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	rc := delivertest.New(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	stop := time.AfterFunc(200*time.Millisecond, cancel) // Ctrl-C, whenever it comes
	defer stop.Stop()
	res := cmdtest.New(t).RunWith(cmdtest.Options{Context: ctx}, "replay", "/dev/zero", "--to", rc.URL)
	if res.Code != 130 || len(rc.Requests()) != 0 {
		t.Errorf("exit %d, %d deliveries; stderr %s", res.Code, len(rc.Requests()), res.Stderr)
	}
}

// TestReplaySkipsLongJunk: a line too long to be a saved delivery is reported with
// its number and skipped; the next line is still sent.
func TestReplaySkipsLongJunk(t *testing.T) {
	rc := delivertest.New(t, nil)
	file := writeSaved(t, strings.Repeat("x", 1<<20)+"\n"+`{"seq":7,"body":{"n":7}}`+"\n")
	res := run(t, file, "--to", rc.URL, "-o", "json")
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	if !strings.Contains(res.Stderr, "line 1: not a JSON object") || !strings.Contains(res.Stdout, `"skippedLines": 1`) {
		t.Errorf("stderr %s\nstdout %s", res.Stderr, res.Stdout)
	}
	if reqs := rc.Requests(); len(reqs) != 1 || string(reqs[0].Body) != `{"n":7}` {
		t.Errorf("deliveries %+v", reqs)
	}
}

func TestReplayToLoopbackWithoutScheme(t *testing.T) {
	rc := delivertest.New(t, nil)
	file := writeSaved(t, saved)
	res := run(t, file, "--to", strings.TrimPrefix(rc.URL, "http://")+"/hooks/tm", "--seq", "1", "-o", "json")
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	if reqs := rc.Requests(); len(reqs) != 1 || reqs[0].RequestURI != "/hooks/tm" {
		t.Errorf("requests %v", reqs)
	}
	if !strings.Contains(res.Stdout, `"url": "`+rc.URL+`/hooks/tm"`) {
		t.Errorf("the report names the URL used: %s", res.Stdout)
	}
}
