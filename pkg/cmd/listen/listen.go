// Package listen implements `listen`, the receiver for debugging TagMango deliveries.
// The engine and its renderers live in pkg/receiver; this package parses flags, wires
// them, and manages the temporary subscriptions of --register.
package listen

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/api"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/config"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/hookurl"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/inspector"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/output"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/receiver"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/store"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/tunnel"
)

// ListenOptions are the inputs of `listen`. Events are the --event names and families,
// the events listened for: only they are shown and counted. With --register,
// RegisterEvents holds the same events, which are then subscribed (names only).
type ListenOptions struct {
	IO        *iostreams.IOStreams
	Catalog   func() (*events.Catalog, error)
	Settings  func() (*config.Settings, error)
	APIClient func(timeout time.Duration) (*api.Client, error)
	Store     func() (*store.Store, error)
	Now       func() time.Time
	// Location is the time zone of the times shown; nil means local time.
	Location *time.Location
	// Signals delivers SIGINT and SIGTERM while listen runs (the first starts the
	// end, a second ends it without waiting for the display); stop unregisters.
	Signals func() (sigs <-chan os.Signal, stop func())
	// AppVersion names the inspector's replays (user-agent).
	AppVersion string
	// OpenBrowser opens the inspector's page (--open).
	OpenBrowser func(ctx context.Context, url string) error

	Host           string
	Port           int
	Path           string
	JSON           bool
	Events         []string
	Count          int
	Timeout        time.Duration
	ForwardTo      []string
	ForwardTimeout time.Duration
	Save           string
	SaveFsync      bool
	Status         int
	MaxBody        string
	MaxConnections int
	RequireHeader  string
	Verbose        bool

	Register       bool
	PublicURL      string
	RegisterEvents []string
	Filters        store.Filters

	// Tunnel is cloudflared or ngrok (--tunnel): listen runs it and registers its
	// public URL. TunnelBin is the program, TunnelTimeout bounds the waits for its URL
	// and for the probe; NoProbe skips the probe.
	Tunnel        string
	TunnelBin     string
	TunnelTimeout time.Duration
	// TunnelCheck is how often a running tunnel is probed (0: never).
	TunnelCheck time.Duration
	NoProbe     bool

	// The inspector (--ui).
	UI     bool
	UIHost string
	UIPort int
	UIKeep int
	Open   bool

	// Parsed from the flags by the command.

	// MaxBodyBytes is --max-body in bytes.
	MaxBodyBytes int64
	// Header is --require-header, nil when not given.
	Header *receiver.HeaderCheck
	// Routes are the --forward-to values.
	Routes []receiver.Route
}

