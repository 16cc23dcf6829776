// Package hookurl validates the URLs TagMango delivers to and says which ones it
// cannot reach.
package hookurl

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/safetext"
)

// maxLength bounds a hook URL; longer ones are certainly a mistake.
const maxLength = 2048

// Parse checks that raw is an absolute http or https URL with a host.
func Parse(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("the hook URL is empty")
	}
	if len(raw) > maxLength {
		return nil, fmt.Errorf("the hook URL is longer than %d characters", maxLength)
	}
	// A URL is stored, listed and printed: what is unsafe on a terminal (a bidi
	// override that makes it read as another URL, say) is refused here, once.
	if strings.ContainsRune(raw, ' ') || !safetext.IsSafe(raw) {
		return nil, fmt.Errorf("invalid URL %q: it contains spaces, control or bidirectional characters, or invalid UTF-8; percent-encode them", raw)
	}
	if host, ok := withoutScheme(raw); ok {
		// "hooks.example.com/tm" or "localhost:3000/x": what was meant is clear, but
		// a subscription is stored and sent as typed, so the user writes it whole.
		scheme := "https"
		if IsPrivate(host) {
			scheme = "http"
		}
		return nil, fmt.Errorf("invalid URL %q: it has no scheme; did you mean %s://%s?", raw, scheme, raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("invalid URL %q: %w", raw, unwrapURLError(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("invalid URL %q: use an absolute http:// or https:// URL", raw)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("invalid URL %q: it has no host", raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("invalid URL %q: credentials in the URL would be stored and shown; remove them", raw)
	}
	return u, nil
}

// ParseTarget checks a URL this machine sends to (trigger and replay --to, listen
// --forward-to, emulator fire --emulator) and returns it as it will be used. A
// loopback address may leave out the scheme, as the Stripe CLI allows:
// localhost:3000/hooks, 127.0.0.1:3000/hooks and [::1]:3000 mean http://…. Any other
// host must say whether it is http or https.
func ParseTarget(raw string) (string, error) {
	raw, err := WithLoopbackScheme(raw)
	if err != nil {
		return "", err
	}
	if _, err := Parse(raw); err != nil {
		return "", err
	}
	return raw, nil
}

// WithLoopbackScheme puts http:// in front of a loopback address given without a
// scheme (the rule of ParseTarget, for callers that check the rest themselves); a
// URL with a scheme, or something that is no host at all, is returned as it is.
func WithLoopbackScheme(raw string) (string, error) {
	host, ok := withoutScheme(raw)
	switch {
	case !ok:
		return raw, nil
	case !IsLoopback(host):
		return "", fmt.Errorf("invalid URL %q: it has no scheme; did you mean https://%s? (only a loopback address such as localhost:3000 may leave it out)", raw, raw)
	}
	return "http://" + raw, nil
}

// withoutScheme reports whether raw is a host (and port and path) with no scheme in
// front, as in "localhost:3000/hooks" or "hooks.example.com/tm", and returns the host.
func withoutScheme(raw string) (string, bool) {
	if raw == "" || strings.Contains(raw, "://") || strings.HasPrefix(raw, "/") {
		return "", false
	}
	u, err := url.Parse("http://" + raw)
	// No host has "=" or "*": "webinar.*=localhost:3000" is listen's EVENT=URL.
	if err != nil || u.Hostname() == "" || u.User != nil || strings.ContainsAny(u.Hostname(), "=*") {
		return "", false
	}
	// Another scheme ("ftp:x", "mailto:a@b") does not read as HOST:PORT: the parse
	// fails on its "port", or finds user-info.
	return u.Hostname(), true
}

// IsLoopback reports whether host is this machine: "localhost" (and *.localhost),
// 127.0.0.0/8 or ::1.
func IsLoopback(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return ip != nil && ip.IsLoopback()
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// IsPrivate reports whether TagMango cannot reach host from the internet: loopback,
// RFC 1918, link-local, unique-local IPv6, "localhost" and "*.local".
func IsPrivate(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") || strings.HasSuffix(h, ".local") {
		return true
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	if ip == nil {
		return false
	}
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsUnspecified()
}

// Warnings lists what is risky about a valid hook URL: plain http, and hosts TagMango
// cannot reach. apiBase is the API the URL is registered with: when it is itself on a
// private address (the emulator, a local stand-in), what delivers is on this machine
// or network, so a private hook URL is reachable and its plain http never crosses the
// internet.
func Warnings(u *url.URL, apiBase string) []string {
	if IsPrivate(u.Hostname()) && isLocalAPI(apiBase) {
		return nil
	}
	var w []string
	if IsPrivate(u.Hostname()) {
		w = append(w, fmt.Sprintf("%s is a private address that TagMango cannot reach; expose it with a tunnel (ngrok, cloudflared) and register the public URL", u.Hostname()))
	}
	if u.Scheme == "http" {
		w = append(w, "the URL uses plain http: deliveries would travel unencrypted; use https")
	}
	return w
}

// isLocalAPI reports whether the API base URL is on a private address.
func isLocalAPI(apiBase string) bool {
	b, err := url.Parse(apiBase)
	return err == nil && b.Hostname() != "" && IsPrivate(b.Hostname())
}
