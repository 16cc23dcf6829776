//go:build unix

package replay_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/deliver/delivertest"
)

// TestReplayStreams: each delivery is sent as soon as its line is read, not once the
// whole file has been read: the second line is written only after the first delivery
// has arrived.
func TestReplayStreams(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "live.jsonl")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	first := make(chan struct{})
	rc := delivertest.New(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			close(first)
		}
	})
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			t.Error(err)
			return
		}
		defer w.Close()
		_, _ = io.WriteString(w, `{"seq":1,"body":{"n":1}}`+"\n")
		<-first
		_, _ = io.WriteString(w, `{"seq":2,"body":{"n":2}}`+"\n")
	}()
	res := run(t, fifo, "--to", rc.URL)
	if res.Code != 0 || len(rc.Requests()) != 2 {
		t.Fatalf("exit %d, %d deliveries: %s", res.Code, len(rc.Requests()), res.Stderr)
	}
}

// TestReplayInterruptedOpeningAFIFO: a FIFO with no writer blocks open(2); an
// interruption still ends replay at once, with 130.
func TestReplayInterruptedOpeningAFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "nobody-writes.jsonl")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	rc := delivertest.New(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := cmdtest.New(t).RunWith(cmdtest.Options{Context: ctx}, "replay", fifo, "--to", rc.URL)
	if res.Code != 130 {
		t.Errorf("exit %d, want 130; stderr %s", res.Code, res.Stderr)
	}
}

// TestReplayInterruptedReadingAFIFO: interrupted while waiting for the next line of a
// writer that is still there, replay reports what it sent and ends with 130.
func TestReplayInterruptedReadingAFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "live.jsonl")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rc := delivertest.New(t, func(http.ResponseWriter, *http.Request, int) { cancel() })
	done := make(chan struct{})
	defer close(done)
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			t.Error(err)
			return
		}
		defer w.Close()
		_, _ = io.WriteString(w, `{"seq":1,"body":{"n":1}}`+"\n")
		<-done // the writer stays: replay waits for a line that never comes
	}()
	res := cmdtest.New(t).RunWith(cmdtest.Options{Context: ctx}, "replay", fifo, "--to", rc.URL, "-o", "json")
	if res.Code != 130 {
		t.Fatalf("exit %d, want 130; stderr %s", res.Code, res.Stderr)
	}
	var rep struct {
		Sent        int  `json:"sent"`
		Passed      bool `json:"passed"`
		Interrupted bool `json:"interrupted"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &rep); err != nil || rep.Sent != 1 || rep.Passed || !rep.Interrupted {
		t.Errorf("report %+v (%v): %s", rep, err, res.Stdout)
	}
}
