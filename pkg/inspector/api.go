package inspector

import (
	"cmp"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/receiver"
)

// maxLimit bounds one page of /api/deliveries.
const maxLimit = 10000

// filter is the query of /api/deliveries and /api/export.
type filter struct {
	after, before int64
	limit         int
	event, q      string
	kind          string
	warnings      bool
	duplicates    bool
	failed        bool
}

func parseFilter(r *http.Request) (*filter, string) {
	q := r.URL.Query()
	f := &filter{event: q.Get("event"), q: asciiLower(q.Get("q")), kind: q.Get("kind")}
	flag := func(name string) bool { v := q.Get(name); return v == "1" || v == "true" }
	f.warnings, f.duplicates, f.failed = flag("warnings"), flag("duplicates"), flag("failed")
	num := func(name string, p *int64) string {
		if v := q.Get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return name + " must be a number ≥ 0"
			}
			*p = n
		}
		return ""
	}
	if msg := num("after", &f.after); msg != "" {
		return nil, msg
	}
	if msg := num("before", &f.before); msg != "" {
		return nil, msg
	}
	var limit int64 = 1000
	if msg := num("limit", &limit); msg != "" {
		return nil, msg
	}
	f.limit = int(min(max(limit, 1), maxLimit))
	if f.kind != "" && f.kind != kindDelivery && f.kind != kindReplay {
		return nil, "kind is delivery or replay"
	}
	return f, ""
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.page)
	mux.Handle("GET /assets/", assets())
	mux.HandleFunc("GET /api/info", s.info)
	mux.HandleFunc("GET /api/deliveries", s.list)
	mux.HandleFunc("GET /api/deliveries/{id}", s.detail)
	mux.HandleFunc("GET /api/deliveries/{id}/curl", s.curl)
	mux.HandleFunc("POST /api/deliveries/{id}/replay", s.replay)
	mux.HandleFunc("GET /api/stream", s.stream)
	mux.HandleFunc("GET /api/export", s.export)
	mux.HandleFunc("GET /api/catalog", s.catalog)
	mux.HandleFunc("GET /api/stats", s.stats)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, _ *http.Request) {
		apiError(w, http.StatusNotFound, "no such endpoint: see docs/inspector.md")
	})
	return s.secure(mux)
}

// apiError answers {"error": msg}.
func apiError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"error": msg})
	_, _ = w.Write(append(b, '\n'))
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	b, err := json.Marshal(v)
	if err != nil {
		apiError(w, http.StatusInternalServerError, err.Error())
		return
	}
	_, _ = w.Write(append(b, '\n'))
}

func (s *Server) info(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]any{
		"mode":     s.opts.Mode,
		"receiver": s.opts.Receiver,
		"keep":     s.opts.Store.Keep(),
		"kept":     s.opts.Store.Len(),
		"dropped":  s.opts.Store.Dropped(),
		"maxBody":  s.opts.MaxBody,
		"to":       s.opts.To,
		"routes":   len(s.opts.Routes),
	})
}

// list answers the entries that pass the filter, oldest first: those after the
// "after" id (and before "before"), at most "limit" of them; with view=list, as list
// entries.
func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	f, msg := parseFilter(r)
	if f == nil {
		apiError(w, http.StatusBadRequest, msg)
		return
	}
	list, msg := parseView(r)
	if msg != "" {
		apiError(w, http.StatusBadRequest, msg)
		return
	}
	slots, dropped, version := s.opts.Store.snapshotVersion()
	b := make([]byte, 0, 4096)
	b = append(b, `{"deliveries":[`...)
	n, more, last := 0, false, f.after
	var u receiver.Unpacker
	for _, sl := range slots {
		if sl.id <= f.after || (f.before > 0 && sl.id >= f.before) {
			continue
		}
		if !sl.matches(f) {
			continue
		}
		var rec record
		if f.needsDelivery() || !list {
			if rec = sl.open(&u); !rec.matches(f) {
				continue
			}
		}
		if n == f.limit {
			more = true
			break
		}
		if n > 0 {
			b = append(b, ',')
		}
		if list {
			b = sl.appendListEntry(b)
		} else {
			b = rec.appendEntry(b, false)
		}
		n++
		last = sl.id
	}
	b = append(b, `],"count":`...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, `,"more":`...)
	b = strconv.AppendBool(b, more)
	b = append(b, `,"last":`...)
	b = strconv.AppendInt(b, last, 10)
	b = append(b, `,"kept":`...)
	b = strconv.AppendInt(b, int64(len(slots)), 10)
	b = append(b, `,"dropped":`...)
	b = strconv.AppendInt(b, dropped, 10)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, version, 10)
	b = append(b, "}\n"...)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// lookup finds the entry of the path's id, or answers 404.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request) (*record, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		apiError(w, http.StatusBadRequest, "the id is a number ≥ 1")
		return nil, false
	}
	sl, ok := s.opts.Store.get(id)
	if !ok {
		if id < s.opts.Store.nextIDValue() {
			apiError(w, http.StatusNotFound, "entry "+strconv.FormatInt(id, 10)+" is no longer kept (the inspector keeps the latest "+strconv.Itoa(s.opts.Store.Keep())+"; --ui-keep)")
		} else {
			apiError(w, http.StatusNotFound, "no entry "+strconv.FormatInt(id, 10))
		}
		return nil, false
	}
	rec := sl.open(new(receiver.Unpacker))
	return &rec, true
}

