package receiver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/neterr"
)

// maxForwardHeaderBytes bounds the header of a handler's answer: each forward result
// keeps it until rendered.
const maxForwardHeaderBytes = 64 << 10

func newForwardClient(rt http.RoundTripper) *http.Client {
	if rt == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxResponseHeaderBytes = maxForwardHeaderBytes
		// A fan-out burst is relayed over as many connections as it arrives on.
		t.MaxIdleConnsPerHost = 256
		// Relay the answer as it is: no Accept-Encoding added, nothing decompressed.
		t.DisableCompression = true
		rt = t
	}
	return &http.Client{
		Transport: rt,
		// The sender sees the redirect itself, as it would from the handler.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// WithoutHopHeaders copies h without hop-by-hop headers, including those named by
// Connection: what a relay passes on.
func WithoutHopHeaders(h http.Header) http.Header {
	out := h.Clone()
	if out == nil {
		out = http.Header{}
	}
	for _, v := range h["Connection"] {
		for _, name := range strings.Split(v, ",") {
			if name = textproto.TrimString(name); name != "" {
				out.Del(name)
			}
		}
	}
	// These belong to one connection and are not relayed (RFC 9110 §7.6.1).
	for _, name := range [...]string{
		"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
		"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
	} {
		out.Del(name)
	}
	return out
}

// forward relays d to the route's URL — exactly that URL, the delivery's path is not
// appended —, answers the sender with what came back, and queues the result.
func (e *Engine) forward(w http.ResponseWriter, r *http.Request, d *Delivery, rt *Route) {
	res := e.exchange(w, r, d, rt)
	if res != nil {
		e.q.push(res, forwardResultSize(res))
	}
}

// exchange does the forward; it returns the result to queue, or nil when it queued
// it itself (with --save, before answering).
func (e *Engine) exchange(w http.ResponseWriter, r *http.Request, d *Delivery, rt *Route) *ForwardResult {
	res := &ForwardResult{Seq: d.Seq, URL: rt.URL}
	ctx, cancel := context.WithTimeout(r.Context(), e.cfg.ForwardTimeout)
	defer cancel()
	defer context.AfterFunc(e.forwardCtx, cancel)()
	req, err := http.NewRequestWithContext(ctx, r.Method, rt.URL, bytes.NewReader(d.Body))
	if err != nil {
		return e.forwardFailed(w, res, err, http.StatusBadGateway, "invalid forward URL: "+err.Error())
	}
	req.Header = WithoutHopHeaders(r.Header)
	// Ours after any other listen's (a chain), so that a loop is seen (looped).
	req.Header[HopHeader] = append(req.Header[HopHeader], e.hopID)
	if _, ok := req.Header["User-Agent"]; !ok {
		req.Header["User-Agent"] = []string{""} // Go would add its own
	}
	start := time.Now()
	resp, err := e.client.Do(req) //nolint:gosec // G704: the URL is the user's own --forward-to
	if err != nil {
		status, msg := explainForward(ctx, r.Context(), err, rt.URL, e.cfg.ForwardTimeout)
		res.Latency = time.Since(start)
		return e.forwardFailed(w, res, err, status, msg)
	}
	defer resp.Body.Close()

	if e.cfg.Save != nil && is2xx(resp.StatusCode) {
		e.relayAfterSave(w, r, res, resp, start)
		return nil
	}
	writeAnswerHead(w, resp)
	res.Status, res.Answered, res.Header = resp.StatusCode, resp.StatusCode, resp.Header
	head := &headWriter{limit: e.cfg.ForwardBodyLimit}
	n, err := io.Copy(w, io.TeeReader(resp.Body, head))
	res.Latency = time.Since(start)
	res.Body, res.BodySize = head.buf, n
	if err != nil && !errors.Is(err, io.EOF) {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			res.Message = e.bodyTimedOut()
		} else {
			res.Message = "relaying the answer: " + err.Error()
		}
		res.Err = err
	}
	return res
}

