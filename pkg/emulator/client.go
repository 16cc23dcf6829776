package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
)

// maxReport bounds the fire report a client reads; the emulator lists at most
// MaxListedFailures failures and names at most MaxCauses causes, far below it.
const maxReport = 16 << 20

// Client asks a running emulator to fire events.
type Client struct {
	base *url.URL
	http *http.Client
}

// NewClient returns a client of the emulator at baseURL (e.g. DefaultURL). transport
// nil means the default. There is no overall time limit: a fire takes as long as its
// deliveries; cancel the context to stop waiting.
func NewClient(baseURL string, transport http.RoundTripper) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("invalid emulator URL %q: use http://HOST:PORT", baseURL)
	}
	if transport == nil {
		transport = http.DefaultTransport
	}
	return &Client{base: u, http: &http.Client{Transport: transport}}, nil
}

// NotRunningError means nothing listens at the emulator's address.
type NotRunningError struct {
	Addr string
	Err  error
}

func (e *NotRunningError) Error() string {
	return fmt.Sprintf("no emulator is listening on %s: start one with `tagmango-hooks emulator serve`", e.Addr)
}

func (e *NotRunningError) Unwrap() error { return e.Err }

// AnswerError is an answer other than a report: a 400 envelope for a request the
// emulator refused, or something that is not an emulator at all.
type AnswerError struct {
	Status    int
	ErrorCode string
	Message   string
}

func (e *AnswerError) Error() string {
	if e.ErrorCode != "" {
		return fmt.Sprintf("the emulator answered %d: %s (%s)", e.Status, e.Message, e.ErrorCode)
	}
	return fmt.Sprintf("the emulator answered %d: %s", e.Status, e.Message)
}

// Fire posts req to /_emulator/fire and returns the report, both as sent (raw) and
// decoded.
func (c *Client) Fire(ctx context.Context, req FireRequest) (json.RawMessage, *Report, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, nil, err
	}
	target := c.base.JoinPath(FirePath).String()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(hreq)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil, nil, &NotRunningError{Addr: c.base.Host, Err: err}
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		var opErr *net.OpError
		if errors.As(err, &opErr) && opErr.Op == "dial" {
			return nil, nil, &NotRunningError{Addr: c.base.Host, Err: err}
		}
		return nil, nil, fmt.Errorf("asking the emulator at %s to fire: %w", c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxReport))
	if err != nil {
		return nil, nil, fmt.Errorf("reading the emulator's report: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var env ErrorEnvelope
		if json.Unmarshal(data, &env) == nil && env.Message != "" {
			return nil, nil, &AnswerError{Status: resp.StatusCode, ErrorCode: env.ErrorCode, Message: env.Message}
		}
		return nil, nil, &AnswerError{Status: resp.StatusCode,
			Message: fmt.Sprintf("%s does not look like a tagmango-hooks emulator", c.base)}
	}
	var rep Report
	if err := json.Unmarshal(data, &rep); err != nil || rep.Statuses == nil {
		return nil, nil, &AnswerError{Status: resp.StatusCode,
			Message: fmt.Sprintf("%s does not look like a tagmango-hooks emulator: its answer is not a fire report", c.base)}
	}
	return json.RawMessage(data), &rep, nil
}
