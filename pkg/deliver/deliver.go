// Package deliver is the delivery engine shared by `trigger` and `replay`: it POSTs
// bodies to an endpoint the way TagMango does — concurrently, each with its own time
// limit — and sums up the answers. It knows nothing of cobra or of how results are
// shown: the caller gets each Result through a callback and the Summary at the end.
package deliver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/neterr"
)

// TagMangoTimeout is how long TagMango waits for an answer before it treats a delivery
// as failed.
const TagMangoTimeout = 30 * time.Second

// DefaultAnswerBytes is how much of each answer a Result keeps.
const DefaultAnswerBytes = 256

// maxDrain bounds how much of an answer is read (and thrown away) so that the
// connection can be reused.
const maxDrain = 1 << 20

// Delivery is one request to send.
type Delivery struct {
	// ID names the delivery in results: its number from 1 for trigger, the saved seq
	// for replay.
	ID int
	// Body is sent as is.
	Body []byte
	// ContentType is the content-type header; "" means application/json.
	ContentType string
}

// Config says where and how to deliver.
type Config struct {
	// URL receives every delivery, exactly as given (no path is appended).
	URL string
	// Header is added to every request after content-type and user-agent, so it can
	// override them; a "Host" entry sets the request's host.
	Header http.Header
	// UserAgent is sent as user-agent unless Header sets one.
	UserAgent string
	// Concurrency is how many deliveries may be in flight at once; 1 sends them one
	// after the other, in order.
	Concurrency int
	// Timeout limits each delivery, from connecting to reading the answer.
	Timeout time.Duration
	// SlowAfter is the latency over which an answer counts as too slow; 0 means
	// TagMangoTimeout.
	SlowAfter time.Duration
	// Transport sends the requests; nil means a transport sized for Concurrency.
	Transport http.RoundTripper
	// AnswerBytes is how much of each answer a Result keeps; 0 means
	// DefaultAnswerBytes.
	AnswerBytes int
	// OnResult, when set, is called with each result as it comes, from one goroutine.
	OnResult func(Result)
}

// Source hands out the deliveries in order; it returns false when there are no more,
// or an error that stops the run. It is called from one goroutine, ahead of the
// senders, so a payload generator behind it needs no locking.
type Source func() (Delivery, bool, error)

// Slice is a Source over ds.
func Slice(ds []Delivery) Source {
	i := 0
	return func() (Delivery, bool, error) {
		if i >= len(ds) {
			return Delivery{}, false, nil
		}
		i++
		return ds[i-1], true, nil
	}
}

// Result is the outcome of one delivery.
type Result struct {
	ID int
	// Status is the answer's HTTP status, 0 when there was none.
	Status int
	// Latency runs from sending the request to reading the end of the answer (or the
	// failure).
	Latency time.Duration
	// Answer is the beginning of the answer's body; AnswerSize is how many bytes of it
	// were read in all.
	Answer     []byte
	AnswerSize int64
	// Err is why there was no complete answer; nil otherwise.
	Err error
	// Kind classifies Err: one of the Kind constants.
	Kind string
	// Slow reports that the delivery took SlowAfter or longer.
	Slow bool
	// Canceled reports that the run was interrupted before the delivery was sent: it
	// is not counted.
	Canceled bool
	// Interrupted reports that the run was interrupted while the delivery was in
	// flight: it was sent and is counted, with its status when that had come, else
	// with Kind KindInterrupted.
	Interrupted bool
}

// OK reports a 2xx answer in time.
func (r Result) OK() bool { return r.Err == nil && r.Status >= 200 && r.Status < 300 && !r.Slow }

// Error kinds.
const (
	KindTimeout     = "timeout"
	KindRefused     = "connection refused"
	KindDNS         = "host not found"
	KindUnreachable = "unreachable"
	KindReset       = "connection reset"
	KindTLS         = "TLS"
	KindOther       = "other"
	// KindInterrupted is a delivery in flight when the run was interrupted, whose
	// answer had not come.
	KindInterrupted = "interrupted"
)

