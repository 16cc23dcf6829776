package neterr

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"
)

func TestHostPort(t *testing.T) {
	for raw, want := range map[string]string{
		"http://127.0.0.1:3000/hooks": "127.0.0.1:3000",
		"http://localhost/hooks":      "localhost:80",
		"https://example.com/tm":      "example.com:443",
		"http://[::1]/x":              "[::1]:80",
		"https://[::1]:8443/x":        "[::1]:8443",
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := HostPort(u); got != want {
			t.Errorf("HostPort(%s) = %q, want %q", raw, got, want)
		}
	}
}

func TestRefused(t *testing.T) {
	if got, want := Refused("127.0.0.1:3000"), "nothing is listening on 127.0.0.1:3000 — is your server running?"; got != want {
		t.Errorf("Refused = %q, want %q", got, want)
	}
}

func TestIsTLSAndIsTimeout(t *testing.T) {
	tlsErr := fmt.Errorf("Post: %w", x509.UnknownAuthorityError{})
	if !IsTLS(tlsErr) || IsTLS(errors.New("EOF")) {
		t.Error("IsTLS does not tell a certificate error from another")
	}
	if !IsTimeout(fmt.Errorf("dial: %w", os.ErrDeadlineExceeded)) || IsTimeout(tlsErr) {
		t.Error("IsTimeout does not tell a timeout from another error")
	}
}

func TestExplain(t *testing.T) {
	u, _ := url.Parse("https://example.com/tm")
	dial := func(errno error) error {
		return &url.Error{Op: "Post", Err: &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", errno)}}
	}
	tests := []struct {
		err  error
		kind Kind
		msg  string
	}{
		{fmt.Errorf("Post: %w", context.DeadlineExceeded), KindTimeout, "example.com:443 did not answer in time"},
		{&url.Error{Op: "Post", Err: os.ErrDeadlineExceeded}, KindTimeout, "example.com:443 did not answer in time"},
		{dial(syscall.ECONNREFUSED), KindRefused, "nothing is listening on example.com:443 — is your server running?"},
		{&url.Error{Op: "Post", Err: &net.DNSError{Err: "no such host", Name: "example.com", IsTimeout: true}}, KindDNS, "cannot resolve example.com: no such host"},
		{dial(syscall.ENETUNREACH), KindUnreachable, "example.com is unreachable from here"},
		{dial(syscall.EHOSTUNREACH), KindUnreachable, "example.com is unreachable from here"},
		{dial(syscall.ECONNRESET), KindReset, "example.com:443 closed the connection without answering"},
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), KindReset, "example.com:443 closed the connection without answering"},
		{&url.Error{Op: "Post", Err: x509.UnknownAuthorityError{}}, KindTLS, "TLS: x509: certificate signed by unknown authority"},
		{&url.Error{Op: "Post", URL: "https://example.com/tm", Err: errors.New("strange")}, KindOther, "strange"},
	}
	for _, tt := range tests {
		if kind, msg := Explain(tt.err, u); kind != tt.kind || msg != tt.msg {
			t.Errorf("Explain(%v) = %d %q, want %d %q", tt.err, kind, msg, tt.kind, tt.msg)
		}
	}
}
