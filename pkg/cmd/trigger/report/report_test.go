package report

import (
	"strings"
	"testing"
	"time"
)

func TestQuote(t *testing.T) {
	cases := []struct {
		in   string
		size int64
		want string
	}{
		{"ok", 2, `"ok"`},
		{"", 0, `""`},
		{"a\x1b[31mb\n", 8, `"a\x1b[31mb\n"`},
		{"héllo", 6, `"héllo"`},
		{"abc", 1000, `"abc"… (1000 bytes)`},
	}
	for _, tc := range cases {
		if got := Quote([]byte(tc.in), tc.size); got != tc.want {
			t.Errorf("Quote(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
	// A cut never splits a character.
	long := strings.Repeat("é", 150) // 300 bytes
	got := Quote([]byte(long), 300)
	if strings.Contains(got, `\x`) || !strings.HasSuffix(got, "… (300 bytes)") {
		t.Errorf("Quote(long) = %s", got)
	}
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		1500 * time.Microsecond: "1.50ms",
		42 * time.Millisecond:   "42.0ms",
		31 * time.Second:        "31.00s",
	} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %s, want %s", d, got, want)
		}
	}
}
