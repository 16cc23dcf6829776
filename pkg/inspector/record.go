package inspector

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

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

// slot is how the store keeps an entry: a few numbers and flags, and one byte slice
// without pointers — who, what, replayTo and file, the delivery packed
// (receiver.AppendPacked), then its list entry from after the id, encoded once for
// the page's list and stream. Ten thousand kept entries are then ten thousand
// objects the garbage collector need not scan, so the receiver's answers do not
// wait for collections that would, and the page's stream costs a copy per entry. A
// slot never changes once added: an update (a forward answer arriving) is a new
// slot in its place.
type slot struct {
	id, version int64
	// seq is the delivery's; unix when it was received (seconds), for the stats.
	seq, unix int64
	// replayOf is the id of the entry a replay resent, 0 for a delivery.
	replayOf int64
	latency  time.Duration
	// listAt is where the list entry starts in data. When the body is written as it
	// came (receiver.BodyVerbatim), the list entry leaves it out — it is the packed
	// delivery's last bodyLen bytes, just before listAt — and bodyAt is where it goes
	// back, counted from listAt.
	listAt, bodyAt, bodyLen int
	// replay marks a replay sent from the page or the API; verbatim that the list
	// entry leaves the body out (see listAt).
	replay, verbatim bool
	// checked says the checks failed (duplicates aside); duplicate that it is one.
	checked, duplicate bool
	// pending marks a forwarded delivery whose answer has not come yet.
	pending bool
	// forwarded: a forward (or, for a replay, the send) happened; failed: it did not
	// get a 2xx.
	forwarded, failed bool
	data              []byte
}

// newSlot packs d as a delivery (replayOf 0) or as the replay of entry replayOf to
// replayTo. It runs on the receiver's processing goroutine, so it copies and
// encodes the list entry once, no more. scratch is the caller's buffer to pack in,
// returned for the next call; the slot gets an exact copy.
func newSlot(d *receiver.Delivery, file string, replayOf int64, replayTo string, scratch []byte) (slot, []byte) {
	sl := slot{
		seq:       d.Seq,
		unix:      d.ReceivedAt.Unix(),
		replay:    replayOf != 0,
		replayOf:  replayOf,
		duplicate: d.DuplicateOf != 0,
		pending:   d.ForwardTo != "" && d.Forward == nil,
	}
	sl.checked = len(d.Warnings) > 1 || (len(d.Warnings) == 1 && !sl.duplicate)
	if f := d.Forward; f != nil {
		sl.forwarded, sl.failed, sl.latency = true, f.Failed(), f.Latency
	}
	b := scratch[:0]
	if d.IsJSON {
		// From the engine's parse, which the packed delivery does not keep.
		b = appendSummary(b, d.Payload())
	} else {
		b = append(b, 0, 0)
	}
	b = appendString(b, replayTo)
	b = appendString(b, file)
	b = appendString(b, d.Event)
	b = receiver.AppendPacked(b, d)
	sl.listAt = len(b)
	rec := record{slot: sl, d: d}
	rec.names, _ = sl.readNames(b)
	rec.kind = sl.kind()
	b = rec.appendMembers(b)
	b, body := receiver.AppendListMembers(b, d)
	b = append(b, '}')
	if receiver.BodyVerbatim(d) {
		// Kept once, in the packed delivery.
		b = append(b[:body], b[body+len(d.Body):]...)
		sl.verbatim, sl.bodyAt, sl.bodyLen = true, body-sl.listAt, len(d.Body)
	}
	sl.data = bytes.Clone(b)
	return sl, b
}

// record is an entry read back from its slot, for the API: the slot's numbers and
// the delivery, whose strings view the slot's bytes.
type record struct {
	slot
	names
	kind string
	// d is the delivery; with the Unpacker of open, valid until its next use.
	d *receiver.Delivery
}

// names are the strings a slot keeps before the packed delivery, read as views of
// its bytes: who and what the delivery is about (name <email>; the course, webinar
// or mango), a replay's target, the save file an inspected delivery came from (""
// for listen), and the detected event (for the stats, without unpacking).
type names struct{ who, what, replayTo, file, event string }

// open reads sl back, with u's memory (see receiver.Unpacker).
func (sl slot) open(u *receiver.Unpacker) record {
	rec := record{slot: sl, kind: sl.kind()}
	var packed []byte
	rec.names, packed = sl.readNames(sl.data)
	rec.d = u.Unpack(packed[:len(packed)-(len(sl.data)-sl.listAt)])
	return rec
}

// readNames reads the names from data, the slot's bytes (or their beginning), and
// returns what follows them.
func (sl slot) readNames(data []byte) (names, []byte) {
	r := slotReader{b: data}
	return names{who: r.str(), what: r.str(), replayTo: r.str(), file: r.str(), event: r.str()}, r.b
}

func (sl slot) kind() string {
	if sl.replay {
		return kindReplay
	}
	return kindDelivery
}

// appendListEntry writes the entry as the list (and the page's stream) shows it:
// appendEntry without method, path, headers and the forward's answer
// (receiver.AppendListMembers) — what a row and the page's filters use. It was
// encoded when the slot was made: this adds the id.
func (sl slot) appendListEntry(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, sl.id, 10)
	b = append(b, ',')
	list := sl.data[sl.listAt:]
	if !sl.verbatim {
		return append(b, list...)
	}
	b = append(b, list[:sl.bodyAt]...)
	b = append(b, sl.data[sl.listAt-sl.bodyLen:sl.listAt]...)
	return append(b, list[sl.bodyAt:]...)
}

