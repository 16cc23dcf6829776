package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/fsutil"
)

// A lock file is only ever removed by a process that holds its lock, and whoever locks
// one checks afterwards that the path still names the file it locked: a file unlinked
// between someone's open and lock is then noticed and the lock taken again on the
// file the path names now. Without both, a listen starting while another process
// removed the file would hold a lock on a file nobody else can see, and the next check
// would take that listen's temporary subscriptions for abandoned ones and delete them.
const (
	// lockAttempts bounds the retries after a lock turned out to be on a removed file;
	// each retry means another process removed or replaced it in the meantime.
	lockAttempts = 50
	// lockGrace is how long TryListenLock waits for a lock held only for a moment by a
	// process checking whether a listen is running.
	lockGrace = 250 * time.Millisecond
)

// ListenLockPath is the OS lock a running `listen --register` holds for its profile and
// public URL, beside the state file. Its temporary subscriptions belong to it while it
// is held.
func (s *Store) ListenLockPath(profile, publicURL string) string {
	sum := sha256.Sum256([]byte(profile + "\x00" + publicURL))
	return filepath.Join(filepath.Dir(s.Path), "listen-"+hex.EncodeToString(sum[:8])+".lock")
}

// ListenLock is the lock held by a running `listen --register`.
type ListenLock struct {
	fl *flock.Flock
}

// TryListenLock takes the listen lock of profile and publicURL. It returns false when
// another listen holds it.
func (s *Store) TryListenLock(profile, publicURL string) (*ListenLock, bool, error) {
	p := s.ListenLockPath(profile, publicURL)
	if err := os.MkdirAll(filepath.Dir(p), fsutil.PrivateDir); err != nil {
		return nil, false, err
	}
	if err := fsutil.RefuseSymlink(p); err != nil {
		return nil, false, err
	}
	for range lockAttempts {
		fl := flock.New(p, flock.SetPermissions(fsutil.PrivateFile))
		// A process checking ListenRunning holds the lock for an instant; that is not
		// another listen.
		ctx, cancel := context.WithTimeout(context.Background(), lockGrace)
		ok, err := fl.TryLockContext(ctx, 5*time.Millisecond)
		cancel()
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return nil, false, fmt.Errorf("locking %s: %w", p, err)
		}
		if !ok {
			return nil, false, nil
		}
		if namesLocked(p, fl) {
			return &ListenLock{fl: fl}, true, nil
		}
		_ = fl.Unlock()
	}
	return nil, false, fmt.Errorf("locking %s: the file kept being replaced by other processes", p)
}

// Path is the lock file's path.
func (l *ListenLock) Path() string { return l.fl.Path() }

// Release removes the lock file while still holding it, then unlocks.
func (l *ListenLock) Release() {
	if l == nil || !l.fl.Locked() {
		return
	}
	_ = os.Remove(l.fl.Path())
	_ = l.fl.Unlock()
}

// ListenRunning reports whether a listen holds the lock for profile and publicURL. A
// lock nobody holds is removed. When the lock cannot be checked, it answers true, so
// that callers leave the subscriptions alone.
func (s *Store) ListenRunning(profile, publicURL string) bool {
	p := s.ListenLockPath(profile, publicURL)
	for range lockAttempts {
		// Open without creating: a check must not leave a lock file behind.
		fl := flock.New(p, flock.SetFlag(os.O_RDONLY))
		ok, err := fl.TryLock()
		if errors.Is(err, fs.ErrNotExist) {
			return false
		}
		if err != nil || !ok {
			return true
		}
		if !namesLocked(p, fl) {
			_ = fl.Unlock() // removed or replaced since we opened it: look again
			continue
		}
		_ = os.Remove(p)
		_ = fl.Unlock()
		return false
	}
	return true
}

// namesLocked reports whether path still names the file fl has locked.
func namesLocked(path string, fl *flock.Flock) bool {
	onDisk, err := os.Stat(path)
	if err != nil {
		return false
	}
	locked, err := fl.Stat()
	return err == nil && os.SameFile(onDisk, locked)
}

// PublicURL is the URL a temporary record was registered under by `listen --register`,
// which subscribes PUBLIC_URL/<event>.
func (r Record) PublicURL() string {
	return strings.TrimSuffix(r.HookURL, "/"+r.Event)
}
