package listen

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
)

// AppendJSONLine appends the --json line of d, newline included. Its keys, in this
// order, are the documented ones: seq (number), receivedAt (RFC 3339 string, UTC),
// event (string), candidates (array of strings), method, path (strings), headers
// (object of strings; repeated headers joined with ", "), body (the JSON value, or a
// string when the body is not JSON or nests as deep as events.MaxDepth), warnings
// (array of strings), notes (array of strings: what is not wrong but worth knowing),
// repeatOf (the seq of the first of identical sends the catalog expects, or null) and
// duplicateOf (the earlier seq, or null). A JSON body is
// written on one line as the same value; strings anywhere are escaped so that the
// line is safe on a terminal.
func AppendJSONLine(b []byte, d *Delivery) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendInt(b, d.Seq, 10)
	b = append(b, `,"receivedAt":"`...)
	b = appendTimestamp(b, d.ReceivedAt)
	b = append(b, `","event":`...)
	b = appendJSONString(b, d.Event)
	b = append(b, `,"candidates":`...)
	b = appendStrings(b, d.Candidates)
	b = append(b, `,"method":`...)
	b = appendJSONString(b, d.Method)
	b = append(b, `,"path":`...)
	b = appendJSONString(b, d.Path)
	b = append(b, `,"headers":`...)
	b = appendHeaders(b, d.Header)
	b = append(b, `,"body":`...)
	switch {
	case d.IsJSON && d.Payload().Depth >= events.MaxDepth:
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
	if d.DuplicateOf == 0 {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, d.DuplicateOf, 10)
	}
	return append(b, "}\n"...)
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
// fraction trimmed), without the generic formatter's cost on every line.
func appendTimestamp(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, time.RFC3339Nano)
	}
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, 'T')
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, minute, 2)
	b = append(b, ':')
	b = appendDigits(b, sec, 2)
	if ns := t.Nanosecond(); ns != 0 {
		digits := 9
		for ns%10 == 0 {
			ns /= 10
			digits--
		}
		b = append(b, '.')
		b = appendDigits(b, ns, digits)
	}
	return append(b, 'Z')
}

// appendDigits writes n with at least width digits, zero-padded.
func appendDigits(b []byte, n, width int) []byte {
	var buf [20]byte
	i := len(buf)
	for n > 0 || width > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
		width--
	}
	return append(b, buf[i:]...)
}
