package api

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestMaskKey(t *testing.T) {
	tests := []struct{ key, want string }{
		{"", ""},
		{"short", "set (5 characters)"},
		{"fifteen_chars_x", "set (15 characters)"},
		{"staging_key_9999", "…9999"},
		{testKey, testMasked},
		{"ключ-ключ-ключ-ключ", "…ключ"},
		{"ключ-ключ-ключ", "set (14 characters)"},
	}
	for _, tt := range tests {
		if got := MaskKey(tt.key); got != tt.want {
			t.Errorf("MaskKey(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

func TestErrorText(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{
			name: "envelope",
			err:  &Error{Status: 400, Message: "Invalid request", ErrorCode: "INVALID_URL", Attempts: 1},
			want: "TagMango answered 400 Bad Request: Invalid request (INVALID_URL)",
		},
		{
			name: "status text only",
			err:  &Error{Status: 503, Message: "Service Unavailable", Attempts: 3},
			want: "TagMango answered 503 Service Unavailable (after 3 attempts)",
		},
		{
			name: "unknown status",
			err:  &Error{Status: 599, Message: "odd"},
			want: "TagMango answered 599: odd",
		},
		{
			name: "refused",
			err:  &Error{URL: "https://api.example.com/api/v1/x", Err: refused, Attempts: 3},
			want: "could not reach TagMango at https://api.example.com: connection refused (after 3 attempts)",
		},
		{
			name: "dns",
			err:  &Error{URL: "https://nope.invalid/x", Err: &net.DNSError{Err: "no such host", Name: "nope.invalid", IsNotFound: true}},
			want: "could not reach TagMango at https://nope.invalid: no such host nope.invalid",
		},
		{
			name: "closed",
			err:  &Error{URL: "http://127.0.0.1:9/x", Err: io.EOF},
			want: "could not reach TagMango at http://127.0.0.1:9: the connection closed before an answer came",
		},
		{
			name: "timeout",
			err:  &Error{URL: "https://h/x", Err: &TimeoutError{After: 30 * time.Second}, Attempts: 1},
			want: "TagMango did not answer within 30s",
		},
		{
			name: "timeout after retries",
			err:  &Error{URL: "https://h/x", Err: &TimeoutError{After: 1500 * time.Millisecond}, Attempts: 2},
			want: "TagMango did not answer within 1.5s (after 2 attempts)",
		},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%s: Error() = %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

func TestErrorClassification(t *testing.T) {
	tests := []struct {
		err            error
		notFound, auth bool
		exit           int
	}{
		{&Error{Status: 404, enveloped: true}, true, false, 1},
		{fmt.Errorf("wrapped: %w", &Error{Status: 404, enveloped: true}), true, false, 1},
		{&Error{Status: 200, Code: 404, enveloped: true}, true, false, 1},
		{&Error{Status: 404}, false, false, 1},                                                // a 404 page from something else
		{&Error{Status: 404, enveloped: true, ErrorCode: "ROUTE_NOT_FOUND"}, false, false, 1}, // a wrong path
		{&Error{Status: 400, Code: 404}, false, false, 1},                                     // a real status wins over the envelope
		{&Error{Status: 401}, false, true, 4},
		{&Error{Status: 403}, false, true, 4},
		{&Error{Status: 200, Code: 401}, false, true, 4},
		{&Error{Status: 0, Err: io.EOF}, false, false, 1},
		{&Error{Status: 500}, false, false, 1},
		{errors.New("other"), false, false, 0},
		{nil, false, false, 0},
	}
	for _, tt := range tests {
		if IsNotFound(tt.err) != tt.notFound || IsAuth(tt.err) != tt.auth {
			t.Errorf("%v: IsNotFound = %v, IsAuth = %v", tt.err, IsNotFound(tt.err), IsAuth(tt.err))
		}
		if e, ok := errors.AsType[*Error](tt.err); ok && e.ExitCode() != tt.exit {
			t.Errorf("%v: ExitCode = %d, want %d", tt.err, e.ExitCode(), tt.exit)
		}
	}
}

func TestIsConnError(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&net.OpError{Op: "dial", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}, true},
		{&net.OpError{Op: "read", Err: &os.SyscallError{Syscall: "read", Err: syscall.ECONNRESET}}, true},
		{io.EOF, true},
		{io.ErrUnexpectedEOF, true},
		{&TimeoutError{After: time.Second}, false},
		{&net.DNSError{Err: "timeout", IsTimeout: true}, false},
		{&net.DNSError{Err: "no such host", IsNotFound: true}, false},
		{errors.New("tls: failed to verify certificate"), false},
	}
	for _, tt := range tests {
		if got := isConnError(tt.err); got != tt.want {
			t.Errorf("isConnError(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"3", 3 * time.Second, true},
		{" 0 ", 0, true},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"99999999999999999", time.Duration(1<<63-1) / time.Second * time.Second, true},
		{now.Add(90 * time.Second).Format(http1123), 90 * time.Second, true},
		{now.Add(-time.Minute).Format(http1123), 0, true},
		{"tomorrow", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.v, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.v, got, ok, tt.want, tt.ok)
		}
	}
}

const http1123 = "Mon, 02 Jan 2006 15:04:05 GMT"

func TestSanitizeAndSnippet(t *testing.T) {
	tests := []struct {
		name, in, want string
		html           bool
	}{
		{"controls", "a\x00b\x07c\x1b[1;31md\x1b[0m e", "abcd e", false},
		{"osc title", "x\x1b]0;pwned\x07y", "xy", false},
		{"bidi", "abc\u202edef", "abcdef", false},
		{"whitespace", "  a \n\n\t b  ", "a b", false},
		{"invalid utf-8", "a\xffb", "a\uFFFDb", false},
		{"html", "<!DOCTYPE html><html><head><title>Oops</title></head><body><p>Bad &amp; worse</p></body></html>", "Oops Bad & worse", true},
		{"html comment and script", "<html><!-- secret --><script>var a = '<b>';</script>text</html>", "text", true},
		{"not html", "a < b and c > d", "a < b and c > d", false},
	}
	for _, tt := range tests {
		in := tt.in
		if tt.html || tt.name == "not html" {
			in = snippet([]byte(in))
		}
		if got := sanitize(in); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestTruncate(t *testing.T) {
	if got := truncate("héllo wörld", 6); got != "héllo…" {
		t.Errorf("got %q", got)
	}
	if got := truncate("short", 6); got != "short" {
		t.Errorf("got %q", got)
	}
}

func TestRedact(t *testing.T) {
	if got := redact("key="+testKey+"&again="+testKey, testKey); got != "key="+testMasked+"&again="+testMasked {
		t.Errorf("got %q", got)
	}
	if got := redact("abc", "ab"); got != "abc" {
		t.Errorf("a very short key garbled the text: %q", got)
	}
}

// TestCleanRedactsBeforeAndAfterSanitizing: a server can echo the key with an escape
// sequence running into it, which sanitizing would strip along with the key's first
// characters, or split by controls, which sanitizing would join again. Either way
// the printed text holds the mask, and not what remains of the key.
func TestCleanRedactsBeforeAndAfterSanitizing(t *testing.T) {
	c := &Client{key: testKey}
	half := len(testKey) / 2
	for _, echoed := range []string{
		"bad key \x1b[" + testKey + " given",
		"bad key " + testKey[:half] + "\x1b[0m" + testKey[half:] + " given",
	} {
		got := c.clean(echoed, 200)
		if got != "bad key "+testMasked+" given" {
			t.Errorf("clean(%q) = %q", echoed, got)
		}
	}
}
