package cmdtest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Call is one request the fake API received.
type Call struct {
	Method string
	Path   string
	Header http.Header
	Body   string
}

// Response is one scripted answer.
type Response struct {
	Status int
	Body   string
	Header map[string]string
}

// OK is TagMango's success envelope.
var OK = Response{Status: 200, Body: `{"message":"Operation completed successfully","success":true,"result":{},"code":200,"statusMessage":"OK"}`}

// APIServer is a fake TagMango API on loopback: it records every request and answers
// from a script, then with Default.
type APIServer struct {
	*httptest.Server
	Default Response

	mu      sync.Mutex
	calls   []Call
	script  []Response
	handler func(Call) (Response, bool)
}

// NewAPIServer starts a fake API that answers OK unless told otherwise.
func NewAPIServer(t testing.TB) *APIServer {
	t.Helper()
	s := &APIServer{Default: OK}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Enqueue scripts the next answers, in order.
func (s *APIServer) Enqueue(r ...Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, r...)
}

// Handle installs a function that may answer a call itself (return false to fall back
// to the script).
func (s *APIServer) Handle(fn func(Call) (Response, bool)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handler = fn
}

// Calls returns what the server received so far.
func (s *APIServer) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

func (s *APIServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	c := Call{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: string(body)}
	s.mu.Lock()
	s.calls = append(s.calls, c)
	resp, handled := Response{}, false
	if s.handler != nil {
		resp, handled = s.handler(c)
	}
	if !handled {
		resp = s.Default
		if len(s.script) > 0 {
			resp, s.script = s.script[0], s.script[1:]
		}
	}
	s.mu.Unlock()
	for k, v := range resp.Header {
		w.Header().Set(k, v)
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(resp.Status)
	_, _ = io.WriteString(w, resp.Body)
}
