package receiver

// A small indenter and colouriser for JSON bodies. It is written here rather than
// taken from a library because what matters most is how strings are written: in
// their source form, with every rune that could drive a terminal escaped, which
// json.Indent does not do (it leaves DEL, C1 controls and bidi overrides raw) and
// the colouring libraries leave to encoding/json.

import "github.com/tagmango-hooks/tagmango-hooks/pkg/jsonscan"

// SGR colours.
const (
	sgrReset  = "\x1b[0m"
	sgrBold   = "\x1b[1m"
	sgrDim    = "\x1b[2m"
	sgrRed    = "\x1b[31m"
	sgrGreen  = "\x1b[32m"
	sgrYellow = "\x1b[33m"
	sgrBlue   = "\x1b[34m"
	sgrMagent = "\x1b[35m"
	sgrCyan   = "\x1b[36m"
	sgrGrey   = "\x1b[90m"
	sgrKey    = "\x1b[1;34m"
)

// maxIndentDepth is how deep the printer indents. A value nested deeper is written
// whole on one line (compact, still escaped): real payloads nest three levels, and
// indenting a hostile 10,000-level body would turn 20 KB into 200 MB of spaces.
const maxIndentDepth = 10

type jsonPrinter struct {
	color  bool
	prefix string // written at the start of every line
}

// appendPrettyJSON appends the valid JSON document doc, indented by two spaces per
// level, each line starting with prefix, coloured when color is set.
func (p jsonPrinter) append(b, doc []byte) []byte {
	i := jsonscan.SkipSpace(doc, 0)
	if i >= len(doc) {
		return b
	}
	b = append(b, p.prefix...)
	b, _ = p.value(b, doc, i, 0)
	return append(b, '\n')
}

func (p jsonPrinter) newline(b []byte, depth int) []byte {
	b = append(b, '\n')
	b = append(b, p.prefix...)
	for range depth {
		b = append(b, ' ', ' ')
	}
	return b
}

func (p jsonPrinter) paint(b []byte, sgr string, text []byte) []byte {
	if !p.color {
		return append(b, text...)
	}
	b = append(b, sgr...)
	b = append(b, text...)
	return append(b, sgrReset...)
}

// value appends the value at doc[i] and returns the index after it.
func (p jsonPrinter) value(b, doc []byte, i, depth int) ([]byte, int) {
	switch doc[i] {
	case '{', '[':
		if depth >= maxIndentDepth {
			end := jsonscan.SkipValue(doc, i)
			return appendSafeJSON(b, doc[i:end]), end
		}
		open, close := doc[i], byte('}')
		if open == '[' {
			close = ']'
		}
		i = jsonscan.SkipSpace(doc, i+1)
		if doc[i] == close {
			return append(b, open, close), i + 1
		}
		b = append(b, open)
		for {
			b = p.newline(b, depth+1)
			if open == '{' {
				end := jsonscan.SkipValue(doc, i)
				b = p.str(b, sgrKey, doc[i:end])
				b = append(b, ':', ' ')
				i = jsonscan.SkipSpace(doc, end)
				i = jsonscan.SkipSpace(doc, i+1) // past ':'
			}
			b, i = p.value(b, doc, i, depth+1)
			i = jsonscan.SkipSpace(doc, i)
			if doc[i] == ',' {
				b = append(b, ',')
				i = jsonscan.SkipSpace(doc, i+1)
				continue
			}
			b = p.newline(b, depth)
			return append(b, close), i + 1
		}
	case '"':
		end := jsonscan.SkipValue(doc, i)
		return p.str(b, sgrGreen, doc[i:end]), end
	case 't':
		return p.paint(b, sgrYellow, doc[i:i+4]), i + 4
	case 'f':
		return p.paint(b, sgrYellow, doc[i:i+5]), i + 5
	case 'n':
		return p.paint(b, sgrGrey, doc[i:i+4]), i + 4
	}
	end := jsonscan.SkipValue(doc, i)
	return p.paint(b, sgrCyan, doc[i:end]), end
}

// str appends a string literal in its source form with unsafe runes escaped.
func (p jsonPrinter) str(b []byte, sgr string, lit []byte) []byte {
	if p.color {
		b = append(b, sgr...)
	}
	b = appendSafeJSON(b, lit)
	if p.color {
		b = append(b, sgrReset...)
	}
	return b
}
