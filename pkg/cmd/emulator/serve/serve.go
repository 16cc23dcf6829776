// Package serve implements `emulator serve`.
package serve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/api"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/emulator"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/hookurl"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
)

// maxRetries bounds --retries: more would hold a fire for hours.
const maxRetries = 10

// ServeOptions are the inputs of `emulator serve`. It reads nothing of the user's
// config or subscription store: --api-key and --state are its own flags, shadowing
// the global ones of the same name.
type ServeOptions struct {
	IO         *iostreams.IOStreams
	Catalog    func() (*events.Catalog, error)
	AppVersion string

	Host       string
	Port       int
	APIKey     string
	StatePath  string
	Retries    int
	RetryWait  time.Duration
	Duplicates float64
	Seed       uint64
}

// NewCmdServe builds `emulator serve`.
func NewCmdServe(f *cmdutil.Factory, runF func(*ServeOptions) error) *cobra.Command {
	opts := &ServeOptions{
		IO:         f.IOStreams,
		Catalog:    f.Catalog,
		AppVersion: f.AppVersion,
	}
	cmd := &cobra.Command{
		Use:   "serve [--host 127.0.0.1] [--port 4280] [--api-key KEY] [--state FILE]",
		Short: "Serve TagMango's webhook API locally and deliver events on request",
		Long: `Serve TagMango's webhook register and delete API on this machine, and deliver events
to the registered URLs when asked (` + "`emulator fire`" + ` or POST /_emulator/fire).

  POST   ` + api.RegisterPath + `   register {"hookUrl","event",filters}
  DELETE ` + api.RegisterPath + `   delete every registration on {"hookUrl"}
  POST   ` + emulator.LegacyRegisterPath + `                  legacy register path
  POST   ` + emulator.FirePath + `                       fire an event (no key needed)
  GET    ` + emulator.RegistrationsPath + `              what is registered
  GET    ` + emulator.DeliveriesPath + `                 the last 1000 deliveries

Every call of the API needs an x-api-key header: with --api-key, that key and no
other (TagMango's 401 envelope otherwise); without it, any non-empty key. A fire
delivers one POST per participant to every registration whose event is the fired
one and whose filter is empty or the fired id, at most 20 at once, each within 30 s.

Prints "Ready: TagMango emulator on http://HOST:PORT" on stderr once it accepts
connections (--port 0 picks a free port and prints it), then one line per call.
Runs until interrupted (Ctrl-C, SIGTERM), then stops cleanly with exit 0.
Registrations live in memory, or in --state FILE to survive restarts: each change
is appended to FILE.journal (one line, synced, before it is answered), which is
folded into FILE (replaced atomically) at start, at a clean stop and as it grows.
The user's config file and subscription store are never read.`,
		Example: `  $ tagmango-hooks emulator serve
  $ tagmango-hooks emulator serve --port 0 --state emulator.json 2> emulator.log &
  $ tagmango-hooks emulator serve --api-key test-key --retries 3 --duplicates 0.1`,
		Args: cmdutil.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if opts.Port < 0 || opts.Port > 65535 {
				return cmdutil.FlagErrorf("--port must be between 0 and 65535, not %d", opts.Port)
			}
			if opts.Host == "" {
				return cmdutil.FlagErrorf("--host must not be empty")
			}
			if opts.Retries < 0 || opts.Retries > maxRetries {
				return cmdutil.FlagErrorf("--retries must be between 0 and %d, not %d", maxRetries, opts.Retries)
			}
			if opts.RetryWait <= 0 {
				return cmdutil.FlagErrorf("--retry-wait must be positive")
			}
			if opts.Duplicates < 0 || opts.Duplicates > 1 {
				return cmdutil.FlagErrorf("--duplicates is a fraction between 0 and 1, not %v", opts.Duplicates)
			}
			if c.Flags().Changed("api-key") && opts.APIKey == "" {
				return cmdutil.FlagErrorf("--api-key must not be empty (leave it out to accept any key)")
			}
			if runF != nil {
				return runF(opts)
			}
			return serveRun(c.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Host, "host", emulator.DefaultHost, "address to bind (0.0.0.0 exposes the emulator to the network)")
	fl.IntVar(&opts.Port, "port", emulator.DefaultPort, "port to listen on; 0 picks a free one")
	fl.StringVar(&opts.APIKey, "api-key", "", "the only x-api-key accepted (default: any non-empty key)")
	fl.StringVar(&opts.StatePath, "state", "", "keep the registrations in this JSON file across restarts (default: in memory)")
	fl.IntVar(&opts.Retries, "retries", 0, "retry a failed delivery this many times, with exponential backoff")
	fl.DurationVar(&opts.RetryWait, "retry-wait", emulator.DefaultRetryWait, "first backoff wait of --retries; it doubles at each retry")
	fl.Float64Var(&opts.Duplicates, "duplicates", 0, "fraction (0..1) of deliveries sent twice, to test that receivers are idempotent")
	fl.Uint64Var(&opts.Seed, "seed", 0, "seed of the fake participant data, for reproducible payloads (0: random)")
	return cmd
}

func serveRun(ctx context.Context, opts *ServeOptions) error {
	catalog, err := opts.Catalog()
	if err != nil {
		return err
	}
	errOut := opts.IO.ErrOut
	srv, err := emulator.New(emulator.Config{
		Catalog:    catalog,
		APIKey:     opts.APIKey,
		StatePath:  opts.StatePath,
		Retries:    opts.Retries,
		RetryWait:  opts.RetryWait,
		Duplicates: opts.Duplicates,
		Seed:       opts.Seed,
		UserAgent:  "tagmango-hooks-emulator/" + opts.AppVersion,
		Log:        errOut,
	})
	if err != nil {
		return err
	}

	var lc net.ListenConfig
	addr := net.JoinHostPort(opts.Host, strconv.Itoa(opts.Port))
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("%s is already in use (another emulator?): choose another --port, or --port 0 for any free one", addr)
		}
		return fmt.Errorf("cannot listen on %s: %w", addr, err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	base := "http://" + net.JoinHostPort(opts.Host, strconv.Itoa(port))

	if opts.StatePath != "" {
		fmt.Fprintf(errOut, "registrations: %d loaded from %s; changes are saved there\n", len(srv.Registrations()), opts.StatePath)
	} else {
		fmt.Fprintln(errOut, "registrations: in memory (--state FILE keeps them across restarts)")
	}
	if !hookurl.IsLoopback(opts.Host) {
		opts.IO.Warnf("%s is reachable from other machines, and %s needs no key: anyone who reaches it can make the emulator send requests to the registered URLs", base, emulator.FirePath)
	}
	if opts.APIKey == "" {
		fmt.Fprintf(errOut, "Ready: TagMango emulator on %s (any non-empty x-api-key is accepted)\n", base)
	} else {
		fmt.Fprintf(errOut, "Ready: TagMango emulator on %s\n", base)
	}
	if opts.IO.IsStderrTTY() {
		fmt.Fprintf(errOut, "  point tagmango-hooks at it:  export TAGMANGO_BASE_URL=%s TAGMANGO_EMULATOR_URL=%s\n", base, base)
		fmt.Fprintln(errOut, "  fire an event:               tagmango-hooks emulator fire EVENT --participants N")
	}

	if err := srv.Serve(ctx, ln); err != nil {
		return err
	}
	fmt.Fprintln(errOut, "emulator stopped")
	return nil
}
