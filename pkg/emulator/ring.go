// The ring of the last deliveries, for GET /_emulator/deliveries.

package emulator

import (
	"sync"
)

// ring keeps the most recent deliveries.
type ring struct {
	mu   sync.Mutex
	buf  []Delivery
	next int
	seq  int64
}

func newRing(n int) *ring { return &ring{buf: make([]Delivery, 0, n)} }

func (r *ring) add(d Delivery) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	d.Seq = r.seq
	if len(r.buf) < cap(r.buf) {
		r.buf = append(r.buf, d)
		return
	}
	r.buf[r.next] = d
	r.next = (r.next + 1) % len(r.buf)
}

func (r *ring) list() []Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Delivery, 0, len(r.buf))
	out = append(out, r.buf[r.next:]...)
	return append(out, r.buf[:r.next]...)
}
