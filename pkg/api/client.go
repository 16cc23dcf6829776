// Package api is the TagMango webhook API client: register and delete subscriptions.
//
// The HTTP concerns are RoundTripper layers around a base transport, outermost first:
// retry (429/502/503/504 and lost connections, within a 10 s budget of waits and the
// call's time limit), rate (TagMango's 120 requests per 10 s, as a sliding window with a
// margin), auth (x-api-key), user agent, JSON headers, the verbose log, and the attempt
// layer (the call's deadline and a bounded, complete body). The Client itself only
// builds requests and reads TagMango's envelope.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/clock"
)

// DefaultBaseURL is TagMango's production API.
const DefaultBaseURL = "https://api-prod-new.tagmango.com"

// DefaultTimeout bounds one call when Options.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// DefaultUserAgent is sent when Options.UserAgent is empty, rather than Go's own.
const DefaultUserAgent = "tagmango-hooks"

// RegisterPath is the webhook endpoint: POST registers, DELETE deletes.
const RegisterPath = "/api/v1/integration/webhook/webhook"

// maxBody bounds what is read of an answer: TagMango's answers are small, and a proxy
// or a wrong --base-url must not make us buffer an arbitrary download.
const maxBody = 1 << 20

// Options configure a Client. Zero values mean the documented defaults.
type Options struct {
	// BaseURL is the API root, e.g. "https://api-prod-new.tagmango.com"; a trailing
	// slash is tolerated. Empty means DefaultBaseURL.
	BaseURL string
	// APIKey is sent as x-api-key and never written anywhere in full.
	APIKey string
	// UserAgent is e.g. "tagmango-hooks/1.2.3"; empty means DefaultUserAgent.
	UserAgent string
	// Timeout bounds each call as a whole: every attempt, its answer and body, and the
	// waits between attempts; zero means DefaultTimeout. The clock starts when the first
	// attempt is let through by the rate limit, so pacing a bulk run does not eat it.
	Timeout time.Duration
	// Verbose, when non-nil, receives one line per request and per response, key redacted.
	Verbose io.Writer
	// Transport is the base transport; nil means a clone of http.DefaultTransport.
	Transport http.RoundTripper
	// Sleep waits between retries and for the rate limit; nil means a real sleep that
	// honours ctx. Tests inject a recorder.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock of the rate limiter, the log and Retry-After dates; nil means time.Now.
	Now func() time.Time
	// Jitter returns a number in [0,1) that spreads retry backoffs; nil means rand.Float64.
	Jitter func() float64
}

// Client calls TagMango's webhook API. It is safe for concurrent use; its rate limit
// is shared by every goroutine that uses it, so build one Client per command.
type Client struct {
	baseURL string
	key     string
	timeout time.Duration
	now     func() time.Time
	http    *http.Client
	// headers is the part of the chain that sets headers, ending in the given
	// transport; DryRun ends it in a recorder so it shows exactly what would be sent.
	headers func(next http.RoundTripper) http.RoundTripper
}

