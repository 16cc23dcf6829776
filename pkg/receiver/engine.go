package receiver

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
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
	// duplicates: 16 bytes each, so memory stays bounded however long listen runs.
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
	// Events selects deliveries whose candidates include one of these names or
	// families; the others are answered but neither forwarded, shown nor counted.
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

// Engine is one listener. Build it with New, bind it with Listen (or let Run do it),
// and Run it once.
type Engine struct {
	cfg      Config
	renderer Renderer
	now      func() time.Time
	ln       net.Listener
	url      string
	running  bool

	q        *queue
	client   *http.Client
	dup      *dedupe
	stopping atomic.Bool
	// reqWant is the hash of the required header value.
	reqWant [32]byte
	// inflight holds the bytes of requests being handled (see Config.InFlightBytes).
	inflight budget
	// handlers counts the ServeHTTP calls running (see activeHandlers).
	handlers activeHandlers
	// hopID marks the requests this engine forwards (hopHeader); a request that
	// carries it came back: a loop. "" without routes.
	hopID string

	// Owned by the processing goroutine; mu guards summary and the two errors, which
	// Run reads when it abandons a display that is stuck.
	mu      sync.Mutex
	summary Summary
	matched int
	pending map[int64]*Delivery
	// unflushed are the entries rendered since the last Flush: they count once it
	// succeeds, and as not shown when it fails.
	unflushed []Entry
	saveBuf   []byte
	// saveErr is the failed --save write; outErr the failed display.
	saveErr, outErr            error
	notSavedFrom, notShownFrom int64
	// broken is set once a save or the display failed: deliveries get 503.
	broken atomic.Bool
	// accepted counts the deliveries queued (refused ones aside), so that an
	// abandoned display can say how many it did not show.
	accepted    atomic.Int64
	abandon     chan struct{}
	abandonOnce sync.Once
	abandoned   atomic.Bool

	stopOnce sync.Once
	stop     chan struct{}
	// forwardCtx is cancelled when the grace period after stopping is over.
	forwardCtx context.Context
	// gate lets Run wait for every handler: handlers hold it shared, and once Run
	// has taken it exclusively, closed turns latecomers away.
	gate   sync.RWMutex
	closed bool
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

// Listen binds the listener. Run calls it when it has not been called.
func (e *Engine) Listen(ctx context.Context) error {
	if e.ln != nil {
		return nil
	}
	addr := net.JoinHostPort(e.cfg.Host, strconv.Itoa(e.cfg.Port))
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("cannot listen on %s: the port is in use; pick another --port (0 picks a free one)", addr)
		}
		return fmt.Errorf("cannot listen on %s: %w", addr, err)
	}
	bound, _ := ln.Addr().(*net.TCPAddr)
	if bound == nil {
		_ = ln.Close()
		return fmt.Errorf("cannot listen on %s: not a TCP address", addr)
	}
	if err := e.checkLoops(bound); err != nil {
		_ = ln.Close()
		return err
	}
	e.ln = newLimitListener(ln, e.cfg.MaxConnections)
	// The host as given ("0.0.0.0", "localhost"), not as the socket reports it
	// ("[::]"), with the port actually bound.
	e.url = "http://" + net.JoinHostPort(e.cfg.Host, strconv.Itoa(bound.Port)) + e.cfg.Path
	return nil
}

// Close releases the listener of an engine that was bound but will not Run (a
// setup step between Listen and Run failed).
func (e *Engine) Close() error {
	if e.ln == nil || e.running {
		return nil
	}
	return e.ln.Close()
}

// URL is http://HOST:PORT/PATH once bound.
func (e *Engine) URL() string { return e.url }

