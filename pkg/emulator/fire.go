package emulator

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/sample"
)

// ReminderSchedule is the event fired as three rounds, one per reminder TagMango sends.
const ReminderSchedule = "webinar.reminder.all"

// reminderRounds are the rounds of ReminderSchedule, in the order TagMango sends them.
var reminderRounds = []string{"1 day before", "30 min before", "15 min before"}

// maxAnswer bounds how much of a receiver's answer is read.
const maxAnswer = 64 << 10

// FireRequest is the body of POST /_emulator/fire.
type FireRequest struct {
	// Event is the catalog event to fire.
	Event string `json:"event"`
	// Mango, Course or Webinar: the entity the event is about; it must be the event's
	// own filter key. Registrations filtered on another entity do not receive it.
	Mango   string `json:"mango,omitempty"`
	Course  string `json:"course,omitempty"`
	Webinar string `json:"webinar,omitempty"`
	// Participants is the number of deliveries per registration (default 1): TagMango
	// makes one call per participant.
	Participants int `json:"participants,omitempty"`
	// Payload overrides fields of every delivery's body.
	Payload map[string]any `json:"payload,omitempty"`
}

// Report is the answer of POST /_emulator/fire.
type Report struct {
	// Matched is the number of registrations the event was delivered to.
	Matched int `json:"matched"`
	// Sent is the number of deliveries attempted (duplicates included; a retried
	// delivery counts once).
	Sent int `json:"sent"`
	// Statuses counts the final HTTP status of each delivery that got an answer.
	Statuses map[string]int `json:"statuses"`
	// Failed counts the deliveries that failed: no connection, timed out, or answered
	// other than 2xx.
	Failed int `json:"failed"`
	// Failures lists the first MaxListedFailures failed deliveries, one entry each;
	// FailuresOmitted is how many more there were.
	Failures        []Failure `json:"failures"`
	FailuresOmitted int       `json:"failuresOmitted"`
	// FailuresByCause counts every failed delivery by its cause: "HTTP 500" for an
	// answer, else the error ("timeout: no answer within 30s"). At most MaxCauses
	// causes are named; the rest are counted under OtherCauses.
	FailuresByCause map[string]int `json:"failuresByCause"`
	// Event is the fired event; Participants the participants per round.
	Event        string `json:"event"`
	Participants int    `json:"participants"`
	// Rounds is 3 for webinar.reminder.all (1 day, 30 min and 15 min before; the
	// counts above sum them), else 1.
	Rounds int `json:"rounds"`
	// Duplicates is how many of the deliveries were deliberate re-sends.
	Duplicates int `json:"duplicates"`
	// Retries is how many extra attempts failed deliveries took.
	Retries int `json:"retries"`
}

// Failure is one failed delivery.
type Failure struct {
	HookURL string `json:"hookUrl"`
	Status  int    `json:"status,omitempty"`
	Error   string `json:"error,omitempty"`
}

// Bounds of a fire and of its report: a fire of 10,000 participants to 1,000
// registrations is ten million deliveries, and its report would list every failure.
const (
	// DefaultMaxDeliveries bounds the deliveries one fire makes: registrations ×
	// participants × rounds (duplicates and retries aside).
	DefaultMaxDeliveries = 1_000_000
	// MaxListedFailures bounds Report.Failures.
	MaxListedFailures = 100
	// MaxCauses bounds the causes Report.FailuresByCause names.
	MaxCauses = 100
	// OtherCauses counts in FailuresByCause the failures of causes beyond MaxCauses.
	OtherCauses = "other causes"
)

// HasFailures reports whether any delivery failed. A report from an emulator older
// than the Failed count has only the list.
func (r *Report) HasFailures() bool { return r.Failed > 0 || len(r.Failures) > 0 }

// FailedCount is the number of failed deliveries, also from an older emulator.
func (r *Report) FailedCount() int { return max(r.Failed, len(r.Failures)) }

// Cause is what FailuresByCause counts the failure under.
func (f Failure) Cause() string {
	if f.Status != 0 {
		return "HTTP " + strconv.Itoa(f.Status)
	}
	return f.Error
}

// Delivery is one delivery as GET /_emulator/deliveries shows it.
type Delivery struct {
	Seq            int64           `json:"seq"`
	At             time.Time       `json:"at"`
	Event          string          `json:"event"`
	Round          string          `json:"round,omitempty"`
	HookURL        string          `json:"hookUrl"`
	RegistrationID string          `json:"registrationId"`
	Duplicate      bool            `json:"duplicate"`
	Attempts       int             `json:"attempts"`
	Status         int             `json:"status,omitempty"`
	Error          string          `json:"error,omitempty"`
	DurationMs     int64           `json:"durationMs"`
	Body           json.RawMessage `json:"body"`
}

