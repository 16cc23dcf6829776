// The engine's configuration, its defaults and their checks (New).

package receiver

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
)

// Defaults of Config's zero values.
const (
	DefaultHost           = "127.0.0.1"
	DefaultPort           = 4242
	DefaultPath           = "/"
	DefaultMaxBody        = 1 << 20
	DefaultForwardTimeout = 30 * time.Second
	// DefaultForwardBodyLimit is how much of a forward answer an entry shows.
	DefaultForwardBodyLimit = 512
	// DefaultQueueLen and DefaultQueueBytes bound what waits for the renderer.
	DefaultQueueLen   = 8192
	DefaultQueueBytes = 32 << 20
	// DefaultDuplicateWindow is how many distinct bodies are remembered to spot
	// duplicates: about 62 bytes each (see dedupe), 4 MiB in all, however long
	// listen runs.
	DefaultDuplicateWindow = 1 << 16
	// DefaultShutdownGrace is how long requests in flight may finish once listen stops.
	DefaultShutdownGrace = 3 * time.Second
)

// Server limits: slow or idle connections are cut, headers are bounded. There is
// no write timeout: answers are tiny, and a forward legitimately takes up to
// --forward-timeout; each deadline costs every request a timer update.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 60 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	maxHeaderBytes           = 64 << 10
)

// HeaderCheck is a header every delivery must carry, compared in constant time.
type HeaderCheck struct {
	Name  string
	Value string
}

// Route relays the deliveries of an event to URL. Event is an event name, a family
// pattern ("webinar.*"), or "" for the default route.
type Route struct {
	Event string
	URL   string
}

// Config is everything the engine does. Zero values mean the defaults above.
type Config struct {
	// Host is the address to bind; "" means DefaultHost (loopback only).
	Host string
	// Port is used as given: 0 picks a free port (callers pass DefaultPort for the
	// documented default).
	Port int
	// Path is the path deliveries are accepted on, and below; 404 elsewhere.
	Path string
	// MaxBody bounds a body; larger ones are answered 413. At most MaxBodyLimit.
	MaxBody int64
	// MaxConnections bounds the connections served at once (DefaultMaxConnections).
	MaxConnections int
	// InFlightBytes bounds the bytes of requests being read or relayed across
	// handlers (headers and bodies); a request that finds it spent is answered 503.
	// Zero means DefaultInFlightBytes, and it is never less than twice MaxBody.
	InFlightBytes int64
	// Status is the answer to a delivery that is not forwarded; 0 means 200.
	Status int
	// RequireHeader, when set, answers 401 to deliveries without that header value.
	RequireHeader *HeaderCheck
	// Routes relay deliveries to the user's handler (see Route). The most specific
	// matching route wins: an event name, then the longest family, then the default.
	Routes []Route
	// ForwardTimeout bounds a forward; the sender then gets 504.
	ForwardTimeout time.Duration
	// ForwardBodyLimit is how much of a forward answer is kept for display.
	ForwardBodyLimit int
	// Transport carries forwards; nil means a clone of http.DefaultTransport that
	// takes answer headers of at most 64 KiB.
	Transport http.RoundTripper
	// Events selects deliveries that one of these names or families selects
	// (events.Selects): the detected event itself, "unknown" included, or one of its
	// candidates. The others are answered but neither forwarded, shown nor counted;
	// empty selects every delivery.
	Events []string
	// Count stops the engine after that many selected deliveries (0: never).
	Count int
	// Matcher detects events and checks payloads; required.
	Matcher *events.Matcher
	// Now is the clock of ReceivedAt; nil means time.Now.
	Now func() time.Time
	// QueueLen and QueueBytes bound the entries waiting for the renderer.
	QueueLen   int
	QueueBytes int64
	// DuplicateWindow is how many distinct bodies are remembered.
	DuplicateWindow int
	// ShutdownGrace bounds how long requests in flight may finish when stopping.
	ShutdownGrace time.Duration
	// Save, when set, keeps the --save line of every delivery shown. A delivery is
	// answered 2xx only once its line has been written (group commit: the handlers
	// of a batch wait for its one write); after a failed write, that batch and every
	// later delivery are answered 503 and the engine stops.
	Save Saver
	// SeqBase is the seq before the first delivery's: numbering continues after it
	// (the highest seq of the --save file appended to).
	SeqBase int64
	// ReadHeaderTimeout cuts a connection whose request headers are not complete in
	// time (slowloris), ReadTimeout one whose whole request (headers and body) is not,
	// and IdleTimeout a keep-alive connection that sends nothing more. Zero means
	// DefaultReadHeaderTimeout, DefaultReadTimeout and DefaultIdleTimeout.
	ReadHeaderTimeout, ReadTimeout, IdleTimeout time.Duration
	// Probe, when set, answers POST …/_tagmango-hooks/probe/<token> (ProbePath) with
	// 204 and is called with the token: listen proves with it that a public URL
	// reaches it. Probes are never shown, counted, saved or forwarded.
	Probe func(token string)
	// HoldReady keeps the Ready entry back until Announce: listen serves (probes)
	// before it is ready for deliveries.
	HoldReady bool
}

// Renderer shows entries. The engine calls it from a single goroutine, in arrival
// order; Flush is called when the queue has been empty for a moment (flushDelay),
// every maxUnflushed entries, and at the end, so that output is never held back
// while nothing else is coming. A delivery counts as shown once a Flush after it
// succeeded. An error stops the engine (a closed stdout, EPIPE, is a deliberate
// end; any other is a failure). The engine never reuses what it hands over, so a
// renderer may keep entries.
type Renderer interface {
	Render(Entry) error
	Flush() error
}

