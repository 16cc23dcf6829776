package receiver

import (
	"encoding/binary"
	"net/http"
	"time"
	"unsafe"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/jsonscan"
)

// A renderer that keeps deliveries by the thousand (the inspector) keeps each one
// packed: a byte slice holding what the --json and --save lines show of it. Such a
// slice has no pointers, so ten thousand kept deliveries are ten thousand objects
// the garbage collector marks without scanning. Kept as Delivery values, with their
// header maps and strings, they made every collection scan about 15 MB, and the
// receiver's slowest answers waited for it.

// Bits of a packed delivery's flags.
const (
	packIsJSON = 1 << iota
	packByPath
	packRejected
	packScanJSON
	packSafe
	packForward
)

// AppendPacked appends d packed, for Unpacker: everything AppendJSONLine and
// AppendSaveLine write of it, and ForwardTo, Rejected and ByPath — not the parsed
// members, nor the forward result's Header, Err and Delivery. Call it from Render.
func AppendPacked(b []byte, d *Delivery) []byte {
	p := d.Payload()
	f := d.Forward
	var flags byte
	for bit, on := range [...]bool{d.IsJSON, d.ByPath, d.Rejected, p.JSON, p.Safe, f != nil} {
		if on {
			flags |= 1 << bit
		}
	}
	b = append(b, flags, byte(p.Kind))
	b = binary.AppendVarint(b, int64(p.Depth))
	for _, n := range [...]int64{d.Seq, d.ReceivedAt.Unix(), int64(d.ReceivedAt.Nanosecond()), d.Size, int64(d.Status), d.DuplicateOf, d.RepeatOf} {
		b = binary.AppendVarint(b, n)
	}
	b = appendPackedString(b, d.Method)
	b = appendPackedString(b, d.Path)
	b = appendPackedString(b, d.ForwardTo)
	b = appendPackedString(b, d.Event)
	b = appendPackedStrings(b, d.Candidates)
	b = appendPackedStrings(b, d.Warnings)
	b = appendPackedStrings(b, d.Notes)
	b = appendPackedHeader(b, d.Header)
	if f != nil {
		for _, n := range [...]int64{f.Seq, int64(f.Status), int64(f.Answered), int64(f.Latency), f.BodySize} {
			b = binary.AppendVarint(b, n)
		}
		b = appendPackedString(b, f.URL)
		b = appendPackedString(b, f.Message)
		b = appendPackedBytes(b, f.Body)
	}
	return appendPackedBytes(b, d.Body)
}

// appendPackedHeader appends h: the number of keys, then for each key the key, the
// number of values and each value (strings as their length and bytes, numbers as
// uvarints). The order is the map's: readers sort.
func appendPackedHeader(b []byte, h http.Header) []byte {
	b = binary.AppendUvarint(b, uint64(len(h)))
	for k, vs := range h {
		b = appendPackedString(b, k)
		b = appendPackedStrings(b, vs)
	}
	return b
}

func appendPackedString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendPackedBytes(b, s []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendPackedStrings(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = appendPackedString(b, s)
	}
	return b
}

// Unpacker reads packed deliveries back, reusing its memory: the Delivery that
// Unpack returns is valid until the next Unpack (one Unpacker per reader; Clone
// keeps one longer). Its strings and Body are views into the packed bytes, which
// must never change afterwards; its Header is nil (Headers makes one) and its
// Payload has no Members. It encodes to the lines of the delivery packed.
type Unpacker struct {
	d       Delivery
	payload jsonscan.Result
	forward ForwardResult
	// Kept for their capacity.
	candidates, warnings, notes []string
}