// Run sends the deliveries of src to cfg.URL and returns the summary. It stops early
// when ctx is cancelled (deliveries in flight are abandoned but counted, as the
// receiver may have got them; Summary says Interrupted) or when src fails (the error
// is returned with the summary so far). A cancelled run returns at once even when src
// is blocked: src is then left to return on its own.
func Run(ctx context.Context, cfg Config, src Source) (*Summary, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, err
	}
	conc := max(cfg.Concurrency, 1)
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = TagMangoTimeout
	}
	slow := cfg.SlowAfter
	if slow <= 0 {
		slow = TagMangoTimeout
	}
	answerBytes := cfg.AnswerBytes
	if answerBytes <= 0 {
		answerBytes = DefaultAnswerBytes
	}
	rt := cfg.Transport
	if rt == nil {
		t := NewTransport(conc)
		defer t.CloseIdleConnections()
		rt = t
	}
	client := &http.Client{
		Transport: rt,
		// A webhook endpoint that redirects is misconfigured (TagMango posts to the
		// registered URL): the redirect is reported, not followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	header := http.Header{}
	if cfg.UserAgent != "" {
		header.Set("User-Agent", cfg.UserAgent)
	}
	host := ""
	for k, vs := range cfg.Header {
		if http.CanonicalHeaderKey(k) == "Host" {
			if len(vs) > 0 {
				host = vs[len(vs)-1]
			}
			continue
		}
		header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	s := &sender{client: client, url: cfg.URL, target: u, header: header, host: host, timeout: timeout, slow: slow, answerBytes: answerBytes}

	ctx, stop := context.WithCancel(ctx)
	defer stop()
	jobs := make(chan Delivery, conc)
	results := make(chan Result, conc)
	srcErrc := make(chan error, 1)
	start := time.Now()
	go func() {
		defer close(jobs)
		for ctx.Err() == nil {
			d, ok, err := src()
			if err != nil {
				srcErrc <- err
				return
			}
			if !ok {
				return
			}
			select {
			case jobs <- d:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			for {
				// The senders leave on cancellation without waiting for the source: it
				// may be blocked reading a pipe that will never deliver another line.
				select {
				case <-ctx.Done():
					return
				case d, ok := <-jobs:
					if !ok {
						return
					}
					results <- s.send(ctx, d)
				}
			}
		})
	}
	go func() {
		wg.Wait()
		close(results)
	}()

	sum := newSummary()
	for r := range results {
		if r.Canceled {
			continue
		}
		sum.add(r)
		if cfg.OnResult != nil {
			cfg.OnResult(r)
		}
	}
	sum.finish(time.Since(start))
	// Only the caller's cancellation makes canceled and interrupted results (stop is
	// deferred), and it may also leave none: this one check covers every case.
	if ctx.Err() != nil {
		sum.Interrupted = true
	}
	// Unless the run was cancelled, the producer has finished (jobs is closed before
	// results can be), so its error, if any, is there.
	var srcErr error
	select {
	case srcErr = <-srcErrc:
	default:
	}
	return sum, srcErr
}

// NewTransport returns a transport that keeps a connection per concurrent sender, so
// that a burst reuses connections instead of opening one per delivery. It asks for no
// compression, so a delivery carries only the headers the caller chose.
func NewTransport(concurrency int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 0
	t.MaxIdleConnsPerHost = max(concurrency, 2)
	t.MaxConnsPerHost = 0
	t.DisableCompression = true
	return t
}

type sender struct {
	client      *http.Client
	url         string
	target      *url.URL
	header      http.Header
	host        string
	timeout     time.Duration
	slow        time.Duration
	answerBytes int
}

func (s *sender) send(ctx context.Context, d Delivery) Result {
	r := Result{ID: d.ID}
	if ctx.Err() != nil {
		r.Canceled = true
		return r
	}
	rctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, s.url, bytes.NewReader(d.Body))
	if err != nil {
		r.Kind, r.Err = KindOther, err
		return r
	}
	if s.host != "" {
		req.Host = s.host
	}
	ct := d.ContentType
	if ct == "" {
		ct = "application/json"
	}
	req.Header.Set("Content-Type", ct)
	for k, vs := range s.header {
		req.Header[k] = vs
	}

	start := time.Now()
	resp, err := s.client.Do(req)
	if err == nil {
		r.Status = resp.StatusCode
		r.Answer, r.AnswerSize, err = readAnswer(resp.Body, s.answerBytes)
		resp.Body.Close()
	}
	r.Latency = time.Since(start)
	r.Slow = r.Latency >= s.slow
	if err != nil {
		if ctx.Err() != nil {
			// The request went out: the receiver may have it, so it counts.
			r.Interrupted, r.Slow = true, false
			if r.Status == 0 {
				r.Kind, r.Err = KindInterrupted, errors.New("interrupted before the answer came")
			}
			return r
		}
		if r.Status != 0 && !errors.Is(err, context.DeadlineExceeded) {
			// The status came; a broken answer body does not change it.
			return r
		}
		r.Status = 0
		r.Kind, r.Err = classify(err, s.timeout, s.target)
	}
	return r
}

// readAnswer keeps the first n bytes of an answer and reads on (up to maxDrain) so the
// connection can be reused.
func readAnswer(body io.Reader, n int) ([]byte, int64, error) {
	buf := make([]byte, n)
	k, err := io.ReadFull(body, buf)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return buf[:k], int64(k), nil
	}
	if err != nil {
		return buf[:k], int64(k), err
	}
	rest, err := io.Copy(io.Discard, io.LimitReader(body, maxDrain))
	return buf[:k], int64(k) + rest, err
}

