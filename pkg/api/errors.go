package api

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/neterr"
)

// Error is a failed call: TagMango answered with a failure, or did not answer.
type Error struct {
	// Method and URL are the request's.
	Method, URL string
	// Status is the HTTP status; 0 when no answer came (network error, timeout).
	Status int
	// Message is TagMango's envelope "message", else a short sanitised snippet of the
	// body, else http.StatusText. For a redirect it explains that none is followed.
	Message string
	// StatusMessage is the envelope's "statusMessage".
	StatusMessage string
	// ErrorCode is the envelope's "errorCode".
	ErrorCode string
	// Code is the envelope's numeric "code" when present. TagMango mirrors the status
	// there, so a 2xx answer with success:false still says what went wrong.
	Code int
	// RetryAfter is the last answer's Retry-After, when it had one: either it was
	// beyond what was left of the 10 s retry budget, or the attempts ran out.
	RetryAfter time.Duration
	// Attempts is how many requests were made.
	Attempts int
	// Err is the underlying network error when Status is 0, or, with a Status, what
	// broke off reading the answer (a *TimeoutError when the call's time ran out).
	Err error
	// Base is set when a 2xx answer was not TagMango's JSON: the base URL that gave it,
	// most likely not TagMango's API at all.
	Base string
	// enveloped is true when the answer was TagMango's JSON envelope.
	enveloped bool
}

// Error is one line, with what happened and, for a network failure, where.
func (e *Error) Error() string {
	var b strings.Builder
	var te *TimeoutError
	switch {
	case e.Base != "":
		fmt.Fprintf(&b, "unexpected answer from %s (not TagMango's JSON): is --base-url right? It answered %s", e.Base, statusLine(e.Status))
		if e.Message != "" {
			b.WriteString(": ")
			b.WriteString(e.Message)
		}
	case e.Status == 0 && errors.As(e.Err, &te):
		fmt.Fprintf(&b, "TagMango did not answer within %s", humanDuration(te.After))
	case e.Status != 0 && errors.As(e.Err, &te):
		fmt.Fprintf(&b, "TagMango answered %s but the answer did not finish within %s", statusLine(e.Status), humanDuration(te.After))
	case e.Status != 0 && e.Err != nil:
		fmt.Fprintf(&b, "TagMango answered %s but the answer broke off: %s", statusLine(e.Status), netReason(e.Err))
	case e.Status == 0:
		fmt.Fprintf(&b, "could not reach TagMango at %s", origin(e.URL))
		if e.Err != nil {
			b.WriteString(": ")
			b.WriteString(netReason(e.Err))
		}
	default:
		fmt.Fprintf(&b, "TagMango answered %s", statusLine(e.Status))
		if e.Status >= 200 && e.Status < 300 {
			b.WriteString(" but reported a failure")
		}
		if e.Message != "" && e.Message != http.StatusText(e.Status) {
			b.WriteString(": ")
			b.WriteString(e.Message)
		}
		if e.ErrorCode != "" {
			fmt.Fprintf(&b, " (%s)", e.ErrorCode)
		}
	}
	var notes []string
	if e.Status != 0 && e.RetryAfter > 0 {
		notes = append(notes, "asked to wait "+humanDuration(e.RetryAfter))
	}
	if e.Attempts > 1 {
		notes = append(notes, fmt.Sprintf("after %d attempts", e.Attempts))
	}
	if len(notes) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(notes, "; "))
	}
	return b.String()
}

// Unwrap returns the network error, if any.
func (e *Error) Unwrap() error { return e.Err }

// ExitCode is 4 when TagMango rejected the key (401/403), else 1: the product's exit
// codes, read by cmdutil.ExitCodeFor.
func (e *Error) ExitCode() int {
	if e.auth() {
		return 4
	}
	return 1
}

// effectiveStatus is Status, or the envelope's code for a 2xx that reported failure.
func (e *Error) effectiveStatus() int {
	if e.Status >= 200 && e.Status < 300 && e.Code >= 400 && e.Code < 600 {
		return e.Code
	}
	return e.Status
}

func (e *Error) auth() bool {
	s := e.effectiveStatus()
	return s == http.StatusUnauthorized || s == http.StatusForbidden
}

