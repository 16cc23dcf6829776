package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/safetext"
)

// Retry policy: TagMango's docs advise backing off; the product caps the waits so a
// command never hangs for long on an API that is down.
const (
	maxAttempts = 3
	retryBudget = 10 * time.Second
	backoffBase = 500 * time.Millisecond
)

// headerTransport sets fixed headers on every request. Each concern (key, user agent,
// JSON) is its own instance so that none is set anywhere else.
type headerTransport struct {
	next   http.RoundTripper
	header http.Header
}

func withAPIKey(next http.RoundTripper, key string) http.RoundTripper {
	return &headerTransport{next: next, header: http.Header{"X-Api-Key": {key}}}
}

func withUserAgent(next http.RoundTripper, ua string) http.RoundTripper {
	return &headerTransport{next: next, header: http.Header{"User-Agent": {ua}}}
}

func withJSON(next http.RoundTripper) http.RoundTripper {
	return &headerTransport{next: next, header: http.Header{
		"Accept":       {"application/json"},
		"Content-Type": {"application/json"},
	}}
}

// RoundTrip sends a copy of req with the layer's headers set.
func (t *headerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	// A RoundTripper must not modify its request; Clone copies the header map.
	r := req.Clone(req.Context())
	for k, v := range t.header {
		r.Header[k] = slices.Clone(v)
	}
	return t.next.RoundTrip(r)
}

// attemptTransport makes one attempt within the call's deadline, and reads the whole
// (bounded) answer itself, so that the deadline covers the body too and the attempt's
// context can be released before the response travels up.
type attemptTransport struct {
	next http.RoundTripper
}

var errCallTimeout = errors.New("the call's time limit passed")

// bodyError is an answer whose body could not be read to its end. It is not retried
// even for a 502: the answer had begun, and a timeout may mean the server is still at
// work. Client.do turns it into an *Error with the status.
type bodyError struct {
	status int
	err    error
}

func (e *bodyError) Error() string { return "reading the answer: " + e.err.Error() }
func (e *bodyError) Unwrap() error { return e.err }

// RoundTrip makes one attempt and returns its answer with the body in memory.
func (t *attemptTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	state := stateOf(req.Context())
	if state == nil {
		state = &callState{timeout: DefaultTimeout}
	}
	deadline := state.start()
	ctx, cancel := context.WithDeadlineCause(req.Context(), deadline, errCallTimeout)
	defer cancel()
	timedOut := func() bool {
		return req.Context().Err() == nil && errors.Is(context.Cause(ctx), errCallTimeout)
	}
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		if timedOut() {
			return nil, &TimeoutError{After: state.timeout}
		}
		return nil, err
	}
	// Past the limit the rest is not read: the status says what happened, and a
	// truncated message is enough.
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
	if err != nil {
		if timedOut() {
			err = &TimeoutError{After: state.timeout}
		}
		return nil, &bodyError{status: resp.StatusCode, err: err}
	}
	resp.Body = io.NopCloser(bytes.NewReader(data))
	resp.ContentLength = int64(len(data))
	return resp, nil
}

// rateTransport paces attempts under TagMango's limit.
type rateTransport struct {
	next    http.RoundTripper
	limiter *limiter
}

// RoundTrip waits for a slot in the window, then sends req.
func (t *rateTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.limiter.wait(req.Context()); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	return t.next.RoundTrip(req)
}

// retryTransport makes up to maxAttempts attempts for answers that say "try again"
// (429/502/503/504) and for connections lost before an answer. Not for 500, where the
// server may have acted, nor for a timeout or an answer that broke off, for the same
// reason. Nor when the call's time limit would pass during the wait.
type retryTransport struct {
	next        http.RoundTripper
	maxAttempts int
	budget      time.Duration
	base        time.Duration
	sleep       func(context.Context, time.Duration) error
	now         func() time.Time
	jitter      func() float64
	log         *logger
}

// RoundTrip sends req, again when the outcome is retryable and the budget allows.
func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	state := stateOf(ctx)
	replayable := req.GetBody != nil || req.Body == nil || req.Body == http.NoBody
	var waited time.Duration
	for attempt := 1; ; attempt++ {
		r := req
		if attempt > 1 && req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			r = req.Clone(ctx)
			r.Body = body
		}
		if state != nil {
			state.attempts = attempt
		}
		resp, err := t.next.RoundTrip(r)
		if ctx.Err() != nil {
			if resp != nil {
				resp.Body.Close()
			}
			return nil, ctx.Err()
		}
		reason, retry := retryable(resp, err)
		if !retry || attempt >= t.maxAttempts || !replayable {
			return resp, err
		}
		wait := t.backoff(attempt)
		if resp != nil {
			if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), t.now()); ok {
				wait = d
			}
		}
		if wait > t.budget-waited {
			// Waiting that long would leave the user staring at a silent terminal; the
			// answer in hand says what is wrong.
			return resp, err
		}
		if state != nil {
			if left, started := state.left(); started && wait >= left {
				t.log.printf("not retrying (%s): the call's time limit would pass during the %s wait", reason, humanDuration(wait))
				return resp, err
			}
		}
		if resp != nil {
			resp.Body.Close()
		}
		t.log.printf("retrying in %s (%s, attempt %d of %d)", humanDuration(wait), reason, attempt+1, t.maxAttempts)
		if err := t.sleep(ctx, wait); err != nil {
			return nil, err
		}
		waited += wait
	}
}