// NewCmdListen builds `listen`.
func NewCmdListen(f *cmdutil.Factory, runF func(*ListenOptions) error) *cobra.Command {
	opts := &ListenOptions{
		IO:        f.IOStreams,
		Catalog:   f.Catalog,
		Settings:  f.Settings,
		APIClient: f.APIClient,
		Store:     f.Store,
		Now:       f.Now,
		Signals:   notifySignals,

		AppVersion:  f.AppVersion,
		OpenBrowser: inspector.OpenBrowser,
	}
	var eventFlag *cmdutil.EventFlag
	cmd := &cobra.Command{
		Use:   "listen [--port 4242] [--json] [--forward-to URL] [--register --public-url URL --event EVENT...]",
		Short: "Receive TagMango deliveries locally and show them as they arrive",
		Long: `Receive TagMango deliveries on a local port and show each one: the detected event,
who and what it is about, the payload, and what is wrong with it.

TagMango sends one call per participant — a 1000-person webinar is 1000 reminder calls,
three times over — and names no event in the payload. listen answers every call first
and prints behind it, so it is never the bottleneck and loses nothing. The event is
detected from the last path segment when it is an event name (as --register arranges),
else from the payload's shape; events that share a shape are shown as their family
(course.completed.*) with the candidates listed.

Each delivery is checked against the catalog: missing fields, fields of the wrong JSON
type, and bodies identical to an earlier one (TagMango asks receivers to be idempotent).
An event TagMango sends several times with the same body (webinar.reminder.all: at each
of its three reminders) shows up to that many identical bodies as repeats, with a note.

--json (or -o json) prints one JSON object per line on stdout (seq, receivedAt, event, candidates,
method, path, headers, body, warnings, notes, repeatOf, duplicateOf, status, forward),
once the answer is known; everything else goes to stderr. --save FILE appends the same lines to FILE, with
the body's exact bytes (raw, or rawBase64 when not UTF-8), for replay; numbering
continues after the highest seq already in FILE. With --save, a delivery is answered 2xx
only once its line is written (--save-fsync: and synced to disk); when the file cannot
be written, deliveries are answered 503 and listen exits 1.

--forward-to relays each delivery to your handler and answers TagMango with its status
(502 when nothing answers, 504 after --forward-timeout). --forward-to EVENT=URL routes
one event or family (webinar.*) to its own URL; a plain URL is the default route.

--event (-e; repeatable and comma-separated) names the events listened for: only they
are shown and counted (a family such as 'course.completed.*' takes all of its events);
the others are still answered. The deprecated --events is the same flag.

--ui serves the inspector, a local web page of the deliveries (list, filters, schema
check table, replay, edit & replay, curl, compare, burst chart) and its JSON API, on its
own loopback port (--ui-port, default 4243; never the receiver's); it keeps the latest
--ui-keep deliveries and never slows the receiver. See docs/inspector.md.

--register subscribes PUBLIC_URL/<event> for each --event for as long as listen runs
(marked temporary), and deletes them when it ends, however it ends; temporary
subscriptions left by a listen that was killed are deleted when the next one starts.
Before subscribing, a probe is sent through PUBLIC_URL until listen receives it (up to
--tunnel-timeout; --no-probe skips it): a tunnel to the wrong port fails there.
--tunnel cloudflared|ngrok runs the tunnel too and subscribes its URL: tunnel up,
probe, subscribe … unsubscribe, tunnel down; a tunnel that dies ends listen (exit 1).
Without --register, listen needs no API key and no config.

listen ends on Ctrl-C or SIGTERM (exit 0), after --count (-n) deliveries (exit 0), or after
--timeout (exit 0, or 3 when --count deliveries did not all come). On Ctrl-C the
display gets 3s to catch up (a second Ctrl-C: none), then listen says how many
deliveries it did not show and exits 1. A closed stdout (| head) ends listen after its
clean-up.`,
		Example: `  # Watch deliveries on http://127.0.0.1:4242/
  $ tagmango-hooks listen

  # Real TagMango deliveries: a tunnel, subscribed for as long as listen runs
  $ tagmango-hooks listen --tunnel cloudflared --event course.completed.50

  # With a tunnel of your own
  $ cloudflared tunnel --url http://127.0.0.1:4242        # or: ngrok http 4242
  $ tagmango-hooks listen --register --public-url https://NAME.trycloudflare.com \
      --event course.completed.50 --event webinar.reminder.all

  # Relay to your handler while watching; route one family elsewhere
  $ tagmango-hooks listen --forward-to http://localhost:3000/hooks/tagmango \
      --forward-to 'webinar.*=http://localhost:3000/hooks/webinars'

  # Browse, check, compare and replay them in a local page (http://127.0.0.1:4243/)
  $ tagmango-hooks listen --ui --open

  # In CI: wait for 3 course events, at most 2 minutes, keep them for replay
  $ tagmango-hooks listen --port 0 --json --event 'course.completed.*' -n 3 --timeout 2m --save deliveries.jsonl`,
		Args: cmdutil.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			opts.Verbose = f.Verbose()
			opts.Events = eventFlag.Names()
			if format, err := f.OutputFormat(); err == nil && format == output.FormatJSON {
				opts.JSON = true
			} else if err == nil && format == output.FormatYAML {
				return cmdutil.FlagErrorf("listen prints JSON lines (--json); YAML is not available")
			}
			if err := validateFlags(c, opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return listenRun(c.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Host, "host", receiver.DefaultHost, "address to listen on (0.0.0.0 exposes listen to your network)")
	fl.IntVar(&opts.Port, "port", receiver.DefaultPort, "port to listen on (0 picks a free port)")
	fl.StringVar(&opts.Path, "path", receiver.DefaultPath, "accept deliveries on this path and below")
	fl.BoolVar(&opts.JSON, "json", false, "print one JSON object per delivery (for jq)")
	eventFlag = cmdutil.AddEventFlag(f, cmd, cmdutil.Select, "show and count only this `EVENT` or family (course.completed.*); with --register, subscribe it")
	eventFlag.AddDeprecatedAlias(f, cmd)
	fl.IntVarP(&opts.Count, "count", "n", 0, "exit after this many (matching) deliveries")
	fl.DurationVar(&opts.Timeout, "timeout", 0, "stop after this long (with --count: exit 3 if fewer came)")
	fl.StringArrayVar(&opts.ForwardTo, "forward-to", nil, "relay deliveries to URL, or EVENT=URL for one event or family (repeatable; localhost:3000/x needs no http://)")
	fl.DurationVar(&opts.ForwardTimeout, "forward-timeout", receiver.DefaultForwardTimeout, "how long your handler may take before the sender gets 504")
	fl.StringVar(&opts.Save, "save", "", "append the JSON line of every delivery to `FILE`; 2xx only once written")
	fl.BoolVar(&opts.SaveFsync, "save-fsync", false, "with --save: sync the file to disk before answering (slower)")
	fl.IntVar(&opts.Status, "status", http.StatusOK, "status to answer deliveries with (to watch retries)")
	fl.StringVar(&opts.MaxBody, "max-body", "1MiB", "largest body accepted (bytes, or 512KiB, 1MiB…; at most 64MiB); larger get 413")
	fl.IntVar(&opts.MaxConnections, "max-connections", receiver.DefaultMaxConnections, "most connections served at once; more wait until one closes")
	fl.StringVar(&opts.RequireHeader, "require-header", "", "answer 401 to deliveries without this header: NAME=VALUE")
	fl.BoolVar(&opts.Register, "register", false, "subscribe --public-url/<event> for each --event while listening")
	fl.StringVar(&opts.PublicURL, "public-url", "", "the public URL that reaches this listener (a tunnel), for --register")
	fl.StringVar(&opts.Filters.Mango, "mango", "", "with --register: only events of this mango ID")
	fl.StringVar(&opts.Filters.Course, "course", "", "with --register: only events of this course ID")
	fl.StringVar(&opts.Filters.Webinar, "webinar", "", "with --register: only events of this webinar ID")
	fl.StringVar(&opts.Filters.Page, "page", "", "with --register: page ID filter (documented for no event)")
	fl.StringVar(&opts.Tunnel, "tunnel", "", "run this tunnel (cloudflared or ngrok) and --register its public URL")
	fl.StringVar(&opts.TunnelBin, "tunnel-bin", "", "the tunnel program to run, when it is not on PATH")
	fl.DurationVar(&opts.TunnelTimeout, "tunnel-timeout", tunnel.DefaultTimeout, "how long the tunnel's URL, and the probe through it, may take")
	fl.DurationVar(&opts.TunnelCheck, "tunnel-check", 30*time.Second, "with --tunnel: how often to prove it still reaches listen (0: never); two failed probes end listen")
	fl.BoolVar(&opts.NoProbe, "no-probe", false, "with --register: subscribe without first proving that the public URL reaches listen")
	_ = cmd.RegisterFlagCompletionFunc("tunnel", cobra.FixedCompletions(tunnel.Kinds, cobra.ShellCompDirectiveNoFileComp))
	fl.BoolVar(&opts.UI, "ui", false, "serve the inspector, a local web page of the deliveries, on its own port")
	fl.StringVar(&opts.UIHost, "ui-host", inspector.DefaultHost, "with --ui: address of the inspector (beyond loopback it needs the printed token)")
	fl.IntVar(&opts.UIPort, "ui-port", inspector.DefaultPort, "with --ui: port of the inspector (0 picks a free port)")
	fl.IntVar(&opts.UIKeep, "ui-keep", inspector.DefaultKeep, "with --ui: deliveries the inspector keeps (the oldest go first; --save keeps all)")
	fl.BoolVar(&opts.Open, "open", false, "with --ui: open the inspector in the browser")
	return cmd
}

// validateFlags checks what can be checked without the catalog or the network.
func validateFlags(c *cobra.Command, opts *ListenOptions) error {
	if opts.Port < 0 || opts.Port > 65535 {
		return cmdutil.FlagErrorf("invalid --port %d: use 0 to 65535", opts.Port)
	}
	path, err := receiver.CleanPath(opts.Path)
	if err != nil {
		return cmdutil.FlagErrorf("--path: %v", err)
	}
	opts.Path = path
	if opts.Count < 0 {
		return cmdutil.FlagErrorf("invalid --count %d: use a positive number", opts.Count)
	}
	if opts.Timeout < 0 {
		return cmdutil.FlagErrorf("invalid --timeout %s", opts.Timeout)
	}
	if opts.ForwardTimeout <= 0 {
		return cmdutil.FlagErrorf("invalid --forward-timeout %s", opts.ForwardTimeout)
	}
	if opts.Status < 200 || opts.Status > 599 {
		return cmdutil.FlagErrorf("invalid --status %d: use 200 to 599", opts.Status)
	}
	if opts.SaveFsync && opts.Save == "" {
		return cmdutil.FlagErrorf("--save-fsync goes with --save FILE")
	}
	if opts.MaxBodyBytes, err = receiver.ParseSize(opts.MaxBody); err != nil {
		return cmdutil.FlagErrorf("--max-body: %v", err)
	}
	if opts.MaxBodyBytes > receiver.MaxBodyLimit {
		return cmdutil.FlagErrorf("--max-body %s: at most %s (TagMango's deliveries are a few KiB)", opts.MaxBody, receiver.FormatSize(receiver.MaxBodyLimit))
	}
	if opts.MaxConnections < 1 {
		return cmdutil.FlagErrorf("invalid --max-connections %d: use a positive number", opts.MaxConnections)
	}
	if c.Flags().Changed("require-header") {
		h, err := parseHeader(opts.RequireHeader)
		if err != nil {
			return cmdutil.FlagErrorf("--require-header: %v", err)
		}
		opts.Header = h
	}
	opts.Routes = nil
	defaults := 0
	for _, v := range opts.ForwardTo {
		rt, err := parseRoute(v)
		if err != nil {
			return cmdutil.FlagErrorf("--forward-to: %v", err)
		}
		if rt.Event == "" {
			defaults++
		}
		opts.Routes = append(opts.Routes, rt)
	}
	if defaults > 1 {
		return cmdutil.FlagErrorf("--forward-to: give at most one plain URL (the default route); route events with EVENT=URL")
	}
	// --tunnel implies --register: settled before the events to subscribe are.
	if err := validateTunnel(c, opts); err != nil {
		return err
	}
	opts.RegisterEvents = nil
	if opts.Register {
		opts.RegisterEvents = opts.Events
	}
	if err := validateUIFlags(c, opts); err != nil {
		return err
	}

	registerOnly := opts.PublicURL != "" || !opts.Filters.IsZero()
	switch {
	case opts.Register && opts.PublicURL == "" && opts.Tunnel == "":
		return cmdutil.FlagErrorf("--register needs --public-url: the URL a tunnel (ngrok, cloudflared) gives this listener; or let listen run one: --tunnel cloudflared")
	case opts.Register && len(opts.RegisterEvents) == 0:
		return cmdutil.FlagErrorf("--register needs at least one --event (see `tagmango-hooks events`)")
	case !opts.Register && registerOnly:
		return cmdutil.FlagErrorf("--public-url, --mango, --course, --webinar and --page go with --register")
	}
	return nil
}

// parseHeader reads NAME=VALUE.
func parseHeader(s string) (*receiver.HeaderCheck, error) {
	name, value, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" || value == "" {
		return nil, errors.New("use NAME=VALUE, e.g. X-Webhook-Secret=s3cret")
	}
	for _, r := range name {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return nil, fmt.Errorf("%q is not a valid header name", name)
		}
	}
	return &receiver.HeaderCheck{Name: http.CanonicalHeaderKey(name), Value: value}, nil
}

