package store

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The crash test re-runs this test binary as a writer that records one subscription
// after another and prints the number of each as soon as Update returns, then kills it
// with SIGKILL at a random point. Every record acknowledged before the kill must be
// in the file, and the file must always parse.

const crashEnv = "TAGMANGO_HOOKS_STORE_CRASH_WRITER"

func TestCrashWriter(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("helper process for TestKilledWriterLosesNothing")
	}
	s := New(path)
	start, _ := strconv.Atoi(os.Getenv(crashEnv + "_START"))
	for i := start; ; i++ {
		rec := Scope{Profile: "p"}.NewRecord("course.completed.50", fmt.Sprintf("https://example.com/%d", i), Filters{}, time.Unix(int64(i), 0))
		if err := s.Update(func(st *State) error { st.Upsert(rec); return nil }); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println(i)
	}
}

func TestKilledWriterLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 50 processes")
	}
	path := filepath.Join(t.TempDir(), "subscriptions.json")
	rng := rand.New(rand.NewPCG(1, 2))
	next := 0
	acked := map[int]bool{}
	for round := range 50 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashWriter$")
		cmd.Env = append(os.Environ(), crashEnv+"="+path, crashEnv+"_START="+strconv.Itoa(next))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Let it acknowledge a random number of writes, then kill it mid-stream.
		want := 1 + rng.IntN(8)
		sc := bufio.NewScanner(out)
		for got := 0; got < want && sc.Scan(); got++ {
			line := sc.Text()
			n, err := strconv.Atoi(line)
			if err != nil {
				t.Fatalf("round %d: writer said %q", round, line)
			}
			acked[n] = true
			next = n + 1
		}
		_ = cmd.Process.Kill()
		// Anything printed before the kill landed was acknowledged too.
		for sc.Scan() {
			if n, err := strconv.Atoi(sc.Text()); err == nil {
				acked[n] = true
				next = n + 1
			}
		}
		_ = cmd.Wait()

		st, err := New(path).Load()
		if err != nil {
			t.Fatalf("round %d: the file does not parse after a kill: %v", round, err)
		}
		have := map[string]bool{}
		for _, r := range st.Subscriptions {
			have[r.HookURL] = true
		}
		for n := range acked {
			if !have[fmt.Sprintf("https://example.com/%d", n)] {
				t.Fatalf("round %d: acknowledged record %d is missing", round, n)
			}
		}
		next++ // a write in flight at the kill may or may not have landed; skip its number
	}
	if len(acked) < 50 {
		t.Errorf("only %d acknowledged writes in 50 rounds", len(acked))
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*"))
	for _, f := range leftovers {
		if base := filepath.Base(f); base != "subscriptions.json" && base != "subscriptions.json.lock" && !strings.HasPrefix(base, ".subscriptions.json") {
			t.Errorf("unexpected file %s", base)
		}
	}
}

func TestReadOnlyDirectoryIsAClearError(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores directory permissions")
	}
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.MkdirAll(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
	err := New(filepath.Join(dir, "s.json")).Update(func(st *State) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("err %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("files left behind in a read-only dir: %v", entries)
	}
}

func TestUnwritableLocationIsAClearError(t *testing.T) {
	// A regular file where the directory should be fails for root too.
	blocker := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(blocker, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := New(filepath.Join(blocker, "s.json")).Update(func(st *State) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "cannot write the state file") || !strings.Contains(err.Error(), "--state") {
		t.Errorf("err %v", err)
	}
}
