package receiver

import "github.com/tagmango-hooks/tagmango-hooks/pkg/safetext"

// Payloads are untrusted: a name can carry "\x1b[2J" or a right-to-left override.
// Everything that reaches a terminal from a delivery goes through these names, which
// are pkg/safetext's: that package alone decides what is safe for a terminal.

// appendJSONString appends s as a JSON string literal that is also safe on a terminal.
func appendJSONString(b []byte, s string) []byte { return safetext.AppendJSONString(b, s) }

// appendSafeJSON appends the valid JSON document doc on one line, unsafe runes inside
// strings escaped.
func appendSafeJSON(b, doc []byte) []byte { return safetext.AppendCompactJSON(b, doc) }

// appendSanitized appends untrusted text with visible escapes; with keepNewlines, "\n"
// and "\t" are kept, for raw bodies shown over several lines.
func appendSanitized(b []byte, s string, keepNewlines bool) []byte {
	return safetext.AppendEscaped(b, s, keepNewlines)
}