func (s *Server) handleFire(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, r, http.MethodPost)
		return
	}
	req, err := decodeFire(w, r)
	if err != nil {
		s.logf("POST %s → 400 %s", FirePath, clean(err.Error()))
		writeRequestError(w, err)
		return
	}
	// A fire outlasts the server's write timeout: thousands of deliveries of up to 30 s
	// each. The caller's disconnect or the shutdown still stops it.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	rep, err := s.Fire(r.Context(), req)
	if err != nil {
		s.logf("POST %s → 400 %s", FirePath, clean(err.Error()))
		writeRequestError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func decodeFire(w http.ResponseWriter, r *http.Request) (FireRequest, error) {
	body, err := readBody(w, r)
	if err != nil {
		return FireRequest{}, err
	}
	var req FireRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // payload numbers keep their digits
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return FireRequest{}, badRequest(CodeInvalidJSON, "Invalid fire request: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return FireRequest{}, badRequest(CodeInvalidJSON, "Invalid fire request: more than one JSON value")
	}
	return req, nil
}

// firePlan is a validated fire.
type firePlan struct {
	event    *events.Event
	key, id  string // the fired entity, e.g. "course", "634f…"
	regs     []Registration
	payloads [][]byte
	rounds   []string
	// participants per round; len(payloads) too, unless nothing matched
	participants int
}

func (s *Server) plan(req FireRequest) (*firePlan, error) {
	if req.Event == "" {
		return nil, badRequest(CodeEventRequired, "event is required")
	}
	e, ok := s.cfg.Catalog.Lookup(req.Event)
	if !ok {
		msg := fmt.Sprintf("Invalid event: %s", req.Event)
		if sug := s.cfg.Catalog.Suggest(req.Event); sug != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", sug)
		}
		return nil, badRequest(CodeInvalidEvent, "%s", msg)
	}
	p := &firePlan{event: e, rounds: []string{""}}
	for _, kv := range [][2]string{{"mango", req.Mango}, {"course", req.Course}, {"webinar", req.Webinar}} {
		if kv[1] == "" {
			continue
		}
		if kv[0] != e.Filter() {
			if e.Filter() == "" {
				return nil, badRequest(CodeFilterNotApplicable, "%s takes no filter: fire it without %s", e.Type, kv[0])
			}
			return nil, badRequest(CodeFilterNotApplicable, "%s is about a %s, not a %s: give %q instead of %q", e.Type, e.Filter(), kv[0], e.Filter(), kv[0])
		}
		p.key, p.id = kv[0], kv[1]
	}
	n := req.Participants
	if n == 0 {
		n = 1
	}
	if n < 1 || n > s.cfg.MaxParticipants {
		return nil, badRequest(CodeInvalidParticipants, "participants must be between 1 and %d, not %d", s.cfg.MaxParticipants, req.Participants)
	}
	if e.Type == ReminderSchedule {
		p.rounds = reminderRounds
	}
	p.regs = s.match(e, p.id)
	if total := len(p.regs) * n * len(p.rounds); total > s.cfg.MaxDeliveries {
		rounds := ""
		if len(p.rounds) > 1 {
			rounds = fmt.Sprintf(" × %d rounds", len(p.rounds))
		}
		return nil, badRequest(CodeTooManyDeliveries, "this fire would make %d deliveries (%d registrations × %d participants%s), more than the %d one fire may make: fire fewer participants, or about one %s",
			total, len(p.regs), n, rounds, s.cfg.MaxDeliveries, cmp.Or(e.Filter(), "entity"))
	}
	made := n
	if len(p.regs) == 0 {
		made = 1 // nobody to send to: one payload checks the overrides
	}
	var err error
	if p.payloads, err = s.payloads(e, p.key, p.id, made, req.Payload); err != nil {
		return nil, err
	}
	p.participants = n
	return p, nil
}

// match returns the registrations that receive event e about entity id. Only the
// event's own filter counts: TagMango ignores a filter the event does not document
// (a --course filter on a webinar event gets every webinar's events), and so does the
// emulator.
func (s *Server) match(e *events.Event, id string) []Registration {
	var out []Registration
	for _, r := range s.regs.list() {
		if r.Event != e.Type {
			continue
		}
		if f := r.Filter(e.Filter()); f != "" && f != id {
			continue
		}
		out = append(out, r)
	}
	return out
}

// payloads makes n bodies, one per participant, each with distinct fake participant
// data. The same participants go to every matching registration, and in every round:
// one participant, one event, delivered to each subscriber.
func (s *Server) payloads(e *events.Event, key, id string, n int, overrides map[string]any) ([][]byte, error) {
	s.genMu.Lock()
	defer s.genMu.Unlock()
	if s.cfg.Seed == 0 {
		s.gen.SetNow(s.cfg.Now()) // deliveries happen now, however long the emulator has run
	}
	out := make([][]byte, n)
	for i := range out {
		p := s.gen.Fake(e)
		if id != "" {
			if err := setEntityID(p, e, key, id); err != nil {
				return nil, badRequest(CodeInvalidPayload, "setting %sId: %v", key, err)
			}
		}
		if len(overrides) > 0 {
			sample.Override(p, overrides)
		}
		b, err := p.MarshalJSON()
		if err != nil {
			return nil, badRequest(CodeInvalidPayload, "building the payload: %v", err)
		}
		out[i] = b
	}
	return out, nil
}

