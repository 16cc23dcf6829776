// The HTTP-handler side: ServeHTTP and what it calls run on many goroutines at once,
// and share only the queue, the budgets and atomics with the processing goroutine.

package receiver

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/safetext"
)

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
	e.gate.RLock()
	defer e.gate.RUnlock()
	if e.closed {
		w.Header().Set("Connection", "close")
		http.Error(w, "listen has stopped", http.StatusServiceUnavailable)
		return
	}
	if e.cfg.Probe != nil && e.answerProbe(w, r) {
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
	return http.StatusBadRequest, fmt.Sprintf("the body could not be read (%s came: %s): not recorded", came, safetext.Escape(err.Error()))
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
func (e *Engine) detect(d *Delivery) { d.Detect(e.cfg.Matcher) }

// selected applies --events: a delivery is selected by one of the names or
// families (events.Selects).
func (e *Engine) selected(d *Delivery) bool {
	if len(e.cfg.Events) == 0 {
		return true
	}
	for _, want := range e.cfg.Events {
		if events.Selects(want, d.Event, d.Candidates) {
			return true
		}
	}
	return false
}

// route picks the most specific route matching the candidates.
func (e *Engine) route(candidates []string) *Route { return RouteFor(e.cfg.Routes, candidates) }

// RouteFor picks the most specific of routes matching the candidates: an event name,
// then the longest family, then the default route; nil when none matches.
func RouteFor(routes []Route, candidates []string) *Route {
	var best *Route
	bestRank := -1
	for i := range routes {
		rt := &routes[i]
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
