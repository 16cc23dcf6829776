package inspector

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/hookurl"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/receiver"
)

// Defaults of Options.
const (
	DefaultHost = "127.0.0.1"
	DefaultPort = 4243
	// TokenHeader carries the per-run token of state-changing requests (and of
	// every request when the page is served beyond loopback).
	TokenHeader = "X-Inspector-Token"
	// tokenCookie carries it for the page's own GETs beyond loopback (its scripts,
	// styles and stream), once the page was opened with ?token=.
	tokenCookie = "inspector_token"
	// writeTimeout bounds each write to a reader of the stream: one that does not
	// keep up is dropped and resumes with Last-Event-ID.
	writeTimeout = 10 * time.Second
	// replayTimeout is TagMango's own limit.
	replayTimeout = 30 * time.Second
)

// Options configure the page's server.
type Options struct {
	// Store holds the entries; required.
	Store *Store
	// Catalog and Matcher serve /api/catalog and the schema checks; required.
	Catalog *events.Catalog
	Matcher *events.Matcher
	// Host and Port are where the page is served: DefaultHost when "", any free
	// port when Port is 0 (callers pass DefaultPort for the documented default).
	Host string
	Port int
	// MaxBody bounds the body of a replay (an edited body); receiver.DefaultMaxBody
	// when 0.
	MaxBody int64
	// Routes are listen's --forward-to routes: a replay's default target is the one
	// its event would be forwarded to.
	Routes []receiver.Route
	// To is the default target when no route applies (inspect --to).
	To string
	// Mode is "listen" or "inspect", shown by the page.
	Mode string
	// Receiver is the receiver's URL with listen, shown by the page.
	Receiver string
	// Transport sends replays; nil means a fresh one.
	Transport http.RoundTripper
	// UserAgent of replays.
	UserAgent string
	// Now is the clock of replay entries; nil means time.Now.
	Now func() time.Time
	// Token is the per-run secret; "" means a random one.
	Token string
}

// Server serves the page and the API on its own listener.
type Server struct {
	opts     Options
	ln       net.Listener
	url      string
	loopback bool
	// hosts are the Host headers accepted (DNS rebinding defence).
	hosts   map[string]bool
	handler http.Handler
	now     func() time.Time
}

// ValidPort checks that port can be the inspector's: 0 (a free one) to 65535. The
// error says what to use, for a command to name its flag before it.
func ValidPort(port int) error {
	if port < 0 || port > 65535 {
		return errors.New("use 0 to 65535")
	}
	return nil
}

// New checks opts and builds the server; Listen binds it.
func New(opts Options) (*Server, error) {
	if opts.Store == nil || opts.Catalog == nil || opts.Matcher == nil {
		return nil, errors.New("inspector: Store, Catalog and Matcher are required")
	}
	if opts.Host == "" {
		opts.Host = DefaultHost
	}
	if err := ValidPort(opts.Port); err != nil {
		return nil, fmt.Errorf("inspector: invalid port %d: %w", opts.Port, err)
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = receiver.DefaultMaxBody
	}
	if opts.Token == "" {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		opts.Token = hex.EncodeToString(b[:])
	}
	s := &Server{opts: opts, now: opts.Now}
	if s.now == nil {
		s.now = time.Now
	}
	s.handler = s.routes()
	return s, nil
}

// Listen binds the listener.
func (s *Server) Listen(ctx context.Context) error {
	addr := net.JoinHostPort(s.opts.Host, strconv.Itoa(s.opts.Port))
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("cannot serve the inspector on %s: the port is in use; pick another --ui-port (0 picks a free one)", addr)
		}
		return fmt.Errorf("cannot serve the inspector on %s: %w", addr, err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	s.ln = ln
	s.loopback = hookurl.IsLoopback(s.opts.Host)
	p := strconv.Itoa(port)
	// The loopback names, and the one the page was bound to (127.0.0.2…).
	s.hosts = map[string]bool{"127.0.0.1:" + p: true, "localhost:" + p: true, "[::1]:" + p: true,
		strings.ToLower(net.JoinHostPort(s.opts.Host, p)): true}
	if !s.loopback {
		// Beyond loopback, the token guards every request; the host it was
		// reached by is whatever name the network gives this machine.
		s.hosts = nil
	}
	s.url = "http://" + net.JoinHostPort(s.opts.Host, p) + "/"
	return nil
}

// URL is where the page is, once bound; beyond loopback it carries the token.
func (s *Server) URL() string {
	if !s.loopback {
		return s.url + "?token=" + s.opts.Token
	}
	return s.url
}

// Token is the per-run token.
func (s *Server) Token() string { return s.opts.Token }

// Handler is the page and the API, with the security checks.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve serves until ctx is done, then closes the listener and the streams.
func (s *Server) Serve(ctx context.Context) error {
	if s.ln == nil {
		if err := s.Listen(ctx); err != nil {
			return err
		}
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          log.New(discard{}, "", 0),
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(s.ln) }()
	select {
	case <-ctx.Done():
	case err := <-done:
		return err
	}
	// The streams end with ctx (their BaseContext); everything else is short.
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// secure wraps the routes with the checks every request passes: the Host (DNS
// rebinding), the token beyond loopback, cross-origin protection and the token for
// state-changing requests, and headers that keep a browser from sniffing, framing
// or inlining anything.
func (s *Server) secure(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		apiError(w, http.StatusForbidden, "cross-origin request refused: use the inspector's own page")
	}))
	guarded := cop.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		if s.hosts != nil && !s.hosts[strings.ToLower(r.Host)] {
			apiError(w, http.StatusForbidden, "unexpected Host "+strconv.Quote(r.Host)+": open the inspector at "+s.url)
			return
		}
		if !s.loopback && !s.tokenOK(r, true) {
			apiError(w, http.StatusUnauthorized, "this inspector is served beyond loopback: open the URL listen printed (with ?token=)")
			return
		}
		if !s.loopback && r.URL.Query().Get("token") != "" && r.Method == http.MethodGet {
			//nolint:gosec // plain http: the page is local; HttpOnly and SameSite=Strict hold
			http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: s.opts.Token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		}
		if !safeMethod(r.Method) && !s.tokenOK(r, false) {
			apiError(w, http.StatusForbidden, "missing or wrong "+TokenHeader+" header: state-changing requests come from the inspector's page")
			return
		}
		guarded.ServeHTTP(w, r)
	})
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// tokenOK checks the request's token: from the header, and for GETs with
// anyPlace, the cookie or the token query parameter (links and EventSource cannot
// set headers).
func (s *Server) tokenOK(r *http.Request, anyPlace bool) bool {
	want := []byte(s.opts.Token)
	ok := func(v string) bool { return v != "" && subtle.ConstantTimeCompare([]byte(v), want) == 1 }
	if ok(r.Header.Get(TokenHeader)) {
		return true
	}
	if !anyPlace || !safeMethod(r.Method) {
		return false
	}
	if c, err := r.Cookie(tokenCookie); err == nil && ok(c.Value) {
		return true
	}
	return ok(r.URL.Query().Get("token"))
}

// sameOrigin checks a stream request's Origin: EventSource sends one only
// cross-origin or when asked, and a foreign page must not read the stream.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	origin := r.Header.Get("Origin")
	return origin == "" || origin == "http://"+r.Host
}

// SetReceiver names the receiver's URL for the page; call it before Serve.
func (s *Server) SetReceiver(url string) { s.opts.Receiver = url }

// Close releases the listener of a server that will not Serve.
func (s *Server) Close() error {
	if s.ln == nil {
		return nil
	}
	return s.ln.Close()
}
