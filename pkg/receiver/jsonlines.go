package receiver

import (
	"bufio"
	"io"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/safetext"
)

// forwardHeadRunes is how much of a forward answer fits on the entry's line.
const forwardHeadRunes = 120

// JSONLines is the --json renderer: one JSON object per delivery on Out (see
// AppendJSONLine), and everything else — the Ready line, forward results, notices —
// as text on ErrOut, so that Out stays valid JSON lines for jq. The line of a
// forwarded delivery is written with its ForwardResult, once the answer is known.
type JSONLines struct {
	out    *bufio.Writer
	errOut io.Writer
	loc    *time.Location
	buf    []byte
}

// NewJSONLines builds the --json renderer.
func NewJSONLines(out, errOut io.Writer) *JSONLines {
	return &JSONLines{out: bufio.NewWriterSize(out, outBufferSize), errOut: errOut, loc: time.Local}
}

// Render writes one entry.
func (j *JSONLines) Render(e Entry) error {
	var text string
	switch v := e.(type) {
	case *Delivery:
		if v.ForwardTo != "" && v.Forward == nil {
			return nil // written with its ForwardResult
		}
		j.buf = AppendJSONLine(j.buf[:0], v)
		_, err := j.out.Write(j.buf)
		return err
	case *Ready:
		text = readyLine(v)
	case *Notice:
		text = noticeLine(v, j.loc)
	case *ForwardResult:
		if d := v.Delivery; d != nil {
			j.buf = AppendJSONLine(j.buf[:0], d)
			if _, err := j.out.Write(j.buf); err != nil {
				return err
			}
		}
		text = string(appendForwardResult(nil, v, "", false, false))
	default:
		return nil
	}
	// The text goes out after the lines before it, as Pretty's toErr does. It matters
	// only when stdout and stderr are the same terminal: each forwarded delivery's
	// JSON line then shows right before its "↳ #N" line, where deferred to Flush a
	// burst would show all its results first, then all its lines. That costs one
	// write to stdout per forwarded delivery; it is kept because the renderer cannot
	// tell that terminal from a pipe (where the two streams' order is not seen).
	if err := j.out.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(j.errOut, text)
	return err
}

// Flush writes what is buffered.
func (j *JSONLines) Flush() error { return j.out.Flush() }

// Tee renders every entry with each renderer in turn; a failing renderer does
// not keep the others from their entries nor from flushing.
func Tee(rs ...Renderer) Renderer { return tee(rs) }

type tee []Renderer

func (t tee) Render(e Entry) error {
	var first error
	for _, r := range t {
		if err := r.Render(e); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (t tee) Flush() error {
	var first error
	for _, r := range t {
		if err := r.Flush(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// noticeLine is one line of stderr about a request that was not a delivery.
func noticeLine(n *Notice, loc *time.Location) string {
	b := n.Time.In(loc).AppendFormat(nil, "15:04:05")
	b = append(b, ' ')
	if n.Method != "" {
		b = appendSanitized(b, n.Method, false)
		b = append(b, ' ')
		b = appendSanitized(b, n.Path, false)
		if n.Status != 0 {
			b = append(b, " → "...)
			b = strconv.AppendInt(b, int64(n.Status), 10)
		}
		b = append(b, ": "...)
	}
	b = appendSanitized(b, n.Message, false)
	return string(append(b, '\n'))
}

// appendForwardResult writes what the user's handler answered: status, latency and
// the beginning of the answer (headers and all of it, up to the engine's limit, with
// verbose).
func appendForwardResult(b []byte, r *ForwardResult, prefix string, color, verbose bool) []byte {
	paint := func(b []byte, sgr, text string) []byte {
		if !color {
			return append(b, text...)
		}
		return append(append(append(b, sgr...), text...), sgrReset...)
	}
	b = append(b, prefix...)
	b = append(b, "↳ #"...)
	b = strconv.AppendInt(b, r.Seq, 10)
	if r.Status == 0 {
		b = append(b, " forward to "...)
		b = appendSanitized(b, r.URL, false)
		b = append(b, " failed: "...)
		b = paint(b, sgrRed, safetext.Escape(r.Message))
		b = append(b, " (answered "...)
		b = strconv.AppendInt(b, int64(r.Answered), 10)
		b = append(b, ")\n"...)
		return b
	}
	b = append(b, " forwarded to "...)
	b = appendSanitized(b, r.URL, false)
	b = append(b, " → "...)
	b = paint(b, statusColor(r.Status), strconv.Itoa(r.Status)+" "+http.StatusText(r.Status))
	b = append(b, " in "...)
	b = append(b, formatLatency(r.Latency)...)
	b = append(b, " · "...)
	if r.BodySize < 0 {
		b = append(b, "over "...)
		b = append(b, FormatSize(int64(len(r.Body)))...)
	} else {
		b = append(b, FormatSize(r.BodySize)...)
	}
	if r.Message != "" {
		b = append(b, " · "...)
		b = paint(b, sgrRed, safetext.Escape(r.Message))
	}
	if r.Answered != 0 && r.Answered != r.Status {
		b = append(b, " (answered "...)
		b = strconv.AppendInt(b, int64(r.Answered), 10)
		b = append(b, ')')
	}
	if !verbose {
		if len(r.Body) > 0 {
			b = append(b, ": "...)
			head := string(r.Body)
			truncated := int64(len(r.Body)) < r.BodySize || r.BodySize < 0
			if utf8.RuneCountInString(head) > forwardHeadRunes {
				head, truncated = string([]rune(head)[:forwardHeadRunes]), true
			}
			b = appendSanitized(b, head, false)
			if truncated {
				b = append(b, "…"...)
			}
		}
		return append(b, '\n')
	}
	b = append(b, '\n')
	b = appendHeaderLines(b, r.Header, prefix+"    ", color)
	if len(r.Body) > 0 {
		b = appendRawBody(b, r.Body, prefix+"    ")
		if r.BodySize < 0 {
			b = append(b, prefix...)
			b = append(b, "    … (more)\n"...)
		} else if int64(len(r.Body)) < r.BodySize {
			b = append(b, prefix...)
			b = append(b, "    … ("...)
			b = append(b, FormatSize(r.BodySize-int64(len(r.Body)))...)
			b = append(b, " more)\n"...)
		}
	}
	return b
}

func formatLatency(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(100 * time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}
