package main

import (
	"bufio"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
)

// lockedLines collects a stream's lines and announces the Ready URL.
type lockedLines struct {
	mu    sync.Mutex
	b     strings.Builder
	ready chan string
}

func (l *lockedLines) read(r *bufio.Scanner) {
	sent := false
	for r.Scan() {
		line := r.Text()
		l.mu.Lock()
		l.b.WriteString(line + "\n")
		l.mu.Unlock()
		if u, ok := strings.CutPrefix(line, "Ready: listening on "); ok && !sent {
			sent = true
			l.ready <- u
		}
	}
}

func (l *lockedLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Stopping always works: with stdout stalled (a pipe nobody reads) and thousands
// of deliveries queued behind it, a signal still ends listen after its clean-up —
// the display gets its grace, a second signal ends the wait at once — and listen
// says how many deliveries it did not show.
func TestListenStopsWithAStalledStdout(t *testing.T) {
	for _, tc := range []struct {
		name    string
		signals []os.Signal
	}{
		{"SIGTERM", []os.Signal{syscall.SIGTERM}},
		{"SIGINT then SIGTERM", []os.Signal{os.Interrupt, syscall.SIGTERM}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := cmdtest.NewAPIServer(t)
			env := baseEnv(t, srv.URL)
			stdoutR, stdoutW, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer stdoutR.Close() // never read: the display stalls once the pipe is full
			cmd := exec.Command(binary, "listen", "--port", "0", "--json",
				"--register", "--public-url", "https://abc.example.com", "--no-probe", "--event", "user.deleted")
			cmd.Env = env
			cmd.Stdout = stdoutW
			stderrR, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			stdoutW.Close()
			t.Cleanup(func() { _ = cmd.Process.Kill() })
			stderr := &lockedLines{ready: make(chan string, 1)}
			scanned := make(chan struct{})
			go func() {
				defer close(scanned)
				stderr.read(bufio.NewScanner(stderrR))
			}()
			var url string
			select {
			case url = <-stderr.ready:
			case <-time.After(20 * time.Second):
				t.Fatalf("no Ready line:\n%s", stderr.String())
			}

			// 3,000 deliveries (≈1.9 MB of lines) behind a 64 KiB pipe: all answered,
			// nearly all queued.
			const n, conc = 3000, 50
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc}}
			defer client.CloseIdleConnections()
			var wg sync.WaitGroup
			jobs := make(chan int)
			failed := make(chan string, n)
			for range conc {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range jobs {
						body := fmt.Sprintf(`{"_id":"66b8%020d","name":"P%d","email":"p%d@example.com","phone":1,"country":"IN","host":"h","profilePicUrl":"%s"}`, i, i, i, strings.Repeat("u", 400))
						resp, err := client.Post(url+"user.deleted", "application/json", strings.NewReader(body))
						if err != nil {
							failed <- err.Error()
							continue
						}
						resp.Body.Close()
						if resp.StatusCode != 200 {
							failed <- resp.Status
						}
					}
				}()
			}
			for i := range n {
				jobs <- i
			}
			close(jobs)
			wg.Wait()
			close(failed)
			for f := range failed {
				t.Fatalf("a delivery was not answered 200: %s", f)
			}

			start := time.Now()
			for _, sig := range tc.signals {
				if err := cmd.Process.Signal(sig); err != nil {
					t.Fatal(err)
				}
			}
			exited := make(chan error, 1)
			go func() { <-scanned; exited <- cmd.Wait() }()
			select {
			case err = <-exited:
			case <-time.After(20 * time.Second):
				t.Fatalf("listen ignored %v with a stalled stdout:\n%s", tc.signals, stderr.String())
			}
			elapsed := time.Since(start)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Errorf("exit: %v, want 1", err)
			}
			out := stderr.String()
			if !strings.Contains(out, "✓ deleted 1 temporary subscription\n") || !strings.Contains(out, "error: stopped without waiting for the display: ") || !strings.Contains(out, " received deliveries were not shown\n") {
				t.Errorf("stderr:\n%s", out)
			}
			if calls := srv.Calls(); len(calls) != 2 || calls[1].Method != http.MethodDelete {
				t.Errorf("API calls %v: the subscription must be deleted", calls)
			}
			// One signal: the display had its 3 s grace. Two: no wait.
			if len(tc.signals) == 1 && elapsed < 3*time.Second {
				t.Errorf("ended after %s, before the display's grace", elapsed)
			}
			if len(tc.signals) == 2 && elapsed > 2500*time.Millisecond {
				t.Errorf("a second signal took %s to end listen\n%s", elapsed, out)
			}
		})
	}
}
