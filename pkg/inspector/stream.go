package inspector

import (
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/receiver"
)

// keepAlive is how often an idle stream sends a comment, so that proxies and the
// browser see it alive.
const keepAlive = 15 * time.Second

// streamBatch bounds the entries written between two flushes.
const streamBatch = 256

// streamInterval is the least time between two writes of a stream: the changes of a
// burst gather meanwhile and go in one write, not one write (and one wake-up of the
// reader) per delivery, without piling up into writes large enough to hold the CPU
// the receiver shares (bench/inspector.sh: 5 ms did better than none, 10 ms or
// 100 ms).
const streamInterval = 5 * time.Millisecond

// stream is GET /api/stream: Server-Sent Events, one "entry" event per entry added
// or changed (a forward answer arriving), its id the store's change number; with
// view=list, the entries are list entries (what the page uses). A
// client resumes with Last-Event-ID (or ?since=N); without either it gets what
// changes from now on. A client that does not read within writeTimeout is dropped:
// the store never waits for it, and its EventSource reconnects and resumes.
func (s *Server) stream(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		apiError(w, http.StatusForbidden, "cross-origin stream refused: use the inspector's own page")
		return
	}
	last := int64(-1)
	for _, v := range []string{r.Header.Get("Last-Event-ID"), r.URL.Query().Get("since")} {
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			apiError(w, http.StatusBadRequest, "Last-Event-ID and since are change numbers ≥ 0")
			return
		}
		last = n
		break
	}
	list, msg := parseView(r)
	if msg != "" {
		apiError(w, http.StatusBadRequest, msg)
		return
	}
	store := s.opts.Store
	changed := store.wait()
	if last < 0 {
		last = store.Version()
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	rc := http.NewResponseController(w)
	write := func(b []byte) bool {
		if err := rc.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
			return false
		}
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write([]byte("retry: 1000\n: version " + strconv.FormatInt(last, 10) + "\n\n")) {
		return
	}
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	pace := time.NewTimer(streamInterval)
	defer pace.Stop()
	var (
		buf   []byte
		slots []slot
		u     receiver.Unpacker
	)
	for {
		for {
			var next int64
			slots, next = store.since(last, streamBatch, slots[:0])
			if len(slots) > 0 {
				buf = buf[:0]
				for _, sl := range slots {
					buf = append(buf, "id: "...)
					buf = strconv.AppendInt(buf, sl.version, 10)
					buf = append(buf, "\nevent: entry\ndata: "...)
					if list {
						buf = sl.appendListEntry(buf)
					} else {
						rec := sl.open(&u)
						buf = rec.appendEntry(buf, false)
					}
					buf = append(buf, "\n\n"...)
				}
				if !write(buf) {
					return
				}
			}
			last = next
			if len(slots) < streamBatch {
				break
			}
			// A write to the network that does not block keeps the CPU: let the
			// receiver's goroutines run between two pieces.
			runtime.Gosched()
		}
		if cap(buf) > 1<<20 {
			buf = nil
		}
		select {
		case <-changed:
			changed = store.wait()
		case <-tick.C:
			if !write([]byte(": keep-alive\n\n")) {
				return
			}
			continue
		case <-r.Context().Done():
			return
		}
		// Let the burst gather.
		pace.Reset(streamInterval)
		select {
		case <-pace.C:
		case <-r.Context().Done():
			return
		}
	}
}

// parseView reads the view parameter of /api/deliveries and /api/stream: full
// entries (the default) or list entries.
func parseView(r *http.Request) (list bool, msg string) {
	switch r.URL.Query().Get("view") {
	case "", "full":
		return false, ""
	case "list":
		return true, ""
	}
	return false, "view is full (the default) or list"
}