// appendString writes s as its length (a varint) and its bytes.
func appendString(b []byte, s string) []byte {
	b = binary.AppendVarint(b, int64(len(s)))
	return append(b, s...)
}

// slotReader reads the strings appendString wrote, as views of the bytes: a slot's
// never change once made (and newSlot reads its own before reusing its buffer).
type slotReader struct{ b []byte }

func (r *slotReader) str() string {
	n, w := binary.Varint(r.b)
	s := r.b[w : w+int(n)]
	r.b = r.b[w+int(n):]
	if len(s) == 0 {
		return ""
	}
	return unsafe.String(&s[0], len(s)) //nolint:gosec // the bytes never change (see above)
}

// saveLine appends the --save line of the record, newline included.
func (r *record) saveLine(b []byte) []byte { return receiver.AppendSaveLine(b, r.d) }

// appendEntry writes the entry of r as the API shows it: the `listen --json` line
// with the inspector's members first — id, kind, size, who, what, replayOf,
// replayTo, file — and, with raw, the body's exact bytes as the --save line has them.
func (r *record) appendEntry(b []byte, raw bool) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, r.id, 10)
	b = append(b, ',')
	b = r.appendMembers(b)
	start := len(b)
	if raw {
		b = receiver.AppendSaveLine(b, r.d)
	} else {
		b = receiver.AppendJSONLine(b, r.d)
	}
	// The line's own "{" goes (the members above opened the object); its "}\n"
	// stays without the newline.
	return append(b[:start], b[start+1:len(b)-1]...)
}

// appendMembers writes the inspector's members after the id, each followed by a
// comma.
func (r *record) appendMembers(b []byte) []byte {
	b = append(b, `"kind":"`...)
	b = append(b, r.kind...)
	b = append(b, `","size":`...)
	b = strconv.AppendInt(b, int64(len(r.d.Body)), 10)
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
	return append(b, ',')
}

// appendSummary writes who (name <email>) and what (course, webinar or mango) a
// payload is about, from the fields TagMango's payloads use, as two strings (see
// appendString). One pass over the members, as it runs for every delivery.
func appendSummary(b []byte, p *jsonscan.Result) []byte {
	var name, email, what, callList jsonscan.Member
	rank := len(whatFields)
	for _, m := range p.Members {
		switch m.Name {
		case "name":
			name = first(name, m)
		case "email":
			email = first(email, m)
		case "callList":
			callList = first(callList, m)
		default:
			if i := slices.Index(whatFields[:rank], m.Name); i >= 0 && isNonEmptyString(m) {
				what, rank = m, i
			}
		}
	}
	var buf [256]byte
	who := appendStringValue(buf[:0], name)
	if len(who) > 0 && isNonEmptyString(email) {
		who = append(who, " <"...)
		who = appendStringValue(who, email)
		who = append(who, '>')
	} else {
		who = appendStringValue(who, email)
	}
	b = binary.AppendVarint(b, int64(len(who)))
	b = append(b, who...)
	w := buf[:0]
	if what.Kind == jsonscan.KindString {
		w = appendStringValue(w, what)
	} else if els := callList.Elements(); len(els) > 0 {
		for _, m := range els[0].Members() {
			if m.Name == "webinar" && m.Kind == jsonscan.KindString {
				w = appendStringValue(w, m)
				break
			}
		}
	}
	b = binary.AppendVarint(b, int64(len(w)))
	return append(b, w...)
}

// first is the member already found, else m (as a lookup by name finds the first).
func first(found, m jsonscan.Member) jsonscan.Member {
	if found.Raw != nil {
		return found
	}
	return m
}

// whatFields are the members that say what a delivery is about, the first present
// (and not empty) winning.
var whatFields = [...]string{"course", "webinar", "mangoTitle", "mangoName", "mangoes"}

func isNonEmptyString(m jsonscan.Member) bool { return m.Kind == jsonscan.KindString && len(m.Raw) > 2 }

// appendStringValue appends a string member's value ("" for other kinds).
func appendStringValue(b []byte, m jsonscan.Member) []byte {
	if m.Kind != jsonscan.KindString {
		return b
	}
	inner := m.Raw[1 : len(m.Raw)-1]
	if !bytes.ContainsRune(inner, '\\') {
		return append(b, inner...)
	}
	s, _ := m.StringValue()
	return append(b, s...)
}

// matches reports whether sl passes the filter's tests of the slot's flags.
func (sl slot) matches(f *filter) bool {
	switch {
	case f.warnings && !sl.checked,
		f.duplicates && !sl.duplicate,
		f.failed && !sl.failed,
		f.kind == kindDelivery && sl.replay,
		f.kind == kindReplay && !sl.replay:
		return false
	}
	return true
}

// needsDelivery reports that the filter tests the delivery, not only its flags.
func (f *filter) needsDelivery() bool { return f.event != "" || f.q != "" }

// matches reports whether r passes the filter.
func (r *record) matches(f *filter) bool {
	if !r.slot.matches(f) {
		return false
	}
	if f.event != "" && !events.Selects(f.event, r.d.Event, r.d.Candidates) {
		return false
	}
	if f.q != "" && !containsFold(r.d.Body, f.q) && !containsFold(r.who, f.q) {
		return false
	}
	return true
}

// containsFold reports whether b contains q, lowered by asciiLower, ignoring ASCII
// case (and matching other letters as they are).
func containsFold[T string | []byte](b T, q string) bool {
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

// asciiLower lowers the ASCII letters of s only, as containsFold compares.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
