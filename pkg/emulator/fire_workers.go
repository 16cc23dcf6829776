// The worker pool of a fire: each job is one POST, its outcome added to the tally.

package emulator

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

type job struct {
	event string
	round string
	reg   *Registration
	body  []byte
	dup   bool
}

// tally collects the outcomes of one fire.
type tally struct {
	mu  sync.Mutex
	rep *Report
}

type outcome struct {
	status   int
	err      string
	attempts int
	took     time.Duration
	at       time.Time
}

func (t *tally) add(o outcome, hookURL string, duplicate bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.rep.Sent++
	t.rep.Retries += o.attempts - 1
	if duplicate {
		t.rep.Duplicates++
	}
	if o.status != 0 {
		t.rep.Statuses[strconv.Itoa(o.status)]++
	}
	if o.ok() {
		return
	}
	f := Failure{HookURL: hookURL, Status: o.status, Error: o.err}
	t.rep.Failed++
	if len(t.rep.Failures) < MaxListedFailures {
		t.rep.Failures = append(t.rep.Failures, f)
	} else {
		t.rep.FailuresOmitted++
	}
	cause := f.Cause()
	if _, named := t.rep.FailuresByCause[cause]; !named && len(t.rep.FailuresByCause) >= MaxCauses {
		cause = OtherCauses
	}
	t.rep.FailuresByCause[cause]++
}

func (o outcome) ok() bool { return o.err == "" && o.status >= 200 && o.status < 300 }

func (s *Server) run(ctx context.Context, j job, t *tally) {
	for _, dup := range []bool{false, true} {
		if dup && !j.dup {
			return
		}
		if ctx.Err() != nil {
			return // not attempted: not counted
		}
		o := s.deliver(ctx, j.reg.HookURL, j.body)
		t.add(o, j.reg.HookURL, dup)
		s.history.add(Delivery{
			At: o.at, Event: j.event, Round: j.round, HookURL: j.reg.HookURL, RegistrationID: j.reg.ID,
			Duplicate: dup, Attempts: o.attempts, Status: o.status, Error: o.err,
			DurationMs: o.took.Milliseconds(), Body: j.body,
		})
	}
}

// deliver POSTs body to hookURL, retrying a failure up to Config.Retries times with
// exponential backoff.
func (s *Server) deliver(ctx context.Context, hookURL string, body []byte) outcome {
	o := outcome{at: s.cfg.Now()}
	start := time.Now()
	wait := s.cfg.RetryWait
	for {
		o.attempts++
		o.status, o.err = s.post(ctx, hookURL, body)
		if o.ok() || o.attempts > s.cfg.Retries || ctx.Err() != nil {
			break
		}
		if s.cfg.Sleep(ctx, wait) != nil {
			break
		}
		wait = min(wait*2, maxRetryWait)
	}
	o.took = time.Since(start)
	return o
}

// post makes one attempt: the status when an answer came, else a plain error.
func (s *Server) post(ctx context.Context, hookURL string, body []byte) (int, string) {
	dctx, cancel := context.WithTimeout(ctx, s.cfg.DeliveryTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(dctx, http.MethodPost, hookURL, bytes.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", s.cfg.UserAgent)
	resp, err := s.client.Do(req)
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return 0, "stopped: the fire was cancelled"
		case errors.Is(dctx.Err(), context.DeadlineExceeded):
			return 0, "timeout: no answer within " + s.cfg.DeliveryTimeout.String()
		}
		if ue, ok := errors.AsType[*url.Error](err); ok && ue.Err != nil {
			err = ue.Err
		}
		return 0, err.Error()
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
	_ = resp.Body.Close()
	return resp.StatusCode, ""
}
