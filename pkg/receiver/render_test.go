package receiver

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/jsonscan"
)

// delivery builds a processed delivery as the engine hands it to renderers.
func delivery(t *testing.T, seq int64, path, body string, header http.Header) *Delivery {
	t.Helper()
	d := &Delivery{Seq: seq, ReceivedAt: testNow, Method: "POST", Path: path, Header: header, Body: []byte(body), Size: int64(len(body)), Status: 200}
	m := testMatcher(t)
	det := m.Detect(pathOnly(path), d.Payload())
	d.Event, d.Candidates, d.ByPath, d.IsJSON = det.Event, det.Candidates, det.ByPath, d.Payload().JSON
	d.Warnings = m.Check(d.Candidates, d.Payload())
	if d.Warnings == nil {
		d.Warnings = []string{}
	}
	return d
}

func renderPretty(t *testing.T, color, verbose bool, entries ...Entry) (string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	p := NewPretty(PrettyOptions{Out: &out, ErrOut: &errOut, Color: color, Verbose: verbose, Location: time.UTC})
	for _, e := range entries {
		if err := p.Render(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Flush(); err != nil {
		t.Fatal(err)
	}
	return out.String(), errOut.String()
}

func TestPrettyDelivery(t *testing.T) {
	d := delivery(t, 3, "/hooks", `{"name":"Student Name","email":"student@example.com","phone":"98","course":"Example course","courseId":"c1","lastProgressOn":"2023-11-20T18:30Z","tags":[],"meta":{"a":[1,true,null,{}]}}`,
		http.Header{"Content-Type": {"application/json"}, "X-Trace": {"t1"}})
	d.DuplicateOf = 1
	d.Warnings = append(d.Warnings, "duplicate of #1 (identical body)")
	out, errOut := renderPretty(t, false, true, &Ready{URL: "http://127.0.0.1:4242/"}, d)
	want := `10:04:05 #3 course.completed.* POST /hooks 185 B → 200
  Student Name <student@example.com> · course "Example course"
  candidates: course.completed.all, course.completed.50, course.completed.100, course.completed
  Content-Type: application/json
  X-Trace: t1
  {
    "name": "Student Name",
    "email": "student@example.com",
    "phone": "98",
    "course": "Example course",
    "courseId": "c1",
    "lastProgressOn": "2023-11-20T18:30Z",
    "tags": [],
    "meta": {
      "a": [
        1,
        true,
        null,
        {}
      ]
    }
  }
  ⚠ field "phone" is a string, documented as number
  ⚠ duplicate of #1 (identical body)

`
	if out != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
	if errOut != "Ready: listening on http://127.0.0.1:4242/\n" {
		t.Errorf("stderr %q", errOut)
	}
	// Without -v, no headers.
	out, _ = renderPretty(t, false, false, d)
	if strings.Contains(out, "X-Trace") {
		t.Error("headers shown without -v")
	}
}

func TestPrettyOtherBodies(t *testing.T) {
	webinar := delivery(t, 1, "/webinar.created.recurring", `{"name":"N","callList":[{"webinar":"Intro"},{"webinar":"Two"}],"mangoes":"m1, m2"}`, nil)
	raw := delivery(t, 2, "/", "plain\ttext\r\nline 2\n", nil)
	raw.Warnings = []string{"the body is not JSON"}
	empty := delivery(t, 3, "/", "", nil)
	big := &Delivery{Seq: 4, ReceivedAt: testNow, Method: "POST", Path: "/", Size: 2 << 20, Status: 413, Event: "unknown", Candidates: []string{}, Rejected: true,
		Warnings: []string{"body larger than --max-body (1 MiB): answered 413 without reading it"}}
	fwd := delivery(t, 5, "/", `{}`, nil)
	fwd.ForwardTo = "http://localhost:3000/hook"
	out, _ := renderPretty(t, false, false, webinar, raw, empty, big, fwd)
	for _, want := range []string{
		"10:04:05 #1 webinar.created.recurring POST /webinar.created.recurring 82 B → 200\n  N · webinar \"Intro\" (2 sessions) · mangoes \"m1, m2\"\n",
		"#2 unknown POST / 19 B → 200\n  (not JSON, shown raw)\n  plain\ttext\n  line 2\n  ⚠ the body is not JSON\n",
		"#3 unknown POST / 0 B → 200\n  (empty body)\n",
		"#4 unknown POST / 2 MiB → 413\n  (body not read)\n  ⚠ body larger than --max-body (1 MiB): answered 413 without reading it\n",
		"#5 unknown POST / 2 B → forwarding to http://localhost:3000/hook\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

// hostile is a payload that tries to drive the terminal: a clear-screen escape (as a
// JSON escape), a raw C1 CSI, DEL, a right-to-left override in a key, and an
// OSC 52 clipboard write.
const hostile = `{"name":"\u001b[2J\u001b]52;c;ZXZpbA==\u0007Mallory","email":"a\u009b31mb@x","phone":1,"course":"c` + "\u202e" + `gnp.exe","courseId":"d` + "\x7f" + `","lastProgressOn":"x","k` + "\u202e" + `ey":"\u0085"}`

func TestPrettyEscapesTerminalControls(t *testing.T) {
	d := delivery(t, 1, "/%1B[2J?q=\x1b[31m", hostile, http.Header{"X-Evil": {"\x1b[2Jv"}})
	d.Warnings = append(d.Warnings, "warn \x1b[2J")
	raw := delivery(t, 2, "/", "\x1b[2J\x9b\xff text", nil)
	n := &Notice{Time: testNow, Method: "GET", Path: "/\x1b[2J", Status: 405, Message: "m"}
	r := &ForwardResult{Seq: 1, URL: "http://x", Status: 200, Answered: 200, Body: []byte("ok \x1b[2J \u202e"), BodySize: 12}
	for _, color := range []bool{false, true} {
		out, errOut := renderPretty(t, color, true, d, raw, n, r)
		all := out + errOut
		for _, bad := range []string{"\x1b[2J", "\x1b]52", "\u009b", "\u202e", "\x7f", "\x07", "\u0085", "\xff", "\x9b"} {
			if strings.Contains(all, bad) {
				t.Errorf("color=%v: output contains %q:\n%s", color, bad, all)
			}
		}
		// The only escapes left are our own colours.
		stripped := regexp.MustCompile(`\x1b\[[0-9;]*m`).ReplaceAllString(all, "")
		if strings.ContainsRune(stripped, 0x1b) {
			t.Errorf("color=%v: a raw ESC survived:\n%q", color, stripped)
		}
		if !color && strings.ContainsRune(all, 0x1b) {
			t.Errorf("colour off, yet ESC in the output")
		}
		for _, want := range []string{`\x1b[2J\x1b]52;c;ZXZpbA==\x07Mallory <a\x9b31mb@x>`, `"name": "\u001b[2J`, `"k\u202eey": "\u0085"`, `"courseId": "d\u007f"`, `X-Evil: \x1b[2Jv`, `\x1b[2J\x9b\xff text`, `GET /\x1b[2J`, `ok \x1b[2J \u202e`, `⚠ warn \x1b[2J`} {
			if !strings.Contains(stripped, want) {
				t.Errorf("color=%v: missing %q in\n%s", color, want, all)
			}
		}
	}
}

func TestPrettyColour(t *testing.T) {
	d := delivery(t, 1, "/", `{"name":"N","phone":1,"ok":true,"none":null}`, nil)
	out, _ := renderPretty(t, true, false, d)
	for _, want := range []string{sgrKey + `"name"` + sgrReset, sgrGreen + `"N"` + sgrReset, sgrCyan + "1" + sgrReset, sgrYellow + "true" + sgrReset, sgrGrey + "null" + sgrReset, sgrGreen + "200" + sgrReset} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in %q", want, out)
		}
	}
}

func TestJSONLineShape(t *testing.T) {
	header := http.Header{"Content-Type": {"application/json"}, "X-Multi": {"a", "b"}}
	dup := delivery(t, 7, "/course.completed.50?x=1", coursePayload, header)
	dup.DuplicateOf = 2
	dup.Warnings = []string{"duplicate of #2 (identical body)"}
	text := delivery(t, 8, "/", "a\x1b\u009b\xffb", nil)
	text.Warnings = []string{"the body is not JSON"}
	pretty := delivery(t, 9, "/", "{\n  \"name\": \"x\u2028y\",\n  \"n\": [1, 2]\n}\n", nil)
	unknown := delivery(t, 10, "/", `{}`, nil)
	repeat := delivery(t, 11, "/", reminderPayload, nil)
	repeat.RepeatOf = 3
	repeat.Notes = []string{"round 2 of 3: same body as #3 (webinar.reminder.all is sent 3 times)"}

	var out, errOut bytes.Buffer
	j := NewJSONLines(&out, &errOut)
	for _, e := range []Entry{&Ready{URL: "http://u/"}, dup, text, pretty, unknown, repeat, &ForwardResult{Seq: 9, URL: "http://t", Status: 204, Answered: 204}} {
		if err := j.Render(e); err != nil {
			t.Fatal(err)
		}
	}
	_ = j.Flush()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d lines:\n%s", len(lines), out.String())
	}
	wantFirst := `{"seq":7,"receivedAt":"2026-11-22T10:04:05Z","event":"course.completed.50","candidates":["course.completed.50"],"method":"POST","path":"/course.completed.50?x=1","headers":{"Content-Type":"application/json","X-Multi":"a, b"},"body":` + coursePayload + `,"warnings":["duplicate of #2 (identical body)"],"notes":[],"repeatOf":null,"duplicateOf":2,"status":200,"forward":null}`
	if lines[0] != wantFirst {
		t.Errorf("line 1:\n got %s\nwant %s", lines[0], wantFirst)
	}
	keys := []string{"seq", "receivedAt", "event", "candidates", "method", "path", "headers", "body", "warnings", "notes", "repeatOf", "duplicateOf", "status", "forward"}
	for i, line := range lines {
		if strings.ContainsAny(line, "\x1b\x7f") || strings.Contains(line, "\xff") || strings.Contains(line, "\u009b") || strings.Contains(line, "\u2028") {
			t.Errorf("line %d is not terminal-safe: %q", i+1, line)
		}
		dec := json.NewDecoder(strings.NewReader(line))
		var got []string
		tok, _ := dec.Token() // {
		if tok != json.Delim('{') {
			t.Fatalf("line %d: not an object", i+1)
		}
		m := map[string]any{}
		for dec.More() {
			k, _ := dec.Token()
			var v any
			if err := dec.Decode(&v); err != nil {
				t.Fatalf("line %d: %v", i+1, err)
			}
			got = append(got, k.(string))
			m[k.(string)] = v
		}
		if !slices.Equal(got, keys) {
			t.Errorf("line %d keys %v", i+1, got)
		}
		if _, ok := m["seq"].(float64); !ok {
			t.Errorf("line %d: seq %T", i+1, m["seq"])
		}
		if ts, ok := m["receivedAt"].(string); !ok || func() bool { _, err := time.Parse(time.RFC3339Nano, ts); return err != nil }() {
			t.Errorf("line %d: receivedAt %v", i+1, m["receivedAt"])
		}
		for _, k := range []string{"event", "method", "path"} {
			if _, ok := m[k].(string); !ok {
				t.Errorf("line %d: %s is %T", i+1, k, m[k])
			}
		}
		for _, k := range []string{"candidates", "warnings", "notes"} {
			arr, ok := m[k].([]any)
			if !ok {
				t.Errorf("line %d: %s is %T", i+1, k, m[k])
			}
			for _, v := range arr {
				if _, ok := v.(string); !ok {
					t.Errorf("line %d: %s holds %T", i+1, k, v)
				}
			}
		}
		if h, ok := m["headers"].(map[string]any); !ok {
			t.Errorf("line %d: headers %T", i+1, m["headers"])
		} else {
			for _, v := range h {
				if _, ok := v.(string); !ok {
					t.Errorf("line %d: header value %T", i+1, v)
				}
			}
		}
		for _, k := range []string{"repeatOf", "duplicateOf"} {
			if v, ok := m[k]; !ok || (v != nil && func() bool { _, ok := v.(float64); return !ok }()) {
				t.Errorf("line %d: %s %v", i+1, k, v)
			}
		}
	}
	var second struct{ Body any }
	_ = json.Unmarshal([]byte(lines[1]), &second)
	if second.Body != "a\x1b\u009b\ufffdb" {
		t.Errorf("a non-JSON body is a string: %q", second.Body)
	}
	var third struct{ Body map[string]any }
	_ = json.Unmarshal([]byte(lines[2]), &third)
	if third.Body["name"] != "x\u2028y" || len(third.Body["n"].([]any)) != 2 {
		t.Errorf("a JSON body is the same value on one line: %v", third.Body)
	}
	if !strings.Contains(lines[3], `"event":"unknown","candidates":[]`) || !strings.HasSuffix(lines[3], `"warnings":[],"notes":[],"repeatOf":null,"duplicateOf":null,"status":200,"forward":null}`) {
		t.Errorf("unknown: %s", lines[3])
	}
	// A repeat the catalog expects is a note, not a warning, and no duplicate.
	if want := `"warnings":[],"notes":["round 2 of 3: same body as #3 (webinar.reminder.all is sent 3 times)"],"repeatOf":3,"duplicateOf":null,"status":200,"forward":null}`; !strings.HasSuffix(lines[4], want) {
		t.Errorf("repeat: %s\nwant suffix %s", lines[4], want)
	}
	if errOut.String() != "Ready: listening on http://u/\n↳ #9 forwarded to http://t → 204 No Content in 0s · 0 B\n" {
		t.Errorf("stderr %q", errOut.String())
	}
}

// A forwarded delivery's line is written once the answer is known, and says what
// the sender got and what the handler answered.
func TestJSONLineOfAForward(t *testing.T) {
	d := delivery(t, 3, "/", userPayload, nil)
	d.ForwardTo, d.Status = "http://127.0.0.1:3000/h", 0
	res := &ForwardResult{Seq: 3, URL: d.ForwardTo, Status: 201, Answered: 201, Latency: 12345 * time.Microsecond,
		Body: []byte("created \x1b[2J \xc3"), BodySize: 40}
	failed := delivery(t, 4, "/", userPayload, nil)
	failed.ForwardTo, failed.Status = "http://127.0.0.1:1/", 0
	refused := &ForwardResult{Seq: 4, URL: failed.ForwardTo, Answered: 502, Err: errors.New("x"), Message: "nothing is listening on 127.0.0.1:1 — is your server running?"}

	var out, errOut bytes.Buffer
	j := NewJSONLines(&out, &errOut)
	for _, e := range []Entry{d, failed} {
		if err := j.Render(e); err != nil {
			t.Fatal(err)
		}
	}
	_ = j.Flush()
	if out.Len() != 0 {
		t.Fatalf("a forwarded delivery's line before its answer: %s", out.String())
	}
	for _, pair := range [][2]Entry{{d, res}, {failed, refused}} {
		r := pair[1].(*ForwardResult)
		r.Delivery, pair[0].(*Delivery).Forward = pair[0].(*Delivery), r
		if err := j.Render(r); err != nil {
			t.Fatal(err)
		}
	}
	_ = j.Flush()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines:\n%s", len(lines), out.String())
	}
	// The answer was cut inside a rune (\xc3 begins é): not shown as U+FFFD.
	if want := `"duplicateOf":null,"status":201,"forward":{"url":"http://127.0.0.1:3000/h","status":201,"latencyMs":12.345,"error":null,"answer":"created \u001b[2J "}}`; !strings.HasSuffix(lines[0], want) {
		t.Errorf("line 1: %s\nwant suffix %s", lines[0], want)
	}
	if want := `"status":502,"forward":{"url":"http://127.0.0.1:1/","status":null,"latencyMs":0,"error":"nothing is listening on 127.0.0.1:1 — is your server running?","answer":""}}`; !strings.HasSuffix(lines[1], want) {
		t.Errorf("line 2: %s\nwant suffix %s", lines[1], want)
	}
	for _, l := range lines {
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Errorf("%s: %v", l, err)
		}
	}
}

