package root

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/api"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/config"
)

// Main runs one invocation and returns its exit code. It is the one place where
// errors become messages and exit codes.
func Main(ctx context.Context, f *cmdutil.Factory, args []string) (code int) {
	root := NewCmdRoot(f)
	root.SetArgs(args)
	defer func() {
		if r := recover(); r != nil {
			msg := redactKey(f, fmt.Sprint(r))
			fmt.Fprintf(f.IOStreams.ErrOut, "tagmango-hooks crashed: %s\nPlease report this with the command you ran (without your API key).\n", msg)
			code = cmdutil.ExitError
		}
	}()

	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return cmdutil.ExitOK
	}
	// The reader of stdout went away (`list | head -1`): the user has seen what they
	// wanted. A quiet end, as for any Unix filter; listen has cleaned up first.
	if errors.Is(err, syscall.EPIPE) {
		return cmdutil.ExitOK
	}
	// cobra reports an unknown command as a plain error; it is a usage error.
	if strings.HasPrefix(err.Error(), "unknown command ") {
		err = cmdutil.FlagErrorWrap(err)
	}
	if ctx.Err() != nil && !errors.Is(err, cmdutil.ErrSilent) {
		var flagErr *cmdutil.FlagError
		if !errors.As(err, &flagErr) {
			fmt.Fprintln(f.IOStreams.ErrOut, "interrupted")
			return cmdutil.ExitInterrupted
		}
	}
	printError(f, cmd, err)
	return cmdutil.ExitCodeFor(err)
}

func printError(f *cmdutil.Factory, cmd *cobra.Command, err error) {
	errOut := f.IOStreams.ErrOut
	if cmdutil.IsSilent(err) {
		return
	}
	var flagErr *cmdutil.FlagError
	if errors.As(err, &flagErr) {
		// cobra's did-you-mean suggestions end in a newline of their own.
		fmt.Fprint(errOut, f.IOStreams.ErrorLine(strings.TrimRight(err.Error(), "\n")))
		if cmd != nil {
			fmt.Fprintf(errOut, "usage: %s\nRun '%s --help' for more.\n", cmd.UseLine(), cmd.CommandPath())
		}
		return
	}
	fmt.Fprint(errOut, f.IOStreams.ErrorLine(err.Error()))
	var authErr *cmdutil.AuthError
	if errors.As(err, &authErr) || cmdutil.ExitCodeFor(err) == cmdutil.ExitAuth {
		if !strings.Contains(err.Error(), "profile add") {
			fmt.Fprintln(errOut, "hint: check the key with `tagmango-hooks profile show`, or store a new one with `tagmango-hooks profile add NAME`")
		}
	}
}

// redactKey masks the API key in msg. It runs while recovering from a panic, so it
// must not panic itself, even if resolving the settings is what panicked.
func redactKey(f *cmdutil.Factory, msg string) string {
	keys := []string{os.Getenv(config.EnvAPIKey)}
	func() {
		defer func() { _ = recover() }()
		if s, err := f.Settings(); err == nil {
			keys = append(keys, s.APIKey)
		}
	}()
	for _, k := range keys {
		if len(k) >= 8 {
			msg = strings.ReplaceAll(msg, k, api.MaskKey(k))
		}
	}
	return msg
}