// New builds a Client. It does not touch the network.
func New(opts Options) *Client {
	base := strings.TrimRight(opts.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	ua := opts.UserAgent
	if ua == "" {
		ua = DefaultUserAgent
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	transport := opts.Transport
	if transport == nil {
		if t, ok := http.DefaultTransport.(*http.Transport); ok {
			transport = t.Clone()
		} else {
			transport = http.DefaultTransport
		}
	}
	sleep := opts.Sleep
	if sleep == nil {
		sleep = clock.Sleep
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	jitter := opts.Jitter
	if jitter == nil {
		jitter = rand.Float64
	}
	log := newLogger(opts.Verbose, opts.APIKey)

	headers := func(next http.RoundTripper) http.RoundTripper {
		next = withJSON(next)
		next = withUserAgent(next, ua)
		return withAPIKey(next, opts.APIKey)
	}
	var rt http.RoundTripper = &attemptTransport{next: transport}
	rt = &logTransport{next: rt, log: log, now: now}
	rt = headers(rt)
	rt = &rateTransport{next: rt, limiter: newLimiter(rateLimit, rateWindow+rateMargin, now, sleep, log)}
	rt = &retryTransport{
		next:        rt,
		maxAttempts: maxAttempts,
		budget:      retryBudget,
		base:        backoffBase,
		sleep:       sleep,
		now:         now,
		jitter:      jitter,
		log:         log,
	}
	return &Client{
		baseURL: base,
		key:     opts.APIKey,
		timeout: timeout,
		now:     now,
		headers: headers,
		http: &http.Client{
			Transport: rt,
			// A redirect would carry x-api-key to wherever Location points.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// RegisterRequest is the body of a registration. Empty filters are not sent, since
// TagMango reads an absent filter as "every entity of that kind".
type RegisterRequest struct {
	HookURL string `json:"hookUrl"`
	Event   string `json:"event"`
	Mango   string `json:"mango,omitempty"`
	Course  string `json:"course,omitempty"`
	Webinar string `json:"webinar,omitempty"`
	Page    string `json:"page,omitempty"`
}

type deleteRequest struct {
	HookURL string `json:"hookUrl"`
}

// Result is a successful answer.
type Result struct {
	// Status is the HTTP status.
	Status int
	// Message is the envelope's "message" when present.
	Message string
	// RemoteID is result._id or result.id when the answer has one (a number is
	// rendered in decimal).
	RemoteID string
}

// Register subscribes req.HookURL to req.Event.
func (c *Client) Register(ctx context.Context, req RegisterRequest) (*Result, error) {
	body, err := encodeJSON(req)
	if err != nil {
		return nil, err
	}
	return c.do(ctx, http.MethodPost, body)
}

// Delete removes every subscription on hookURL: TagMango deletes by URL alone.
func (c *Client) Delete(ctx context.Context, hookURL string) (*Result, error) {
	body, err := encodeJSON(deleteRequest{HookURL: hookURL})
	if err != nil {
		return nil, err
	}
	return c.do(ctx, http.MethodDelete, body)
}

// DryRunRegister writes the exact request Register would send — method, URL, every
// header set by the client's layers (x-api-key masked with MaskKey), a blank line and
// the body — and sends nothing.
func (c *Client) DryRunRegister(w io.Writer, req RegisterRequest) error {
	body, err := encodeJSON(req)
	if err != nil {
		return err
	}
	return c.dryRun(w, http.MethodPost, body)
}

// DryRunDelete writes the exact request Delete would send, like DryRunRegister.
func (c *Client) DryRunDelete(w io.Writer, hookURL string) error {
	body, err := encodeJSON(deleteRequest{HookURL: hookURL})
	if err != nil {
		return err
	}
	return c.dryRun(w, http.MethodDelete, body)
}

func (c *Client) newRequest(ctx context.Context, method string, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.baseURL+RegisterPath, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("invalid TagMango base URL %q: %w", c.baseURL, err)
	}
	return req, nil
}

// DryRequest is a request as a dry run shows it (`register --dry-run -o json`): what
// would be sent, x-api-key masked with MaskKey, the body as the JSON it is.
type DryRequest struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

// PlanRegister returns the exact request Register would send, as DryRunRegister
// writes it, and sends nothing.
func (c *Client) PlanRegister(req RegisterRequest) (DryRequest, error) {
	body, err := encodeJSON(req)
	if err != nil {
		return DryRequest{}, err
	}
	return c.plan(http.MethodPost, body)
}

// PlanDelete returns the exact request Delete would send, like PlanRegister.
func (c *Client) PlanDelete(hookURL string) (DryRequest, error) {
	body, err := encodeJSON(deleteRequest{HookURL: hookURL})
	if err != nil {
		return DryRequest{}, err
	}
	return c.plan(http.MethodDelete, body)
}

func (c *Client) plan(method string, body []byte) (DryRequest, error) {
	rec, err := c.record(method, body)
	if err != nil {
		return DryRequest{}, err
	}
	d := DryRequest{Method: rec.Method, URL: redact(rec.URL.String(), c.key), Headers: map[string]string{}, Body: body}
	for name, vs := range rec.Header {
		name = strings.ToLower(name)
		masked := make([]string, len(vs))
		for i, v := range vs {
			masked[i] = redact(maskHeader(name, v), c.key)
		}
		d.Headers[name] = strings.Join(masked, ", ")
	}
	if b := []byte(redact(string(body), c.key)); json.Valid(b) {
		d.Body = b
	} else if d.Body, err = json.Marshal(string(b)); err != nil {
		return DryRequest{}, err
	}
	return d, nil
}

// record runs a request through the client's header layers into a recorder and
// returns it as it would have been sent.
func (c *Client) record(method string, body []byte) (*http.Request, error) {
	req, err := c.newRequest(context.Background(), method, body)
	if err != nil {
		return nil, err
	}
	rec := &recorder{}
	resp, err := c.headers(rec).RoundTrip(req)
	if resp != nil {
		resp.Body.Close() // never happens: the recorder answers with errRecorded
	}
	if !errors.Is(err, errRecorded) {
		return nil, err
	}
	return rec.req, nil
}

func (c *Client) dryRun(w io.Writer, method string, body []byte) error {
	req, err := c.record(method, body)
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", req.Method, req.URL)
	for _, line := range headerLines(req.Header) {
		b.WriteString(line)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(stripControls(string(body)))
	b.WriteByte('\n')
	_, err = io.WriteString(w, redact(b.String(), c.key))
	return err
}

// recorder ends the header layers in DryRun: it keeps the request and sends nothing.
type recorder struct{ req *http.Request }

var errRecorded = errors.New("request recorded, not sent")

// RoundTrip keeps req and fails, so that nothing goes further.
func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.req = req
	return nil, errRecorded
}

// callState is what the layers of one call share: how many attempts it took, whether a
// request went out, and the call's deadline.
type callState struct {
	mu       sync.Mutex
	attempts int
	sent     bool
	timeout  time.Duration
	// deadline is set when the first attempt passes the rate limit. It is on the real
	// clock, as the contexts that enforce it are.
	deadline time.Time
}

type callStateKey struct{}

func stateOf(ctx context.Context) *callState {
	s, _ := ctx.Value(callStateKey{}).(*callState)
	return s
}

// start marks an attempt as sent and starts the call's clock on the first one; it
// returns the deadline.
func (s *callState) start() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = true
	if s.deadline.IsZero() {
		s.deadline = time.Now().Add(s.timeout)
	}
	return s.deadline
}

// left is the time left before the deadline, and false before the clock started.
func (s *callState) left() (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deadline.IsZero() {
		return 0, false
	}
	return time.Until(s.deadline), true
}

func (s *callState) wasSent() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent
}

func (c *Client) do(ctx context.Context, method string, body []byte) (*Result, error) {
	state := &callState{timeout: c.timeout}
	req, err := c.newRequest(context.WithValue(ctx, callStateKey{}, state), method, body)
	if err != nil {
		return nil, err
	}
	reqURL := redact(req.URL.String(), c.key)
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, stopped(ctx, state.wasSent())
		}
		e := &Error{Method: method, URL: reqURL, Attempts: state.attempts, Err: err}
		// http.Client wraps everything in *url.Error, whose text repeats the URL.
		if ue, ok := errors.AsType[*url.Error](err); ok && ue.Err != nil {
			e.Err = ue.Err
		}
		if be, ok := errors.AsType[*bodyError](e.Err); ok {
			e.Status, e.Err = be.status, be.err
		}
		return nil, e
	}
	defer resp.Body.Close()
	// The attempt layer has read the whole body already (bounded); bounding again
	// keeps this read safe on its own.
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	return c.interpret(method, reqURL, resp, data, state.attempts)
}

// StoppedError is the error of a call the caller cancelled (Ctrl-C): not an *Error, so
// that it maps to the caller's notion of interruption rather than to an API failure.
type StoppedError struct {
	// Sent is true when a request had gone out: TagMango may have acted on it.
	Sent bool
	err  error
}

func (e *StoppedError) Error() string { return "TagMango request stopped: " + e.err.Error() }

// Unwrap returns the context's error (and its cause).
func (e *StoppedError) Unwrap() error { return e.err }

func stopped(ctx context.Context, sent bool) error {
	err := ctx.Err()
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, err) {
		err = fmt.Errorf("%w (%w)", err, cause)
	}
	return &StoppedError{Sent: sent, err: err}
}