// IsNotFound reports whether err is an *Error for a 404 (also a 2xx whose envelope says
// success:false with code 404). Delete treats it as "already gone".
//
// Only TagMango's own JSON envelope counts: a 404 page from something else (a wrong
// --base-url, a proxy) or a route-not-found answer must not pass for "already deleted".
func IsNotFound(err error) bool {
	e, ok := errors.AsType[*Error](err)
	return ok && e.effectiveStatus() == http.StatusNotFound && e.enveloped && e.ErrorCode != "ROUTE_NOT_FOUND"
}

// IsAuth reports whether err is an *Error for a rejected key (401/403).
func IsAuth(err error) bool {
	e, ok := errors.AsType[*Error](err)
	return ok && e.auth()
}

// IsUnreachable reports whether err is an *Error for an API that could not be reached
// at all: connection refused, no such host, a TLS failure. Bulk commands stop there
// rather than try every item against an API that is not there.
func IsUnreachable(err error) bool {
	e, ok := errors.AsType[*Error](err)
	if !ok || e.Status != 0 || e.Err == nil {
		return false
	}
	var dnsErr *net.DNSError
	return errors.Is(e.Err, syscall.ECONNREFUSED) ||
		errors.Is(e.Err, syscall.EHOSTUNREACH) ||
		errors.Is(e.Err, syscall.ENETUNREACH) ||
		errors.As(e.Err, &dnsErr) ||
		neterr.IsTLS(e.Err)
}

// TimeoutError is the Err of an *Error when a call got no complete answer in time.
// It is not retried: the server may still be acting on the request.
type TimeoutError struct {
	// After is the call's time limit.
	After time.Duration
}

// Error says how long was waited.
func (e *TimeoutError) Error() string { return "no answer within " + humanDuration(e.After) }

// Timeout marks it as a timeout for code that checks net.Error-style errors.
func (e *TimeoutError) Timeout() bool { return true }

// MaskKey is how an API key is shown, everywhere: "…abcd", its last 4 characters,
// when it has at least 16; otherwise "set (N characters)", since 4 would be too large
// a share. Nothing else of the key is shown, and nothing is made up (no prefix).
func MaskKey(key string) string {
	if key == "" {
		return ""
	}
	r := []rune(key)
	if len(r) < 16 {
		return fmt.Sprintf("set (%d characters)", len(r))
	}
	return "…" + string(r[len(r)-4:])
}

// redact replaces the key wherever it appears. Short keys are left alone: replacing
// a two-letter "key" would garble text without protecting anything.
func redact(s, key string) string {
	if len(key) < 8 {
		return s
	}
	return strings.ReplaceAll(s, key, MaskKey(key))
}

// isConnError reports a connection that failed before an answer came: worth another
// attempt. Timeouts are not: the server may be slow, not gone, and still acting.
func isConnError(err error) bool {
	if _, ok := errors.AsType[*TimeoutError](err); ok {
		return false
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return false
	}
	return errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNABORTED) ||
		errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, io.EOF)
}

// netReason says in a few words why no answer came, without Go's "Post \"URL\":" prefix.
func netReason(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "the connection closed before an answer came"
	}
	if te, ok := errors.AsType[*TimeoutError](err); ok {
		return te.Error()
	}
	if dns, ok := errors.AsType[*net.DNSError](err); ok {
		if dns.IsNotFound {
			return "no such host " + dns.Name
		}
		return dns.Error()
	}
	if ue, ok := errors.AsType[*url.Error](err); ok && ue.Err != nil {
		err = ue.Err
	}
	if oe, ok := errors.AsType[*net.OpError](err); ok && oe.Err != nil {
		return oe.Err.Error()
	}
	return err.Error()
}

// origin is scheme://host of a URL: enough to say where, without the path.
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	return u.Scheme + "://" + u.Host
}

// statusLine is "503 Service Unavailable": our words, not the server's reason phrase.
func statusLine(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return fmt.Sprint(code)
}

// humanDuration writes whole seconds as "60s" rather than "1m0s".
func humanDuration(d time.Duration) string {
	if d >= time.Second && d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return d.Round(time.Millisecond).String()
}
