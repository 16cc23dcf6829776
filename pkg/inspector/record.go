package inspector

import (
	"strconv"
	"strings"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/jsonscan"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/receiver"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/safetext"
)

// The kinds of entries.
const (
	kindDelivery = "delivery"
	kindReplay   = "replay"
)

// record is one entry of the store. It never changes once added, but for its
// --json line, encoded once when first asked for.
type record struct {
	id, version int64
	kind        string
	// file is the save file an inspected delivery came from, "" for listen.
	file string
	// d is the delivery as the engine handed it over (receiver.KeepCopy): neither it
	// nor what it points to changes afterwards (a forward answer comes as a new
	// record), so readers share it without a lock. Its payload has no members.
	d receiver.Delivery
	// checked says the checks failed (duplicates aside); duplicate that it is one.
	checked, duplicate bool
	// pending marks a forwarded delivery whose answer has not come yet.
	pending bool
	// forwarded: a forward (or, for a replay, the send) happened; failed: it did not
	// get a 2xx.
	forwarded, failed bool
	latency           time.Duration
	// replayOf is the id of the entry a replay resent; replayTo its target.
	replayOf int64
	replayTo string
	// who and what the delivery is about (summary).
	who, what string
}

// newRecord keeps a copy of d. It runs on the receiver's processing goroutine, so it
// does no more than copy: encoding is left to the readers.
func newRecord(d *receiver.Delivery, kind, file string) *record {
	r := &record{
		kind:      kind,
		file:      file,
		d:         *d.KeepCopy(),
		duplicate: d.DuplicateOf != 0,
		pending:   d.ForwardTo != "" && d.Forward == nil,
	}
	r.checked = len(d.Warnings) > 1 || (len(d.Warnings) == 1 && !r.duplicate)
	if d.IsJSON {
		// From the engine's parse: the copy does not keep the members.
		r.who, r.what = summary(d.Payload())
	}
	if f := d.Forward; f != nil {
		r.forwarded, r.failed, r.latency = true, f.Failed(), f.Latency
		// Without its link back to the engine's delivery.
		fc := receiver.ForwardResult{Seq: f.Seq, URL: f.URL, Status: f.Status, Answered: f.Answered, Latency: f.Latency,
			Header: f.Header, Body: f.Body, BodySize: f.BodySize, Message: f.Message, Err: f.Err}
		r.d.Forward = &fc
	}
	return r
}

// names is who and what the delivery is about.
func (r *record) names() (who, what string) { return r.who, r.what }

// saveLine appends the --save line of the record, newline included.
func (r *record) saveLine(b []byte) []byte { return receiver.AppendSaveLine(b, &r.d) }

// appendEntry writes the entry of r as the API shows it: the `listen --json` line
// with the inspector's members first — id, kind, size, who, what, replayOf,
// replayTo, file — and, with raw, the body's exact bytes as the --save line has them.
func (r *record) appendEntry(b []byte, raw bool) []byte {
	d := &r.d
	who, what := r.names()
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, r.id, 10)
	b = append(b, `,"kind":"`...)
	b = append(b, r.kind...)
	b = append(b, `","size":`...)
	b = strconv.AppendInt(b, int64(len(r.d.Body)), 10)
	b = append(b, `,"who":`...)
	b = safetext.AppendJSONString(b, who)
	b = append(b, `,"what":`...)
	b = safetext.AppendJSONString(b, what)
	b = append(b, `,"replayOf":`...)
	if r.replayOf == 0 {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, r.replayOf, 10)
	}
	b = append(b, `,"replayTo":`...)
	if r.replayTo == "" {
		b = append(b, "null"...)
	} else {
		b = safetext.AppendJSONString(b, r.replayTo)
	}
	b = append(b, `,"file":`...)
	if r.file == "" {
		b = append(b, "null"...)
	} else {
		b = safetext.AppendJSONString(b, r.file)
	}
	b = append(b, ',')
	start := len(b)
	if raw {
		b = receiver.AppendSaveLine(b, d)
	} else {
		b = receiver.AppendJSONLine(b, d)
	}
	// The line's own "{" goes (the members above opened the object); its "}\n"
	// stays without the newline.
	b = append(b[:start], b[start+1:len(b)-1]...)
	return b
}

// summary is who (name <email>) and what (course, webinar or mango) a payload is
// about, from the fields TagMango's payloads use.
func summary(p *jsonscan.Result) (who, what string) {
	str := func(name string) string {
		if m, ok := p.Lookup(name); ok {
			if s, ok := m.StringValue(); ok {
				return s
			}
		}
		return ""
	}
	name, email := str("name"), str("email")
	switch {
	case name != "" && email != "":
		who = name + " <" + email + ">"
	default:
		who = name + email
	}
	for _, f := range [...]string{"course", "webinar", "mangoTitle", "mangoName", "mangoes"} {
		if what = str(f); what != "" {
			return who, what
		}
	}
	if cl, ok := p.Lookup("callList"); ok {
		if els := cl.Elements(); len(els) > 0 {
			for _, m := range els[0].Members() {
				if s, ok := m.StringValue(); ok && m.Name == "webinar" {
					return who, s
				}
			}
		}
	}
	return who, ""
}

// matches reports whether r passes the filter.
func (r *record) matches(f *filter) bool {
	if f.warnings && !r.checked {
		return false
	}
	if f.duplicates && !r.duplicate {
		return false
	}
	if f.failed && !r.failed {
		return false
	}
	if f.kind != "" && r.kind != f.kind {
		return false
	}
	if f.event != "" && r.d.Event != f.event {
		ok := false
		for _, c := range r.d.Candidates {
			if events.MatchPattern(f.event, c) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if f.q != "" && !containsFold(r.d.Body, f.q) {
		if who, _ := r.names(); !strings.Contains(strings.ToLower(who), f.q) {
			return false
		}
	}
	return true
}

// containsFold reports whether b contains the lower-case text q, ignoring ASCII case
// (and matching other letters as they are).
func containsFold(b []byte, q string) bool {
	if len(q) == 0 {
		return true
	}
	first := q[0]
	for i := 0; i+len(q) <= len(b); i++ {
		if lower(b[i]) != first {
			continue
		}
		j := 1
		for j < len(q) && lower(b[i+j]) == q[j] {
			j++
		}
		if j == len(q) {
			return true
		}
	}
	return false
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
