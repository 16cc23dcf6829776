package store

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"

	"github.com/gofrs/flock"
)

// ListenLockPath is the OS lock a running `listen --register` holds for its profile and
// public URL, beside the state file. Its temporary subscriptions belong to it while it
// is held.
func (s *Store) ListenLockPath(profile, publicURL string) string {
	sum := sha256.Sum256([]byte(profile + "\x00" + publicURL))
	return filepath.Join(filepath.Dir(s.Path), "listen-"+hex.EncodeToString(sum[:8])+".lock")
}

// ListenRunning reports whether a listen holds the lock for profile and publicURL. A
// lock nobody holds is removed. When the lock cannot be checked, it answers true, so
// that callers leave the subscriptions alone.
func (s *Store) ListenRunning(profile, publicURL string) bool {
	p := s.ListenLockPath(profile, publicURL)
	if _, err := os.Stat(p); os.IsNotExist(err) {
		return false
	}
	other := flock.New(p)
	ok, err := other.TryLock()
	if err != nil || !ok {
		return true
	}
	_ = other.Unlock()
	_ = os.Remove(p)
	return false
}

// PublicURL is the URL a temporary record was registered under by `listen --register`,
// which subscribes PUBLIC_URL/<event>.
func (r Record) PublicURL() string {
	return strings.TrimSuffix(r.HookURL, "/"+r.Event)
}
