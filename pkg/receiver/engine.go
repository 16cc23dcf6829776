// The engine's life: Listen, Run (start, stop, shutdown grace, abandon) and its result.

package receiver

import (
	"context"
	"errors"
	"fmt"
	"log"
	"maps"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/output"
)

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
	// conns counts the connections with a request in flight (see activeConns).
	conns activeConns
	// hopID marks the requests this engine forwards (hopHeader); a request that
	// carries it came back: a loop. "" without routes.
	hopID string

	// Owned by the processing goroutine; mu guards summary and the two errors, which
	// Run reads when it abandons a display that is stuck.
	mu      sync.Mutex
	summary Summary
	// counted counts the accepted deliveries --events selected, as they are
	// prepared, toward --count. It runs ahead of summary.Deliveries, which counts
	// them only once a Flush has shown them: --count is decided in delivery order,
	// before the display, so that every later delivery is Late however the
	// display fares.
	counted int
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
		ConnState:         e.conns.track,
	}

	if !e.cfg.HoldReady {
		e.q.push(&Ready{URL: e.url, Addr: e.ln.Addr().String()}, 0)
	}
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
			// Once their answers are out, nothing is left to wait for.
			cancelBase()
			select {
			case <-e.conns.drained():
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
				e.saveErr, sum.NotSaved, output.Plural(sum.NotSaved, "delivery", "deliveries"), e.notSavedFrom, output.Plural(sum.NotSaved, "was", "were")))
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
			e.outErr, sum.NotShown, output.Plural(sum.NotShown, "delivery", "deliveries"), e.notShownFrom, output.Plural(sum.NotShown, "was", "were")))
	case e.outErr != nil:
		errs = append(errs, fmt.Errorf("writing output: %w", e.outErr))
	case abandoned && sum.NotShown > 0:
		errs = append(errs, fmt.Errorf("stopped without waiting for the display: %d received %s %s not shown",
			sum.NotShown, output.Plural(sum.NotShown, "delivery", "deliveries"), output.Plural(sum.NotShown, "was", "were")))
	}
	return &sum, errors.Join(errs...)
}

func (e *Engine) signalStop() {
	e.stopOnce.Do(func() { close(e.stop) })
}

// noticeWriter turns net/http's log lines (bad requests, TLS noise) into notices.
type noticeWriter struct{ e *Engine }

func (w noticeWriter) Write(p []byte) (int, error) {
	w.e.notice(&Notice{Time: w.e.now(), Message: strings.TrimSpace(string(p))})
	return len(p), nil
}
