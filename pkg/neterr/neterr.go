// Package neterr says in plain words why a connection to someone's server failed. The
// receiver's forwarder (listen --forward-to) and the delivery engine (trigger, replay)
// both send to the user's server, and explain a failure the same way.
package neterr

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/url"
)

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
