// Package emulator is a local stand-in for TagMango, for tests and CI without
// credentials. It serves TagMango's webhook register/delete API with TagMango's
// envelopes and errors, keeps the registrations (in memory or in a state file), and on
// request fires an event: one POST per participant to every registration whose event
// and filter match, as TagMango does.
//
// Routes:
//
//	POST   /api/v1/integration/webhook/webhook   register (x-api-key)
//	DELETE /api/v1/integration/webhook/webhook   delete every registration on a hookUrl
//	POST   /integration/webhook                  legacy register path
//	POST   /_emulator/fire                       fire an event (local control, no key)
//	GET    /_emulator/registrations              what is registered
//	GET    /_emulator/deliveries                 the most recent deliveries
package emulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/clock"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/api"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/sample"
)

// Paths the emulator serves besides api.RegisterPath.
const (
	// LegacyRegisterPath is the register URL of TagMango's older GitBook pages.
	LegacyRegisterPath = "/integration/webhook"
	// FirePath fires an event.
	FirePath = "/_emulator/fire"
	// RegistrationsPath lists the registrations.
	RegistrationsPath = "/_emulator/registrations"
	// DeliveriesPath lists the most recent deliveries.
	DeliveriesPath = "/_emulator/deliveries"
)

// Defaults of Config.
const (
	DefaultHost            = "127.0.0.1"
	DefaultPort            = 4280
	DefaultURL             = "http://127.0.0.1:4280"
	DefaultConcurrency     = 20
	DefaultDeliveryTimeout = 30 * time.Second
	DefaultRetryWait       = time.Second
	DefaultMaxParticipants = 10000
	DefaultHistory         = 1000
	// MaxRequestBody bounds every request body the emulator reads.
	MaxRequestBody = 64 << 10
	// maxRetryWait caps one backoff wait however many retries are asked for.
	maxRetryWait = time.Minute
	// shutdownGrace is how long answers in flight get to finish on shutdown.
	shutdownGrace = 5 * time.Second
)

