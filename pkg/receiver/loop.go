package receiver

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/neterr"
)

// HopHeader marks each request an engine forwards with its random id, added to any
// ids already there (a chain of listens). A request that comes back carrying the
// engine's own id went round a loop: it is answered 508 and not forwarded again.
const HopHeader = "Tagmango-Hooks-Forwarded"

// LoopError is a --forward-to route that points at the listener itself: every
// delivery would be forwarded to itself, again and again.
type LoopError struct {
	Route Route
	// Addr is the listener's address, HOST:PORT as bound.
	Addr string
}

func (e *LoopError) Error() string {
	return fmt.Sprintf("--forward-to %s points at this listener (%s): each delivery would be forwarded to itself forever; forward to your handler's address instead", e.Route.URL, e.Addr)
}

func newHopID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// looped reports whether h carries this engine's hop id.
func (e *Engine) looped(h http.Header) bool {
	for _, v := range h[HopHeader] {
		if strings.Contains(v, e.hopID) {
			return true
		}
	}
	return false
}

// checkLoops refuses a route whose URL names the bound address. Names other than
// localhost are not resolved (no network work at start-up): a loop through one of
// them is caught by the hop header on its first round.
func (e *Engine) checkLoops(bound *net.TCPAddr) error {
	var local []net.IP // the machine's addresses, looked up once when needed
	for _, rt := range e.cfg.Routes {
		if pointsAt(rt.URL, bound, &local) {
			return &LoopError{Route: rt, Addr: bound.String()}
		}
	}
	return nil
}

// pointsAt reports whether a connection to target's host and port reaches a
// listener bound to bound. *local caches the machine's interface addresses.
func pointsAt(target string, bound *net.TCPAddr, local *[]net.IP) bool {
	u, err := url.Parse(target)
	if err != nil {
		return false
	}
	_, port, err := net.SplitHostPort(neterr.HostPort(u))
	if err != nil || port != strconv.Itoa(bound.Port) {
		return false
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	var ips []net.IP
	switch {
	case net.ParseIP(host) != nil:
		ips = []net.IP{net.ParseIP(host)}
	case host == "localhost" || strings.HasSuffix(host, ".localhost"):
		// Go dials both, and so do most clients.
		ips = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	default:
		return false
	}
	for _, ip := range ips {
		switch {
		case ip.Equal(bound.IP):
			return true
		case ip.IsUnspecified():
			// Connecting to 0.0.0.0 or [::] reaches this machine over loopback.
			if bound.IP.IsLoopback() || bound.IP.IsUnspecified() {
				return true
			}
		case bound.IP.IsUnspecified():
			// A wildcard bind (Go's is dual-stack) takes every local address.
			if ip.IsLoopback() || isLocal(ip, local) {
				return true
			}
		}
	}
	return false
}

func isLocal(ip net.IP, local *[]net.IP) bool {
	if *local == nil {
		*local = []net.IP{}
		addrs, _ := net.InterfaceAddrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				*local = append(*local, n.IP)
			}
		}
	}
	for _, l := range *local {
		if l.Equal(ip) {
			return true
		}
	}
	return false
}
