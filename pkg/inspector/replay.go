package inspector

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/deliver"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/hookurl"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/receiver"
)

// replayRequest is the body of POST /api/deliveries/ID/replay.
type replayRequest struct {
	// To is the target; "" means the default (see defaultTarget).
	To string `json:"to"`
	// Body, when set, is the edited body: JSON text, sent as given.
	Body *string `json:"body"`
	// Headers are set on the request, over the delivery's own; "" removes one.
	Headers map[string]string `json:"headers"`
}

// defaultTarget is where a replay of rec goes by default: the route --forward-to
// would use for its event, else --to; "" when neither.
func (s *Server) defaultTarget(rec *record) string {
	if rt := receiver.RouteFor(s.opts.Routes, rec.d.Candidates); rt != nil {
		return rt.URL
	}
	return s.opts.To
}

// replay sends an entry again, byte for byte or edited, and adds what happened as a
// new entry marked as a replay of it.
func (s *Server) replay(w http.ResponseWriter, r *http.Request) {
	rec, ok := s.lookup(w, r)
	if !ok {
		return
	}
	// The edited body arrives as a JSON string: up to six bytes per byte escaped.
	r.Body = http.MaxBytesReader(w, r.Body, 6*s.opts.MaxBody+64<<10)
	var req replayRequest
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(&req); err != nil && !errors.Is(err, io.EOF) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			apiError(w, http.StatusRequestEntityTooLarge, "the request is larger than --max-body allows")
			return
		}
		apiError(w, http.StatusBadRequest, "the request is not JSON: "+err.Error()+`; send {"to": URL, "body"?: text, "headers"?: {...}}`)
		return
	}
	to := strings.TrimSpace(req.To)
	if to == "" {
		to = s.defaultTarget(rec)
	}
	if to == "" {
		apiError(w, http.StatusBadRequest, `no target: pass "to" (the page's target box), or start listen with --forward-to URL or inspect with --to URL`)
		return
	}
	if _, err := hookurl.Parse(to); err != nil {
		apiError(w, http.StatusBadRequest, "the target: "+err.Error())
		return
	}
	body := rec.d.Body
	if req.Body != nil {
		if int64(len(*req.Body)) > s.opts.MaxBody {
			apiError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the edited body is %s, more than --max-body %s", receiver.FormatSize(int64(len(*req.Body))), receiver.FormatSize(s.opts.MaxBody)))
			return
		}
		if msg := jsonProblem(*req.Body); msg != "" {
			apiError(w, http.StatusBadRequest, "the edited body is not valid JSON: "+msg+"; nothing was sent")
			return
		}
		body = []byte(*req.Body)
	}
	header := replayHeader(rec.d.Headers())
	for k, v := range req.Headers {
		k = http.CanonicalHeaderKey(strings.TrimSpace(k))
		if k == "" || strings.ContainsAny(k, " \t\r\n:") || strings.ContainsAny(v, "\r\n") {
			apiError(w, http.StatusBadRequest, fmt.Sprintf("header %q: a name without spaces or colons, a value on one line", k))
			return
		}
		if v == "" {
			header.Del(k)
			continue
		}
		header.Set(k, v)
	}
	contentType := header.Get("Content-Type")
	header.Del("Content-Type")

	var res deliver.Result
	_, err := deliver.Run(r.Context(), deliver.Config{
		URL:         to,
		Header:      header,
		UserAgent:   s.opts.UserAgent,
		Concurrency: 1,
		Timeout:     replayTimeout,
		Transport:   s.opts.Transport,
		AnswerBytes: receiver.DefaultForwardBodyLimit,
		OnResult:    func(got deliver.Result) { res = got },
	}, deliver.Slice([]deliver.Delivery{{ID: int(rec.d.Seq), Body: body, ContentType: contentType}}))
	if err != nil {
		apiError(w, http.StatusInternalServerError, err.Error())
		return
	}
	if contentType == "" {
		contentType = "application/json"
	}
	header.Set("Content-Type", contentType)
	entry := s.replayRecord(rec, to, header, body, res)
	out := entry.appendEntry(nil, false)
	result := map[string]any{
		"status":    nil,
		"latencyMs": float64(res.Latency.Microseconds()) / 1000,
		"answer":    string(res.Answer),
		"error":     nil,
		"id":        entry.id,
		"entry":     json.RawMessage(out),
	}
	if res.Status != 0 {
		result["status"] = res.Status
	}
	if res.Err != nil {
		result["error"] = res.Err.Error()
	}
	writeJSON(w, result)
}

// replayHeader is the delivery's header as a replay sends it: what a relay passes
// on, without what the transport sets itself or marks a forward of listen's.
func replayHeader(h http.Header) http.Header {
	out := receiver.WithoutHopHeaders(h)
	for _, k := range []string{"Host", "Content-Length", "Accept-Encoding", "User-Agent", receiver.HopHeader} {
		out.Del(k)
	}
	return out
}

// replayRecord adds the entry of a replay: the request sent (detected and checked
// afresh, as the body may be edited) and the target's answer as its forward.
func (s *Server) replayRecord(orig *record, to string, header http.Header, body []byte, res deliver.Result) *record {
	d := &receiver.Delivery{
		Seq:        orig.d.Seq,
		ReceivedAt: s.now(),
		Method:     http.MethodPost,
		Path:       orig.d.Path,
		Header:     header,
		Body:       body,
		Size:       int64(len(body)),
		ForwardTo:  to,
	}
	d.Detect(s.opts.Matcher)
	d.Notes = []string{"replay of #" + strconv.FormatInt(orig.d.Seq, 10) + " to " + to}
	fr := &receiver.ForwardResult{
		Seq:      orig.d.Seq,
		URL:      to,
		Status:   res.Status,
		Answered: res.Status,
		Latency:  res.Latency,
		Body:     res.Answer,
		BodySize: res.AnswerSize,
		Err:      res.Err,
		Delivery: d,
	}
	if res.Err != nil {
		fr.Message = res.Err.Error()
	}
	d.Forward = fr
	sl, _ := newSlot(d, orig.file, orig.id, to, nil)
	sl = s.opts.Store.add(sl)
	s.opts.Store.notify()
	rec := sl.open(new(receiver.Unpacker))
	return &rec
}

// jsonProblem says where text is not JSON; "" when it is.
func jsonProblem(text string) string {
	var v any
	err := json.Unmarshal([]byte(text), &v)
	if err == nil {
		return ""
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		line, col := 1, 1
		for _, c := range text[:min(int(syn.Offset), len(text))] {
			if c == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
		}
		return fmt.Sprintf("%s (line %d, column %d)", syn.Error(), line, col)
	}
	return err.Error()
}
