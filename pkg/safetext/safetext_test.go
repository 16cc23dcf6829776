package safetext

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// cases is the one table of what is safe for a terminal and how each treatment
// writes it: Escape (visible escapes on one line), AppendJSONString (a JSON literal)
// and Strip (removed). Every other package relies on these.
var cases = []struct {
	name   string
	in     string
	safe   bool
	escape string
	json   string
	strip  string
}{
	{"plain", "hello, wörld ✓", true, "hello, wörld ✓", `"hello, wörld ✓"`, "hello, wörld ✓"},
	{"empty", "", true, "", `""`, ""},
	{"quote and backslash", `a"b\c`, true, `a"b\c`, `"a\"b\\c"`, `a"b\c`},
	{"NUL", "a\x00b", false, `a\x00b`, `"a\u0000b"`, "ab"},
	{"newline tab CR", "a\nb\tc\rd", false, `a\nb\tc\rd`, `"a\nb\tc\rd"`, "abcd"},
	{"BEL", "a\x07b", false, `a\x07b`, `"a\u0007b"`, "ab"},
	{"ESC CSI", "a\x1b[2Jb", false, `a\x1b[2Jb`, `"a\u001b[2Jb"`, "ab"},
	{"ESC CSI colour", "a\x1b[1;31md\x1b[0m e", false, `a\x1b[1;31md\x1b[0m e`, `"a\u001b[1;31md\u001b[0m e"`, "ad e"},
	{"OSC title BEL", "x\x1b]0;pwned\x07y", false, `x\x1b]0;pwned\x07y`, `"x\u001b]0;pwned\u0007y"`, "xy"},
	{"OSC link ST", "x\x1b]8;;http://e\x1b\\y", false, `x\x1b]8;;http://e\x1b\y`, `"x\u001b]8;;http://e\u001b\\y"`, "xy"},
	{"lone ESC", "a\x1b", false, `a\x1b`, `"a\u001b"`, "a"},
	{"DEL", "a\x7fb", false, `a\x7fb`, `"a\u007fb"`, "ab"},
	{"C1 NEL", "a\u0085b", false, `a\x85b`, `"a\u0085b"`, "ab"},
	{"C1 CSI", "a\u009b31mb", false, `a\x9b31mb`, `"a\u009b31mb"`, "ab"},
	{"C1 end", "a\u009fb", false, `a\x9fb`, `"a\u009fb"`, "ab"},
	{"NBSP is fine", "a\u00a0b", true, "a\u00a0b", "\"a\u00a0b\"", "a\u00a0b"},
	{"ALM", "a\u061cb", false, `a\u061cb`, `"a\u061cb"`, "ab"},
	{"LRM RLM", "a\u200eb\u200fc", false, `a\u200eb\u200fc`, `"a\u200eb\u200fc"`, "abc"},
	{"ZWJ is fine", "a\u200db", true, "a\u200db", "\"a\u200db\"", "a\u200db"},
	{"line separator", "a\u2028b", false, `a\u2028b`, `"a\u2028b"`, "ab"},
	{"paragraph separator", "a\u2029b", false, `a\u2029b`, `"a\u2029b"`, "ab"},
	{"LRE", "a\u202ab", false, `a\u202ab`, `"a\u202ab"`, "ab"},
	{"RLO", "course\u202egnp.exe", false, `course\u202egnp.exe`, `"course\u202egnp.exe"`, "coursegnp.exe"},
	{"narrow NBSP is fine", "a\u202fb", true, "a\u202fb", "\"a\u202fb\"", "a\u202fb"},
	{"LRI", "a\u2066b", false, `a\u2066b`, `"a\u2066b"`, "ab"},
	{"PDI", "a\u2069b", false, `a\u2069b`, `"a\u2069b"`, "ab"},
	{"word joiner is fine", "a\u2060b", true, "a\u2060b", "\"a\u2060b\"", "a\u2060b"},
	{"invalid byte", "a\xffb", false, `a\xffb`, `"a\ufffdb"`, "a\uFFFDb"},
	{"truncated rune", "a\xe2\x80", false, `a\xe2\x80`, `"a\ufffd\ufffd"`, "a\uFFFD\uFFFD"},
	{"U+FFFD itself is fine", "a\uFFFDb", true, "a\uFFFDb", "\"a\uFFFDb\"", "a\uFFFDb"},
	{"emoji", "🎉", true, "🎉", `"🎉"`, "🎉"},
}

