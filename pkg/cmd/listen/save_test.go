package listen_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/factory"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/root"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
)

// smallDisk mounts a tmpfs of size bytes and returns its directory.
func smallDisk(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		msg := fmt.Sprintf("cannot mount a small tmpfs to fill (needs root): %v: %s", err, strings.TrimSpace(string(out)))
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// A 2xx from listen --save means the delivery is in the file, even when the disk
// fills up: the deliveries refused are answered 503, and everything received is
// shown.
func TestSaveOnAFullDisk(t *testing.T) {
	file := filepath.Join(smallDisk(t, 256<<10), "deliveries.jsonl")
	env := cmdtest.New(t)
	ios, _, out, _ := iostreams.Test()
	w := &watchWriter{ready: make(chan string, 1)}
	ios.ErrOut = w
	f := factory.New(ios)
	env.Configure(f)
	done := make(chan int, 1)
	go func() {
		done <- root.Main(context.Background(), f, []string{"listen", "--port", "0", "--json", "--save", file})
	}()
	var url string
	select {
	case url = <-w.ready:
	case <-time.After(20 * time.Second):
		t.Fatalf("no Ready line:\n%s", w.String())
	}

	padding := strings.Repeat("x", 1500)
	var (
		mu       sync.Mutex
		answered = map[string]int{}
		next     int
		wg       sync.WaitGroup
	)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	defer client.CloseIdleConnections()
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				id := fmt.Sprintf("p%d", next)
				next++
				mu.Unlock()
				body := fmt.Sprintf(`{"name":%q,"email":"%s@example.com","pad":%q}`, id, id, padding)
				resp, err := client.Post(url, "application/json", strings.NewReader(body))
				if err != nil {
					return // listen has stopped
				}
				resp.Body.Close()
				mu.Lock()
				answered[id] = resp.StatusCode
				mu.Unlock()
				if resp.StatusCode != http.StatusOK {
					return
				}
			}
		}()
	}
	wg.Wait()
	var code int
	select {
	case code = <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("listen did not end after the disk filled:\n%s", w.String())
	}
	stderr := w.String()
	if code != 1 || !strings.Contains(stderr, "error: --save: write "+file+": no space left on device: ") || !strings.Contains(stderr, "answered 503 (not saved; the sender may retry)") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}

	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	saved := map[string]bool{}
	for line := range strings.SplitSeq(string(data), "\n") {
		var v struct{ Raw string }
		if json.Unmarshal([]byte(line), &v) != nil {
			continue // the write the disk cut short
		}
		var body struct{ Name string }
		if err := json.Unmarshal([]byte(v.Raw), &body); err != nil {
			t.Fatalf("raw %q: %v", v.Raw, err)
		}
		saved[body.Name] = true
	}
	shown := map[string]int{}
	for _, l := range jsonLines(t, out.String()) {
		shown[l["body"].(map[string]any)["name"].(string)] = int(l["status"].(float64))
	}
	ok, refused := 0, 0
	for id, status := range answered {
		switch status {
		case http.StatusOK:
			ok++
			if !saved[id] {
				t.Errorf("%s was answered 200 but is not in the file", id)
			}
		case http.StatusServiceUnavailable:
			refused++
		default:
			t.Errorf("%s was answered %d", id, status)
		}
		// Refused once listen was stopping, a delivery is not received: a notice, no entry.
		if shown[id] != status && (status == http.StatusOK || shown[id] != 0) {
			t.Errorf("%s answered %d, shown as %d", id, status, shown[id])
		}
	}
	if ok == 0 || refused == 0 {
		t.Errorf("%d answered 200, %d refused: the disk did not fill as planned", ok, refused)
	}
	t.Logf("%d deliveries answered 200 and saved, %d refused with 503", ok, refused)
}

func TestSaveFileMovedWhileListening(t *testing.T) {
	env := cmdtest.New(t)
	file := filepath.Join(env.Dir, "deliveries.jsonl")
	s := startListen(t, env, "--json", "--save", file)
	post(t, s.url, userPayload)
	if err := os.Rename(file, file+".moved"); err != nil {
		t.Fatal(err)
	}
	post(t, s.url, coursePayload)
	res := s.stop(t, env)
	if res.Code != 0 || !strings.Contains(res.Stderr, "--save: "+file+" was moved or deleted while listen ran; reopened it, the lines from now on are appended to "+file+"\n") {
		t.Fatalf("exit %d\n%s", res.Code, res.Stderr)
	}
	for path, seq := range map[string]float64{file + ".moved": 1, file: 2} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if lines := jsonLines(t, string(data)); len(lines) != 1 || lines[0]["seq"] != seq {
			t.Errorf("%s holds %s", path, data)
		}
	}
}

// epipeWriter is a stdout whose reader has gone (`listen --json | head -1`).
type epipeWriter struct{}

func (epipeWriter) Write([]byte) (int, error) {
	return 0, &os.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.EPIPE}
}

// A closed stdout ends listen as Ctrl-C does: the temporary subscriptions are
// deleted, and the error says EPIPE (which root turns into a quiet exit 0).
func TestClosedStdoutCleansUp(t *testing.T) {
	env := cmdtest.New(t)
	apiSrv := cmdtest.NewAPIServer(t)
	env.WithProfile(apiSrv.URL)
	ios, _, _, _ := iostreams.Test()
	ios.Out = epipeWriter{}
	w := &watchWriter{ready: make(chan string, 1)}
	ios.ErrOut = w
	f := factory.New(ios)
	env.Configure(f)
	cmd := root.NewCmdRoot(f)
	cmd.SetArgs(append([]string{"listen", "--port", "0", "--json"}, registerArgs()...))
	done := make(chan error, 1)
	go func() {
		_, err := cmd.ExecuteContextC(context.Background())
		done <- err
	}()
	select {
	case url := <-w.ready:
		post(t, url+"course.completed.50", coursePayload)
	case err := <-done:
		t.Fatalf("ended before it was ready: %v\n%s", err, w.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("no Ready line:\n%s", w.String())
	}
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("listen kept running with a closed stdout:\n%s", w.String())
	}
	if !errors.Is(err, syscall.EPIPE) {
		t.Errorf("err %v, want EPIPE", err)
	}
	if got := calls(apiSrv); !slices.Equal(got, append(slices.Clone(registered), deleted...)) {
		t.Errorf("calls:\n%s", strings.Join(got, "\n"))
	}
	if recs := readState(t, env); len(recs) != 0 {
		t.Errorf("records left: %+v", recs)
	}
	if stderr := w.String(); !strings.Contains(stderr, "✓ deleted 2 temporary subscriptions") || strings.Contains(stderr, "error") {
		t.Errorf("stderr:\n%s", stderr)
	}
}
