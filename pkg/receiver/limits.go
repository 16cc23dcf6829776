package receiver

import (
	"net"
	"net/http"
	"sync"
	"sync/atomic"
)

// Bounds on what the receiver holds, whatever senders do. Together with the queue's
// byte budget they bound its memory: bodies and headers being read count against the
// in-flight budget, and once queued against the queue's.
const (
	// MaxBodyLimit is the largest --max-body: beyond it one request could claim more
	// memory than a debugging receiver should ever hold.
	MaxBodyLimit = 64 << 20
	// DefaultMaxConnections bounds the connections served at once; more wait in the
	// kernel's backlog until one closes.
	DefaultMaxConnections = 2048
	// DefaultInFlightBytes bounds the bytes of requests being read (headers and the
	// body read so far) across all handlers; the budget is at least twice MaxBody, so
	// that a body of the largest size is always possible.
	DefaultInFlightBytes = 64 << 20
)

// Estimates of what the pieces of an entry cost in memory beyond their bytes, on the
// generous side (measured: a parsed header of 1000 short names holds ~130 KiB).
const (
	entryOverhead  = 512 // the entry's struct, its slices and map headers
	headerOverhead = 128 // per header name: its map slot, []string and string headers
	valueOverhead  = 32  // per header value
	// bodyChunk is the most a body's buffer runs ahead of the bytes that came: a
	// Content-Length is a claim, not bytes.
	bodyChunk = 64 << 10
)

// headerSize is what h holds in memory, by the estimates above.
func headerSize(h http.Header) int64 {
	n := int64(0)
	for k, vs := range h {
		n += headerOverhead + int64(len(k))
		for _, v := range vs {
			n += valueOverhead + int64(len(v))
		}
	}
	return n
}

// requestSize is what a delivery holds besides its body: headers, path, method.
func requestSize(r *http.Request) int64 {
	return entryOverhead + headerSize(r.Header) + int64(len(r.RequestURI)+len(r.Method))
}

// noticeSize is what a notice holds.
func noticeSize(n *Notice) int64 {
	return entryOverhead + int64(len(n.Method)+len(n.Path)+len(n.Message))
}

// forwardResultSize is what a forward result holds: the answer's head and headers
// (bounded by MaxResponseHeaderBytes and ForwardBodyLimit).
func forwardResultSize(res *ForwardResult) int64 {
	return entryOverhead + headerSize(res.Header) + int64(len(res.Body)+len(res.URL)+len(res.Message))
}

// budget counts bytes held across handlers. reserve is lock-free: one atomic add per
// call on the hot path.
type budget struct {
	used atomic.Int64
	max  int64
}

// reserve takes n bytes, or none and false when that would exceed the budget.
func (b *budget) reserve(n int64) bool {
	if b.used.Add(n) > b.max {
		b.used.Add(-n)
		return false
	}
	return true
}

// releaseAt gives back *n bytes: deferred with a pointer, it releases what was
// reserved by the time the handler returns.
func (b *budget) releaseAt(n *int64) { b.used.Add(-*n) }

// limitListener accepts at most n connections at once: Accept waits for one to close.
// (golang.org/x/net/netutil.LimitListener, which is not among our dependencies.)
type limitListener struct {
	net.Listener
	sem       chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	open      atomic.Int64
}

func newLimitListener(l net.Listener, n int) *limitListener {
	return &limitListener{Listener: l, sem: make(chan struct{}, n), done: make(chan struct{})}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	l.open.Add(1)
	return &limitConn{Conn: c, l: l}, nil
}

func (l *limitListener) Close() error {
	err := l.Listener.Close()
	l.closeOnce.Do(func() { close(l.done) })
	return err
}

// active is how many accepted connections are open.
func (l *limitListener) active() int64 { return l.open.Load() }

type limitConn struct {
	net.Conn
	l    *limitListener
	once sync.Once
	// busy: a request is in flight on it (see activeConns).
	busy atomic.Bool
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.open.Add(-1)
		<-c.l.sem
	})
	return err
}

// CloseWrite lets net/http half-close a connection it ends after an answer (a 413),
// as it does on a bare TCP connection, so that the sender reads the answer.
func (c *limitConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// activeConns counts the connections with a request in flight (net/http's
// StateActive), so that an abandoned stop can end as soon as every answer is out
// rather than after the whole shutdown grace: http.Server.Shutdown also waits for
// connections that are new (for up to 5 s) although nothing is being served on them.
// A connection leaves StateActive only once its answer has been written out. Each
// connection's own state is a flag on its limitConn, so that counting costs an
// atomic swap and add per request on the hot path, and a lock only while draining.
type activeConns struct {
	n        atomic.Int64
	watching atomic.Bool
	mu       sync.Mutex
	idle     chan struct{}
}

// track is the server's ConnState hook. Every connection comes from the engine's
// limitListener.
func (a *activeConns) track(c net.Conn, s http.ConnState) {
	lc, ok := c.(*limitConn)
	if !ok {
		return
	}
	active := s == http.StateActive
	if lc.busy.Swap(active) == active {
		return
	}
	if active {
		a.n.Add(1)
		return
	}
	if a.n.Add(-1) == 0 && a.watching.Load() {
		a.mu.Lock()
		if a.idle != nil && a.n.Load() == 0 {
			close(a.idle)
			a.idle = nil
		}
		a.mu.Unlock()
	}
}

// drained is closed once no connection has a request in flight (at once when none has).
func (a *activeConns) drained() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.watching.Store(true)
	c := make(chan struct{})
	if a.n.Load() == 0 {
		close(c)
	} else {
		a.idle = c
	}
	return c
}
