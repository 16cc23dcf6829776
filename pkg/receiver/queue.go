package receiver

import (
	"runtime"
	"sync"
	"time"
)

// queue carries entries from the HTTP handlers to the one goroutine that renders
// them. It is bounded in entries and in body bytes; a push into a full queue waits
// (back-pressure) instead of dropping. The consumer takes everything queued at once,
// so a slow renderer is handed ever larger batches and spends less per entry.
type queue struct {
	mu      sync.Mutex
	notFull sync.Cond
	// wake tells a sleeping consumer that entries came (or the queue closed); a
	// channel rather than a Cond so that the consumer can also wait with a timeout.
	wake     chan struct{}
	sleeping bool

	items    []Entry
	bytes    int64
	maxItems int
	maxBytes int64
	// closed stops pushes from waiting for room (the engine is stopping); done tells
	// the consumer that no push will come any more, so it ends once drained.
	closed bool
	done   bool

	// seq is the last delivery number given out; numbering under the same lock as
	// the push keeps the queue in seq order.
	seq int64
	// waiting counts pushes held back by a full queue.
	waiting int
	// cur is the group commit of the entries pushed since the last pop that wait
	// for it (see pushWait); nil when none.
	cur *commit
}

// commit is the group commit of one batch: the handlers of its waiting entries
// wait for done, closed by the consumer once the batch's --save lines are written
// (or refused). One per batch, not per delivery.
type commit struct{ done chan struct{} }

func newQueue(maxItems int, maxBytes int64) *queue {
	q := &queue{maxItems: maxItems, maxBytes: maxBytes, items: make([]Entry, 0, 64), wake: make(chan struct{}, 1)}
	q.notFull.L = &q.mu
	return q
}

// push appends e, waiting while the queue is full (until close). An entry larger
// than the whole byte budget is let in when the queue is empty. A Delivery gets its
// seq here; once the queue is closed (the engine is stopping) a Delivery is no
// longer accepted and push reports false: the handler answers 503.
func (q *queue) push(e Entry, size int64) bool {
	_, ok := q.add(e, size, false)
	return ok
}

// pushWait is push for an entry whose handler then waits for the commit of the
// batch that takes it.
func (q *queue) pushWait(e Entry, size int64) (*commit, bool) {
	return q.add(e, size, true)
}

func (q *queue) add(e Entry, size int64, wait bool) (*commit, bool) {
	q.mu.Lock()
	for !q.closed && len(q.items) > 0 && (len(q.items) >= q.maxItems || q.bytes+size > q.maxBytes) {
		q.waiting++
		q.notFull.Wait()
		q.waiting--
	}
	if d, ok := e.(*Delivery); ok {
		if q.closed {
			q.mu.Unlock()
			return nil, false
		}
		q.seq++
		d.Seq = q.seq
	}
	var c *commit
	if wait {
		if q.cur == nil {
			q.cur = &commit{done: make(chan struct{})}
		}
		c = q.cur
	}
	q.items = append(q.items, e)
	q.bytes += size
	q.wakeLocked()
	q.mu.Unlock()
	return c, true
}

func (q *queue) wakeLocked() {
	if q.sleeping {
		q.sleeping = false
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
}

// popAll waits for entries and returns all of them, with the commit their waiting
// handlers wait for (nil when none waits); spare is a drained batch whose storage
// can be reused. With a timeout, it gives up after that long with an empty batch
// and idle set. ok is false once the queue is finished and empty.
func (q *queue) popAll(spare []Entry, timeout time.Duration, timer *time.Timer) (batch []Entry, c *commit, idle, ok bool) {
	clear(spare)
	q.mu.Lock()
	// Before sleeping, yield a few times: under load the handlers push again within
	// a scheduling round, and a consumer that is not asleep needs no wake-up.
	for spin := 0; spin < 4 && len(q.items) == 0 && !q.done; spin++ {
		q.mu.Unlock()
		runtime.Gosched()
		q.mu.Lock()
	}
	for len(q.items) == 0 && !q.done {
		q.sleeping = true
		q.mu.Unlock()
		if timeout > 0 {
			timer.Reset(timeout)
			select {
			case <-q.wake:
				timer.Stop()
			case <-timer.C:
				q.mu.Lock()
				q.sleeping = false
				q.mu.Unlock()
				return spare[:0], nil, true, true
			}
		} else {
			<-q.wake
		}
		q.mu.Lock()
	}
	if len(q.items) == 0 {
		q.mu.Unlock()
		return spare[:0], nil, false, false
	}
	batch, c = q.items, q.cur
	q.items, q.cur = spare[:0], nil
	q.bytes = 0
	q.mu.Unlock()
	q.notFull.Broadcast()
	return batch, c, false, true
}

// close lets every waiting and future push through at once: the engine is
// stopping and handlers must not stay blocked behind a stuck renderer.
func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.notFull.Broadcast()
}

// finish says that nothing more will be pushed: the consumer ends once it has
// drained the queue.
func (q *queue) finish() {
	q.mu.Lock()
	q.closed, q.done = true, true
	q.sleeping = true // force the wake-up below
	q.wakeLocked()
	q.mu.Unlock()
	q.notFull.Broadcast()
}

// waiters is how many pushes are waiting for room.
func (q *queue) waiters() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.waiting
}