// Run serves until ctx is done, Config.Count deliveries were shown, or a renderer
// fails; then it lets requests in flight finish (up to ShutdownGrace), renders
// everything queued, and returns what happened. Ending by ctx is not an error.
func (e *Engine) Run(ctx context.Context) (*Summary, error) {
	if err := e.Listen(ctx); err != nil {
		return nil, err
	}
	e.running = true
	// Forwards in flight outlive ctx by the grace period, then are cancelled. (Not
	// through the server's BaseContext: a cancellable base costs every request a
	// registration with its parent, and only forwards need it.)
	var cancelBase context.CancelFunc
	e.forwardCtx, cancelBase = context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBase()
	srv := &http.Server{
		Handler:           e,
		ReadHeaderTimeout: e.cfg.ReadHeaderTimeout,
		ReadTimeout:       e.cfg.ReadTimeout,
		IdleTimeout:       e.cfg.IdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          log.New(noticeWriter{e}, "", 0),
	}

	e.q.push(&Ready{URL: e.url, Addr: e.ln.Addr().String()}, 0)
	processed := make(chan struct{})
	go func() {
		defer close(processed)
		e.process()
	}()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(e.ln) }()

	var serveErr error
	select {
	case <-ctx.Done():
	case <-e.stop:
	case serveErr = <-served:
	}
	e.stopping.Store(true)
	// Deliveries waiting for room in the queue are answered 503 now: stopping must
	// not wait for a stuck display.
	e.q.close()
	graceCtx, cancelGrace := context.WithTimeout(context.WithoutCancel(ctx), e.cfg.ShutdownGrace)
	watched := make(chan struct{})
	go func() {
		select {
		case <-e.abandon:
			// Forwards end now; handlers waiting for a commit answer 503 at once,
			// and must be let finish their answer (the grace still bounds the rest).
			// Once they have, nothing is left to wait for.
			cancelBase()
			select {
			case <-e.handlers.drained():
				cancelGrace()
			case <-watched:
			}
		case <-watched:
		}
	}()
	if err := srv.Shutdown(graceCtx); err != nil {
		cancelBase()
		_ = srv.Close()
	}
	close(watched)
	cancelGrace()
	cancelBase()
	if serveErr == nil {
		if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			serveErr = err
		}
	}
	// Handlers still running after Close finish quickly: their context is cancelled,
	// they no longer wait for room in the queue, nor, once abandoned, for a commit.
	e.gate.Lock()
	e.closed = true
	e.gate.Unlock()
	e.q.finish()
	abandoned := false
	select {
	case <-processed:
	case <-e.abandon:
		select {
		case <-processed:
		default:
			// The display is stuck (a stalled pipe): leave it. The processing
			// goroutine ends by itself once its write returns.
			abandoned = true
			e.abandoned.Store(true)
		}
	}
	if e.client != nil {
		e.client.CloseIdleConnections()
	}
	sum, err := e.result(abandoned)
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return sum, fmt.Errorf("serving: %w", serveErr)
	}
	return sum, err
}

// Abandon gives up on a display that does not catch up once the engine is stopping
// (a second Ctrl-C, or a grace period over): Run returns at once, counting what was
// not shown. Deliveries still waiting for their --save line are answered 503.
func (e *Engine) Abandon() {
	e.abandonOnce.Do(func() { close(e.abandon) })
}