// setEntityID puts the fired entity's id into the payload's id field for it (courseId,
// webinarId), at the top level or in each item of a list such as webinar.created.*'s
// callList, so that receivers see consistent data.
func setEntityID(p *sample.Document, e *events.Event, key, id string) error {
	field := key + "Id"
	for _, f := range e.Fields {
		if f.Name == field {
			return sample.Set(p, e, field+"="+id, false)
		}
	}
	for _, f := range e.Fields {
		if !hasField(f.Items, field) {
			continue
		}
		v, ok := p.Get(f.Name)
		if !ok {
			continue
		}
		items, _ := v.([]any)
		for i := range items {
			if err := sample.Set(p, e, fmt.Sprintf("%s.%d.%s=%s", f.Name, i, field, id), false); err != nil {
				return err
			}
		}
	}
	return nil
}

func hasField(fields []events.Field, name string) bool {
	for _, f := range fields {
		if f.Name == name {
			return true
		}
	}
	return false
}

// Fire delivers req's event to every matching registration: one POST per participant
// (and per round for webinar.reminder.all), at most Config.Concurrency at once, each
// within Config.DeliveryTimeout, retried and duplicated as configured. It returns when
// every delivery is done or ctx is cancelled. A request that does not validate is an
// error answered with a 400 envelope.
func (s *Server) Fire(ctx context.Context, req FireRequest) (*Report, error) {
	p, err := s.plan(req)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	t := &tally{rep: &Report{
		Matched:         len(p.regs),
		Statuses:        map[string]int{},
		Failures:        []Failure{},
		FailuresByCause: map[string]int{},
		Event:           p.event.Type,
		Participants:    p.participants,
		Rounds:          len(p.rounds),
	}}
	k := 0 // delivery index across the fire, for the duplicate choice
	for _, round := range p.rounds {
		if ctx.Err() != nil {
			break
		}
		jobs := make(chan job)
		var wg sync.WaitGroup
		for range min(s.cfg.Concurrency, len(p.payloads)*len(p.regs)) {
			wg.Go(func() {
				for j := range jobs {
					s.run(ctx, j, t)
				}
			})
		}
	feed:
		for _, body := range p.payloads {
			for i := range p.regs {
				j := job{event: p.event.Type, round: round, reg: &p.regs[i], body: body, dup: s.duplicateAt(k)}
				k++
				select {
				case jobs <- j:
				case <-ctx.Done():
					break feed
				}
			}
		}
		close(jobs)
		wg.Wait()
	}
	rep := t.rep
	stopped := ""
	if ctx.Err() != nil {
		stopped = " (stopped early)"
	}
	s.logf("fire %s%s: %d matched, %s%s in %s", p.event.Type, entityText(p.key, p.id), rep.Matched, summary(rep),
		stopped, time.Since(start).Round(time.Millisecond))
	return rep, nil
}

// duplicateAt spreads the duplicates evenly: delivery k is repeated when the running
// count floor(k·P) steps up.
func (s *Server) duplicateAt(k int) bool {
	p := s.cfg.Duplicates
	return p > 0 && math.Floor(float64(k+1)*p) > math.Floor(float64(k)*p)
}

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

// summary renders a report's counts for the log: "20 sent, 200×18 500×2, 2 failed".
func summary(r *Report) string {
	codes := make([]string, 0, len(r.Statuses))
	for c := range r.Statuses {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	var b strings.Builder
	fmt.Fprintf(&b, "%d sent", r.Sent)
	for i, c := range codes {
		if i == 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, " %s×%d", c, r.Statuses[c])
	}
	fmt.Fprintf(&b, ", %d failed", r.Failed)
	if r.Rounds > 1 {
		fmt.Fprintf(&b, " (%d rounds)", r.Rounds)
	}
	return b.String()
}

func entityText(key, id string) string {
	if id == "" {
		return ""
	}
	return " (" + key + " " + clean(id) + ")"
}

// ring keeps the most recent deliveries.
type ring struct {
	mu   sync.Mutex
	buf  []Delivery
	next int
	seq  int64
}

func newRing(n int) *ring { return &ring{buf: make([]Delivery, 0, n)} }

func (r *ring) add(d Delivery) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	d.Seq = r.seq
	if len(r.buf) < cap(r.buf) {
		r.buf = append(r.buf, d)
		return
	}
	r.buf[r.next] = d
	r.next = (r.next + 1) % len(r.buf)
}

func (r *ring) list() []Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Delivery, 0, len(r.buf))
	out = append(out, r.buf[r.next:]...)
	return append(out, r.buf[:r.next]...)
}