// parseRoute reads URL or EVENT=URL.
func parseRoute(s string) (receiver.Route, error) {
	if u, err := forwardURL(s); err == nil {
		return receiver.Route{URL: u}, nil
	}
	event, target, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(event) == "" {
		_, err := forwardURL(s)
		return receiver.Route{}, err
	}
	u, err := forwardURL(target)
	if err != nil {
		return receiver.Route{}, err
	}
	return receiver.Route{Event: strings.TrimSpace(event), URL: u}, nil
}

func forwardURL(s string) (string, error) {
	s, err := hookurl.WithLoopbackScheme(s)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("invalid URL %q: use an absolute http:// or https:// URL, or EVENT=URL", s)
	}
	return s, nil
}

// boundPort is the port of the engine's URL.
func boundPort(engineURL string) int {
	u, _ := url.Parse(engineURL)
	p, _ := strconv.Atoi(u.Port())
	return p
}

// errTimedOut ends a run at --timeout.
var errTimedOut = errors.New("--timeout")

// displayGrace is how long the display may take to catch up once listen is told to
// stop: a stalled stdout must not keep it from ending.
const displayGrace = 3 * time.Second

// notifySignals is the Signals of the real command. main turns the first signal
// into the cancellation of ctx; listen also needs to hear the second one.
func notifySignals() (<-chan os.Signal, func()) {
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	return ch, func() { signal.Stop(ch) }
}