// result is a copy of the summary, and the error that ended the engine.
func (e *Engine) result(abandoned bool) (*Summary, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	sum := e.summary
	sum.ByEvent = maps.Clone(e.summary.ByEvent)
	if abandoned {
		// What the processing goroutine had not accounted for when it was left.
		if n := int(e.accepted.Load()) - sum.Deliveries - sum.Hidden - sum.Late - sum.NotShown; n > 0 {
			sum.NotShown += n
		}
	}
	var errs []error
	if e.saveErr != nil {
		if sum.NotSaved > 0 {
			errs = append(errs, fmt.Errorf("--save: %w: %d %s from #%d on %s answered 503 (not saved; the sender may retry)",
				e.saveErr, sum.NotSaved, plural(sum.NotSaved, "delivery", "deliveries"), e.notSavedFrom, plural(sum.NotSaved, "was", "were")))
		} else {
			errs = append(errs, fmt.Errorf("--save: %w", e.saveErr))
		}
	}
	closed := e.outErr != nil && errors.Is(e.outErr, syscall.EPIPE)
	switch {
	case closed:
		// The reader of stdout went away (`| head`): a deliberate end, not a loss.
		errs = append(errs, fmt.Errorf("writing output: %w", e.outErr))
	case e.outErr != nil && sum.NotShown > 0:
		errs = append(errs, fmt.Errorf("writing output: %w: %d received %s (from #%d on) %s not shown",
			e.outErr, sum.NotShown, plural(sum.NotShown, "delivery", "deliveries"), e.notShownFrom, plural(sum.NotShown, "was", "were")))
	case e.outErr != nil:
		errs = append(errs, fmt.Errorf("writing output: %w", e.outErr))
	case abandoned && sum.NotShown > 0:
		errs = append(errs, fmt.Errorf("stopped without waiting for the display: %d received %s %s not shown",
			sum.NotShown, plural(sum.NotShown, "delivery", "deliveries"), plural(sum.NotShown, "was", "were")))
	}
	return &sum, errors.Join(errs...)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func (e *Engine) signalStop() {
	e.stopOnce.Do(func() { close(e.stop) })
}

// onPath reports whether p is the configured path or below it.
func (e *Engine) onPath(p string) bool {
	base := e.cfg.Path
	if base == "/" {
		return true
	}
	return p == base || strings.HasPrefix(p, base+"/")
}

// ServeHTTP answers one request. Deliveries are queued before the answer is written,
// which costs nothing unless the queue is full.
func (e *Engine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.handlers.enter()
	defer e.handlers.leave()
	e.gate.RLock()
	defer e.gate.RUnlock()
	if e.closed {
		w.Header().Set("Connection", "close")
		http.Error(w, "listen has stopped", http.StatusServiceUnavailable)
		return
	}
	if !e.onPath(r.URL.Path) {
		e.refuse(w, r, http.StatusNotFound, "not found: deliveries are accepted on "+e.cfg.Path)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		e.refuse(w, r, http.StatusMethodNotAllowed, "method not allowed: deliveries are POSTed")
		return
	}
	if e.hopID != "" && e.looped(r.Header) {
		e.refuse(w, r, http.StatusLoopDetected, "loop detected: this request was forwarded by this listen (--forward-to leads back to it): not forwarded again")
		return
	}
	if e.stopping.Load() {
		// After --count: better a retry later than an answer nobody will see.
		w.Header().Set("Retry-After", "10")
		w.Header().Set("Connection", "close")
		e.refuse(w, r, http.StatusServiceUnavailable, "listen is stopping")
		return
	}
	// What this request holds counts against the in-flight budget until its answer
	// is out; the queue counts it again while it waits there.
	held := requestSize(r)
	if !e.inflight.reserve(held) {
		e.busy(w, r)
		return
	}
	defer e.inflight.releaseAt(&held)

	d := &Delivery{Method: r.Method, Path: r.RequestURI, Header: r.Header, Size: r.ContentLength}
	body, tooLarge, err := e.readBody(r, &held)
	d.ReceivedAt = e.now()
	if errors.Is(err, errBusy) {
		e.busy(w, r)
		return
	}
	if err != nil {
		// Never 200 for a body that did not come whole: the sender must retry. (A
		// handler that writes nothing would have net/http answer 200.)
		status, msg := e.incompleteBody(r, len(body), err)
		e.notice(&Notice{Time: d.ReceivedAt, Method: r.Method, Path: d.Path, Status: status, Message: msg})
		w.Header().Set("Connection", "close")
		http.Error(w, msg, status)
		return
	}
	if tooLarge {
		d.Status, d.Rejected = http.StatusRequestEntityTooLarge, true
		d.rejection = fmt.Sprintf("body larger than --max-body (%s): answered 413 without reading it", FormatSize(e.cfg.MaxBody))
		e.q.push(d, held)
		w.Header().Set("Connection", "close")
		http.Error(w, fmt.Sprintf("body larger than %d bytes", e.cfg.MaxBody), d.Status)
		return
	}
	d.Body, d.Size = body, int64(len(body))
	size := held

	if rh := e.cfg.RequireHeader; rh != nil {
		vals, present := r.Header[http.CanonicalHeaderKey(rh.Name)]
		got := sha256.Sum256([]byte(strings.Join(vals, ", ")))
		if !present || subtle.ConstantTimeCompare(got[:], e.reqWant[:]) != 1 {
			d.Status, d.Rejected = http.StatusUnauthorized, true
			if present {
				d.rejection = "header " + rh.Name + " does not match --require-header: answered 401"
			} else {
				d.rejection = "header " + rh.Name + " is missing (--require-header): answered 401"
			}
			e.q.push(d, size)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
	}

	var route *Route
	if len(e.cfg.Routes) > 0 {
		e.detect(d)
		if e.selected(d) {
			route = e.route(d.Candidates)
		}
	}
	if route == nil {
		d.Status = e.cfg.Status
		e.accept(w, r, d, size)
		return
	}
	d.ForwardTo = route.URL
	if !e.q.push(d, size) {
		e.unavailable(w)
		return
	}
	e.accepted.Add(1)
	e.forward(w, r, d, route)
}

// accept queues a delivery that is not forwarded and answers it. With --save, a 2xx
// waits for the write of the batch that holds its line.
func (e *Engine) accept(w http.ResponseWriter, r *http.Request, d *Delivery, size int64) {
	status := d.Status
	d.wait = e.cfg.Save != nil && is2xx(status)
	c, ok := e.q.add(d, size, d.wait)
	if !ok {
		e.unavailable(w)
		return
	}
	e.accepted.Add(1)
	switch {
	case d.wait:
		// d.Status is now the processing goroutine's verdict: 503 when the line
		// could not be written (or came after --count).
		if !e.await(r, c) || d.Status != status {
			e.unavailable(w)
			return
		}
	case is2xx(status) && e.broken.Load():
		e.unavailable(w) // the display failed: it would not be shown
		return
	}
	w.WriteHeader(status) // net/http adds Content-Length: 0
}

// await waits for the commit c; false when the engine gave up first (the display
// was abandoned) or the sender hung up.
func (e *Engine) await(r *http.Request, c *commit) bool {
	select {
	case <-c.done:
		return true
	case <-e.abandon:
	case <-r.Context().Done():
	}
	return false
}

// unavailable answers 503 to a delivery listen could not keep: it is stopping, or
// its --save line could not be written. The sender may retry.
func (e *Engine) unavailable(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "10")
	w.Header().Set("Connection", "close")
	http.Error(w, "listen could not keep this delivery (it is stopping, or --save failed): retry later", http.StatusServiceUnavailable)
}

func is2xx(status int) bool { return status >= 200 && status <= 299 }

// errBusy is readBody's answer when the in-flight budget cannot hold the body.
var errBusy = errors.New("the in-flight budget is spent")

// busy answers 503 to a request the in-flight budget cannot hold: many large or slow
// requests are being read at once. The sender may retry; nothing was recorded.
func (e *Engine) busy(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Retry-After", "5")
	w.Header().Set("Connection", "close")
	e.refuse(w, r, http.StatusServiceUnavailable, fmt.Sprintf("busy: requests being read hold %s already (at most %s at once): answered 503, not recorded; the sender may retry", FormatSize(e.inflight.used.Load()), FormatSize(e.inflight.max)))
}

// readBody reads at most MaxBody bytes. The buffer grows as bytes come — a
// Content-Length is a claim, not bytes — and every growth is reserved in the
// in-flight budget and added to *held. tooLarge reports a body beyond MaxBody; on an
// error, body is what came before it (errBusy: the budget cannot hold more).
func (e *Engine) readBody(r *http.Request, held *int64) (body []byte, tooLarge bool, err error) {
	limit := e.cfg.MaxBody
	if r.ContentLength > limit {
		return nil, true, nil
	}
	known := r.ContentLength >= 0
	// Without a length, read one byte more than allowed to tell a body too large.
	want := limit + 1
	size := min(want, 512)
	if known {
		want = r.ContentLength
		size = min(want, bodyChunk)
	}
	if size == 0 {
		return []byte{}, false, nil
	}
	if !e.inflight.reserve(size) {
		return nil, false, errBusy
	}
	*held += size
	buf := make([]byte, size)
	n := 0
	for int64(n) < want {
		if n == len(buf) {
			grow := min(int64(len(buf)), want-int64(n))
			if !e.inflight.reserve(grow) {
				return buf[:n], false, errBusy
			}
			*held += grow
			nb := make([]byte, int64(len(buf))+grow)
			copy(nb, buf[:n])
			buf = nb
		}
		m, err := r.Body.Read(buf[n:])
		n += m
		if err == io.EOF {
			if known && int64(n) < want {
				return buf[:n], false, io.ErrUnexpectedEOF
			}
			break
		}
		if err != nil {
			return buf[:n], false, err
		}
	}
	if int64(n) > limit {
		return nil, true, nil
	}
	return buf[:n], false, nil
}

// incompleteBody says in plain words why a body did not come whole, and the status
// answered: 408 when the read timeout cut it, 400 otherwise (the sender closed the
// connection, or sent a malformed chunked body).
func (e *Engine) incompleteBody(r *http.Request, got int, err error) (int, string) {
	came := FormatSize(int64(got))
	if r.ContentLength >= 0 {
		came += " of " + FormatSize(r.ContentLength)
	}
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return http.StatusRequestTimeout, fmt.Sprintf("the body was not complete after the %s read timeout (%s came): not recorded", formatTimeout(e.cfg.ReadTimeout), came)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET):
		return http.StatusBadRequest, fmt.Sprintf("the sender closed the connection before the body was complete (%s came): not recorded", came)
	}
	return http.StatusBadRequest, fmt.Sprintf("the body could not be read (%s came: %s): not recorded", came, Sanitize(err.Error()))
}

