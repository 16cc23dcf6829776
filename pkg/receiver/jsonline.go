package receiver

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/jsonscan"
)

// AppendJSONLine appends the --json line of d, newline included. Its keys, in this
// order, are the documented ones: seq (number), receivedAt (RFC 3339 string, UTC),
// event (string), candidates (array of strings), method, path (strings), headers
// (object of strings; repeated headers joined with ", "), body (the JSON value, or a
// string when the body is not JSON or nests as deep as jsonscan.MaxDepth), warnings
// (array of strings), notes (array of strings: what is not wrong but worth knowing),
// repeatOf (the seq of the first of identical sends the catalog expects, or null),
// duplicateOf (the earlier seq, or null), status (the answer the
// sender got) and forward (null, or what the handler of --forward-to answered: url,
// status — null when it did not answer —, latencyMs, error — null when none — and
// answer, the first bytes of its answer). A JSON body is written on one line as the
// same value; strings anywhere are escaped so that the line is safe on a terminal.
func AppendJSONLine(b []byte, d *Delivery) []byte {
	return append(appendJSONFields(b, d, false), "}\n"...)
}

// AppendListLine appends the --json line of d without what a list of deliveries does
// not show — method, path, headers, and the forward's answer —, newline included:
// the same members, in the same order, otherwise.
func AppendListLine(b []byte, d *Delivery) []byte {
	return append(appendJSONFields(b, d, true), "}\n"...)
}

// AppendListMembers appends the members of d's AppendListLine, without the braces
// and the newline: for an object that has members of its own before them. body is
// where the body member's value begins in the result; when the body is written as
// it came (BodyVerbatim), its len(d.Body) bytes there are d.Body's.
func AppendListMembers(b []byte, d *Delivery) (out []byte, body int) {
	out = appendJSONMembers(b, d, true, &body)
	return out, body
}

// BodyVerbatim reports that the lines write d's body as it came: JSON, fit for a
// terminal, not nested too deep.
func BodyVerbatim(d *Delivery) bool {
	return d.IsJSON && d.Payload().Safe && d.Payload().Depth < jsonscan.MaxDepth
}

// AppendSaveLine appends the --save line of d: the --json line, then the body's
// exact bytes — raw (a string) when they are valid UTF-8, else rawBase64 (standard
// base64) — for replay to send byte for byte. (body may differ from them: a JSON
// body is written compact, and invalid UTF-8 in a string becomes U+FFFD.)
func AppendSaveLine(b []byte, d *Delivery) []byte {
	b = appendJSONFields(b, d, false)
	if utf8.Valid(d.Body) {
		b = append(b, `,"raw":`...)
		b = appendJSONString(b, string(d.Body))
	} else {
		b = append(b, `,"rawBase64":"`...)
		b = base64.StdEncoding.AppendEncode(b, d.Body)
		b = append(b, '"')
	}
	return append(b, "}\n"...)
}

// appendJSONFields writes the line of d without its closing brace; list leaves out
// what AppendListLine does.
func appendJSONFields(b []byte, d *Delivery, list bool) []byte {
	return appendJSONMembers(append(b, '{'), d, list, nil)
}

