package inspector

import (
	"net/http"
	"strconv"
	"time"
)

// keepAlive is how often an idle stream sends a comment, so that proxies and the
// browser see it alive.
const keepAlive = 15 * time.Second

// streamBatch bounds the entries written between two flushes.
const streamBatch = 256

// stream is GET /api/stream: Server-Sent Events, one "entry" event per entry added
// or changed (a forward answer arriving), its id the store's change number. A
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
	store := s.opts.Store
	changed := store.wait()
	if last < 0 {
		_, last = store.since(1<<62, 0)
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
	var buf []byte
	for {
		for {
			recs, next := store.since(last, streamBatch)
			if len(recs) > 0 {
				buf = buf[:0]
				for _, rec := range recs {
					buf = append(buf, "id: "...)
					buf = strconv.AppendInt(buf, rec.version, 10)
					buf = append(buf, "\nevent: entry\ndata: "...)
					buf = rec.appendEntry(buf, false)
					buf = append(buf, "\n\n"...)
				}
				if !write(buf) {
					return
				}
			}
			last = next
			if len(recs) < streamBatch {
				break
			}
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
		case <-r.Context().Done():
			return
		}
	}
}