// formatTimeout writes a duration without trailing zero units: "60s" is "1m", not
// "1m0s".
func formatTimeout(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

func (e *Engine) refuse(w http.ResponseWriter, r *http.Request, status int, msg string) {
	e.notice(&Notice{Time: e.now(), Method: r.Method, Path: r.URL.RequestURI(), Status: status, Message: msg})
	http.Error(w, msg, status)
}

// notice queues n, counting what it holds.
func (e *Engine) notice(n *Notice) { e.q.push(n, noticeSize(n)) }

// detect fills in the detection, once.
func (e *Engine) detect(d *Delivery) {
	if d.detected {
		return
	}
	d.detected = true
	if d.Status == http.StatusRequestEntityTooLarge {
		det, ok := e.cfg.Matcher.DetectPath(pathOnly(d.Path))
		if !ok {
			det = events.Detection{Event: events.Unknown, Candidates: []string{}}
		}
		d.Event, d.Candidates, d.ByPath = det.Event, det.Candidates, det.ByPath
		return
	}
	p := e.cfg.Matcher.Parse(d.Body)
	d.payload = p
	det, checks := e.cfg.Matcher.Examine(pathOnly(d.Path), p)
	d.Event, d.Candidates, d.ByPath, d.IsJSON = det.Event, det.Candidates, det.ByPath, p.JSON
	d.checks = checks
}

func pathOnly(uri string) string {
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		return uri[:i]
	}
	return uri
}

