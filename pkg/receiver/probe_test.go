package receiver

import (
	"bytes"
	"slices"
	"sync"
	"testing"
)

// A probe is answered 204 whatever --path, --require-header and --save say, reaches
// the hook with its token, and is never rendered, counted or saved; the Ready entry
// waits for Announce and carries the block's lines.
func TestProbesAreAnsweredNeverShown(t *testing.T) {
	c := newCollector()
	var (
		mu     sync.Mutex
		tokens []string
	)
	save := &memSaver{}
	rn := start(t, Config{
		Path:          "/hooks",
		RequireHeader: &HeaderCheck{Name: "X-Secret", Value: "s"},
		Routes:        []Route{{URL: "http://127.0.0.1:1/never"}},
		Save:          save,
		HoldReady:     true,
		Probe: func(tok string) {
			mu.Lock()
			tokens = append(tokens, tok)
			mu.Unlock()
		},
	}, c)
	for _, path := range []string{"/_tagmango-hooks/probe/a1", "/hooks/_tagmango-hooks/probe/b2"} {
		if a := rn.post(t, path, `{"probe":true}`, nil); a.status != 204 {
			t.Errorf("%s: answered %d %q", path, a.status, a.body)
		}
	}
	// Not a probe: no token.
	if a := rn.post(t, "/_tagmango-hooks/probe/", "{}", nil); a.status != 404 {
		t.Errorf("an empty token: %d", a.status)
	}
	rn.eng.Announce("Tunnel: https://x.example → http://127.0.0.1:1 (cloudflared)", "✓ subscribed a → b")
	// The Ready entry comes after the refusal of the empty token, which came first.
	next[*Notice](t, c)
	r := next[*Ready](t, c)
	if got := readyLine(r); got != "Ready: listening on "+rn.url+"\nTunnel: https://x.example → http://127.0.0.1:1 (cloudflared)\n✓ subscribed a → b\n" {
		t.Errorf("ready block %q", got)
	}
	sum := rn.stop(t)
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(tokens, []string{"a1", "b2"}) {
		t.Errorf("tokens %v", tokens)
	}
	if sum.Deliveries != 0 || sum.Other != 1 || len(sum.ByEvent) != 0 {
		t.Errorf("summary %+v", sum)
	}
	save.mu.Lock()
	defer save.mu.Unlock()
	if save.buf.Len() != 0 {
		t.Errorf("saved %q", save.buf.String())
	}
}

// memSaver keeps what was saved.
type memSaver struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *memSaver) Save(lines []byte) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf.Write(lines)
	return "", nil
}

func TestProbeToken(t *testing.T) {
	for path, want := range map[string]string{
		"/_tagmango-hooks/probe/x1":     "x1",
		"/a/b/_tagmango-hooks/probe/x2": "x2",
		"/_tagmango-hooks/probe/":       "",
		"/_tagmango-hooks/probe/a/b":    "",
		"/course.completed.50":          "",
		"/_tagmango-hooks/probex/abc":   "",
	} {
		if got, ok := probeToken(path); got != want || ok != (want != "") {
			t.Errorf("%s: %q %v", path, got, ok)
		}
	}
}
