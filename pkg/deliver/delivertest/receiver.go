// Package delivertest is a webhook receiver for tests of trigger and replay: an
// httptest server on loopback that records every request and answers as told.
package delivertest

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Request is one request the receiver got.
type Request struct {
	Method     string
	RequestURI string
	Header     http.Header
	Body       []byte
}

// Receiver records requests; Handler, when set, answers them (the default answers 200
// "ok").
type Receiver struct {
	*httptest.Server

	mu       sync.Mutex
	requests []Request
	handler  func(w http.ResponseWriter, r *http.Request, n int)
}

// New starts a receiver; handler may be nil. n is the request's number from 1.
func New(t testing.TB, handler func(w http.ResponseWriter, r *http.Request, n int)) *Receiver {
	t.Helper()
	rc := &Receiver{handler: handler}
	rc.Server = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *Receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.requests = append(rc.requests, Request{Method: r.Method, RequestURI: r.RequestURI, Header: r.Header.Clone(), Body: body})
	n := len(rc.requests)
	rc.mu.Unlock()
	if rc.handler != nil {
		rc.handler(w, r, n)
		return
	}
	_, _ = io.WriteString(w, "ok")
}

// Requests returns what was received so far, in arrival order.
func (rc *Receiver) Requests() []Request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]Request(nil), rc.requests...)
}

// ClosedURL returns a loopback URL where nothing listens: connections are refused.
func ClosedURL(t testing.TB) string {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr + "/hook"
}
