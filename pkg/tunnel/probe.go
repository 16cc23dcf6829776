package tunnel

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Probe proves that a public URL reaches this listen: it POSTs to the URL until the
// listener reports (Seen) that the request arrived. A 2xx alone proves nothing — a
// tunnel to the wrong port may reach another server that answers.
type Probe struct {
	// Token is the random last segment of the probe's path.
	Token   string
	arrived chan struct{}
	once    sync.Once
}

// NewProbe makes a probe with a fresh token.
func NewProbe() *Probe {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return &Probe{Token: hex.EncodeToString(b), arrived: make(chan struct{})}
}

// Seen is the listener's probe hook: it is called with the token of every probe that
// arrived.
func (p *Probe) Seen(token string) {
	if token == p.Token {
		p.once.Do(func() { close(p.arrived) })
	}
}

// probe back-off: quick tunnels take seconds before their hostname resolves.
const (
	probeFirstWait = 250 * time.Millisecond
	probeMaxWait   = 2 * time.Second
	probeCallLimit = 10 * time.Second
)

// ProbeError is a probe that did not arrive in time.
type ProbeError struct {
	// URL is where the probe was sent.
	URL string
	// Timeout is how long it was tried.
	Timeout time.Duration
	// Last is what the last attempt got.
	Last string
}

func (e *ProbeError) Error() string { return "the tunnel does not reach this listen: " + e.Reason() }

// Reason says what happened, without saying that the tunnel does not reach listen.
func (e *ProbeError) Reason() string {
	return fmt.Sprintf("no probe sent to %s arrived within %s (last attempt: %s)", e.URL, e.Timeout, e.Last)
}

// Run POSTs to url (the public URL and the probe path with Token) with back-off
// until the probe arrives, or fails after timeout with a *ProbeError.
func (p *Probe) Run(ctx context.Context, url string, timeout time.Duration, transport http.RoundTripper) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{
		Transport: transport,
		// A redirect is an answer from something else than listen.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	wait := probeFirstWait
	last := "no answer yet"
	for {
		got := p.send(ctx, client, url)
		if got != "" {
			last = got
		}
		select {
		case <-p.arrived:
			return nil
		default:
		}
		timer := time.NewTimer(wait)
		select {
		case <-p.arrived:
			timer.Stop()
			return nil
		case <-ctx.Done():
			timer.Stop()
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return &ProbeError{URL: url, Timeout: timeout, Last: last}
			}
			return ctx.Err()
		case <-timer.C:
		}
		wait = min(2*wait, probeMaxWait)
	}
}

// send POSTs once and says what came back ("" when ctx ended).
func (p *Probe) send(ctx context.Context, client *http.Client, url string) string {
	cctx, cancel := context.WithTimeout(ctx, probeCallLimit)
	defer cancel()
	req, err := http.NewRequestWithContext(cctx, http.MethodPost, url, strings.NewReader(`{"probe":"tagmango-hooks"}`))
	if err != nil {
		return err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ""
		}
		return err.Error()
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
	resp.Body.Close()
	return "answered " + resp.Status
}
