package inspector

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/hookurl"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/safetext"
)

// curl is GET /api/deliveries/ID/curl[?to=URL]: a POSIX shell command line that
// sends the delivery again byte for byte — its body through printf, which writes
// every byte exactly (NUL included), and its headers as a replay sends them.
func (s *Server) curl(w http.ResponseWriter, r *http.Request) {
	rec, ok := s.lookup(w, r)
	if !ok {
		return
	}
	to := r.URL.Query().Get("to")
	if to == "" {
		to = s.defaultTarget(rec)
	}
	if to == "" {
		to = "http://localhost:3000/"
	} else if _, err := hookurl.Parse(to); err != nil {
		apiError(w, http.StatusBadRequest, "to: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(curlCommand(to, replayHeader(rec.d.Headers()), rec.d.Body)))
}

// curlCommand is the command line; it ends with a newline.
func curlCommand(to string, header http.Header, body []byte) string {
	var b strings.Builder
	b.WriteString("printf '")
	b.WriteString(printfEscape(body))
	b.WriteString("' | curl -sS -X POST --data-binary @-")
	if header.Get("Content-Type") == "" {
		b.WriteString(" -H " + shellQuote("Content-Type: application/json"))
	}
	keys := make([]string, 0, len(header))
	for k := range header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range header[k] {
			b.WriteString(" -H " + shellQuote(k+": "+v))
		}
	}
	b.WriteString(" " + shellQuote(to) + "\n")
	return b.String()
}

// printfEscape writes body for a single-quoted printf format: printable ASCII as it
// is, "%" and "\" doubled as printf wants, and every other byte — quotes, control
// characters, invalid UTF-8, and characters a terminal could act on — as an octal
// escape. Other UTF-8 text stays readable.
func printfEscape(body []byte) string {
	var b strings.Builder
	octal := func(c byte) {
		b.WriteByte('\\')
		s := strconv.FormatInt(int64(c), 8)
		b.WriteString(strings.Repeat("0", 3-len(s)) + s)
	}
	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case c == '%':
			b.WriteString("%%")
		case c == '\\':
			b.WriteString(`\\`)
		case c == '\'':
			octal(c)
		case c >= 0x20 && c < 0x7f:
			b.WriteByte(c)
		case c < 0x80:
			octal(c)
		default:
			r, n := utf8.DecodeRune(body[i:])
			if r == utf8.RuneError || safetext.Unsafe(r) {
				for _, x := range body[i : i+n] {
					octal(x)
				}
			} else {
				b.Write(body[i : i+n])
			}
			i += n
			continue
		}
		i++
	}
	return b.String()
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
