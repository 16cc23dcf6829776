// Package neterr says in plain words why a connection to someone's server failed. The
// receiver's forwarder (listen --forward-to) and the delivery engine (trigger, replay)
// both send to the user's server, and explain a failure the same way.
package neterr

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/url"
	"syscall"
)

// Kind is what went wrong with a connection.
type Kind int

// The kinds Explain tells apart.
const (
	// KindOther is a failure none of the others describe.
	KindOther Kind = iota
	// KindTimeout is no answer within the time limit.
	KindTimeout
	// KindRefused is a connection refused: nothing listens on the port.
	KindRefused
	// KindDNS is a host name that does not resolve.
	KindDNS
	// KindUnreachable is a network or host with no route to it from here.
	KindUnreachable
	// KindReset is a connection closed before the answer came.
	KindReset
	// KindTLS is a failed TLS handshake.
	KindTLS
)

// Explain says what kind of failure err is, for a request to u, and words it plainly.
// Each caller adds only its own context: the forwarder the status its sender gets, the
// delivery engine the name of the kind, and both the time limit to a KindTimeout (its
// message here has none). The message for KindOther is err itself, without the
// url.Error wrapping ("Post …:").
func Explain(err error, u *url.URL) (Kind, string) {
	hostPort := HostPort(u)
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return KindTimeout, hostPort + " did not answer in time"
	case errors.Is(err, syscall.ECONNREFUSED):
		return KindRefused, Refused(hostPort)
	case errors.As(err, &dnsErr):
		// Before the timeouts: a lookup that timed out is a DNS problem, not the server's.
		name := dnsErr.Name
		if name == "" {
			name = u.Hostname()
		}
		return KindDNS, "cannot resolve " + name + ": " + dnsErr.Err
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return KindUnreachable, u.Hostname() + " is unreachable from here"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return KindReset, hostPort + " closed the connection without answering"
	case IsTimeout(err):
		return KindTimeout, hostPort + " did not answer in time"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if IsTLS(err) {
		return KindTLS, "TLS: " + err.Error()
	}
	return KindOther, err.Error()
}

// HostPort is the host and port a request to u connects to: the scheme's default port
// when u names none, so that a message says where nothing answered.
func HostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	port := "80"
	if u.Scheme == "https" {
		port = "443"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// Refused explains a refused connection to hostPort (ECONNREFUSED).
func Refused(hostPort string) string {
	return "nothing is listening on " + hostPort + " — is your server running?"
}

// IsTimeout reports a network error that is a timeout.
func IsTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// IsTLS reports a failed TLS handshake: not TLS at all, a certificate that is not
// trusted or not for the host, or an alert from the other side.
func IsTLS(err error) bool {
	var (
		record   tls.RecordHeaderError
		verify   *tls.CertificateVerificationError
		alert    tls.AlertError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
	)
	return errors.As(err, &record) || errors.As(err, &verify) || errors.As(err, &alert) ||
		errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &invalid)
}