// selected applies --events: a delivery is selected when one of its candidates
// matches one of the names or families.
func (e *Engine) selected(d *Delivery) bool {
	if len(e.cfg.Events) == 0 {
		return true
	}
	for _, want := range e.cfg.Events {
		for _, c := range d.Candidates {
			if events.MatchPattern(want, c) {
				return true
			}
		}
	}
	return false
}

// route picks the most specific route matching the candidates.
func (e *Engine) route(candidates []string) *Route {
	var best *Route
	bestRank := -1
	for i := range e.cfg.Routes {
		rt := &e.cfg.Routes[i]
		rank := -1
		switch {
		case rt.Event == "":
			rank = 0
		case !events.IsPattern(rt.Event):
			for _, c := range candidates {
				if c == rt.Event {
					rank = 1 << 20
				}
			}
		default:
			for _, c := range candidates {
				if events.MatchPattern(rt.Event, c) {
					rank = len(rt.Event)
				}
			}
		}
		if rank > bestRank {
			best, bestRank = rt, rank
		}
	}
	return best
}

// flushDelay is how long output may wait in the buffer for more entries once the
// queue is empty: a burst is written in 64 KiB blocks, not one write per delivery,
// and a lone delivery still shows within a couple of milliseconds.
const flushDelay = 2 * time.Millisecond

// maxUnflushed bounds the entries rendered between two Flushes: under a steady
// load the queue is never idle, and what is not yet known to be shown is held.
const maxUnflushed = 512

// process is the one goroutine behind the handlers. Per batch: detect and check
// every entry, write the --save lines in one write and release the handlers waiting
// for it, then render.
func (e *Engine) process() {
	var batch []Entry
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	dirty := false
	for {
		wait := time.Duration(0)
		if dirty {
			wait = flushDelay
		}
		var (
			c        *commit
			idle, ok bool
		)
		batch, c, idle, ok = e.q.popAll(batch, wait, timer)
		if !ok || idle {
			if dirty {
				e.flush()
			}
			dirty = false
			if !ok {
				return
			}
			continue
		}
		if e.abandoned.Load() {
			if c != nil {
				close(c.done)
			}
			continue
		}
		e.mu.Lock()
		for _, ent := range batch {
			e.prepare(ent)
		}
		e.mu.Unlock()
		notice := e.commit(batch)
		if c != nil {
			close(c.done)
		}
		if notice != nil {
			e.show(notice)
		}
		for _, ent := range batch {
			e.show(ent)
		}
		dirty = true
		if len(e.unflushed) >= maxUnflushed {
			e.flush()
			dirty = false
		}
	}
}

