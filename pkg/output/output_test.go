package output

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestEmptyTablePrintsNothing(t *testing.T) {
	for _, tty := range []bool{true, false} {
		var b bytes.Buffer
		if err := NewTable(&b, tty, "ID", "EVENT").Render(); err != nil {
			t.Fatal(err)
		}
		if b.Len() != 0 {
			t.Errorf("tty=%v: an empty table printed %q", tty, b.String())
		}
	}
}

func TestTableCellsAreTerminalSafe(t *testing.T) {
	for _, tty := range []bool{true, false} {
		var b bytes.Buffer
		tb := NewTable(&b, tty, "URL")
		tb.AddRow("https://example.com/\u202egnp.exe\u2028\x1b[2J\u0085\t")
		if err := tb.Render(); err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(b.String()); !strings.HasSuffix(got, `https://example.com/\u202egnp.exe\u2028\x1b[2J\x85\t`) {
			t.Errorf("tty=%v: %q", tty, got)
		}
	}
}

func TestJSONIsTerminalSafe(t *testing.T) {
	v := map[string]string{"hookUrl": "https://example.com/\u202egnp\x7f\u0085"}
	var b bytes.Buffer
	if err := WriteStructured(&b, FormatJSON, v); err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"hookUrl\": \"https://example.com/\\u202egnp\\u007f\\u0085\"\n}\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
	var back map[string]string
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || back["hookUrl"] != v["hookUrl"] {
		t.Errorf("not the same value: %v %v", back, err)
	}
}
