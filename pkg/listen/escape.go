package listen

import "unicode/utf8"

// Payloads are untrusted: a name can carry "\x1b[2J" or a right-to-left override.
// Everything that reaches a terminal from a delivery goes through these functions,
// which escape C0 and C1 controls, DEL, line/paragraph separators and bidirectional
// controls, and invalid UTF-8.

// unsafeRune reports the runes that must not reach a terminal raw.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r == 0x2028, r == 0x2029,
		r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

const hexDigits = "0123456789abcdef"

func appendUnicodeEscape(b []byte, r rune) []byte {
	return append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

// appendJSONString appends s as a JSON string literal that is also safe on a
// terminal; invalid UTF-8 becomes U+FFFD, as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != 0x7f {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = appendUnicodeEscape(b, rune(c))
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if unsafeRune(r) {
			b = append(b, s[start:i]...)
			b = appendUnicodeEscape(b, r)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendSafeJSON appends the valid JSON document doc on one line: whitespace between
// tokens removed, unsafe runes inside strings escaped (DEL and C1 controls may appear
// raw in valid JSON). The result is the same JSON value.
func appendSafeJSON(b, doc []byte) []byte {
	inString := false
	start := 0
	for i := 0; i < len(doc); {
		c := doc[i]
		if inString {
			switch {
			case c == '\\':
				i += 2
				continue
			case c == '"':
				inString = false
			case c == 0x7f:
				b = append(b, doc[start:i]...)
				b = appendUnicodeEscape(b, 0x7f)
				i++
				start = i
				continue
			case c >= utf8.RuneSelf:
				r, size := utf8.DecodeRune(doc[i:])
				if unsafeRune(r) || (r == utf8.RuneError && size == 1) {
					b = append(b, doc[start:i]...)
					b = appendUnicodeEscape(b, r) // invalid UTF-8 decodes as U+FFFD
					i += size
					start = i
					continue
				}
				i += size
				continue
			}
			i++
			continue
		}
		switch c {
		case '"':
			inString = true
		case ' ', '\t', '\n', '\r':
			b = append(b, doc[start:i]...)
			i++
			start = i
			continue
		}
		i++
	}
	return append(b, doc[start:]...)
}

// appendSanitized appends untrusted text for a terminal: printable text as is,
// everything else as a visible escape (\n, \t, \x1b, \u202e, \xff). With
// keepNewlines, "\n" and "\t" are kept, for raw bodies shown over several lines.
func appendSanitized(b []byte, s string, keepNewlines bool) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if (c >= 0x20 && c != 0x7f) || (keepNewlines && (c == '\n' || c == '\t')) {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
			i++
			start = i
			continue
		}
		if unsafeRune(r) {
			b = append(b, s[start:i]...)
			if r <= 0xff {
				b = append(b, '\\', 'x', hexDigits[r>>4], hexDigits[r&0xf])
			} else {
				b = appendUnicodeEscape(b, r)
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(b, s[start:]...)
}

// Sanitize makes untrusted text safe to print on one terminal line.
func Sanitize(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return string(appendSanitized(nil, s, false))
		}
	}
	return s
}
