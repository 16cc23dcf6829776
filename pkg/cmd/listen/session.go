package listen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/receiver"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/safetext"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/tempsubs"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/tunnel"
)

// session is what --register (and --tunnel) put around the engine, in this order:
// tunnel up, probe through the public URL, subscribe, Ready … then, however listen
// ends, unsubscribe, tunnel down.
type session struct {
	opts    *ListenOptions
	catalog *events.Catalog
	// errOut is shared with the renderer while the engine runs.
	errOut io.Writer
	probe  *tunnel.Probe
	tun    *tunnel.Tunnel
	subs   *tempsubs.Subscriptions
	// port is the port listen is bound to.
	port int
	// prepared is the subscriptions' config once resolved.
	prepared *tempsubs.Config
	// registered is set once the subscriptions are made (subs then owns them).
	registered bool

	// current is the probe the engine's hook reports to: the first one, then each
	// re-check's (see watchTunnel).
	mu      sync.Mutex
	current *tunnel.Probe
}

// newSession returns nil without --register.
func newSession(opts *ListenOptions, catalog *events.Catalog, errOut io.Writer) *session {
	if !opts.Register {
		return nil
	}
	s := &session{opts: opts, catalog: catalog, errOut: errOut}
	if !opts.NoProbe {
		s.probe = tunnel.NewProbe()
		s.current = s.probe
	}
	return s
}

// probeHook is the engine's Config.Probe.
func (s *session) probeHook() func(string) {
	if s == nil || s.probe == nil {
		return nil
	}
	return func(token string) {
		s.mu.Lock()
		p := s.current
		s.mu.Unlock()
		p.Seen(token)
	}
}

// begin runs before the engine serves: the checks that need no tunnel, then the
// tunnel (whose public URL becomes --public-url), then the store and the lock.
func (s *session) begin(ctx context.Context, port int) error {
	opts := s.opts
	s.port = port
	if opts.Tunnel != "" {
		// The checks that need no URL come before the tunnel: no tunnel is started for
		// a missing key or a corrupt store.
		if err := checkFilters(opts, s.catalog); err != nil {
			return err
		}
		prepared, err := s.prepareConfig()
		if err != nil {
			return err
		}
		logPath := filepath.Join(filepath.Dir(prepared.Store.Path), "tunnel-"+opts.Tunnel+"-"+strconv.Itoa(port)+".log")
		tun, err := tunnel.Start(ctx, tunnel.Config{
			Kind: opts.Tunnel, Bin: opts.TunnelBin, Port: port, LogPath: logPath, Timeout: opts.TunnelTimeout,
			Started: func() {
				fmt.Fprintf(s.errOut, "Started %s (its log: %s); waiting for its public URL…\n", opts.Tunnel, logPath)
			},
		})
		if err != nil {
			return err
		}
		s.tun = tun
		opts.PublicURL = tun.PublicURL
	}
	cfg, err := s.config()
	if err != nil {
		return err
	}
	s.subs, err = tempsubs.Prepare(cfg)
	return err
}

// subscribe runs while the engine serves: the probe, then the registrations. It
// returns the lines that complete the Ready block.
func (s *session) subscribe(ctx context.Context) ([]string, error) {
	opts := s.opts
	if s.probe != nil {
		base := strings.TrimRight(opts.PublicURL, "/")
		transport := http.DefaultTransport.(*http.Transport).Clone()
		if err := s.probe.Run(ctx, base+receiver.ProbePath+s.probe.Token, opts.TunnelTimeout, transport); err != nil {
			if ctx.Err() == nil {
				hint := "check that your tunnel forwards to " + tunnel.Config{Port: s.port}.Target()
				if s.tun != nil {
					hint = "the tunnel's log: " + s.tun.LogPath()
				}
				return nil, fmt.Errorf("%w\n  %s\n  nothing was subscribed (--no-probe skips this check)", err, hint)
			}
			return nil, err
		}
	}
	if err := s.subs.Register(ctx); err != nil {
		return nil, err
	}
	s.registered = true
	var lines []string
	if s.tun != nil {
		lines = append(lines, fmt.Sprintf("Tunnel: %s → %s (%s)", safetext.Escape(s.tun.PublicURL), s.tun.Target(), s.tun.Kind()))
	}
	for _, r := range s.subs.Records() {
		lines = append(lines, tempsubs.Line(r))
	}
	return lines, nil
}

