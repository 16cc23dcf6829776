// Package iostreams carries the standard streams of one invocation together with the
// decisions that depend on them: whether each is a terminal, whether colour is on, how
// wide the terminal is and whether the user can be prompted.
package iostreams

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// IOStreams is the only way commands read input and write output.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdinTTY  bool
	stdoutTTY bool
	stderrTTY bool
	color     bool
	// errColor is colour on stderr: warnings and errors, decided by stderr's own
	// terminal, since `cmd | jq` still shows them on one.
	errColor bool
	width    int

	// readSecret reads one line without echo; tests replace it.
	readSecret func() (string, error)
	// saveTerminal records the terminal's state and returns what puts it back, for a
	// prompt abandoned while the terminal does not echo; nil when not a terminal.
	saveTerminal func() (restore func())
}

// System returns streams bound to the process's stdin, stdout and stderr.
func System(getenv func(string) string) *IOStreams {
	ios := &IOStreams{
		In:        os.Stdin,
		Out:       os.Stdout,
		ErrOut:    os.Stderr,
		stdinTTY:  isTerminal(os.Stdin),
		stdoutTTY: isTerminal(os.Stdout),
		stderrTTY: isTerminal(os.Stderr),
		width:     80,
	}
	if ios.stdoutTTY {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil && w > 0 {
			ios.width = w
		}
	}
	ios.DecideColor(getenv)
	// enableVT only where colour is on: the console is not touched otherwise (on
	// Windows a console that refuses VT processing gets no colour).
	ios.color = ios.color && enableVT(os.Stdout)
	ios.errColor = ios.errColor && enableVT(os.Stderr)
	fd := int(os.Stdin.Fd())
	ios.readSecret = func() (string, error) {
		b, err := term.ReadPassword(fd)
		return string(b), err
	}
	ios.saveTerminal = func() func() {
		state, err := term.GetState(fd)
		if err != nil {
			return func() {}
		}
		return func() { _ = term.Restore(fd, state) }
	}
	return ios
}

func isTerminal(f *os.File) bool {
	return term.IsTerminal(int(f.Fd()))
}

// Test returns streams backed by buffers, none of them a terminal.
func Test() (ios *IOStreams, in *bytes.Buffer, out *bytes.Buffer, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	ios = &IOStreams{In: in, Out: out, ErrOut: errOut, width: 80}
	// Read from ios.In when asked, so that a test can swap in a reader of its own.
	ios.readSecret = func() (string, error) { return readLine(ios.In) }
	return ios, in, out, errOut
}

// SetStdinTTY marks stdin as a terminal (for tests).
func (s *IOStreams) SetStdinTTY(v bool) { s.stdinTTY = v }

// SetStdoutTTY marks stdout as a terminal (for tests).
func (s *IOStreams) SetStdoutTTY(v bool) { s.stdoutTTY = v }

// SetStderrTTY marks stderr as a terminal (for tests).
func (s *IOStreams) SetStderrTTY(v bool) { s.stderrTTY = v }

// DecideColor turns colour on for each stream that is a terminal, unless NO_COLOR is
// set or TERM is dumb. System calls it; tests call it after marking terminals.
func (s *IOStreams) DecideColor(getenv func(string) string) {
	allowed := getenv("NO_COLOR") == "" && getenv("TERM") != "dumb"
	s.color = s.stdoutTTY && allowed
	s.errColor = s.stderrTTY && allowed
}

// DisableColor turns colour off on every stream (--no-color).
func (s *IOStreams) DisableColor() {
	s.color = false
	s.errColor = false
}

// IsStdinTTY reports whether stdin is a terminal.
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// IsStdoutTTY reports whether stdout is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether stderr is a terminal.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// ColorEnabled reports whether ANSI colour may be written to stdout.
func (s *IOStreams) ColorEnabled() bool { return s.color }

// TerminalWidth is the width of the terminal, 80 when unknown.
func (s *IOStreams) TerminalWidth() int { return s.width }

// CanPrompt reports whether the user can answer a question: stdin and stderr are
// terminals. Commands that would prompt otherwise fail, naming the flag to pass.
func (s *IOStreams) CanPrompt() bool { return s.stdinTTY && s.stderrTTY }

// ErrNoInput is returned when a line was expected on stdin and none came.
var ErrNoInput = errors.New("no input")

// ReadSecret prints prompt on stderr and reads one line without echo. When ctx is
// cancelled (Ctrl-C) it returns ctx's error at once, with the terminal's echo back on.
func (s *IOStreams) ReadSecret(ctx context.Context, prompt string) (string, error) {
	fmt.Fprint(s.ErrOut, prompt)
	restore := func() {}
	if s.saveTerminal != nil {
		restore = s.saveTerminal()
	}
	v, err := readUnlessCancelled(ctx, s.readSecret, restore)
	fmt.Fprintln(s.ErrOut)
	return v, err
}

// Confirm asks a yes/no question on stderr and reads the answer from stdin. When ctx
// is cancelled (Ctrl-C) it returns ctx's error at once.
func (s *IOStreams) Confirm(ctx context.Context, question string) (bool, error) {
	fmt.Fprintf(s.ErrOut, "%s [y/N] ", question)
	line, err := readUnlessCancelled(ctx, func() (string, error) { return readLine(s.In) }, func() {})
	if ctx.Err() != nil {
		fmt.Fprintln(s.ErrOut) // the answer's line was never ended
		return false, err
	}
	if err != nil && !errors.Is(err, ErrNoInput) {
		return false, err
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

// ReadAll reads stdin to its end, at most limit bytes.
func (s *IOStreams) ReadAll(limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(s.In, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("input is larger than %d bytes", limit)
	}
	return b, nil
}

// readUnlessCancelled runs read, and returns early with ctx's error when ctx is done
// first. A terminal read cannot be interrupted, so it is left behind: the process is
// about to end. onCancel undoes what the read did to the terminal.
func readUnlessCancelled(ctx context.Context, read func() (string, error), onCancel func()) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	type result struct {
		v   string
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := read()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		onCancel()
		return "", ctx.Err()
	}
}

func readLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err == io.EOF {
		if line == "" {
			return "", ErrNoInput
		}
		err = nil
	}
	return strings.TrimRight(line, "\r\n"), err
}
