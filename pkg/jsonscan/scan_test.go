package jsonscan

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// validityCases are bodies on which the scanner must agree with encoding/json.
var validityCases = []string{
	``, ` `, `{}`, `[]`, `""`, `0`, `-0`, `-`, `01`, `1.`, `1.5`, `1e5`, `1E+5`, `1e`, `-1.5e-3`, `.5`, `+1`,
	`true`, `tru`, `truex`, `null`, `nul`, `false`, `{"a":1}`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `{"a":1}}`,
	`[1,2]`, `[1,]`, `[,1]`, `[1 2]`, ` {"a" : [ 1 , {"b":null} ] } `, `"\u00e9"`, `"\u00g9"`, `"\x"`, `"\/"`,
	`"a` + "\x01" + `"`, `"a` + "\x7f" + `"`, "\"\xff\"", "\"\xc3\xa9\"", "\"\xed\xa0\x80\"", `"\ud800"`,
	`{"a":"b"}x`, `[` + string(bytes.Repeat([]byte("["), 20)) + `]`, `{"":""}`, `[[[]]]`, "\t\n{}\r\n",
	// encoding/json's depth limit, exactly: 10,001 nested empty arrays were once
	// taken for JSON.
	nested("[", "", "]", MaxDepth), nested("[", "", "]", MaxDepth+1), nested(`{"a":`, "1", "}", MaxDepth), nested(`{"a":`, "1", "}", MaxDepth+1),
}

// nested is inner inside n opens and closes.
func nested(open, inner, close string, n int) string {
	return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
}

func TestDepth(t *testing.T) {
	for body, want := range map[string]int{
		`1`: 0, `""`: 0, `[]`: 1, `{}`: 1, `{"a":[{}],"b":[1]}`: 3, `[[],[[]]]`: 3,
		nested("[", "", "]", MaxDepth): MaxDepth, nested(`{"a":`, "null", "}", MaxDepth): MaxDepth,
	} {
		p := Scan([]byte(body), nil)
		if !p.JSON || p.Depth != want {
			t.Errorf("%.40q: JSON %v, depth %d, want %d", body, p.JSON, p.Depth, want)
		}
	}
}

func scannerAgrees(t *testing.T, body []byte) {
	t.Helper()
	p := Scan(body, nil)
	want := json.Valid(body) && utf8.Valid(body)
	if p.JSON != want {
		t.Fatalf("%q: JSON=%v, encoding/json says %v", body, p.JSON, want)
	}
	if !want {
		return
	}
	var compact bytes.Buffer
	_ = json.Compact(&compact, body)
	if p.Safe && !bytes.Equal(compact.Bytes(), body) {
		t.Fatalf("%q is called safe but is not compact", body)
	}
	if p.Kind != KindObject {
		return
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	last := map[string]Member{} // encoding/json keeps the last of duplicate keys
	for _, mem := range p.Members {
		if !json.Valid(mem.Raw) {
			t.Fatalf("%q: member %q raw %q", body, mem.Name, mem.Raw)
		}
		last[mem.Name] = mem
	}
	for name, mem := range last {
		raw, ok := m[name]
		if !ok {
			t.Fatalf("%q: member %q not found by encoding/json", body, name)
		}
		if kindOf(raw[0]) != mem.Kind || !bytes.Equal(raw, mem.Raw) {
			t.Fatalf("%q: member %q is %v %q, encoding/json says %q", body, name, mem.Kind, mem.Raw, raw)
		}
	}
	if len(last) != len(m) {
		t.Fatalf("%q: %d members, encoding/json sees %d", body, len(last), len(m))
	}
}

func TestScannerAgreesWithEncodingJSON(t *testing.T) {
	for _, c := range validityCases {
		scannerAgrees(t, []byte(c))
	}
	for _, example := range catalogExamples(t) {
		scannerAgrees(t, example)
	}
}

func TestSafe(t *testing.T) {
	for body, want := range map[string]bool{
		`{"a":"b"}`:                 true,
		`{"a":"é हिंदी"}`:           true,
		`{"a": "b"}`:                false,
		"{\"a\":\"\u009b\"}":        false,
		"{\"a\":\"\u202e\"}":        false,
		"{\"a\":\"\x7f\"}":          false,
		`{"a":"\u001b[2J"}`:         true, // escaped in the source: harmless text
		"{\"a\":\"x\u2028y\"}":      false,
		"[1,2,{\"k\":[true,null]}]": true,
	} {
		if got := Scan([]byte(body), nil).Safe; got != want {
			t.Errorf("%q: Safe=%v, want %v", body, got, want)
		}
	}
}

func FuzzScanner(f *testing.F) {
	for _, c := range validityCases {
		f.Add([]byte(c))
	}
	for _, example := range catalogExamples(f) {
		f.Add(example)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		scannerAgrees(t, body)
	})
}

func TestPlainByteTable(t *testing.T) {
	if len(plainByte) != 128 {
		t.Fatalf("%d entries", len(plainByte))
	}
	for c := range 128 {
		want := c >= 0x20 && c != '"' && c != '\\' && c != 0x7f
		if (plainByte[c] != 0) != want {
			t.Errorf("byte %#x: plain=%v", c, plainByte[c] != 0)
		}
	}
}

func TestScanMembers(t *testing.T) {
	p := Scan([]byte(` { "a\u0062" : [1, {"x": "]"}] , "n": null, "s": "q\"}", "t": true, "o": {"k": [ ]}, "num": -1.5e3 } `), nil)
	if !p.JSON || p.Kind != KindObject {
		t.Fatalf("not parsed as an object: %+v", p)
	}
	want := []struct {
		name string
		kind Kind
		raw  string
	}{
		{"ab", KindArray, `[1, {"x": "]"}]`},
		{"n", KindNull, `null`},
		{"s", KindString, `"q\"}"`},
		{"t", KindBool, `true`},
		{"o", KindObject, `{"k": [ ]}`},
		{"num", KindNumber, `-1.5e3`},
	}
	if len(p.Members) != len(want) {
		t.Fatalf("members: %+v", p.Members)
	}
	for i, w := range want {
		m := p.Members[i]
		if m.Name != w.name || m.Kind != w.kind || string(m.Raw) != w.raw {
			t.Errorf("member %d = %q %v %q, want %q %v %q", i, m.Name, m.Kind, m.Raw, w.name, w.kind, w.raw)
		}
	}
	if s, ok := p.Members[2].StringValue(); !ok || s != `q"}` {
		t.Errorf("StringValue = %q", s)
	}
	for _, body := range []string{"", "{", `{"a":1}x`, "\xff", `{"a":"` + "\xff" + `"}`} {
		if Scan([]byte(body), nil).JSON {
			t.Errorf("%q parsed as JSON", body)
		}
	}
}

// catalogExamples are the example payloads of the event catalog, read from its file:
// pkg/events imports this package, so its tests cannot import pkg/events.
func catalogExamples(t testing.TB) [][]byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "events", "events.json"))
	if err != nil {
		t.Fatal(err)
	}
	var catalog struct {
		Events []struct {
			Example json.RawMessage `json:"example"`
		} `json:"events"`
	}
	if err := json.Unmarshal(data, &catalog); err != nil || len(catalog.Events) == 0 {
		t.Fatalf("the catalog's examples: %v", err)
	}
	out := make([][]byte, len(catalog.Events))
	for i, e := range catalog.Events {
		out[i] = e.Example
	}
	return out
}