// watchStop makes stopping always work: the first signal (or ctx, which main
// cancels on it) stops the engine; then the display has displayGrace to catch up,
// and a second signal ends the wait at once. It returns when done is closed.
func watchStop(ctx context.Context, signals func() (<-chan os.Signal, func()), stopRun context.CancelFunc, abandon func(), done <-chan struct{}) <-chan struct{} {
	finished := make(chan struct{})
	var sigs <-chan os.Signal
	unregister := func() {}
	if signals != nil {
		sigs, unregister = signals()
	}
	go func() {
		defer close(finished)
		defer unregister()
		grace := time.NewTimer(time.Hour)
		grace.Stop()
		defer grace.Stop()
		stopping := false
		start := func() {
			if !stopping {
				stopping = true
				stopRun()
				grace.Reset(displayGrace)
			}
		}
		ctxDone := ctx.Done()
		received := 0
		for {
			select {
			case <-sigs:
				received++
				// main's handler and this one hear the same first signal.
				if received >= 2 {
					abandon()
					return
				}
				start()
			case <-ctxDone:
				ctxDone = nil
				start()
			case <-grace.C:
				abandon()
				return
			case <-done:
				return
			}
		}
	}()
	return finished
}

// validateEvents checks every event name and family against the catalog: with
// --register the events are subscribed, so they must be names.
func validateEvents(c *events.Catalog, opts *ListenOptions) error {
	use := cmdutil.Select
	if opts.Register {
		use = cmdutil.Subscribe
	}
	if err := cmdutil.CheckEvents(c, "--event", use, opts.Events); err != nil {
		return err
	}
	for _, rt := range opts.Routes {
		if rt.Event != "" {
			if err := cmdutil.CheckEvents(c, "--forward-to", cmdutil.Select, []string{rt.Event}); err != nil {
				return err
			}
		}
	}
	return nil
}