// MayHaveActed reports whether err is a call stopped by the caller after its request
// went out, so that TagMango may have acted on it.
func MayHaveActed(err error) bool {
	e, ok := errors.AsType[*StoppedError](err)
	return ok && e.Sent
}

// envelope is TagMango's answer. Fields are raw because their types are not
// documented for this endpoint and a surprise must not turn success into failure.
type envelope struct {
	Message       json.RawMessage `json:"message"`
	Success       json.RawMessage `json:"success"`
	Result        json.RawMessage `json:"result"`
	Code          json.RawMessage `json:"code"`
	StatusMessage json.RawMessage `json:"statusMessage"`
	ErrorCode     json.RawMessage `json:"errorCode"`
}

func parseEnvelope(data []byte) *envelope {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil
	}
	var env envelope
	if json.Unmarshal(trimmed, &env) != nil {
		return nil
	}
	return &env
}

func (env *envelope) failed() bool {
	var b bool
	if json.Unmarshal(env.Success, &b) == nil {
		return !b
	}
	var s string
	return json.Unmarshal(env.Success, &s) == nil && strings.EqualFold(s, "false")
}

func (env *envelope) remoteID() string {
	var result struct {
		UnderscoreID json.RawMessage `json:"_id"`
		ID           json.RawMessage `json:"id"`
	}
	if json.Unmarshal(env.Result, &result) != nil {
		return ""
	}
	for _, raw := range []json.RawMessage{result.UnderscoreID, result.ID} {
		if id := scalarText(raw); id != "" {
			return id
		}
	}
	return ""
}

