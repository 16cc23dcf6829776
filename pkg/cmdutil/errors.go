// Package cmdutil holds what every command shares: the Factory of dependencies, typed
// errors and their exit codes, and flag helpers.
package cmdutil

import (
	"errors"
	"fmt"
)

// Exit codes, as documented in `help exit-codes`.
const (
	ExitOK          = 0
	ExitError       = 1
	ExitUsage       = 2
	ExitExpectation = 3
	ExitAuth        = 4
	ExitInterrupted = 130
)

// FlagError is a usage or validation error: the usage is shown and the exit code is 2.
type FlagError struct{ err error }

func (e *FlagError) Error() string { return e.err.Error() }
func (e *FlagError) Unwrap() error { return e.err }

// FlagErrorf builds a FlagError that shows the command's usage.
func FlagErrorf(format string, args ...any) error {
	return &FlagError{fmt.Errorf(format, args...)}
}

// FlagErrorWrap marks err as a usage error.
func FlagErrorWrap(err error) error { return &FlagError{err} }

// ValidationError is an input error found after parsing (unknown event, bad URL):
// exit 2, but no usage dump, since the flags themselves were well-formed.
type ValidationError struct{ err error }

func (e *ValidationError) Error() string { return e.err.Error() }
func (e *ValidationError) Unwrap() error { return e.err }

// Invalidf builds a ValidationError.
func Invalidf(format string, args ...any) error {
	return &ValidationError{fmt.Errorf(format, args...)}
}

// AuthError means no API key was found or the API refused it: exit 4.
type AuthError struct{ err error }

func (e *AuthError) Error() string { return e.err.Error() }
func (e *AuthError) Unwrap() error { return e.err }

// NewAuthError wraps err as an authentication failure.
func NewAuthError(err error) error { return &AuthError{err} }

// ExpectationError means the command ran but what it checked did not hold: exit 3.
type ExpectationError struct{ err error }

func (e *ExpectationError) Error() string { return e.err.Error() }
func (e *ExpectationError) Unwrap() error { return e.err }

// Expectationf builds an ExpectationError.
func Expectationf(format string, args ...any) error {
	return &ExpectationError{fmt.Errorf(format, args...)}
}

// ErrSilent makes the program exit 1 without printing anything more: the command has
// already explained itself on stderr.
var ErrSilent = errors.New("silent error")

// ErrCancel means the user interrupted the command: exit 130.
var ErrCancel = errors.New("interrupted")

// ExitCodeFor maps an error returned by a command to the process exit code. It is the
// one place where that mapping lives.
func ExitCodeFor(err error) int {
	var (
		flagErr  *FlagError
		validErr *ValidationError
		authErr  *AuthError
		expErr   *ExpectationError
		coder    interface{ ExitCode() int }
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, ErrCancel):
		return ExitInterrupted
	case errors.As(err, &flagErr), errors.As(err, &validErr):
		return ExitUsage
	case errors.As(err, &authErr):
		return ExitAuth
	case errors.As(err, &expErr):
		return ExitExpectation
	case errors.As(err, &coder):
		return coder.ExitCode()
	}
	return ExitError
}

// IsSilent reports whether err has already been reported to the user.
func IsSilent(err error) bool { return errors.Is(err, ErrSilent) }