// backoff is exponential with jitter, so that many clients do not retry in step.
func (t *retryTransport) backoff(attempt int) time.Duration {
	j := t.jitter()
	if j < 0 || j >= 1 {
		j = 0.5
	}
	d := t.base << (attempt - 1)
	return time.Duration(float64(d) * (0.5 + j))
}

// retryable says whether an attempt's outcome is worth another, and why, for the log.
func retryable(resp *http.Response, err error) (string, bool) {
	if be, ok := errors.AsType[*bodyError](err); ok {
		return statusLine(be.status) + ", " + netReason(be.err), false
	}
	if err != nil {
		return netReason(err), isConnError(err)
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return statusLine(resp.StatusCode), true
	}
	return statusLine(resp.StatusCode), false
}

// parseRetryAfter reads delay-seconds or an HTTP-date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		const maxSeconds = int64(1<<63-1) / int64(time.Second)
		return time.Duration(min(n, maxSeconds)) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(now), 0), true
	}
	return 0, false
}

// logTransport writes the --verbose log of each attempt: the request as sent (key
// masked), the status with the time it took, and the start of the answer's body.
type logTransport struct {
	next http.RoundTripper
	log  *logger
	now  func() time.Time
}

// RoundTrip logs req, sends it, and logs the outcome.
func (t *logTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.log.enabled() {
		return t.next.RoundTrip(req)
	}
	lines := []string{fmt.Sprintf("> %s %s", req.Method, req.URL.Redacted())}
	for _, h := range headerLines(req.Header) {
		lines = append(lines, "> "+h)
	}
	if req.GetBody != nil {
		if body, err := req.GetBody(); err == nil {
			data, _ := io.ReadAll(io.LimitReader(body, maxBody))
			body.Close()
			if len(data) > 0 {
				lines = append(lines, "> "+stripControls(string(data)))
			}
		}
	}
	t.log.lines(lines...)
	start := t.now()
	resp, err := t.next.RoundTrip(req)
	elapsed := humanDuration(t.now().Sub(start).Round(time.Millisecond))
	if err != nil {
		t.log.printf("< %s (%s)", netReason(err), elapsed)
		return nil, err
	}
	t.log.printf("< %s (%s)", statusLine(resp.StatusCode), elapsed)
	// attemptTransport has read the (bounded) body into memory: reading it again
	// costs nothing, and the caller gets it whole.
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	t.log.lines(t.log.bodyLines(data)...)
	return resp, nil
}

// maxLoggedBody bounds the answer -v shows: all of a TagMango envelope, the start of
// a proxy's error page.
const maxLoggedBody = 2 << 10

// bodyLines renders an answer's body for the log, one "< " line per line of it. The
// key and URL passwords are masked before the body is cut, so that the cut cannot
// leave part of one; each line is made terminal-safe, since the server wrote it.
func (l *logger) bodyLines(data []byte) []string {
	if len(data) == 0 {
		return nil
	}
	s := redactURLPasswords(redact(string(data), l.key))
	cut := len(s) > maxLoggedBody
	if cut {
		n := maxLoggedBody
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n]
	}
	var lines []string
	for _, line := range strings.Split(strings.TrimRight(s, "\r\n"), "\n") {
		lines = append(lines, "< "+safetext.Escape(strings.TrimSuffix(line, "\r")))
	}
	if cut {
		lines = append(lines, fmt.Sprintf("< … (%d bytes in all)", len(data)))
	}
	return lines
}

// headerLines renders headers as "name: value", lower-case and sorted, as the API
// docs write them, with the key masked.
func headerLines(h http.Header) []string {
	var lines []string
	for k, vs := range h {
		name := strings.ToLower(k)
		for _, v := range vs {
			lines = append(lines, name+": "+maskHeader(name, v))
		}
	}
	slices.Sort(lines)
	return lines
}

// maskHeader is the value of header name (lower case) as it may be shown: the key
// masked, credentials redacted, control characters stripped.
func maskHeader(name, v string) string {
	switch name {
	case "x-api-key":
		v = MaskKey(v)
	case "authorization", "proxy-authorization", "cookie":
		// Basic credentials are only base64: as good as the password itself.
		v = "[redacted]"
	}
	return stripControls(v)
}

// logger serialises verbose lines from concurrent calls and redacts the key from
// every one of them, whatever produced it.
type logger struct {
	mu  sync.Mutex
	w   io.Writer
	key string
}

func newLogger(w io.Writer, key string) *logger { return &logger{w: w, key: key} }

func (l *logger) enabled() bool { return l != nil && l.w != nil }

func (l *logger) printf(format string, args ...any) {
	if l.enabled() {
		l.lines(fmt.Sprintf(format, args...))
	}
}

func (l *logger) lines(lines ...string) {
	if !l.enabled() {
		return
	}
	var b strings.Builder
	for _, line := range lines {
		b.WriteString(redactURLPasswords(redact(line, l.key)))
		b.WriteByte('\n')
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = io.WriteString(l.w, b.String())
}

// urlUserInfo matches the user-info of a URL written out in text: scheme://user:password@.
var urlUserInfo = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://)([^/?#@\s]*):([^/?#@\s]*)@`)

// redactURLPasswords masks the password of every URL in s, as url.URL.Redacted does,
// whatever wrote the line: a request line, an error that repeats a URL.
func redactURLPasswords(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	return urlUserInfo.ReplaceAllString(s, "${1}${2}:xxxxx@")
}
