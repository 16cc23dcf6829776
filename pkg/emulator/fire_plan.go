// What a fire sends: the matching registrations and one payload per participant.

package emulator

import (
	"cmp"
	"fmt"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/sample"
)

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
	given := events.FilterSet{Mango: req.Mango, Course: req.Course, Webinar: req.Webinar}
	if bad := e.Misapplied(given); len(bad) > 0 {
		if e.Filter() == "" {
			return nil, badRequest(CodeFilterNotApplicable, "%s takes no filter: fire it without %s", e.Type, bad[0])
		}
		return nil, badRequest(CodeFilterNotApplicable, "%s is about a %s, not a %s: give %q instead of %q", e.Type, e.Filter(), bad[0], e.Filter(), bad[0])
	}
	if id := given.Get(e.Filter()); id != "" {
		p.key, p.id = e.Filter(), id
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
	if p.payloads, err = s.payloads(e, p.key, p.id, made, req); err != nil {
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
func (s *Server) payloads(e *events.Event, key, id string, n int, req FireRequest) ([][]byte, error) {
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
		if len(req.Payload) > 0 {
			sample.Override(p, req.Payload)
		}
		for _, a := range req.Set {
			if err := sample.Set(p, e, a, req.Force); err != nil {
				return nil, badRequest(CodeInvalidPayload, "set %s: %v", a, err)
			}
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