// Summary counts what happened, for the line printed when listen ends.
type Summary struct {
	// Deliveries counts the deliveries shown and accepted (not refused): shown means
	// written out by the renderer (a Flush after it succeeded).
	Deliveries int
	// ByEvent counts them by detected event.
	ByEvent map[string]int
	// Duplicates counts deliveries whose body was seen before (repeats aside).
	Duplicates int
	// Repeats counts deliveries whose body was seen before as often as the catalog
	// says the event sends it (webinar.reminder.all: 3 times).
	Repeats int
	// WithWarnings counts deliveries with failed checks (duplicates aside).
	WithWarnings int
	// ForwardFailures counts forwards without a 2xx answer.
	ForwardFailures int
	// Refused counts deliveries answered 401 or 413.
	Refused int
	// Hidden counts deliveries --events did not select.
	Hidden int
	// Late counts deliveries that arrived after --count was reached.
	Late int
	// Other counts requests that were not deliveries (404, 405).
	Other int
	// CountReached reports that Config.Count deliveries came.
	CountReached bool
	// NotShown counts deliveries received but not shown: the display failed, or
	// was abandoned (Engine.Abandon) before it caught up.
	NotShown int
	// NotSaved counts deliveries answered 503 because --save could not write.
	NotSaved int
}

// New checks cfg and builds an engine that renders to r.
func New(cfg Config, r Renderer) (*Engine, error) {
	if cfg.Matcher == nil {
		return nil, errors.New("listen: Config.Matcher is required")
	}
	if r == nil {
		return nil, errors.New("listen: a renderer is required")
	}
	if cfg.Host == "" {
		cfg.Host = DefaultHost
	}
	if cfg.Port < 0 || cfg.Port > 65535 {
		return nil, fmt.Errorf("invalid port %d", cfg.Port)
	}
	path, err := CleanPath(cfg.Path)
	if err != nil {
		return nil, err
	}
	cfg.Path = path
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.MaxBody > MaxBodyLimit {
		return nil, fmt.Errorf("invalid max body %s: at most %s", FormatSize(cfg.MaxBody), FormatSize(MaxBodyLimit))
	}
	if cfg.MaxConnections <= 0 {
		cfg.MaxConnections = DefaultMaxConnections
	}
	if cfg.InFlightBytes <= 0 {
		cfg.InFlightBytes = DefaultInFlightBytes
	}
	cfg.InFlightBytes = max(cfg.InFlightBytes, 2*cfg.MaxBody)
	if cfg.Status == 0 {
		cfg.Status = http.StatusOK
	}
	if cfg.Status < 200 || cfg.Status > 599 {
		return nil, fmt.Errorf("invalid status %d: use 200 to 599", cfg.Status)
	}
	if cfg.ForwardTimeout <= 0 {
		cfg.ForwardTimeout = DefaultForwardTimeout
	}
	if cfg.ForwardBodyLimit <= 0 {
		cfg.ForwardBodyLimit = DefaultForwardBodyLimit
	}
	if cfg.QueueLen <= 0 {
		cfg.QueueLen = DefaultQueueLen
	}
	if cfg.QueueBytes <= 0 {
		cfg.QueueBytes = DefaultQueueBytes
	}
	if cfg.DuplicateWindow <= 0 {
		cfg.DuplicateWindow = DefaultDuplicateWindow
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = DefaultShutdownGrace
	}
	if cfg.ReadHeaderTimeout <= 0 {
		cfg.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = DefaultReadTimeout
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	defaults := 0
	for _, rt := range cfg.Routes {
		if rt.Event == "" {
			defaults++
		}
		if rt.URL == "" {
			return nil, fmt.Errorf("route %q has no URL", rt.Event)
		}
	}
	if defaults > 1 {
		return nil, errors.New("more than one default --forward-to URL")
	}
	e := &Engine{
		cfg:      cfg,
		renderer: r,
		now:      cfg.Now,
		q:        newQueue(cfg.QueueLen, cfg.QueueBytes),
		dup:      newDedupe(cfg.DuplicateWindow),
		pending:  map[int64]*Delivery{},
		stop:     make(chan struct{}),
		abandon:  make(chan struct{}),
		summary:  Summary{ByEvent: map[string]int{}},
	}
	if e.now == nil {
		e.now = time.Now
	}
	e.inflight.max = cfg.InFlightBytes
	e.q.seq = cfg.SeqBase
	if cfg.RequireHeader != nil {
		e.reqWant = sha256.Sum256([]byte(cfg.RequireHeader.Value))
	}
	if len(cfg.Routes) > 0 {
		e.client = newForwardClient(cfg.Transport)
		e.hopID = newHopID()
	}
	return e, nil
}

// CleanPath normalises a --path: it starts with "/" and has no trailing "/" (except
// the root).
func CleanPath(p string) (string, error) {
	if p == "" {
		return DefaultPath, nil
	}
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("invalid path %q: it must start with /", p)
	}
	if strings.ContainsAny(p, "?#") {
		return "", fmt.Errorf("invalid path %q: no query or fragment", p)
	}
	if t := strings.TrimRight(p, "/"); t != "" {
		return t, nil
	}
	return "/", nil
}
