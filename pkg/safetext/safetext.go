// Package safetext owns what "safe for a terminal" means. Text from outside — payloads,
// API messages, URLs, store and config values — can carry "\x1b[2J", a C1 CSI or a
// right-to-left override; everything that prints such text goes through this package,
// which either escapes the unsafe characters visibly (Escape, AppendEscaped), writes
// them as JSON escapes (AppendJSONString, AppendJSON), or removes them (Strip).
//
// Unsafe are: C0 controls, DEL, C1 controls, the line and paragraph separators
// U+2028/U+2029, the bidirectional controls (U+061C, U+200E/F, U+202A–U+202E,
// U+2066–U+2069) and invalid UTF-8.
package safetext

import "unicode/utf8"

// Unsafe reports whether r must not reach a terminal raw. Invalid UTF-8 is unsafe as
// well; the functions of this package deal with it byte by byte.
func Unsafe(r rune) bool {
	if r < 0x80 {
		return r < 0x20 || r == 0x7f
	}
	if r <= 0x9f {
		return true // C1
	}
	return r == 0x061c || r == 0x200e || r == 0x200f ||
		(r >= 0x2028 && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// IsSafe reports whether s is valid UTF-8 without an unsafe rune: it may be printed
// as is.
func IsSafe(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || Unsafe(r) {
			return false
		}
		i += size
	}
	return true
}

const hexDigits = "0123456789abcdef"

func appendUnicodeEscape(b []byte, r rune) []byte {
	return append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

func appendHexEscape(b []byte, c byte) []byte {
	return append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
}

// Escape makes s safe to print on one terminal line: printable text as is, everything
// else as a visible escape (\n, \t, \x1b, \x9b, \u202e; an invalid byte as \xff).
func Escape(s string) string {
	if IsSafe(s) {
		return s
	}
	return string(AppendEscaped(nil, s, false))
}

// AppendEscaped appends s escaped as Escape does. With keepNewlines, "\n" and "\t" are
// kept, for text shown over several lines.
func AppendEscaped(b []byte, s string, keepNewlines bool) []byte {
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
				b = appendHexEscape(b, c)
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = appendHexEscape(b, c)
			i++
			start = i
			continue
		}
		if Unsafe(r) {
			b = append(b, s[start:i]...)
			if r <= 0xff {
				b = appendHexEscape(b, byte(r)) //nolint:gosec // r <= 0xff: no overflow
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

// AppendJSONString appends s as a JSON string literal that is also safe on a
// terminal: every unsafe rune, DEL included, is a \u escape; invalid UTF-8 becomes
// U+FFFD, as encoding/json does.
func AppendJSONString(b []byte, s string) []byte { return appendJSONString(b, s, true) }

// AppendPlainJSONString appends s as a JSON string literal escaping only what JSON
// requires, and U+2028/U+2029 as encoding/json does; invalid UTF-8 becomes U+FFFD.
// It is for payloads that carry what the user gave as it was given (sample's
// documents): they are sent, not shown.
func AppendPlainJSONString(b []byte, s string) []byte { return appendJSONString(b, s, false) }

// appendJSONString writes a JSON string literal; terminal also escapes DEL and every
// unsafe rune.
func appendJSONString(b []byte, s string, terminal bool) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && (c != 0x7f || !terminal) {
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
		if terminal && Unsafe(r) || r == '\u2028' || r == '\u2029' {
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

// AppendCompactJSON appends the valid JSON document doc on one line: whitespace
// between tokens removed, unsafe runes inside strings escaped (DEL, C1 controls and
// bidi controls may appear raw in valid JSON). The result is the same JSON value.
func AppendCompactJSON(b, doc []byte) []byte { return appendJSON(b, doc, true) }

// AppendJSON appends the valid JSON document doc with its layout kept and unsafe runes
// inside strings escaped. The result is the same JSON value.
func AppendJSON(b, doc []byte) []byte { return appendJSON(b, doc, false) }

func appendJSON(b, doc []byte, compact bool) []byte {
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
				if Unsafe(r) || (r == utf8.RuneError && size == 1) {
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
			if compact {
				b = append(b, doc[start:i]...)
				i++
				start = i
				continue
			}
		}
		i++
	}
	return append(b, doc[start:]...)
}

// Strip removes what could act on a terminal and keeps the rest of s exact: whole
// escape sequences (CSI such as "\x1b[31m", OSC such as a title or a link), then every
// other unsafe rune; invalid UTF-8 becomes U+FFFD. It is for text that is read as
// prose, such as a server's message, where visible escapes would only be noise.
func Strip(s string) string {
	if IsSafe(s) {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == 0x1b:
				i = skipEscapeSequence(s, i)
			case c < 0x20 || c == 0x7f:
				i++
			default:
				b = append(b, c)
				i++
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, "\uFFFD"...)
		case r == 0x9b: // C1 CSI: the same sequence as ESC [
			i = skipCSI(s, i+size)
			continue
		case r == 0x9d: // C1 OSC
			i = skipOSC(s, i+size)
			continue
		case !Unsafe(r):
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return string(b)
}

// skipEscapeSequence returns the index after the escape sequence at s[i] == ESC.
func skipEscapeSequence(s string, i int) int {
	if i+1 < len(s) {
		switch s[i+1] {
		case '[':
			return skipCSI(s, i+2)
		case ']':
			return skipOSC(s, i+2)
		}
	}
	return i + 1
}

// skipCSI skips a control sequence's parameter and intermediate bytes and its final
// byte, starting after its introducer.
func skipCSI(s string, i int) int {
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x3f {
		i++
	}
	if i < len(s) && s[i] >= 0x40 && s[i] <= 0x7e {
		i++
	}
	return i
}

// skipOSC skips an operating system command up to its terminator (BEL or ESC \),
// starting after its introducer.
func skipOSC(s string, i int) int {
	for i < len(s) {
		switch s[i] {
		case 0x07:
			return i + 1
		case 0x1b:
			if i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
			return i // an unterminated OSC ends where the next sequence starts
		}
		i++
	}
	return i
}