// The --save line adds the body's exact bytes: raw when they are UTF-8, rawBase64
// otherwise.
func TestSaveLineCarriesTheRawBody(t *testing.T) {
	indented := "{\n  \"name\": \"x\u007f\u0085\",\n  \"n\": [1, 2]\n}\n"
	binary := "\x00\xff\xfe{not text"
	for _, body := range []string{indented, binary, userPayload, ""} {
		line := AppendSaveLine(nil, delivery(t, 1, "/", body, nil))
		var v struct {
			Body      json.RawMessage
			Raw       *string
			RawBase64 *string
		}
		if err := json.Unmarshal(line, &v); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		terminalSafe(t, string(line))
		var got []byte
		switch {
		case v.Raw != nil && v.RawBase64 == nil && body != binary:
			got = []byte(*v.Raw)
		case v.RawBase64 != nil && v.Raw == nil && body == binary:
			got, _ = base64.StdEncoding.DecodeString(*v.RawBase64)
		default:
			t.Fatalf("body %q: line %s", body, line)
		}
		if string(got) != body {
			t.Errorf("raw bytes %q, want %q", got, body)
		}
		if !bytes.HasPrefix(line, AppendJSONLine(nil, delivery(t, 1, "/", body, nil))[:len(AppendJSONLine(nil, delivery(t, 1, "/", body, nil)))-2]) {
			t.Errorf("the save line is not the --json line plus the raw bytes: %s", line)
		}
	}
}