// scalarText renders a JSON string or number; anything else is "".
func scalarText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// text renders a field that should be a string but may be anything.
func text(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	if s := scalarText(raw); s != "" {
		return s
	}
	return string(raw)
}

func (c *Client) interpret(method, reqURL string, resp *http.Response, data []byte, attempts int) (*Result, error) {
	status := resp.StatusCode
	env := parseEnvelope(data)
	if status >= 200 && status < 300 && env != nil && !env.failed() {
		return &Result{
			Status:   status,
			Message:  c.clean(text(env.Message), maxMessage),
			RemoteID: c.clean(env.remoteID(), maxMessage),
		}, nil
	}
	e := &Error{Method: method, URL: reqURL, Status: status, Attempts: attempts}
	if status >= 200 && status < 300 && env == nil {
		// A wrong --base-url (a web server's welcome page, a proxy) answers 2xx too:
		// only TagMango's JSON says that something was registered or deleted.
		e.Base = c.clean(c.baseURL, maxMessage)
		e.Message = c.clean(snippet(data), maxHint)
		return nil, e
	}
	if status >= 300 && status < 400 {
		loc := c.clean(resp.Header.Get("Location"), maxMessage)
		if loc == "" {
			loc = "another address"
		}
		e.Message = "the API redirected to " + loc + "; tagmango-hooks does not follow API redirects — check --base-url"
		return nil, e
	}
	if env != nil {
		e.enveloped = true
		e.Message = c.clean(text(env.Message), maxMessage)
		e.StatusMessage = c.clean(text(env.StatusMessage), maxMessage)
		e.ErrorCode = c.clean(text(env.ErrorCode), maxMessage)
		if code, err := json.Number(scalarText(env.Code)).Int64(); err == nil {
			e.Code = int(code)
		}
	}
	if e.Message == "" {
		e.Message = c.clean(snippet(data), maxSnippet)
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), c.now()); ok && d > 0 {
		e.RetryAfter = d
	}
	return nil, e
}

// clean makes text from the server safe to print: no control or escape sequences,
// one line, bounded, and never the API key even if the server echoes it. It redacts
// twice on purpose. Before sanitizing: an escape sequence that runs into the key
// ("\x1b[" and then the key's first characters) is stripped with those characters,
// and what is left of the key would no longer match. After: stripping can also join
// a key the server split with controls ("abcd\x1b[0mefgh") back into one piece.
func (c *Client) clean(s string, limit int) string {
	return truncate(redact(sanitize(redact(s, c.key)), c.key), limit)
}

func encodeJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	// Hook URLs carry & in queries; \u0026 would be valid but not what the user typed.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}
