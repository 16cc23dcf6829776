package store

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The lock race test re-runs this test binary as processes that race on one listen
// lock: "listen" processes take and release it in a loop, and while they hold it check
// that the path still names the file they locked; a "check" process runs
// ListenRunning in a loop, which removes a lock nobody holds. A holder whose lock file
// was removed or replaced under it could be taken for gone, and its temporary
// subscriptions deleted.

const lockRaceEnv = "TAGMANGO_HOOKS_LOCK_RACE"

const (
	lockProfile = "default"
	lockURL     = "https://abc.trycloudflare.com"
)

func TestListenLockRaceHelper(t *testing.T) {
	role := os.Getenv(lockRaceEnv)
	if role == "" {
		t.Skip("helper process for TestListenLockRace")
	}
	s := New(os.Getenv(lockRaceEnv + "_STATE"))
	rounds, _ := strconv.Atoi(os.Getenv(lockRaceEnv + "_ROUNDS"))
	// Start together: the parent writes one byte once every helper is running.
	if _, err := io.ReadFull(os.Stdin, make([]byte, 1)); err != nil {
		fmt.Println("error", err)
		return
	}
	held, lost := 0, 0
	for range rounds {
		switch role {
		case "listen":
			l, ok, err := s.TryListenLock(lockProfile, lockURL)
			if err != nil {
				fmt.Println("error", err)
				return
			}
			if !ok {
				continue
			}
			held++
			for range 3 {
				if !namesLocked(l.Path(), l.fl) {
					lost++
				}
			}
			l.Release()
		case "check":
			s.ListenRunning(lockProfile, lockURL)
		}
	}
	fmt.Printf("held=%d lost=%d\n", held, lost)
}

func TestListenLockRace(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "subscriptions.json")
	type helper struct {
		cmd *exec.Cmd
		in  io.WriteCloser
		out *bufio.Scanner
	}
	var helpers []helper
	for _, role := range []string{"listen", "listen", "check", "check"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestListenLockRaceHelper$", "-test.v")
		cmd.Env = append(os.Environ(), lockRaceEnv+"="+role, lockRaceEnv+"_STATE="+state, lockRaceEnv+"_ROUNDS=3000")
		in, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		helpers = append(helpers, helper{cmd, in, bufio.NewScanner(out)})
	}
	for _, h := range helpers {
		_, _ = h.in.Write([]byte{1})
		_ = h.in.Close()
	}
	totalHeld := 0
	for i, h := range helpers {
		var result string
		for h.out.Scan() {
			if line := h.out.Text(); strings.HasPrefix(line, "held=") || strings.HasPrefix(line, "error") {
				result = line
			}
		}
		if err := h.cmd.Wait(); err != nil {
			t.Errorf("helper %d: %v", i, err)
		}
		var held, lost int
		if _, err := fmt.Sscanf(result, "held=%d lost=%d", &held, &lost); err != nil {
			t.Fatalf("helper %d said %q", i, result)
		}
		if lost != 0 {
			t.Errorf("helper %d: its lock file was removed or replaced %d times while it held the lock (held %d times)", i, lost, held)
		}
		totalHeld += held
	}
	if totalHeld == 0 {
		t.Error("no listen process ever got the lock: the race was not exercised")
	}
	if _, err := os.Stat(New(state).ListenLockPath(lockProfile, lockURL)); !os.IsNotExist(err) {
		t.Errorf("the lock file is left behind: %v", err)
	}
}

func TestListenLockExcludesAndCleansUp(t *testing.T) {
	s := New(filepath.Join(t.TempDir(), "subscriptions.json"))
	if s.ListenRunning(lockProfile, lockURL) {
		t.Fatal("running before anyone locked")
	}
	l, ok, err := s.TryListenLock(lockProfile, lockURL)
	if err != nil || !ok {
		t.Fatalf("lock: %v %v", ok, err)
	}
	if !s.ListenRunning(lockProfile, lockURL) {
		t.Error("not running while the lock is held")
	}
	if _, ok, err := s.TryListenLock(lockProfile, lockURL); ok || err != nil {
		t.Errorf("a second lock: %v %v", ok, err)
	}
	l.Release()
	if _, err := os.Stat(l.Path()); !os.IsNotExist(err) {
		t.Errorf("released lock file still there: %v", err)
	}
	if s.ListenRunning(lockProfile, lockURL) {
		t.Error("running after release")
	}
	if _, err := os.Stat(l.Path()); !os.IsNotExist(err) {
		t.Errorf("ListenRunning created the lock file: %v", err)
	}
}