func TestTable(t *testing.T) {
	for _, tc := range cases {
		if got := IsSafe(tc.in); got != tc.safe {
			t.Errorf("%s: IsSafe = %v", tc.name, got)
		}
		if got := Escape(tc.in); got != tc.escape {
			t.Errorf("%s: Escape = %q, want %q", tc.name, got, tc.escape)
		}
		got := string(AppendJSONString(nil, tc.in))
		if got != tc.json {
			t.Errorf("%s: AppendJSONString = %s, want %s", tc.name, got, tc.json)
		}
		var back string
		if err := json.Unmarshal([]byte(got), &back); err != nil || back != strings.ToValidUTF8(tc.in, "\uFFFD") && utf8.ValidString(tc.in) {
			t.Errorf("%s: the JSON literal %s is not the same string (%q, %v)", tc.name, got, back, err)
		}
		if got := Strip(tc.in); got != tc.strip {
			t.Errorf("%s: Strip = %q, want %q", tc.name, got, tc.strip)
		}
		// The JSON document escaper agrees with the string escaper on every valid
		// literal encoding/json writes (which leaves DEL, C1 and bidi controls raw).
		if utf8.ValidString(tc.in) {
			lit, _ := json.Marshal(tc.in)
			doc := `{"k": ` + string(lit) + `, "n": [1, 2]}`
			compact := string(AppendCompactJSON(nil, []byte(doc)))
			if !IsSafe(compact) || strings.ContainsAny(compact, " ") && !strings.Contains(tc.in, " ") {
				t.Errorf("%s: AppendCompactJSON = %q", tc.name, compact)
			}
			kept := string(AppendJSON(nil, []byte(doc)))
			if !IsSafe(kept) || !strings.HasPrefix(kept, `{"k": "`) || !strings.HasSuffix(kept, `, "n": [1, 2]}`) {
				t.Errorf("%s: AppendJSON = %q", tc.name, kept)
			}
			var a, b map[string]any
			if json.Unmarshal([]byte(compact), &a) != nil || json.Unmarshal([]byte(kept), &b) != nil || a["k"] != tc.in || b["k"] != tc.in {
				t.Errorf("%s: the escaped documents are not the same value: %s / %s", tc.name, compact, kept)
			}
		}
	}
}

func TestUnsafeEveryRune(t *testing.T) {
	// Written out as ranges, independently of Unsafe's own comparisons.
	unsafe := [][2]rune{{0, 0x1f}, {0x7f, 0x9f}, {0x061c, 0x061c}, {0x200e, 0x200f}, {0x2028, 0x202e}, {0x2066, 0x2069}}
	for r := rune(0); r <= 0x10ffff; r++ {
		want := false
		for _, rg := range unsafe {
			if r >= rg[0] && r <= rg[1] {
				want = true
			}
		}
		if got := Unsafe(r); got != want {
			t.Fatalf("Unsafe(%U) = %v", r, got)
		}
	}
}

func TestAppendEscapedKeepsNewlines(t *testing.T) {
	if got := string(AppendEscaped(nil, "a\n\tb\r\x1bc", true)); got != "a\n\tb\\r\\x1bc" {
		t.Errorf("got %q", got)
	}
}

func TestCompactJSONRemovesLayout(t *testing.T) {
	doc := "{\n  \"a b\": [1,\t2],\r\n  \"c\": \"x\u2028\x7f\"\n}\n"
	if got := string(AppendCompactJSON(nil, []byte(doc))); got != `{"a b":[1,2],"c":"x\u2028\u007f"}` {
		t.Errorf("got %s", got)
	}
	if got := string(AppendJSON(nil, []byte(doc))); got != "{\n  \"a b\": [1,\t2],\r\n  \"c\": \"x\\u2028\\u007f\"\n}\n" {
		t.Errorf("got %q", got)
	}
}

func FuzzSafe(f *testing.F) {
	for _, tc := range cases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for name, out := range map[string]string{
			"Escape":           Escape(s),
			"Strip":            Strip(s),
			"AppendJSONString": string(AppendJSONString(nil, s)),
		} {
			if !IsSafe(out) {
				t.Errorf("%s(%q) = %q is not safe", name, s, out)
			}
		}
		var back string
		if err := json.Unmarshal(AppendJSONString(nil, s), &back); err != nil || back != strings.ToValidUTF8(s, "\uFFFD") && utf8.ValidString(s) {
			t.Errorf("AppendJSONString(%q) does not decode to the string: %q %v", s, back, err)
		}
	})
}

var sink []byte

func BenchmarkAppendJSONString(b *testing.B) {
	s := strings.Repeat("Priya Sharma <priya@example.com> — Course «Go» ", 8)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		sink = AppendJSONString(sink[:0], s)
	}
}

func BenchmarkAppendCompactJSON(b *testing.B) {
	doc := []byte(`{"name": "Priya Sharma", "email": "priya@example.com", "title": "Course «Go» ✓", "n": [1, 2, 3], "ok": true}`)
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		sink = AppendCompactJSON(sink[:0], doc)
	}
}

// The plain escaper writes what encoding/json writes (HTML escaping off): what the
// user gave stays as given — DEL, C1 and bidi controls raw — and only JSON's own
// escapes and U+2028/U+2029 are escaped.
func TestAppendPlainJSONStringIsEncodingJSON(t *testing.T) {
	for _, s := range []string{
		"", "plain", `quo"te \ back`, "tab\tnl\nret\r", "\x00\x01\x1f", "del\x7f", "c1\u0085\u009b",
		"bidi\u202egnp.exe\u2066", "ls\u2028ps\u2029", "bad\xffutf8\xc3", "emoji 😀 Müller",
	} {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		got := string(AppendPlainJSONString(nil, s))
		if got != strings.TrimSuffix(want.String(), "\n") {
			t.Errorf("%q: got %s, want %s", s, got, want.String())
		}
	}
}