// watchTunnel cancels the run, saying why at once, when the tunnel dies before
// stop is closed — or, every --tunnel-check, when a probe through it no longer reaches
// listen twice in a row (the process runs but its connection is gone): the
// subscriptions point at a dead URL either way.
func (s *session) watchTunnel(cancel context.CancelCauseFunc, stop <-chan struct{}) <-chan struct{} {
	done := make(chan struct{})
	if s == nil || s.tun == nil {
		close(done)
		return done
	}
	unreachable := make(chan error, 1)
	if s.probe != nil && s.opts.TunnelCheck > 0 {
		go s.recheck(stop, unreachable)
	}
	go func() {
		defer close(done)
		select {
		case <-s.tun.Done():
			fmt.Fprint(s.errOut, s.opts.IO.ErrorLine(s.tun.ExitError().Error()))
			cancel(errTunnelDied)
		case err := <-unreachable:
			why := err.Error()
			if pe := (*tunnel.ProbeError)(nil); errors.As(err, &pe) {
				why = pe.Reason()
			}
			fmt.Fprint(s.errOut, s.opts.IO.ErrorLine(fmt.Sprintf("the %s tunnel no longer reaches this listen: two probes in a row did not arrive (%s)\n  the tunnel's log: %s", s.tun.Kind(), why, s.tun.LogPath())))
			cancel(errTunnelDied)
		case <-stop:
		}
	}()
	return done
}

// recheck probes the tunnel every --tunnel-check until stop is closed, and reports
// on unreachable after two probes in a row did not arrive.
func (s *session) recheck(stop <-chan struct{}, unreachable chan<- error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-stop
		cancel()
	}()
	every := s.opts.TunnelCheck
	// Each probe may take as long as the interval, within reason: a probe through a
	// working tunnel arrives in milliseconds.
	timeout := min(max(every, time.Second), 30*time.Second)
	url := strings.TrimRight(s.tun.PublicURL, "/") + receiver.ProbePath
	transport := http.DefaultTransport.(*http.Transport).Clone()
	defer transport.CloseIdleConnections()
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	failed := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		p := tunnel.NewProbe()
		s.mu.Lock()
		s.current = p
		s.mu.Unlock()
		err := p.Run(ctx, url+p.Token, timeout, transport)
		switch {
		case ctx.Err() != nil:
			return
		case err == nil:
			failed = 0
		default:
			if failed++; failed >= 2 {
				unreachable <- err
				return
			}
		}
	}
}

// errTunnelDied ends a run whose tunnel died.
var errTunnelDied = errors.New("the tunnel died")

// end deletes the subscriptions first — the tunnel must still be up, so that nothing
// sent in between is lost — then stops the tunnel. It reports whether the deletions
// all succeeded.
func (s *session) end(ctx context.Context) bool {
	if s == nil {
		return true
	}
	ok := true
	if s.subs != nil {
		if s.registered {
			ok = s.subs.Stop(ctx)
		} else {
			s.subs.Release()
		}
		s.subs = nil
	}
	if s.tun != nil {
		s.tun.Stop()
	}
	return ok
}

// lockedWriter serialises the writes of the renderer and of the session, which run
// at once while the subscriptions are made.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// validateTunnel checks --tunnel and its flags; --tunnel implies --register.
func validateTunnel(c *cobra.Command, opts *ListenOptions) error {
	if opts.TunnelTimeout <= 0 {
		return cmdutil.FlagErrorf("invalid --tunnel-timeout %s", opts.TunnelTimeout)
	}
	if opts.TunnelCheck < 0 {
		return cmdutil.FlagErrorf("invalid --tunnel-check %s: give a duration, or 0 for no checks", opts.TunnelCheck)
	}
	if opts.Tunnel == "" {
		if opts.TunnelBin != "" || c.Flags().Changed("tunnel-check") {
			return cmdutil.FlagErrorf("--tunnel-bin and --tunnel-check go with --tunnel")
		}
		if c.Flags().Changed("tunnel-timeout") && !opts.Register {
			return cmdutil.FlagErrorf("--tunnel-timeout goes with --tunnel or --register")
		}
		if opts.NoProbe && !opts.Register {
			return cmdutil.FlagErrorf("--no-probe goes with --register or --tunnel")
		}
		return nil
	}
	if !slices.Contains(tunnel.Kinds, opts.Tunnel) {
		return cmdutil.FlagErrorf("invalid --tunnel %q: use cloudflared or ngrok (or run your own tunnel and give --public-url)", opts.Tunnel)
	}
	if opts.PublicURL != "" {
		return cmdutil.FlagErrorf("--tunnel gives listen its public URL: drop --public-url (or --tunnel, to use your own tunnel)")
	}
	// The tunnel forwards to 127.0.0.1 (tunnel.Config.Target): an IPv4 listener there
	// or on every address, or localhost (Listen takes its IPv4 address).
	if ip := net.ParseIP(opts.Host).To4(); opts.Host != "localhost" && (ip == nil || !ip.IsLoopback() && !ip.IsUnspecified()) {
		return cmdutil.FlagErrorf("--tunnel forwards to 127.0.0.1: --host %s cannot be reached there", opts.Host)
	}
	opts.Register = true
	return nil
}
