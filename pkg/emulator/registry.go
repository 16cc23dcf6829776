package emulator

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/fsutil"
)

// maxStateSize bounds how much of a state file is read.
const maxStateSize = 64 << 20

// stateVersion is written into every state file.
const stateVersion = 1

// Registration is one webhook registered with the emulator; it is the `result` of a
// successful register call and an element of GET /_emulator/registrations.
type Registration struct {
	// ID is a 24-hex id, shaped like TagMango's MongoDB ids.
	ID        string    `json:"_id"`
	HookURL   string    `json:"hookUrl"`
	Event     string    `json:"event"`
	Mango     string    `json:"mango,omitempty"`
	Course    string    `json:"course,omitempty"`
	Webinar   string    `json:"webinar,omitempty"`
	Page      string    `json:"page,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
}

// Filter returns the registration's value for the filter key ("mango", "course",
// "webinar", "page"), "" when it has none.
func (r *Registration) Filter(key string) string {
	switch key {
	case "mango":
		return r.Mango
	case "course":
		return r.Course
	case "webinar":
		return r.Webinar
	case "page":
		return r.Page
	}
	return ""
}

// sameSubscription reports whether r and o subscribe the same URL to the same event
// with the same filters.
func (r *Registration) sameSubscription(o *Registration) bool {
	return r.HookURL == o.HookURL && r.Event == o.Event && r.Mango == o.Mango &&
		r.Course == o.Course && r.Webinar == o.Webinar && r.Page == o.Page
}

type stateFile struct {
	Version       int            `json:"version"`
	Registrations []Registration `json:"registrations"`
}

// registry holds the registrations. With a path, every change is written to the file
// before it takes effect in memory, so that a failed write changes nothing.
type registry struct {
	path string

	mu   sync.Mutex
	regs []Registration
}

func loadRegistry(path string) (*registry, error) {
	r := &registry{path: path}
	if path == "" {
		return r, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the emulator state %s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxStateSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading the emulator state %s: %w", path, err)
	}
	if len(data) > maxStateSize {
		return nil, fmt.Errorf("the emulator state %s is larger than %d MiB; is it the right file?", path, maxStateSize>>20)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return r, nil
	}
	var st stateFile
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("the emulator state %s is not valid (%w): fix it or delete it", path, err)
	}
	if st.Version > stateVersion {
		return nil, fmt.Errorf("the emulator state %s was written by a newer tagmango-hooks (format %d)", path, st.Version)
	}
	r.regs = st.Registrations
	return r, nil
}

// check writes the state once, so that a file that cannot be written is reported at
// start rather than at the first registration.
func (r *registry) check() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.save(r.regs)
}

// save writes regs to the state file, atomically and under the file lock. Called with
// r.mu held, so writes of this process land in order.
func (r *registry) save(regs []Registration) error {
	if r.path == "" {
		return nil
	}
	if regs == nil {
		regs = []Registration{}
	}
	data, err := json.MarshalIndent(stateFile{Version: stateVersion, Registrations: regs}, "", "  ")
	if err != nil {
		return err
	}
	unlock, err := fsutil.Lock(r.path)
	if err != nil {
		return err
	}
	defer unlock()
	if err := fsutil.WriteFileAtomic(r.path, append(data, '\n')); err != nil {
		return fmt.Errorf("writing the emulator state %s: %w", r.path, err)
	}
	return nil
}

// add registers reg unless the same subscription exists, which it then returns with
// created false: registering twice is harmless, as `register --force` expects.
func (r *registry) add(reg Registration) (Registration, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, existing := range r.regs {
		if existing.sameSubscription(&reg) {
			return existing, false, nil
		}
	}
	next := append(slices.Clone(r.regs), reg)
	if err := r.save(next); err != nil {
		return Registration{}, false, err
	}
	r.regs = next
	return reg, true, nil
}

// removeURL removes every registration on hookURL and returns them.
func (r *registry) removeURL(hookURL string) ([]Registration, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var kept, removed []Registration
	for _, reg := range r.regs {
		if reg.HookURL == hookURL {
			removed = append(removed, reg)
		} else {
			kept = append(kept, reg)
		}
	}
	if len(removed) == 0 {
		return nil, nil
	}
	if err := r.save(kept); err != nil {
		return nil, err
	}
	r.regs = kept
	return removed, nil
}

func (r *registry) list() []Registration {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := slices.Clone(r.regs)
	if out == nil {
		out = []Registration{}
	}
	return out
}

// newObjectID returns a 24-hex id laid out like a MongoDB ObjectId: 4 bytes of Unix
// time, then 8 random bytes.
func newObjectID(now time.Time) string {
	var b [12]byte
	binary.BigEndian.PutUint32(b[:4], uint32(now.Unix())) //nolint:gosec // ObjectIds wrap in 2106, as MongoDB's do.
	_, _ = rand.Read(b[4:])
	return hex.EncodeToString(b[:])
}
