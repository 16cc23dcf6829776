package hookurl

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	cases := []struct {
		raw  string
		want string // "" = valid
	}{
		{"https://example.com/hooks/tm", ""},
		{"http://127.0.0.1:3000/x", ""},
		{"", "empty"},
		{"/hooks", "absolute http"},
		{"example.com/hooks", `invalid URL "example.com/hooks": it has no scheme; did you mean https://example.com/hooks?`},
		{"hooks.example.com:8443/a:b", "did you mean https://hooks.example.com:8443/a:b?"},
		{"localhost:3000/hooks", "did you mean http://localhost:3000/hooks?"},
		{"mailto:a@example.com", "absolute http"},
		{"ftp:x", "absolute http"},
		{"ftp://example.com/x", "absolute http"},
		{"https://", "no host"},
		{"https://user:pw@example.com/x", "credentials"},
		{"https://exa mple.com/x", "spaces, control"},
		{"https://example.com/\x1b[2J", "spaces, control"},
		{"https://example.com/\u202egnp.exe", "bidirectional"},
		{"https://example.com/a\u2066b", "bidirectional"},
		{"https://example.com/a\u200fb", "bidirectional"},
		{"https://example.com/a\u2028b", "bidirectional"},
		{"https://example.com/a\u0085b", "control"},
		{"https://example.com/a\x7fb", "control"},
		{"https://example.com/a\xffb", "invalid UTF-8"},
		{"https://exämple.com/ü", ""},
		{"https://example.com/" + strings.Repeat("a", 3000), "longer than"},
		{"https://[::1", "invalid URL"},
	}
	for _, tc := range cases {
		_, err := Parse(tc.raw)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: unexpected error %v", tc.raw, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q: error %v, want it to mention %q", tc.raw, err, tc.want)
		}
	}
}

func TestIsPrivate(t *testing.T) {
	private := []string{"localhost", "LOCALHOST.", "api.localhost", "printer.local", "127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.20", "169.254.1.1", "::1", "fd00::1", "fe80::1", "0.0.0.0"}
	public := []string{"example.com", "8.8.8.8", "172.32.0.1", "2001:4860:4860::8888", "local.example.com"}
	for _, h := range private {
		if !IsPrivate(h) {
			t.Errorf("%s should be private", h)
		}
	}
	for _, h := range public {
		if IsPrivate(h) {
			t.Errorf("%s should be public", h)
		}
	}
}

func TestWarnings(t *testing.T) {
	const production = "https://api-prod-new.tagmango.com"
	cases := []struct {
		hook, api string
		want      []string
	}{
		{"http://localhost:3000/x", production, []string{"localhost is a private address that TagMango cannot reach", "plain http"}},
		{"https://192.168.1.20/x", production, []string{"192.168.1.20 is a private address"}},
		{"http://example.com/x", production, []string{"plain http"}},
		{"https://example.com/x", production, nil},
		{"https://example.com/x", "", nil},
		{"http://localhost:3000/x", "", []string{"private address", "plain http"}},
		// A local API (the emulator) delivers from this machine: it reaches private
		// addresses, and loopback http never leaves the machine.
		{"http://127.0.0.1:3000/x", "http://127.0.0.1:4280", nil},
		{"http://localhost:3000/x", "http://localhost:4280", nil},
		{"http://192.168.1.20:3000/x", "http://127.0.0.1:4280", nil},
		{"http://[::1]:3000/x", "http://[::1]:4280", nil},
		{"http://example.com/x", "http://127.0.0.1:4280", []string{"plain http"}},
		{"http://localhost:3000/x", "https://staging.example.com", []string{"private address", "plain http"}},
	}
	for _, tc := range cases {
		u, err := Parse(tc.hook)
		if err != nil {
			t.Fatal(err)
		}
		got := Warnings(u, tc.api)
		if len(got) != len(tc.want) {
			t.Errorf("%s with API %q: warnings %q, want %q", tc.hook, tc.api, got, tc.want)
			continue
		}
		for i := range got {
			if !strings.Contains(got[i], tc.want[i]) {
				t.Errorf("%s with API %q: warning %q, want %q", tc.hook, tc.api, got[i], tc.want[i])
			}
		}
	}
}

func TestParseTarget(t *testing.T) {
	cases := []struct {
		raw, want, err string
	}{
		{"localhost:3000/hooks", "http://localhost:3000/hooks", ""},
		{"127.0.0.1:3000/hooks?a=1", "http://127.0.0.1:3000/hooks?a=1", ""},
		{"[::1]:3000", "http://[::1]:3000", ""},
		{"localhost", "http://localhost", ""},
		{"app.localhost:8080/x", "http://app.localhost:8080/x", ""},
		{"https://example.com/h", "https://example.com/h", ""},
		{"http://localhost:3000", "http://localhost:3000", ""},
		{"example.com/hooks", "", "it has no scheme; did you mean https://example.com/hooks? (only a loopback address such as localhost:3000 may leave it out)"},
		{"192.168.1.5:3000/x", "", "did you mean https://192.168.1.5:3000/x?"},
		{"localhost:3000/\x1b[2J", "", "spaces, control"},
		{"ftp://localhost/x", "", "absolute http"},
		{"/hooks", "", "absolute http"},
		{"", "", "empty"},
	}
	for _, tc := range cases {
		got, err := ParseTarget(tc.raw)
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("%q: %q, %v; want %q", tc.raw, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: error %v, want it to mention %q", tc.raw, err, tc.err)
		}
	}
}
