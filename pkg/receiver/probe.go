// Reachability probes and the held-back Ready entry: what `listen --tunnel` and
// `--public-url` need to prove that the public URL reaches this listener before
// anyone is told about it.

package receiver

import (
	"io"
	"net/http"
	"strings"
)

// ProbePath is where listen's own reachability probes arrive, below any public URL's
// path: PUBLIC_URL/_tagmango-hooks/probe/<token>.
const ProbePath = "/_tagmango-hooks/probe/"

// maxProbeBody bounds what is read of a probe's body: probes carry nothing.
const maxProbeBody = 4 << 10

// probeToken returns the token of a probe's path.
func probeToken(path string) (string, bool) {
	i := strings.LastIndex(path, ProbePath)
	if i < 0 {
		return "", false
	}
	tok := path[i+len(ProbePath):]
	if tok == "" || strings.Contains(tok, "/") {
		return "", false
	}
	return tok, true
}

// answerProbe answers a probe 204 and tells Config.Probe its token. Probes are never
// shown, counted, saved or forwarded. It reports whether r was a probe.
func (e *Engine) answerProbe(w http.ResponseWriter, r *http.Request) bool {
	tok, ok := probeToken(r.URL.Path)
	if !ok {
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxProbeBody))
	e.cfg.Probe(tok)
	w.WriteHeader(http.StatusNoContent)
	return true
}

// Announce renders the Ready entry that Config.HoldReady kept back, with lines that
// complete the block (terminal-safe text, one line each). Call it once, while Run
// runs.
func (e *Engine) Announce(lines ...string) {
	e.q.push(&Ready{URL: e.url, Addr: e.ln.Addr().String(), Lines: lines}, 0)
}
