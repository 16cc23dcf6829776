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

// journalSuffix names the journal beside the state file.
const journalSuffix = ".journal"

// minCompaction is the journal length (in entries) below which it is never folded
// into the state file while the emulator runs; beyond it, it is folded when it holds
// as many entries as the state file has registrations, so that each change costs a
// constant amount of writing on average, however many registrations there are.
const minCompaction = 1024

// journalEntry is one line of the journal: one change, in the order they were made.
type journalEntry struct {
	Add *Registration `json:"add,omitempty"`
	// Remove removes every registration on this hookUrl.
	Remove string `json:"remove,omitempty"`
}

// registry holds the registrations. With a path, the registrations are kept in the
// state file (written atomically, under the file lock) plus a journal beside it
// (path.journal): each change appends one line to the journal, synced, before it
// takes effect in memory, so that a failed write changes nothing and a change costs
// one short write instead of rewriting every registration. The journal is folded
// into the state file at start, at a clean stop, and whenever it has grown as long
// as the state itself.
type registry struct {
	path string
	logf func(format string, args ...any)

	// compactAt is minCompaction; tests lower it.
	compactAt int

	mu        sync.Mutex
	regs      []Registration
	journaled int // entries in the journal
	folded    int // registrations the state file got at the last fold
}

func loadRegistry(path string) (*registry, error) {
	r := &registry{path: path, logf: func(string, ...any) {}, compactAt: minCompaction}
	if path == "" {
		return r, nil
	}
	data, err := readState(path, "")
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(data)) > 0 {
		var st stateFile
		if err := json.Unmarshal(data, &st); err != nil {
			return nil, fmt.Errorf("the emulator state %s is not valid (%w): fix it or delete it", path, err)
		}
		if st.Version > stateVersion {
			return nil, fmt.Errorf("the emulator state %s was written by a newer tagmango-hooks (format %d)", path, st.Version)
		}
		r.regs = st.Registrations
	}
	journal, err := readState(path+journalSuffix, " journal")
	if err != nil {
		return nil, err
	}
	for i, line := range bytes.SplitAfter(journal, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if !bytes.HasSuffix(line, []byte("\n")) {
			// The last line was cut by a crash while it was appended: that change
			// was never answered, so it is not one.
			break
		}
		var e journalEntry
		if err := json.Unmarshal(line, &e); err != nil || (e.Add == nil) == (e.Remove == "") {
			return nil, fmt.Errorf("the emulator state journal %s is not valid (line %d): fix it or delete it", path+journalSuffix, i+1)
		}
		// Replaying a change is harmless when the state file already has it (a crash
		// between folding the journal in and emptying it): adding an existing
		// subscription and removing an absent URL change nothing.
		if e.Add != nil {
			if _, ok := r.find(e.Add); !ok {
				r.regs = append(r.regs, *e.Add)
			}
		} else {
			r.regs = slices.DeleteFunc(r.regs, func(reg Registration) bool { return reg.HookURL == e.Remove })
		}
	}
	return r, nil
}

// readState reads a state file (what names it in messages: "" or " journal"), at
// most maxStateSize; a missing file is empty.
func readState(path, what string) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the emulator state%s %s: %w", what, path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxStateSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading the emulator state%s %s: %w", what, path, err)
	}
	if len(data) > maxStateSize {
		return nil, fmt.Errorf("the emulator state%s %s is larger than %d MiB; is it the right file?", what, path, maxStateSize>>20)
	}
	return data, nil
}

// find returns the registration with the same subscription as reg, if there is one.
func (r *registry) find(reg *Registration) (Registration, bool) {
	for _, existing := range r.regs {
		if existing.sameSubscription(reg) {
			return existing, true
		}
	}
	return Registration{}, false
}

// check folds the journal into the state file, so that a file that cannot be written
// is reported at start rather than at the first registration, and the journal starts
// empty.
func (r *registry) check() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.compact()
}

// close folds the journal in at a clean stop, so that the state file alone holds
// every registration.
func (r *registry) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.journaled == 0 {
		return nil
	}
	return r.compact()
}

// compact writes every registration to the state file, atomically and under the file
// lock, then empties the journal. Called with r.mu held.
func (r *registry) compact() error {
	if r.path == "" {
		return nil
	}
	regs := r.regs
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
	jpath := r.path + journalSuffix
	if err := os.Remove(jpath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("emptying the emulator state journal %s: %w", jpath, err)
	}
	r.journaled, r.folded = 0, len(regs)
	return nil
}

// record appends one change to the journal and syncs it, under the file lock. Called
// with r.mu held, so that changes of this process land in order.
func (r *registry) record(e journalEntry) error {
	if r.path == "" {
		return nil
	}
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	jpath := r.path + journalSuffix
	unlock, err := fsutil.Lock(r.path)
	if err != nil {
		return err
	}
	defer unlock()
	if err := fsutil.RefuseSymlink(jpath); err != nil {
		return err
	}
	f, err := os.OpenFile(jpath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, fsutil.PrivateFile)
	if err != nil {
		return fmt.Errorf("writing the emulator state journal %s: %w", jpath, err)
	}
	_, err = f.Write(append(line, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing the emulator state journal %s: %w", jpath, err)
	}
	r.journaled++
	return nil
}

// afterChange folds the journal in once it has as many entries as the state file has
// registrations. The change is already safe in the journal: a failure here is
// logged, and tried again at the next change.
func (r *registry) afterChange() {
	if r.journaled < max(r.compactAt, r.folded) {
		return
	}
	if err := r.compact(); err != nil {
		r.logf("folding the state journal in: %v", err)
	}
}

// add registers reg unless the same subscription exists, which it then returns with
// created false: registering twice is harmless, as `register --force` expects.
func (r *registry) add(reg Registration) (Registration, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if existing, ok := r.find(&reg); ok {
		return existing, false, nil
	}
	if err := r.record(journalEntry{Add: &reg}); err != nil {
		return Registration{}, false, err
	}
	r.regs = append(r.regs, reg)
	r.afterChange()
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
	if err := r.record(journalEntry{Remove: hookURL}); err != nil {
		return nil, err
	}
	r.regs = kept
	r.afterChange()
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