// classify turns a transport error into its kind and a plain message: neterr's, with
// this package's names for the kinds and its own words for a timeout.
func classify(err error, timeout time.Duration, u *url.URL) (kind string, msg error) {
	k, text := neterr.Explain(err, u)
	switch k {
	case neterr.KindTimeout:
		return KindTimeout, fmt.Errorf("no answer within %s", timeout)
	case neterr.KindRefused:
		kind = KindRefused
	case neterr.KindDNS:
		kind = KindDNS
	case neterr.KindUnreachable:
		kind = KindUnreachable
	case neterr.KindReset:
		kind = KindReset
	case neterr.KindTLS:
		kind = KindTLS
	default:
		kind = KindOther
	}
	return kind, errors.New(text)
}

// Summary sums up a run.
type Summary struct {
	// Sent counts the deliveries that were sent: every request made, those in flight
	// when the run was interrupted included (with their status when it had come, else
	// as errors of kind "interrupted").
	Sent int `json:"sent"`
	// OK counts 2xx answers within the time limit.
	OK int `json:"ok"`
	// Statuses counts every answer by HTTP status code.
	Statuses map[string]int `json:"statuses"`
	// Errors counts deliveries with no complete answer: timeouts, refused connections…
	Errors int `json:"errors"`
	// ErrorKinds counts Errors by kind ("timeout", "connection refused", …).
	ErrorKinds map[string]int `json:"errorKinds"`
	// Over30s counts deliveries that took TagMango's 30 s limit or longer (answered
	// late or cut off).
	Over30s int `json:"over30s"`
	// LatencyMs gives latency percentiles in milliseconds.
	LatencyMs Latency `json:"latencyMs"`
	// DurationMs is the wall time of the run in milliseconds.
	DurationMs float64 `json:"durationMs"`
	// Interrupted reports that the run was cut short (Ctrl-C).
	Interrupted bool `json:"interrupted"`
	// Failures lists the first failed deliveries (at most MaxFailures).
	Failures []Failure `json:"failures"`

	latencies []time.Duration
	duration  time.Duration
	unreached int
}

// Latency holds percentiles in milliseconds.
type Latency struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Failure is one failed delivery: Status for a non-2xx or slow answer, Error when
// there was none.
type Failure struct {
	ID        int     `json:"id"`
	Status    int     `json:"status,omitempty"`
	Error     string  `json:"error,omitempty"`
	LatencyMs float64 `json:"latencyMs"`
	Slow      bool    `json:"slow,omitempty"`
	Answer    string  `json:"answer,omitempty"`
}

// MaxFailures bounds Summary.Failures.
const MaxFailures = 20

func newSummary() *Summary {
	return &Summary{Statuses: map[string]int{}, ErrorKinds: map[string]int{}, Failures: []Failure{}}
}

func (s *Summary) add(r Result) {
	s.Sent++
	if !r.Interrupted {
		// An abandoned delivery's time says nothing of the endpoint.
		s.latencies = append(s.latencies, r.Latency)
	}
	if r.Slow {
		s.Over30s++
	}
	if r.Err != nil {
		s.Errors++
		s.ErrorKinds[r.Kind]++
		switch r.Kind {
		case KindRefused, KindDNS, KindUnreachable:
			s.unreached++
		}
	} else {
		s.Statuses[strconv.Itoa(r.Status)]++
		if r.OK() {
			s.OK++
		}
	}
	if !r.OK() && len(s.Failures) < MaxFailures {
		f := Failure{ID: r.ID, Status: r.Status, LatencyMs: ms(r.Latency), Slow: r.Slow}
		if r.Err != nil {
			f.Error = r.Err.Error()
		} else {
			f.Answer = string(r.Answer)
		}
		s.Failures = append(s.Failures, f)
	}
}

func (s *Summary) finish(d time.Duration) {
	s.duration = d
	s.DurationMs = ms(d)
	slices.SortFunc(s.Failures, func(a, b Failure) int { return a.ID - b.ID })
	if len(s.latencies) == 0 {
		return
	}
	slices.Sort(s.latencies)
	l := s.latencies
	s.LatencyMs = Latency{P50: ms(percentile(l, 50)), P95: ms(percentile(l, 95)), P99: ms(percentile(l, 99)), Max: ms(l[len(l)-1])}
}

// percentile is the nearest-rank percentile of sorted.
func percentile(sorted []time.Duration, p int) time.Duration {
	rank := (p*len(sorted) + 99) / 100
	return sorted[max(rank, 1)-1]
}

func ms(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}

// Passed reports that every delivery was answered 2xx in time, and the run was not
// interrupted: what was never sent did not pass.
func (s *Summary) Passed() bool {
	return s.Sent > 0 && s.OK == s.Sent && !s.Interrupted
}

// Unreachable reports that no delivery reached the endpoint: every one failed to
// connect.
func (s *Summary) Unreachable() bool { return s.Sent > 0 && s.unreached == s.Sent }

// Duration is the wall time of the run.
func (s *Summary) Duration() time.Duration { return s.duration }

// Percentile returns a latency percentile (50, 95, 99 or 100 for the maximum) of
// a finished run.
func (s *Summary) Percentile(p int) time.Duration {
	if len(s.latencies) == 0 {
		return 0
	}
	return percentile(s.latencies, p)
}