// Unpack reads b, which AppendPacked wrote.
func (u *Unpacker) Unpack(b []byte) *Delivery {
	r := packReader{b: b[2:]}
	flags, kind := b[0], jsonscan.Kind(b[1])
	depth := int(r.varint())
	var n [7]int64
	for i := range n {
		n[i] = r.varint()
	}
	d := &u.d
	*d = Delivery{
		Seq: n[0], ReceivedAt: time.Unix(n[1], n[2]), Size: n[3], Status: int(n[4]), DuplicateOf: n[5], RepeatOf: n[6],
		IsJSON: flags&packIsJSON != 0, ByPath: flags&packByPath != 0, Rejected: flags&packRejected != 0,
	}
	d.Method, d.Path, d.ForwardTo, d.Event = r.str(), r.str(), r.str(), r.str()
	u.candidates, u.warnings, u.notes = r.strs(u.candidates[:0]), r.strs(u.warnings[:0]), r.strs(u.notes[:0])
	d.Candidates, d.Warnings, d.Notes = u.candidates, u.warnings, u.notes
	d.packedHeader = r.header()
	if flags&packForward != 0 {
		var m [5]int64
		for i := range m {
			m[i] = r.varint()
		}
		u.forward = ForwardResult{Seq: m[0], Status: int(m[1]), Answered: int(m[2]), Latency: time.Duration(m[3]), BodySize: m[4]}
		u.forward.URL, u.forward.Message, u.forward.Body = r.str(), r.str(), r.bytes()
		d.Forward = &u.forward
	}
	d.Body = r.bytes()
	u.payload = jsonscan.Result{JSON: flags&packScanJSON != 0, Safe: flags&packSafe != 0, Kind: kind, Depth: depth}
	d.payload = &u.payload
	return d
}

// Clone is a Delivery of its own with what d holds, for a reader that keeps an
// unpacked delivery beyond the next Unpack. Its strings still view the packed bytes.
func (d *Delivery) Clone() *Delivery {
	var u Unpacker
	u.d = *d
	if d.payload != nil {
		u.payload = *d.payload
		u.d.payload = &u.payload
	}
	if d.Forward != nil {
		u.forward = *d.Forward
		u.d.Forward = &u.forward
	}
	u.d.Candidates = append([]string{}, d.Candidates...)
	u.d.Warnings = append([]string{}, d.Warnings...)
	u.d.Notes = append([]string(nil), d.Notes...)
	return &u.d
}

// packReader reads what AppendPacked wrote. Its bytes came from there, so they are
// not checked beyond Go's own bounds checks.
type packReader struct{ b []byte }

func (r *packReader) uvarint() uint64 {
	n, w := binary.Uvarint(r.b)
	r.b = r.b[w:]
	return n
}

func (r *packReader) varint() int64 {
	n, w := binary.Varint(r.b)
	r.b = r.b[w:]
	return n
}

func (r *packReader) bytes() []byte {
	n := r.uvarint()
	s := r.b[:n:n]
	r.b = r.b[n:]
	return s
}

// str is the next string: a view of the packed bytes, which never change.
func (r *packReader) str() string {
	s := r.bytes()
	if len(s) == 0 {
		return ""
	}
	return unsafe.String(&s[0], len(s)) //nolint:gosec // packed bytes are never written once made (see Unpacker)
}

// header is the packed header (see appendPackedHeader), as a view; nil when it has
// no keys.
func (r *packReader) header() []byte {
	start := r.b
	for keys := r.uvarint(); keys > 0; keys-- {
		r.bytes()
		for values := r.uvarint(); values > 0; values-- {
			r.bytes()
		}
	}
	n := len(start) - len(r.b)
	if n <= 1 {
		return nil
	}
	return start[:n:n]
}

func (r *packReader) strs(into []string) []string {
	for n := r.uvarint(); n > 0; n-- {
		into = append(into, r.str())
	}
	return into
}

// Headers is the request's header: Header, or for an unpacked delivery (Unpacker),
// a new map made from its packed form.
func (d *Delivery) Headers() http.Header {
	if d.Header != nil || d.packedHeader == nil {
		return d.Header
	}
	h := http.Header{}
	eachPacked(d.packedHeader, func(key string, values []string) { h[key] = values })
	return h
}

// eachPacked calls f with each key of a packed header and its values (a new slice
// of views into packed).
func eachPacked(packed []byte, f func(key string, values []string)) {
	r := packReader{b: packed}
	for keys := r.uvarint(); keys > 0; keys-- {
		key := r.str()
		f(key, r.strs(nil))
	}
}
