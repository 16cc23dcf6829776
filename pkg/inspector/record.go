package inspector

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/receiver"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/safetext"
)

// The kinds of entries.
const (
	kindDelivery = "delivery"
	kindReplay   = "replay"
)

// record is one entry of the store. It never changes once added.
type record struct {
	id, version int64
	kind        string
	// file is the save file an inspected delivery came from, "" for listen.
	file string
	seq  int64
	at   time.Time
	// line is the --save line (receiver.AppendSaveLine), newline included; line[:rawAt]
	// is the --json line without its closing brace.
	line  []byte
	rawAt int
	// body, header, method and path are the request, for replay, curl and search.
	body   []byte
	header http.Header
	path   string
	event  string
	cands  []string
	// checked says the checks failed (duplicates aside); duplicate that it is one.
	checked, duplicate bool
	duplicateOf        int64
	repeatOf           int64
	// pending marks a forwarded delivery whose answer has not come yet.
	pending bool
	// forwarded: a forward (or, for a replay, the send) happened; failed: it did not
	// get a 2xx.
	forwarded, failed bool
	latency           time.Duration
	// replayOf is the id of the entry a replay resent; replayTo its target.
	replayOf int64
	replayTo string
	who      string
	what     string
}

// newRecord encodes d. It reads only what the engine has finished with: d and what
// it points to are not modified afterwards, and d.Forward is read once, here.
func newRecord(d *receiver.Delivery, kind, file string) *record {
	line := receiver.AppendSaveLine(nil, d)
	r := &record{
		kind:        kind,
		file:        file,
		seq:         d.Seq,
		at:          d.ReceivedAt,
		line:        line,
		rawAt:       rawOffset(line),
		body:        d.Body,
		header:      d.Header,
		path:        d.Path,
		event:       d.Event,
		cands:       d.Candidates,
		duplicateOf: d.DuplicateOf,
		duplicate:   d.DuplicateOf != 0,
		repeatOf:    d.RepeatOf,
		pending:     d.ForwardTo != "" && d.Forward == nil,
	}
	r.checked = len(d.Warnings) > 1 || (len(d.Warnings) == 1 && !r.duplicate)
	if f := d.Forward; f != nil {
		r.forwarded, r.failed, r.latency = true, f.Failed(), f.Latency
	}
	if d.IsJSON {
		r.who, r.what = summary(d.Payload())
	}
	return r
}

// rawOffset finds where the raw (or rawBase64) member starts in a --save line. Its
// key cannot occur earlier inside a string: a quote in a JSON string is escaped.
func rawOffset(line []byte) int {
	if i := bytes.LastIndex(line, []byte(`,"raw":"`)); i >= 0 {
		return i
	}
	if i := bytes.LastIndex(line, []byte(`,"rawBase64":"`)); i >= 0 {
		return i
	}
	return len(bytes.TrimRight(line, "}\n"))
}

// appendEntry writes the entry of r as the API shows it: the `listen --json` line
// with the inspector's members added — id, kind, size, who, what, replayOf,
// replayTo, file — and, with raw, the body's exact bytes as the --save line has them.
func (r *record) appendEntry(b []byte, raw bool) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, r.id, 10)
	b = append(b, `,"kind":"`...)
	b = append(b, r.kind...)
	b = append(b, `","size":`...)
	b = strconv.AppendInt(b, int64(len(r.body)), 10)
	b = append(b, `,"who":`...)
	b = safetext.AppendJSONString(b, r.who)
	b = append(b, `,"what":`...)
	b = safetext.AppendJSONString(b, r.what)
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
	if raw {
		return append(b, bytes.TrimRight(r.line, "\n")[1:]...)
	}
	b = append(b, r.line[1:r.rawAt]...)
	return append(b, '}')
}

// summary is who (name <email>) and what (course, webinar or mango) a payload is
// about, from the fields TagMango's payloads use.
func summary(p *events.Payload) (who, what string) {
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
	if f.event != "" && r.event != f.event {
		ok := false
		for _, c := range r.cands {
			if events.MatchPattern(f.event, c) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if f.q != "" && !containsFold(r.body, f.q) && !strings.Contains(strings.ToLower(r.who), f.q) {
		return false
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
