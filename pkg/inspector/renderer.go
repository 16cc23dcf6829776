package inspector

import (
	"io"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/receiver"
)

// Renderer is the receiver.Renderer that feeds the store: listen adds it beside its
// terminal renderer (receiver.Tee). It runs on the engine's processing goroutine and
// never blocks on the page: each entry is packed, added under the store's short
// lock, and the page's readers are woken at Flush without being waited for.
type Renderer struct {
	store *Store
	// announce, when set, is written after the Ready line: where the page is.
	announce   io.Writer
	pageURL    string
	onAnnounce func()
	added      bool
	// scratch is where deliveries are packed before their slot gets a copy.
	scratch []byte
}

// NewRenderer feeds store. When announce is not nil, it gets the line
// "Inspector: URL" once the receiver is ready (after the Ready line), and then
// onReady, when set, is called (--open).
func NewRenderer(store *Store, announce io.Writer, pageURL string, onReady func()) *Renderer {
	return &Renderer{store: store, announce: announce, pageURL: pageURL, onAnnounce: onReady}
}

// Render adds an entry to the store.
func (r *Renderer) Render(e receiver.Entry) error {
	switch v := e.(type) {
	case *receiver.Delivery:
		var sl slot
		sl, r.scratch = newSlot(v, "", 0, "", r.scratch)
		r.store.add(sl)
		r.added = true
	case *receiver.ForwardResult:
		if d := v.Delivery; d != nil {
			var sl slot
			sl, r.scratch = newSlot(d, "", 0, "", r.scratch)
			if !r.store.replacePending(v.Seq, sl) {
				return nil // evicted while its answer was awaited
			}
			r.added = true
		}
	case *receiver.Ready:
		if r.announce != nil {
			if _, err := io.WriteString(r.announce, "Inspector: "+r.pageURL+"\n"); err != nil {
				return err
			}
		}
		if r.onAnnounce != nil {
			r.onAnnounce()
		}
	}
	return nil
}

// Flush wakes the page's readers when something was added.
func (r *Renderer) Flush() error {
	if r.added {
		r.added = false
		r.store.notify()
	}
	return nil
}