// detail answers one entry with the body's exact bytes, the schema check table and
// the ids its seqs refer to.
func (s *Server) detail(w http.ResponseWriter, r *http.Request) {
	rec, ok := s.lookup(w, r)
	if !ok {
		return
	}
	b := rec.appendEntry(nil, true)
	b = b[:len(b)-1] // reopen the object
	b = append(b, `,"schema":`...)
	table := s.opts.Matcher.FieldTable(rec.d.Candidates, events.ParsePayload(rec.d.Body))
	if table == nil {
		table = []events.FieldCheck{}
	}
	tj, _ := json.Marshal(table)
	b = append(b, tj...)
	ref := func(key string, seq int64) {
		b = append(b, `,"`+key+`":`...)
		var id int64
		if seq != 0 { // scanning the store only for a delivery it names
			id = s.opts.Store.idOfSeq(rec.file, seq)
		}
		if id != 0 {
			b = strconv.AppendInt(b, id, 10)
		} else {
			b = append(b, "null"...)
		}
	}
	ref("duplicateOfId", rec.d.DuplicateOf)
	ref("repeatOfId", rec.d.RepeatOf)
	b = append(b, `,"target":`...)
	tb, _ := json.Marshal(s.defaultTarget(rec))
	b = append(b, tb...)
	b = append(b, "}\n"...)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b) //nolint:gosec // JSON with nosniff and a CSP: a browser does not render it as HTML
}

// export answers the filtered deliveries as --save lines (NDJSON), for replay and
// inspect. Replays are not deliveries and are left out.
func (s *Server) export(w http.ResponseWriter, r *http.Request) {
	f, msg := parseFilter(r)
	if f == nil {
		apiError(w, http.StatusBadRequest, msg)
		return
	}
	slots, _ := s.opts.Store.snapshot()
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Content-Disposition", `attachment; filename="deliveries.jsonl"`)
	var (
		buf []byte
		u   receiver.Unpacker
	)
	for _, sl := range slots {
		if sl.replay || sl.id <= f.after || (f.before > 0 && sl.id >= f.before) || !sl.matches(f) {
			continue
		}
		rec := sl.open(&u)
		if !rec.matches(f) {
			continue
		}
		buf = rec.saveLine(buf[:0])
		if _, err := w.Write(buf); err != nil {
			return
		}
	}
}

func (s *Server) catalog(w http.ResponseWriter, _ *http.Request) {
	out := make([]events.CatalogEntry, 0, len(s.opts.Catalog.Events))
	for _, e := range s.opts.Catalog.Events {
		out = append(out, e.Entry(true))
	}
	writeJSON(w, out)
}

// stats sums up the entries kept: deliveries by event, per second, and the
// forward (or replay) latency percentiles, overall and per second.
func (s *Server) stats(w http.ResponseWriter, _ *http.Request) {
	slots, dropped := s.opts.Store.snapshot()
	type second struct {
		T     int64   `json:"t"`
		N     int     `json:"n"`
		P50   float64 `json:"p50"`
		P99   float64 `json:"p99"`
		times []time.Duration
	}
	byEvent := map[string]int{}
	bySecond := map[int64]*second{}
	var latencies []time.Duration
	deliveries := 0
	for _, sl := range slots {
		if sl.replay {
			continue
		}
		n, _ := sl.readNames(sl.data)
		deliveries++
		byEvent[n.event]++
		sec := bySecond[sl.unix]
		if sec == nil {
			sec = &second{T: sl.unix}
			bySecond[sl.unix] = sec
		}
		sec.N++
		if sl.forwarded && !sl.pending {
			sec.times = append(sec.times, sl.latency)
			latencies = append(latencies, sl.latency)
		}
	}
	// By time, not by arrival: inspect may read Tuesday's file before Monday's.
	secs := slices.SortedFunc(maps.Values(bySecond), func(a, b *second) int { return cmp.Compare(a.T, b.T) })
	for _, sec := range secs {
		slices.Sort(sec.times)
		sec.P50, sec.P99 = percentileMs(sec.times, 50), percentileMs(sec.times, 99)
	}
	slices.Sort(latencies)
	writeJSON(w, map[string]any{
		"deliveries": deliveries,
		"dropped":    dropped,
		"byEvent":    byEvent,
		"perSecond":  secs,
		"latency": map[string]any{
			"count": len(latencies),
			"p50":   percentileMs(latencies, 50),
			"p90":   percentileMs(latencies, 90),
			"p99":   percentileMs(latencies, 99),
			"max":   percentileMs(latencies, 100),
		},
	})
}

// percentileMs is the nearest-rank percentile of sorted, in milliseconds; 0 for none.
func percentileMs(sorted []time.Duration, p int) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := (p*len(sorted)+99)/100 - 1
	i = min(max(i, 0), len(sorted)-1)
	return float64(sorted[i].Microseconds()) / 1000
}
