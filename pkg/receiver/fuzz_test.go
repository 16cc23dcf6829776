package receiver

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/jsonscan"
)

// lastEntry keeps the last entry rendered.
type lastEntry struct{ e Entry }

func (l *lastEntry) Render(e Entry) error { l.e = e; return nil }
func (l *lastEntry) Flush() error         { return nil }

// ourSGR are the only escape sequences the renderers may write.
var ourSGR = []string{sgrReset, sgrBold, sgrDim, sgrRed, sgrGreen, sgrYellow, sgrBlue, sgrMagent, sgrCyan, sgrGrey, sgrKey}

// FuzzRender: whatever a sender puts in the method, path, a header and the body —
// and whatever a forward target answers — the pretty renderer does not panic and no
// character a terminal could act on reaches the output. With colour off there is no
// ESC at all; with colour on every ESC starts one of the renderer's own SGR
// sequences, and without them the output is the colour-off output. The --json line
// is one line of valid JSON, as safe, holding the same body.
func FuzzRender(f *testing.F) {
	c, err := events.Load()
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range c.Events {
		f.Add("POST", "/", "Content-Type", "application/json", []byte(e.Example), false)
		f.Add("POST", "/hooks/"+e.Type+"?a=1", "User-Agent", "TagMango", []byte(e.Example), true)
	}
	files, _ := filepath.Glob(filepath.Join("..", "events", "testdata", "seeds", "*.txt"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		if i := bytes.Index(data, []byte("\nExample")); i >= 0 {
			var raw json.RawMessage
			if json.NewDecoder(bytes.NewReader(data[i+len("\nExample"):])).Decode(&raw) == nil {
				f.Add("POST", "/", "Content-Type", "application/json", []byte(raw), false)
			}
		}
		f.Add("POST", "/", "X-Page", "seed", data, true) // a page: not JSON
	}
	f.Add("POST", "/%1B[2J?q=\x1b[31m", "X-Evil", "\x1b[2Jv", []byte(hostile), true)
	f.Add("P\x9bOST", "/\u202e", "K\x7f", "\xff\xfe", []byte("\x1b[2J\x9b\xff text\r\n\u2028\t"), false)
	f.Add("POST", "/", "", "", []byte(`{"a":"\u001b","b":[[[[[[[[[[[[["\u0085`+"\u0085"+`"]]]]]]]]]]]]],"c":{"d":-0.5e+7}}`), true)
	f.Add("POST", "/", "", "", []byte{}, false)

	m := events.NewMatcher(c)
	f.Fuzz(func(t *testing.T, method, path, hname, hvalue string, body []byte, verbose bool) {
		last := &lastEntry{}
		eng, err := New(Config{Matcher: m, QueueLen: 1, DuplicateWindow: 1}, last)
		if err != nil {
			t.Fatal(err)
		}
		d := &Delivery{Seq: 1, ReceivedAt: testNow, Method: method, Path: path, Header: http.Header{hname: {hvalue}}, Body: body, Size: int64(len(body)), Status: 200}
		if verbose {
			d.ForwardTo = "http://127.0.0.1:3000" + path
			d.Status = 0
		}
		eng.prepare(d)
		eng.show(d)
		if last.e != d {
			t.Fatalf("the delivery was not rendered: %v", last.e)
		}
		entries := []Entry{
			d,
			&ForwardResult{Seq: 1, URL: "http://127.0.0.1:3000" + path, Status: 500, Answered: 500, Latency: time.Millisecond,
				Header: http.Header{hname: {hvalue}}, Body: body, BodySize: int64(len(body)) + 1, Message: string(body)},
			&ForwardResult{Seq: 1, URL: path, Answered: 502, Message: string(body)},
			&Notice{Time: testNow, Method: method, Path: path, Status: 404, Message: string(body)},
		}
		plain := renderAll(t, false, verbose, entries)
		if i := strings.IndexByte(plain, 0x1b); i >= 0 {
			t.Fatalf("colour off, yet ESC at %d: %q", i, plain)
		}
		terminalSafe(t, plain)
		colour := renderAll(t, true, verbose, entries)
		if stripped := stripOurSGR(t, colour); stripped != plain {
			t.Fatalf("colour changes the text:\n%q\n%q", stripped, plain)
		}

		line := AppendJSONLine(nil, d)
		if !bytes.HasSuffix(line, []byte("\n")) || bytes.Count(line, []byte("\n")) != 1 {
			t.Fatalf("not one line: %q", line)
		}
		if bytes.IndexByte(line, 0x1b) >= 0 {
			t.Fatalf("ESC in the --json line %q", line)
		}
		terminalSafe(t, string(line))
		var v struct {
			Event      string          `json:"event"`
			Method     string          `json:"method"`
			Path       string          `json:"path"`
			Body       json.RawMessage `json:"body"`
			Candidates []string        `json:"candidates"`
			Warnings   []string        `json:"warnings"`
		}
		if err := json.Unmarshal(line, &v); err != nil {
			t.Fatalf("invalid JSON line %q: %v", line, err)
		}
		if v.Method != string([]rune(method)) || v.Path != string([]rune(path)) || v.Event != d.Event || v.Candidates == nil || v.Warnings == nil {
			t.Fatalf("line %q does not say what came", line)
		}
		if d.IsJSON && d.Payload().Depth < jsonscan.MaxDepth {
			var want, got any
			if json.Unmarshal(body, &want) != nil || json.Unmarshal(v.Body, &got) != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("body %q written as %q", body, v.Body)
			}
		} else {
			var s string
			if json.Unmarshal(v.Body, &s) != nil || s != string([]rune(string(body))) {
				t.Fatalf("body %q written as %q", body, v.Body)
			}
		}
	})
}

func renderAll(t *testing.T, color, verbose bool, entries []Entry) string {
	t.Helper()
	var out bytes.Buffer
	p := NewPretty(PrettyOptions{Out: &out, ErrOut: &out, Color: color, Verbose: verbose, Location: time.UTC})
	for _, e := range entries {
		if err := p.Render(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Flush(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// stripOurSGR removes the renderer's colour sequences, failing on any other ESC.
func stripOurSGR(t *testing.T, s string) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != 0x1b {
			b.WriteByte(s[i])
			i++
			continue
		}
		n := 0
		for _, sgr := range ourSGR {
			if strings.HasPrefix(s[i:], sgr) {
				n = len(sgr)
				break
			}
		}
		if n == 0 {
			t.Fatalf("an ESC that is not the renderer's at %d: %q", i, s[i:min(len(s), i+20)])
		}
		i += n
	}
	return b.String()
}

// terminalSafe fails on text a terminal could act on: invalid UTF-8, C0 controls but
// newline and tab, DEL, C1 controls, line separators and bidirectional controls. ESC
// is left to the caller.
func terminalSafe(t *testing.T, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("invalid UTF-8 in %q", s)
	}
	for i, r := range s {
		if r == '\n' || r == '\t' || r == 0x1b {
			continue
		}
		// Written out rather than unsafeRune: the test must not share the code's blind spots.
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == 0x061c || r == 0x200e || r == 0x200f ||
			(r >= 0x2028 && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			t.Fatalf("raw %U at %d in %q", r, i, s)
		}
	}
}