func TestForwardResultLines(t *testing.T) {
	long := strings.Repeat("é", 130)
	tests := []struct {
		name    string
		r       *ForwardResult
		verbose bool
		want    string
	}{
		{"ok", &ForwardResult{Seq: 2, URL: "http://h/x", Status: 200, Answered: 200, Latency: 12300 * time.Microsecond, Body: []byte(`{"ok":true}`), BodySize: 11},
			false, "  ↳ #2 forwarded to http://h/x → 200 OK in 12.3ms · 11 B: {\"ok\":true}\n"},
		{"long answer", &ForwardResult{Seq: 2, URL: "http://h/x", Status: 500, Answered: 500, Latency: 1500 * time.Millisecond, Body: []byte(long), BodySize: 900},
			false, "  ↳ #2 forwarded to http://h/x → 500 Internal Server Error in 1.5s · 900 B: " + strings.Repeat("é", 120) + "…\n"},
		{"verbose", &ForwardResult{Seq: 2, URL: "http://h/x", Status: 200, Answered: 200, Latency: 800 * time.Microsecond, Header: http.Header{"X-A": {"1"}}, Body: []byte("line1\nline2"), BodySize: 20},
			true, "  ↳ #2 forwarded to http://h/x → 200 OK in 800µs · 20 B\n      X-A: 1\n      line1\n      line2\n      … (9 B more)\n"},
		{"refused", &ForwardResult{Seq: 4, URL: "http://127.0.0.1:3000/", Answered: 502, Err: errors.New("x"), Message: "nothing is listening on 127.0.0.1:3000 — is your server running?"},
			false, "  ↳ #4 forward to http://127.0.0.1:3000/ failed: nothing is listening on 127.0.0.1:3000 — is your server running? (answered 502)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(appendForwardResult(nil, tt.r, "  ", false, tt.verbose)); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestWriteSummary(t *testing.T) {
	var b bytes.Buffer
	_ = WriteSummary(&b, &Summary{Deliveries: 5, ByEvent: map[string]int{"course.completed.*": 3, "unknown": 1, "user.deleted": 1}, Duplicates: 2, WithWarnings: 1, ForwardFailures: 1, Refused: 1, Hidden: 4, Late: 2, Other: 3})
	want := `Summary: 5 deliveries
  course.completed.*  3
  unknown             1
  user.deleted        1
  duplicates: 2 · with warnings: 1 · forward failures: 1
  also: 1 refused (401/413) · 4 hidden by --event · 2 arrived after --count was reached (answered, not shown) · 3 other requests (wrong path or method, incomplete body, or after stopping)
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	_ = WriteSummary(&b, &Summary{ByEvent: map[string]int{}, NotShown: 7, NotSaved: 2})
	if want := "  also: 7 received but not shown (the display failed, or listen stopped before it caught up) · 2 answered 503 because --save could not write them\n"; !strings.HasSuffix(b.String(), want) {
		t.Errorf("got:\n%s\nwant suffix:\n%s", b.String(), want)
	}
	b.Reset()
	_ = WriteSummary(&b, &Summary{ByEvent: map[string]int{}})
	if b.String() != "Summary: no deliveries\n  duplicates: 0 · with warnings: 0 · forward failures: 0\n" {
		t.Errorf("empty: %q", b.String())
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		bad  bool
	}{
		{"1000000", 1000000, false},
		{"512KiB", 512 << 10, false},
		{"1MiB", 1 << 20, false},
		{"1mib", 1 << 20, false},
		{"1.5 MiB", 3 << 19, false},
		{"2KB", 2000, false},
		{"1M", 1 << 20, false},
		{"10B", 10, false},
		{"0", 0, true},
		{"-1", 0, true},
		{"MiB", 0, true},
		{"lots", 0, true},
		{"2TiB", 0, true},
		{"", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if (err != nil) != tt.bad || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v", tt.in, got, err)
		}
	}
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1 KiB", 1536: "1.5 KiB", 1 << 20: "1 MiB", 3 << 30: "3 GiB"} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestAppendTimestamp(t *testing.T) {
	for _, tt := range []time.Time{
		testNow,
		time.Date(2026, 1, 2, 3, 4, 5, 120000000, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("IST", 19800)),
		time.Date(2026, 7, 8, 9, 10, 11, 1, time.UTC),
		time.Date(12345, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		want := tt.UTC().Format(time.RFC3339Nano)
		if got := string(appendTimestamp(nil, tt)); got != want {
			t.Errorf("appendTimestamp(%v) = %s, want %s", tt, got, want)
		}
	}
}

func TestPrettyDeepNestingStaysCompact(t *testing.T) {
	body := strings.Repeat(`{"a":`, 12) + "[1, \"x\u202e\"]" + strings.Repeat("}", 12)
	out, _ := renderPretty(t, false, false, delivery(t, 1, "/", body, nil))
	want := "  {\n" +
		"    \"a\": {\n      \"a\": {\n        \"a\": {\n          \"a\": {\n            \"a\": {\n" +
		"              \"a\": {\n                \"a\": {\n                  \"a\": {\n                    \"a\": {\n" +
		"                      \"a\": {\"a\":{\"a\":[1,\"x\\u202e\"]}}\n" +
		"                    }\n                  }\n                }\n              }\n            }\n" +
		"          }\n        }\n      }\n    }\n  }\n"
	if !strings.Contains(out, want) {
		t.Errorf("got:\n%s\nwant it to contain:\n%s", out, want)
	}
	// 10,000 levels: the output stays about the size of the body.
	body = strings.Repeat("[", jsonscan.MaxDepth) + strings.Repeat("]", jsonscan.MaxDepth)
	out, _ = renderPretty(t, true, false, delivery(t, 1, "/", body, nil))
	if len(out) > 2*len(body) {
		t.Errorf("a %d B body printed as %d B", len(body), len(out))
	}
}

func TestFormatTimeout(t *testing.T) {
	for d, want := range map[time.Duration]string{
		60 * time.Second: "1m", 2 * time.Second: "2s", 90 * time.Second: "1m30s", 300 * time.Millisecond: "300ms",
		time.Hour: "1h", 10 * time.Minute: "10m", time.Hour + time.Second: "1h0m1s",
	} {
		if got := formatTimeout(d); got != want {
			t.Errorf("%v: %q, want %q", d, got, want)
		}
	}
}

func TestPrettyNotesAreNotWarnings(t *testing.T) {
	d := delivery(t, 2, "/webinar.reminder.all", reminderPayload, nil)
	d.RepeatOf = 1
	d.Notes = []string{"round 2 of 3: same body as #1 (webinar.reminder.all is sent 3 times)"}
	out, _ := renderPretty(t, false, false, d)
	if !strings.HasSuffix(out, "\n  note: round 2 of 3: same body as #1 (webinar.reminder.all is sent 3 times)\n\n") || strings.Contains(out, "⚠") {
		t.Errorf("pretty:\n%s", out)
	}
	colored, _ := renderPretty(t, true, false, d)
	if !strings.Contains(colored, sgrDim+"note: round 2 of 3") {
		t.Errorf("a note is dim, not yellow:\n%q", colored)
	}
}
