package iostreams

import "fmt"

// SGR sequences of the stderr messages.
const (
	sgrReset  = "\x1b[0m"
	sgrRed    = "\x1b[31m"
	sgrGreen  = "\x1b[32m"
	sgrYellow = "\x1b[33m"
)

// paintErr wraps s in the SGR colour when stderr is coloured.
func (s *IOStreams) paintErr(sgr, text string) string {
	if !s.errColor {
		return text
	}
	return sgr + text + sgrReset
}

// Warnf writes one warning line to stderr: "warning: " and the message, the prefix in
// yellow on a coloured terminal. Commands warn through here or WarningLine, so that
// their warnings look alike; two places still write a plain "warning: " themselves
// (listen's inspector goroutine, and pkg/tempsubs when given no Lines). The message is
// the caller's: outside text in it must already be escaped (pkg/safetext).
func (s *IOStreams) Warnf(format string, args ...any) {
	fmt.Fprint(s.ErrOut, s.WarningLine(fmt.Sprintf(format, args...)))
}

// WarningLine is the line Warnf writes, for writers that serialise their own output
// (a progress bar's notes).
func (s *IOStreams) WarningLine(msg string) string {
	return s.paintErr(sgrYellow, "warning:") + " " + msg + "\n"
}

// Errorf writes one error line to stderr, as root prints a command's failure: for what
// a command reports itself before it ends (a clean-up that failed).
func (s *IOStreams) Errorf(format string, args ...any) {
	fmt.Fprint(s.ErrOut, s.ErrorLine(fmt.Sprintf(format, args...)))
}

// ErrorLine is how root prints a command's failure: "error: " and the message, the
// prefix in red on a coloured terminal.
func (s *IOStreams) ErrorLine(msg string) string {
	return s.paintErr(sgrRed, "error:") + " " + msg + "\n"
}

// SuccessIcon is the ✓ of a success line on stderr, green on a coloured terminal.
func (s *IOStreams) SuccessIcon() string { return s.paintErr(sgrGreen, "✓") }
