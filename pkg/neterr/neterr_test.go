package neterr

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
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