// prepare decides what becomes of an entry and queues its --save line; e.mu is held.
func (e *Engine) prepare(ent Entry) {
	switch v := ent.(type) {
	case *Delivery:
		e.prepareDelivery(v)
	case *ForwardResult:
		d := e.pending[v.Seq]
		if d == nil {
			// Its delivery was not shown (it came after --count): not saved either.
			if v.wait {
				v.Answered = http.StatusServiceUnavailable
			}
			return
		}
		delete(e.pending, v.Seq)
		v.Delivery, d.Forward = d, v
		e.toSave(d)
	case *Notice:
		if v.Status != 0 {
			e.summary.Other++
		}
	}
}

func (e *Engine) prepareDelivery(d *Delivery) {
	if e.summary.CountReached {
		e.summary.Late++
		d.hidden = true
		if d.wait {
			d.Status = http.StatusServiceUnavailable // nobody will see it: better a retry
		}
		return
	}
	e.detect(d)
	// Refused deliveries are shown whatever --events says: they may be why an
	// expected event did not arrive.
	if !d.Rejected && !e.selected(d) {
		e.summary.Hidden++
		d.hidden = true
		return
	}
	var warnings []string
	if d.rejection != "" {
		warnings = append(warnings, d.rejection)
	}
	failedChecks := 0
	if d.Status != http.StatusRequestEntityTooLarge {
		switch {
		case d.IsJSON:
			failedChecks = len(d.checks)
			warnings = append(warnings, d.checks...)
		case len(d.Body) == 0:
			failedChecks = 1
			warnings = append(warnings, "the body is empty")
		default:
			failedChecks = 1
			warnings = append(warnings, "the body is not JSON")
		}
		if first, nth := e.dup.seen(d.Body, d.Seq); first != 0 {
			e.repeatOrDuplicate(d, first, nth, &warnings)
		}
	}
	if warnings == nil {
		warnings = []string{}
	}
	d.Warnings = warnings
	d.warned = failedChecks > 0

	if d.Rejected {
		e.summary.Refused++
	}
	if d.ForwardTo != "" {
		e.pending[d.Seq] = d // saved with its answer
	} else {
		e.toSave(d)
	}
	if !d.Rejected && e.cfg.Count > 0 {
		e.matched++
		if e.matched >= e.cfg.Count {
			e.summary.CountReached = true
			e.stopping.Store(true)
			e.signalStop()
		}
	}
}

// repeatOrDuplicate tells the nth delivery of a body first seen as #first: a repeat
// while the catalog says the event is sent that many times with the same body
// (webinar.reminder.all's reminders), a duplicate beyond.
func (e *Engine) repeatOrDuplicate(d *Delivery, first, nth int64, warnings *[]string) {
	event, sends := e.cfg.Matcher.IdenticalSends(d.Candidates)
	if nth <= int64(sends) {
		d.RepeatOf = first
		d.Notes = []string{fmt.Sprintf("round %d of %d: same body as #%d (%s is sent %d times)", nth, sends, first, event, sends)}
		return
	}
	// One concatenation: a burst of duplicates costs one allocation each.
	msg := "duplicate of #" + strconv.FormatInt(first, 10) + " (identical body)"
	if sends > 1 {
		msg = "duplicate of #" + strconv.FormatInt(first, 10) + " (identical body); more than the " + strconv.Itoa(sends) + " sends of " + event
	}
	d.DuplicateOf = first
	*warnings = append(*warnings, msg)
}

// toSave adds the --save line of d to the batch's.
func (e *Engine) toSave(d *Delivery) {
	if e.cfg.Save != nil && e.saveErr == nil {
		e.saveBuf = AppendSaveLine(e.saveBuf, d)
	}
}

