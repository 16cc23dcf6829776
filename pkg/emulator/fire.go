// The fire request and report types, and Fire, which runs a plan.

package emulator

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
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
	// Set are field=value assignments applied to every delivery's body after Payload,
	// exactly as `trigger --set` applies them (sample.Set): dotted paths into nested
	// fields (callList.0.webinar=…), values typed by the catalog. Force adds fields
	// the event does not document, as strings.
	Set   []string `json:"set,omitempty"`
	Force bool     `json:"force,omitempty"`
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
// than the Failed count (an earlier release, as a pinned CI image may run) has only
// the list, which then holds every failure.
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
