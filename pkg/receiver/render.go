package receiver

import (
	"bufio"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/jsonscan"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/safetext"
)

// outBufferSize is the buffer in front of stdout: a burst is written in few calls.
const outBufferSize = 64 << 10

// readyLine is what scripts and tests wait for on stderr.
func readyLine(r *Ready) string {
	s := "Ready: listening on " + r.URL + "\n"
	for _, l := range r.Lines {
		s += l + "\n"
	}
	return s
}

// Pretty is the human renderer: per delivery a header line, a one-line summary of
// who and what, the headers with Verbose, the body as indented JSON (coloured when
// Color is set) or raw and marked, then the warnings. The Ready line and notices go
// to ErrOut. Everything from the payload is escaped for the terminal.
type Pretty struct {
	out     *bufio.Writer
	errOut  io.Writer
	color   bool
	verbose bool
	loc     *time.Location
	buf     []byte
}

// PrettyOptions configure a Pretty renderer.
type PrettyOptions struct {
	// Out receives the entries, ErrOut the Ready line and notices.
	Out, ErrOut io.Writer
	// Color turns ANSI colour on.
	Color bool
	// Verbose shows the headers, and forward answers whole.
	Verbose bool
	// Location is the time zone of the times shown; nil means local time.
	Location *time.Location
}

// NewPretty builds the human renderer.
func NewPretty(o PrettyOptions) *Pretty {
	loc := o.Location
	if loc == nil {
		loc = time.Local
	}
	return &Pretty{out: bufio.NewWriterSize(o.Out, outBufferSize), errOut: o.ErrOut, color: o.Color, verbose: o.Verbose, loc: loc}
}

func (p *Pretty) paint(b []byte, sgr, text string) []byte {
	if !p.color {
		return append(b, text...)
	}
	b = append(b, sgr...)
	b = append(b, text...)
	return append(b, sgrReset...)
}

// Render writes one entry.
func (p *Pretty) Render(e Entry) error {
	switch v := e.(type) {
	case *Ready:
		return p.toErr(readyLine(v))
	case *Notice:
		return p.toErr(noticeLine(v, p.loc))
	case *Delivery:
		p.buf = p.delivery(p.buf[:0], v)
	case *ForwardResult:
		p.buf = appendForwardResult(p.buf[:0], v, "  ", p.color, p.verbose)
		p.buf = append(p.buf, '\n')
	default:
		return nil
	}
	_, err := p.out.Write(p.buf)
	return err
}

// toErr writes to stderr after what is pending on stdout, to keep the two in order
// on a terminal.
func (p *Pretty) toErr(s string) error {
	if err := p.out.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(p.errOut, s)
	return err
}

// Flush writes what is buffered.
func (p *Pretty) Flush() error { return p.out.Flush() }

func statusColor(status int) string {
	if status >= 200 && status < 300 {
		return sgrGreen
	}
	return sgrRed
}

// on starts a colour, off ends it (both nothing without colour).
func (p *Pretty) on(b []byte, sgr string) []byte {
	if p.color {
		b = append(b, sgr...)
	}
	return b
}

func (p *Pretty) off(b []byte) []byte {
	if p.color {
		b = append(b, sgrReset...)
	}
	return b
}

func (p *Pretty) delivery(b []byte, d *Delivery) []byte {
	b = p.on(b, sgrDim)
	b = d.ReceivedAt.In(p.loc).AppendFormat(b, "15:04:05")
	b = p.off(b)
	b = append(b, ' ')
	b = p.on(b, sgrBold)
	b = append(b, '#')
	b = strconv.AppendInt(b, d.Seq, 10)
	b = p.off(b)
	b = append(b, ' ')
	switch {
	case d.Event == "unknown":
		b = p.on(b, sgrYellow)
	case len(d.Candidates) > 1:
		b = p.on(b, sgrCyan)
	default:
		b = p.on(b, sgrBold+sgrCyan)
	}
	b = append(b, d.Event...)
	b = p.off(b)
	b = append(b, ' ')
	b = appendSanitized(b, d.Method, false)
	b = append(b, ' ')
	b = appendSanitized(b, d.Path, false)
	b = append(b, ' ')
	b = append(b, FormatSize(d.Size)...)
	b = append(b, " → "...)
	if d.ForwardTo != "" {
		b = p.on(b, sgrMagent)
		b = append(b, "forwarding to "...)
		b = appendSanitized(b, d.ForwardTo, false)
	} else {
		b = p.on(b, statusColor(d.Status))
		b = strconv.AppendInt(b, int64(d.Status), 10)
	}
	b = p.off(b)
	b = append(b, '\n')
	b = appendSummary(b, d, "  ")
	if len(d.Candidates) > 1 {
		b = append(b, "  "...)
		b = p.paint(b, sgrDim, "candidates: "+strings.Join(d.Candidates, ", "))
		b = append(b, '\n')
	}
	if p.verbose {
		b = appendHeaderLines(b, d.Header, "  ", p.color)
	}
	switch {
	case d.Status == http.StatusRequestEntityTooLarge:
		b = append(b, "  "...)
		b = p.paint(b, sgrDim, "(body not read)")
		b = append(b, '\n')
	case len(d.Body) == 0:
		b = append(b, "  "...)
		b = p.paint(b, sgrDim, "(empty body)")
		b = append(b, '\n')
	case d.IsJSON:
		b = jsonPrinter{color: p.color, prefix: "  "}.append(b, d.Body)
	default:
		b = append(b, "  "...)
		b = p.paint(b, sgrDim, "(not JSON, shown raw)")
		b = append(b, '\n')
		b = appendRawBody(b, d.Body, "  ")
	}
	for _, n := range d.Notes {
		b = append(b, "  "...)
		b = p.paint(b, sgrDim, "note: "+safetext.Escape(n))
		b = append(b, '\n')
	}
	for _, w := range d.Warnings {
		b = append(b, "  "...)
		b = p.paint(b, sgrYellow, "⚠ "+safetext.Escape(w))
		b = append(b, '\n')
	}
	return append(b, '\n')
}

