package savefile

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestLineHeaders(t *testing.T) {
	tests := []struct {
		name    string
		headers string
		want    map[string]string
		ct      string
	}{
		{"none", ``, nil, "application/json"},
		{"null", `null`, nil, "application/json"},
		{"empty", `{}`, map[string]string{}, "application/json"},
		{"strings", `{"Content-Type":"text/plain","X-A":"1"}`, map[string]string{"Content-Type": "text/plain", "X-A": "1"}, "text/plain"},
		{"lists", `{"content-type":["text/csv","x"],"X-B":["1","2"]}`, map[string]string{"content-type": "text/csv, x", "X-B": "1, 2"}, "text/csv"},
		{"empty content-type", `{"Content-Type":""}`, map[string]string{"Content-Type": ""}, "application/json"},
		{"empty list", `{"Content-Type":[]}`, map[string]string{"Content-Type": ""}, "application/json"},
		{"null value", `{"Content-Type":null}`, map[string]string{"Content-Type": ""}, "application/json"},
		{"other kinds left out", `{"Content-Type":7,"X-C":[1],"X-D":"d"}`, map[string]string{"X-D": "d"}, "application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := `{"seq":1,"body":{}`
			if tt.headers != "" {
				line += `,"headers":` + tt.headers
			}
			l, err := Parse([]byte(line + "}"))
			if err != nil {
				t.Fatal(err)
			}
			h, err := l.HeaderMap()
			if err != nil {
				t.Fatal(err)
			}
			if (h == nil) != (tt.want == nil) || len(h) != len(tt.want) {
				t.Fatalf("HeaderMap %#v, want %#v", h, tt.want)
			}
			for k, v := range tt.want {
				if got, ok := h[k]; !ok || got != v {
					t.Errorf("HeaderMap[%q] = %q, want %q", k, got, v)
				}
			}
			if ct, err := l.ContentType(); err != nil || ct != tt.ct {
				t.Errorf("ContentType %q, %v; want %q", ct, err, tt.ct)
			}
		})
	}
}

func TestParseRefusesHeadersNotAnObject(t *testing.T) {
	_, err := Parse([]byte(`{"seq":1,"body":{},"headers":["a"]}`))
	if err == nil || err.Error() != `"headers" is not an object` {
		t.Errorf("err %v", err)
	}
}

// TestParseKeepsWhatItDecoded: the body and headers are decoded once, by Parse, not
// again by each of Bytes and ContentType.
func TestParseKeepsWhatItDecoded(t *testing.T) {
	body := strings.Repeat("\xff", 1<<20)
	line := `{"seq":1,"body":"x","headers":{"Content-Type":["text/plain"]},"rawBase64":"` + base64.StdEncoding.EncodeToString([]byte(body)) + `"}`
	l, err := Parse([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := l.Bytes(); err != nil || string(b) != body {
		t.Fatalf("Bytes: %d bytes, %v", len(b), err)
	}
	if n := testing.AllocsPerRun(10, func() { _, _ = l.Bytes() }); n != 0 {
		t.Errorf("Bytes allocates %v times: it decodes the body again", n)
	}
	if n := testing.AllocsPerRun(10, func() { _, _ = l.ContentType() }); n != 0 {
		t.Errorf("ContentType allocates %v times: it decodes the headers again", n)
	}
}

// TestLineNotFromParse: a Line built by hand decodes its fields when asked.
func TestLineNotFromParse(t *testing.T) {
	raw := "héllo"
	l := &Line{Raw: &raw, Headers: []byte(`{"content-type":"text/plain"}`)}
	if b, err := l.Bytes(); err != nil || string(b) != raw {
		t.Errorf("Bytes %q, %v", b, err)
	}
	if ct, err := l.ContentType(); err != nil || ct != "text/plain" {
		t.Errorf("ContentType %q, %v", ct, err)
	}
	if h, err := l.HeaderMap(); err != nil || h["content-type"] != "text/plain" {
		t.Errorf("HeaderMap %v, %v", h, err)
	}
}
