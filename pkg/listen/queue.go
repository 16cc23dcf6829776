package listen

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
}

func newQueue(maxItems int, maxBytes int64) *queue {
	q := &queue{maxItems: maxItems, maxBytes: maxBytes, items: make([]Entry, 0, 64), wake: make(chan struct{}, 1)}
	q.notFull.L = &q.mu
	return q
}

// push appends e, waiting while the queue is full (until close). An entry larger
// than the whole byte budget is let in when the queue is empty. A Delivery gets its
// seq here.
func (q *queue) push(e Entry, size int64) {
	q.mu.Lock()
	for !q.closed && len(q.items) > 0 && (len(q.items) >= q.maxItems || q.bytes+size > q.maxBytes) {
		q.waiting++
		q.notFull.Wait()
		q.waiting--
	}
	if d, ok := e.(*Delivery); ok {
		q.seq++
		d.Seq = q.seq
	}
	q.items = append(q.items, e)
	q.bytes += size
	q.wakeLocked()
	q.mu.Unlock()
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

// popAll waits for entries and returns all of them; spare is a drained batch whose
// storage can be reused. With a timeout, it gives up after that long with an empty
// batch and idle set. ok is false once the queue is finished and empty.
func (q *queue) popAll(spare []Entry, timeout time.Duration, timer *time.Timer) (batch []Entry, idle, ok bool) {
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
				return spare[:0], true, true
			}
		} else {
			<-q.wake
		}
		q.mu.Lock()
	}
	if len(q.items) == 0 {
		q.mu.Unlock()
		return spare[:0], false, false
	}
	batch = q.items
	q.items = spare[:0]
	q.bytes = 0
	q.mu.Unlock()
	q.notFull.Broadcast()
	return batch, false, true
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