// commit writes the batch's --save lines with one write. When a write fails, the
// waiting entries of that batch and of every later one are answered 503.
func (e *Engine) commit(batch []Entry) *Notice {
	if e.cfg.Save == nil {
		return nil
	}
	var notice *Notice
	if len(e.saveBuf) > 0 && e.saveErr == nil {
		msg, err := e.cfg.Save.Save(e.saveBuf)
		if msg != "" {
			notice = &Notice{Time: e.now(), Message: msg}
		}
		if err != nil {
			e.mu.Lock()
			e.saveErr = err
			e.mu.Unlock()
			e.broken.Store(true)
			e.stopping.Store(true)
			e.signalStop()
		}
	}
	if cap(e.saveBuf) > 4<<20 {
		e.saveBuf = nil // a burst of large bodies is not held for the rest of the run
	}
	e.saveBuf = e.saveBuf[:0]
	if e.saveErr == nil {
		return notice
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ent := range batch {
		var seq int64
		switch v := ent.(type) {
		case *Delivery:
			if !v.wait || v.Status == http.StatusServiceUnavailable {
				continue
			}
			v.Status, seq = http.StatusServiceUnavailable, v.Seq
		case *ForwardResult:
			if !v.wait || v.Answered == http.StatusServiceUnavailable {
				continue
			}
			v.Answered, seq = http.StatusServiceUnavailable, v.Seq
		default:
			continue
		}
		e.summary.NotSaved++
		if e.notSavedFrom == 0 || seq < e.notSavedFrom {
			e.notSavedFrom = seq
		}
	}
	return notice
}

// show renders an entry, unless it is not to be shown or the display has failed.
func (e *Engine) show(ent Entry) {
	switch v := ent.(type) {
	case *Delivery:
		if v.hidden {
			return
		}
	case *ForwardResult:
		if v.Delivery == nil {
			return
		}
	}
	if e.abandoned.Load() {
		return
	}
	if e.outErr != nil {
		e.mu.Lock()
		e.notShown(ent)
		e.mu.Unlock()
		return
	}
	e.unflushed = append(e.unflushed, ent)
	if err := e.renderer.Render(ent); err != nil {
		e.displayFailed(err)
	}
}

// flush writes out what the renderer holds, and counts what it showed.
func (e *Engine) flush() {
	if e.outErr == nil && !e.abandoned.Load() {
		if err := e.renderer.Flush(); err != nil {
			e.displayFailed(err)
			return
		}
	}
	e.mu.Lock()
	for _, ent := range e.unflushed {
		switch v := ent.(type) {
		case *Delivery:
			if v.Rejected {
				continue
			}
			e.summary.Deliveries++
			e.summary.ByEvent[v.Event]++
			if v.DuplicateOf != 0 {
				e.summary.Duplicates++
			}
			if v.RepeatOf != 0 {
				e.summary.Repeats++
			}
			if v.warned {
				e.summary.WithWarnings++
			}
		case *ForwardResult:
			if v.Failed() {
				e.summary.ForwardFailures++
			}
		}
	}
	e.mu.Unlock()
	clear(e.unflushed)
	e.unflushed = e.unflushed[:0]
}

// displayFailed stops the engine on a display error: the entries since the last
// Flush are not known to be shown, and nothing more will be.
func (e *Engine) displayFailed(err error) {
	e.mu.Lock()
	e.outErr = err
	for _, ent := range e.unflushed {
		e.notShown(ent)
	}
	e.mu.Unlock()
	clear(e.unflushed)
	e.unflushed = e.unflushed[:0]
	if !errors.Is(err, syscall.EPIPE) {
		e.broken.Store(true)
	}
	e.stopping.Store(true)
	e.signalStop()
}

// notShown counts a delivery that will not be shown; e.mu is held.
func (e *Engine) notShown(ent Entry) {
	if d, ok := ent.(*Delivery); ok && !d.Rejected {
		e.summary.NotShown++
		if e.notShownFrom == 0 || d.Seq < e.notShownFrom {
			e.notShownFrom = d.Seq
		}
	}
}

// noticeWriter turns net/http's log lines (bad requests, TLS noise) into notices.
type noticeWriter struct{ e *Engine }

func (w noticeWriter) Write(p []byte) (int, error) {
	w.e.notice(&Notice{Time: w.e.now(), Message: strings.TrimSpace(string(p))})
	return len(p), nil
}