// appendJSONMembers is appendJSONFields without the opening brace; bodyAt, when not
// nil, is set to where the body's value begins.
func appendJSONMembers(b []byte, d *Delivery, list bool, bodyAt *int) []byte {
	b = append(b, `"seq":`...)
	b = strconv.AppendInt(b, d.Seq, 10)
	b = append(b, `,"receivedAt":"`...)
	b = appendTimestamp(b, d.ReceivedAt)
	b = append(b, `","event":`...)
	b = appendJSONString(b, d.Event)
	b = append(b, `,"candidates":`...)
	b = appendStrings(b, d.Candidates)
	if !list {
		b = append(b, `,"method":`...)
		b = appendJSONString(b, d.Method)
		b = append(b, `,"path":`...)
		b = appendJSONString(b, d.Path)
		b = append(b, `,"headers":`...)
		if d.Header == nil && d.packedHeader != nil {
			b = appendPackedHeaders(b, d.packedHeader)
		} else {
			b = appendHeaders(b, d.Header)
		}
	}
	b = append(b, `,"body":`...)
	if bodyAt != nil {
		*bodyAt = len(b)
	}
	switch {
	case d.IsJSON && d.Payload().Depth >= jsonscan.MaxDepth:
		// Inside the line's own object it would be one level too deep for
		// encoding/json — and replay could not read the line: kept as its text.
		b = appendJSONString(b, string(d.Body))
	case d.IsJSON && d.Payload().Safe:
		b = append(b, d.Body...)
	case d.IsJSON:
		b = appendSafeJSON(b, d.Body)
	default:
		b = appendJSONString(b, string(d.Body))
	}
	b = append(b, `,"warnings":`...)
	b = appendStrings(b, d.Warnings)
	b = append(b, `,"notes":`...)
	b = appendStrings(b, d.Notes)
	b = append(b, `,"repeatOf":`...)
	b = appendSeqOrNull(b, d.RepeatOf)
	b = append(b, `,"duplicateOf":`...)
	b = appendSeqOrNull(b, d.DuplicateOf)
	b = append(b, `,"status":`...)
	if f := d.Forward; f != nil {
		b = strconv.AppendInt(b, int64(f.Answered), 10)
		return appendForwardJSON(b, f, list)
	}
	b = strconv.AppendInt(b, int64(d.Status), 10)
	return append(b, `,"forward":null`...)
}

// appendForwardJSON writes the forward member of a line; list leaves out the answer.
func appendForwardJSON(b []byte, f *ForwardResult, list bool) []byte {
	b = append(b, `,"forward":{"url":`...)
	b = appendJSONString(b, f.URL)
	b = append(b, `,"status":`...)
	if f.Status == 0 {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, int64(f.Status), 10)
	}
	b = append(b, `,"latencyMs":`...)
	b = strconv.AppendFloat(b, float64(f.Latency.Microseconds())/1000, 'f', -1, 64)
	b = append(b, `,"error":`...)
	if f.Message == "" {
		b = append(b, "null"...)
	} else {
		b = appendJSONString(b, f.Message)
	}
	if list {
		return append(b, '}')
	}
	b = append(b, `,"answer":`...)
	head := f.Body
	// The head was cut at a byte count: an incomplete last rune is not shown as U+FFFD.
	if int64(len(head)) < f.BodySize || f.BodySize < 0 {
		for i := 0; i < utf8.UTFMax && len(head) > 0 && !utf8.Valid(head); i++ {
			head = head[:len(head)-1]
		}
		if !utf8.Valid(head) {
			head = f.Body
		}
	}
	b = appendJSONString(b, string(head))
	return append(b, '}')
}

func appendSeqOrNull(b []byte, seq int64) []byte {
	if seq == 0 {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, seq, 10)
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

func appendHeaders(b []byte, h http.Header) []byte {
	b = append(b, '{')
	for i, k := range sortedKeys(h) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, strings.Join(h[k], ", "))
	}
	return append(b, '}')
}

// appendPackedHeaders is appendHeaders for an unpacked delivery's header.
func appendPackedHeaders(b []byte, packed []byte) []byte {
	type field struct {
		key    string
		values []string
	}
	var buf [16]field
	fields := buf[:0]
	eachPacked(packed, func(key string, values []string) { fields = append(fields, field{key, values}) })
	slices.SortFunc(fields, func(x, y field) int { return strings.Compare(x.key, y.key) })
	b = append(b, '{')
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, f.key)
		b = append(b, ':')
		b = appendJSONString(b, strings.Join(f.values, ", "))
	}
	return append(b, '}')
}

func sortedKeys(h http.Header) []string {
	var buf [16]string
	keys := buf[:0]
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// appendTimestamp writes t in UTC as time.RFC3339Nano does (trailing zeros of the
// fraction trimmed). AppendFormat has had a fast path for that layout since Go 1.20.
func appendTimestamp(b []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(b, time.RFC3339Nano)
}