// appendRawBody writes a body that is not JSON line by line, escaped.
func appendRawBody(b, body []byte, prefix string) []byte {
	text := strings.TrimRight(string(body), "\n")
	for line := range strings.SplitSeq(text, "\n") {
		b = append(b, prefix...)
		b = appendSanitized(b, strings.TrimSuffix(line, "\r"), true)
		b = append(b, '\n')
	}
	return b
}

func appendHeaderLines(b []byte, h http.Header, prefix string, color bool) []byte {
	for _, k := range sortedKeys(h) {
		for _, v := range h[k] {
			b = append(b, prefix...)
			if color {
				b = append(b, sgrDim...)
			}
			b = appendSanitized(b, k, false)
			b = append(b, ": "...)
			b = appendSanitized(b, v, false)
			if color {
				b = append(b, sgrReset...)
			}
			b = append(b, '\n')
		}
	}
	return b
}

// appendSummary writes one line saying who (name <email>) and what (course, webinar
// or mango title) a delivery is about, from the fields TagMango's payloads use;
// nothing when none is there.
func appendSummary(b []byte, d *Delivery, indent string) []byte {
	if !d.IsJSON {
		return b
	}
	p := d.Payload()
	start := len(b)
	next := func() {
		if len(b) == start {
			b = append(b, indent...)
		} else {
			b = append(b, " · "...)
		}
	}
	quoted := func(label, v string) {
		next()
		b = append(b, label...)
		b = append(b, ' ', '"')
		b = appendSanitized(b, trimRunes(v, 60), false)
		b = append(b, '"')
	}
	name, email := stringMember(p, "name"), stringMember(p, "email")
	if name != "" || email != "" {
		next()
		b = appendSanitized(b, trimRunes(name, 60), false)
		if email != "" {
			if name != "" {
				b = append(b, ' ')
			}
			b = append(b, '<')
			b = appendSanitized(b, trimRunes(email, 80), false)
			b = append(b, '>')
		}
	}
	for _, f := range [...][2]string{{"course", "course"}, {"webinar", "webinar"}, {"mangoTitle", "mango"}, {"mangoName", "mango"}} {
		if v := stringMember(p, f[0]); v != "" {
			quoted(f[1], v)
			break
		}
	}
	if title, sessions := firstSession(p); title != "" {
		quoted("webinar", title)
		if sessions > 1 {
			b = append(b, " ("...)
			b = strconv.AppendInt(b, int64(sessions), 10)
			b = append(b, " sessions)"...)
		}
	}
	if v := stringMember(p, "mangoes"); v != "" {
		quoted("mangoes", v)
	}
	if len(b) > start {
		b = append(b, '\n')
	}
	return b
}

// stringMember is the value of a top-level string member, "" when there is none.
func stringMember(p *jsonscan.Result, name string) string {
	if m, ok := p.Lookup(name); ok {
		if s, ok := m.StringValue(); ok {
			return s
		}
	}
	return ""
}

func trimRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// firstSession is the title of the first callList session and how many there are.
func firstSession(p *jsonscan.Result) (string, int) {
	cl, ok := p.Lookup("callList")
	if !ok {
		return "", 0
	}
	sessions := cl.Elements()
	if len(sessions) == 0 {
		return "", 0
	}
	for _, m := range sessions[0].Members() {
		if m.Name == "webinar" {
			if s, ok := m.StringValue(); ok {
				return s, len(sessions)
			}
		}
	}
	return "", len(sessions)
}