// Config configures a Server. The zero value of every field but Catalog is usable.
type Config struct {
	// Catalog is the event catalog; it decides which events exist and what their
	// payloads look like.
	Catalog *events.Catalog
	// APIKey, when set, is the only x-api-key accepted. Empty: any non-empty key is.
	APIKey string
	// StatePath, when set, keeps the registrations in that file (written atomically,
	// under a lock) and in a journal beside it (StatePath + ".journal", one appended
	// line per change, folded into the file at start, at a clean stop and as it
	// grows) so that they survive restarts. Empty: in memory only.
	StatePath string
	// Retries is how many times a failed delivery is tried again, with backoff.
	Retries int
	// RetryWait is the first backoff wait; it doubles at each retry. Default 1 s.
	RetryWait time.Duration
	// Duplicates is the fraction (0..1) of deliveries sent a second time, so that
	// receivers can prove they are idempotent. The choice is deterministic: with 0.5,
	// every second delivery is repeated.
	Duplicates float64
	// Concurrency bounds the deliveries in flight per fire. Default 20.
	Concurrency int
	// DeliveryTimeout bounds each delivery, as TagMango's 30 s. Default 30 s.
	DeliveryTimeout time.Duration
	// MaxParticipants bounds a fire's participants. Default 10000.
	MaxParticipants int
	// MaxDeliveries bounds a fire's deliveries: registrations × participants ×
	// rounds. Default DefaultMaxDeliveries.
	MaxDeliveries int
	// History is how many recent deliveries GET /_emulator/deliveries keeps. Default 1000.
	History int
	// Seed seeds the fake participant data, timestamps included, so that a run can be
	// reproduced byte for byte; 0 is random, with timestamps around the time of each fire.
	Seed uint64
	// Transport carries the deliveries; nil means a clone of the default transport.
	Transport http.RoundTripper
	// UserAgent of the deliveries.
	UserAgent string
	// Log receives one line per API call and per fire; nil means silent.
	Log io.Writer
	// Now is the clock; Sleep waits between retries. Tests replace them.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Server is the emulator. Its methods are safe for concurrent use.
type Server struct {
	cfg     Config
	regs    *registry
	history *ring
	client  *http.Client

	genMu sync.Mutex
	gen   *sample.Generator

	logMu sync.Mutex

	// readTimeout and writeTimeout are the http.Server's; variables so that a test
	// can shorten them.
	readTimeout, writeTimeout time.Duration
}

// New builds a Server and loads the state file when there is one. A state file that
// cannot be read or parsed is an error naming it; it is never overwritten.
func New(cfg Config) (*Server, error) {
	if cfg.Catalog == nil {
		return nil, errors.New("emulator: no event catalog")
	}
	if cfg.Duplicates < 0 || cfg.Duplicates > 1 {
		return nil, fmt.Errorf("emulator: duplicates must be between 0 and 1, not %v", cfg.Duplicates)
	}
	if cfg.Retries < 0 {
		return nil, fmt.Errorf("emulator: retries must not be negative")
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.DeliveryTimeout <= 0 {
		cfg.DeliveryTimeout = DefaultDeliveryTimeout
	}
	if cfg.RetryWait <= 0 {
		cfg.RetryWait = DefaultRetryWait
	}
	if cfg.MaxParticipants <= 0 {
		cfg.MaxParticipants = DefaultMaxParticipants
	}
	if cfg.MaxDeliveries <= 0 {
		cfg.MaxDeliveries = DefaultMaxDeliveries
	}
	if cfg.History <= 0 {
		cfg.History = DefaultHistory
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "tagmango-hooks-emulator"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = clock.Sleep
	}
	transport := cfg.Transport
	if transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		// Without this, each burst beyond 2 idle connections per host would open and
		// close a connection per delivery and leave thousands in TIME_WAIT.
		t.MaxIdleConnsPerHost = cfg.Concurrency
		transport = t
	}
	regs, err := loadRegistry(cfg.StatePath)
	if err != nil {
		return nil, err
	}
	if err := regs.check(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg:     cfg,
		regs:    regs,
		history: newRing(cfg.History),
		client: &http.Client{
			Transport: transport,
			// Webhook senders do not follow redirects: a 3xx is an answer, and not a 2xx.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		gen:          sample.NewGenerator(cfg.Seed),
		readTimeout:  30 * time.Second,
		writeTimeout: 30 * time.Second,
	}
	regs.logf = s.logf
	return s, nil
}

// Handler serves every route of the emulator.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(api.RegisterPath, s.handleWebhook)
	mux.HandleFunc(LegacyRegisterPath, s.handleLegacy)
	mux.HandleFunc(FirePath, s.handleFire)
	mux.HandleFunc(RegistrationsPath, s.handleRegistrations)
	mux.HandleFunc(DeliveriesPath, s.handleDeliveries)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "ROUTE_NOT_FOUND", fmt.Sprintf("Cannot %s %s", r.Method, r.URL.Path))
	})
	return mux
}

// Serve answers on ln until ctx is cancelled, then stops the deliveries in flight, lets
// the answers in flight finish (at most 5 s), folds the state journal into the state
// file and returns nil (or why that failed).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	// Deliveries run under the request's context, derived from base: cancelling base
	// on shutdown stops them, so that a long fire does not hold the process.
	base, stopDeliveries := context.WithCancel(context.WithoutCancel(ctx))
	defer stopDeliveries()
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.readTimeout,
		WriteTimeout:      s.writeTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    MaxRequestBody,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          log.New(s.logWriter(), "emulator: ", 0),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	stopDeliveries()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	// The journal is folded in, so that the state file alone holds everything.
	return s.regs.close()
}

// Registrations returns a copy of what is registered, oldest first.
func (s *Server) Registrations() []Registration { return s.regs.list() }

// Deliveries returns the most recent deliveries, oldest first.
func (s *Server) Deliveries() []Delivery { return s.history.list() }

func (s *Server) logf(format string, args ...any) {
	if s.cfg.Log == nil {
		return
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.cfg.Log, format+"\n", args...)
}

type logFunc func(p []byte) (int, error)

func (f logFunc) Write(p []byte) (int, error) { return f(p) }

// logWriter routes net/http's own messages through logf.
func (s *Server) logWriter() io.Writer {
	return logFunc(func(p []byte) (int, error) {
		s.logf("%s", strings.TrimRight(string(p), "\n"))
		return len(p), nil
	})
}