func listenRun(ctx context.Context, opts *ListenOptions) error {
	catalog, err := opts.Catalog()
	if err != nil {
		return err
	}
	if err := validateEvents(catalog, opts); err != nil {
		return err
	}

	// The renderer and the --register session write to stderr at once.
	errOut := &lockedWriter{w: opts.IO.ErrOut}
	sess := newSession(opts, catalog, errOut)
	var renderer receiver.Renderer
	if opts.JSON {
		renderer = receiver.NewJSONLines(opts.IO.Out, errOut)
	} else {
		renderer = receiver.NewPretty(receiver.PrettyOptions{
			Out: opts.IO.Out, ErrOut: errOut, Color: opts.IO.ColorEnabled(), Verbose: opts.Verbose, Location: opts.Location,
		})
	}
	var (
		saver   receiver.Saver
		seqBase int64
	)
	if opts.Save != "" {
		f, warning, err := receiver.OpenSave(opts.Save, opts.SaveFsync)
		if err != nil {
			return fmt.Errorf("--save: %w", err)
		}
		defer f.Close()
		if warning != "" {
			opts.IO.Warnf("--save %s", warning)
		}
		saver, seqBase = f, f.LastSeq()
	}
	forwardBody := 0
	if opts.Verbose {
		forwardBody = 64 << 10
	}
	matcher := events.NewMatcher(catalog)
	var ui *uiSession
	if opts.UI {
		if ui, err = startUI(ctx, opts, catalog, matcher, errOut); err != nil {
			return err
		}
		defer ui.closeUnserved()
		renderer = receiver.Tee(renderer, ui.renderer)
	}
	eng, err := receiver.New(receiver.Config{
		Host:             opts.Host,
		Port:             opts.Port,
		Path:             opts.Path,
		MaxBody:          opts.MaxBodyBytes,
		MaxConnections:   opts.MaxConnections,
		Status:           opts.Status,
		RequireHeader:    opts.Header,
		Routes:           opts.Routes,
		ForwardTimeout:   opts.ForwardTimeout,
		ForwardBodyLimit: forwardBody,
		Events:           opts.Events,
		Count:            opts.Count,
		Matcher:          matcher,
		Now:              opts.Now,
		Save:             saver,
		SeqBase:          seqBase,
		Probe:            sess.probeHook(),
		HoldReady:        sess != nil,
	}, renderer)
	if err != nil {
		return err
	}
	if err := eng.Listen(ctx); err != nil {
		if loop := (*receiver.LoopError)(nil); errors.As(err, &loop) {
			return cmdutil.Invalidf("%v", loop)
		}
		return err
	}
	if !hookurl.IsLoopback(opts.Host) {
		opts.IO.Warnf("listening on %s: anyone who can reach this machine can send deliveries; consider --require-header", opts.Host)
	}

	if sess != nil {
		// Whatever happens, the tunnel does not outlive listen (end stops it first
		// after deleting the subscriptions).
		defer sess.end(ctx)
		if err := sess.begin(ctx, boundPort(eng.URL())); err != nil {
			_ = eng.Close()
			return err
		}
	}

	runCtx, cancel := context.WithCancelCause(ctx)
	if ui != nil {
		uiCtx, stopUI := context.WithCancel(context.WithoutCancel(ctx))
		ui.serve(uiCtx, eng.URL(), errOut)
		defer ui.stop()
		defer stopUI()
	}
	watched := make(chan struct{})
	watcherDone := watchStop(ctx, opts.Signals, func() { cancel(nil) }, eng.Abandon, watched)
	tunnelWatch := sess.watchTunnel(cancel, watched)
	type ran struct {
		summary *receiver.Summary
		err     error
	}
	runDone := make(chan ran, 1)
	go func() {
		summary, err := eng.Run(runCtx)
		runDone <- ran{summary, err}
	}()
	var setupErr error
	if sess != nil {
		// The engine serves the probe while the subscriptions are made; an engine that
		// ends meanwhile ends them too.
		sctx, cancelSetup := context.WithCancel(runCtx)
		lines, err := sess.subscribe(sctx)
		cancelSetup()
		if setupErr = err; err != nil {
			cancel(err)
		} else {
			eng.Announce(lines...)
		}
	}
	if opts.Timeout > 0 && setupErr == nil {
		timer := time.AfterFunc(opts.Timeout, func() { cancel(errTimedOut) })
		defer timer.Stop()
	}
	r := <-runDone
	summary, runErr := r.summary, r.err
	timedOut := ctx.Err() == nil && errors.Is(context.Cause(runCtx), errTimedOut)
	tunnelDied := errors.Is(context.Cause(runCtx), errTunnelDied)
	cancel(nil)
	close(watched)
	<-watcherDone
	<-tunnelWatch

	cleanupFailed := !sess.end(ctx)
	switch {
	case setupErr != nil && tunnelDied:
		return cmdutil.ErrSilent
	case setupErr != nil:
		return setupErr
	}
	if summary != nil {
		_ = receiver.WriteSummary(opts.IO.ErrOut, summary)
	}
	switch {
	case runErr != nil && ctx.Err() != nil && !errors.Is(runErr, syscall.EPIPE):
		// After Ctrl-C, root would only say "interrupted": what was not shown or not
		// saved must be said.
		opts.IO.Errorf("%s", runErr)
		return cmdutil.ErrSilent
	case runErr != nil:
		return runErr
	case cleanupFailed, tunnelDied:
		return cmdutil.ErrSilent
	case timedOut && opts.Count > 0 && !summary.CountReached:
		return cmdutil.Expectationf("only %d of the %d deliveries expected came within %s", summary.Deliveries, opts.Count, opts.Timeout)
	}
	return nil
}