// relayAfterSave answers a 2xx from the handler once the delivery's --save line,
// which carries the answer, has been written: the head of the answer is read first,
// the line written, then the answer relayed. When the line cannot be written the
// sender gets 503, to retry.
func (e *Engine) relayAfterSave(w http.ResponseWriter, r *http.Request, res *ForwardResult, resp *http.Response, start time.Time) {
	res.Status, res.Answered, res.Header = resp.StatusCode, resp.StatusCode, resp.Header
	head := make([]byte, e.cfg.ForwardBodyLimit+1)
	// Not io.ReadFull: it reports an answer shorter than head as io.ErrUnexpectedEOF,
	// which is also how the body says that it broke off before its Content-Length.
	n, err := 0, error(nil)
	for n < len(head) && err == nil {
		var m int
		m, err = resp.Body.Read(head[n:])
		n += m
	}
	res.Latency = time.Since(start)
	switch err {
	case nil:
		// More than the limit: the line says where the answer went on.
		res.Body, res.BodySize = head[:n-1], -1
	case io.EOF: //nolint:errorlint // Read returns io.EOF itself at the end
		res.Body, res.BodySize = head[:n], int64(n)
	default:
		res.Body, res.BodySize = head[:n], int64(n)
		msg := "reading the answer: " + err.Error()
		if neterr.IsTimeout(err) || errors.Is(err, context.DeadlineExceeded) {
			msg = e.bodyTimedOut()
		}
		// Nothing went to the sender yet: a broken answer is a 502, not a 2xx.
		e.forwardFailed(w, res, err, http.StatusBadGateway, msg)
		res.Status = resp.StatusCode
		e.q.push(res, forwardResultSize(res))
		return
	}
	res.wait = true
	c, _ := e.q.pushWait(res, forwardResultSize(res))
	if !e.await(r, c) || res.Answered != resp.StatusCode {
		e.unavailable(w)
		return
	}
	writeAnswerHead(w, resp)
	if _, err := w.Write(head[:n]); err == nil {
		_, _ = io.Copy(w, resp.Body)
	}
}

// writeAnswerHead relays the status and the header of the handler's answer.
func writeAnswerHead(w http.ResponseWriter, resp *http.Response) {
	h := w.Header()
	for k, v := range WithoutHopHeaders(resp.Header) {
		h[k] = v
	}
	w.WriteHeader(resp.StatusCode)
}

// bodyTimedOut explains an answer whose body was cut off by --forward-timeout.
func (e *Engine) bodyTimedOut() string {
	return fmt.Sprintf("the answer's body did not finish within %s (--forward-timeout)", e.cfg.ForwardTimeout)
}

func (e *Engine) forwardFailed(w http.ResponseWriter, res *ForwardResult, err error, status int, msg string) *ForwardResult {
	res.Err, res.Answered, res.Message = err, status, msg
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	// Plain text, not sniffed: the message cannot be taken for HTML.
	_, _ = io.WriteString(w, msg+"\n") //nolint:gosec // G705: see above
	return res
}

// explainForward says in plain words why no answer came, and what the sender gets:
// neterr's words, with the status and --forward-timeout added.
func explainForward(ctx, reqCtx context.Context, err error, target string, timeout time.Duration) (int, string) {
	u, perr := url.Parse(target)
	if perr != nil {
		return http.StatusBadGateway, "could not reach " + target + ": " + err.Error()
	}
	hostport := neterr.HostPort(u)
	switch {
	case reqCtx.Err() != nil, errors.Is(ctx.Err(), context.Canceled):
		return http.StatusServiceUnavailable, "stopped before " + hostport + " answered (the sender hung up, or listen is stopping)"
	case strings.Contains(err.Error(), "server response headers exceeded"):
		// net/http's error for MaxResponseHeaderBytes has no sentinel.
		return http.StatusBadGateway, fmt.Sprintf("%s answered with headers larger than %s: not relayed", hostport, FormatSize(maxForwardHeaderBytes))
	}
	kind, msg := neterr.Explain(err, u)
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded), kind == neterr.KindTimeout:
		return http.StatusGatewayTimeout, fmt.Sprintf("%s did not answer within %s (--forward-timeout)", hostport, timeout)
	case kind == neterr.KindOther:
		return http.StatusBadGateway, "could not reach " + hostport + ": " + msg
	}
	return http.StatusBadGateway, msg
}

// headWriter keeps the first limit bytes written to it.
type headWriter struct {
	limit int
	buf   []byte
}

func (h *headWriter) Write(p []byte) (int, error) {
	if room := h.limit - len(h.buf); room > 0 {
		h.buf = append(h.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}
