// Package store keeps the subscriptions tagmango-hooks has registered, for every
// profile, in one JSON document. Every change happens under an OS file lock and lands
// by atomic replace, so parallel invocations lose nothing and a crash leaves either the
// old or the new file. A file that does not parse is reported and never overwritten.
package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/config"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/fsutil"
)

// maxStateSize bounds how much of a state file is read; a larger file is reported as
// corrupt rather than loaded into memory.
const maxStateSize = 64 << 20

// formatVersion is written into every state file.
const formatVersion = 1

// Filters are the optional entity filters of a subscription.
type Filters struct {
	Mango   string `json:"mango,omitempty" yaml:"mango,omitempty"`
	Course  string `json:"course,omitempty" yaml:"course,omitempty"`
	Webinar string `json:"webinar,omitempty" yaml:"webinar,omitempty"`
	Page    string `json:"page,omitempty" yaml:"page,omitempty"`
}

// IsZero reports whether no filter is set.
func (f Filters) IsZero() bool { return f == Filters{} }

// String renders the filters as "course=ID,webinar=ID", or "" when empty.
func (f Filters) String() string {
	var b bytes.Buffer
	add := func(k, v string) {
		if v == "" {
			return
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k + "=" + v)
	}
	add("mango", f.Mango)
	add("course", f.Course)
	add("webinar", f.Webinar)
	add("page", f.Page)
	return b.String()
}

// Record is one tracked subscription; it is also the JSON shape scripts read.
type Record struct {
	ID      string `json:"id" yaml:"id"`
	Profile string `json:"profile" yaml:"profile"`
	// BaseURL is the API the subscription was made on, canonical (see
	// config.NormalizeBaseURL). A record written before it existed is read as the
	// production API's.
	BaseURL      string    `json:"baseUrl" yaml:"baseUrl"`
	Event        string    `json:"event" yaml:"event"`
	HookURL      string    `json:"hookUrl" yaml:"hookUrl"`
	Filters      *Filters  `json:"filters,omitempty" yaml:"filters,omitempty"`
	RegisteredAt time.Time `json:"registeredAt" yaml:"registeredAt"`
	Temporary    bool      `json:"temporary" yaml:"temporary"`
	RemoteID     string    `json:"remoteId,omitempty" yaml:"remoteId,omitempty"`
}

// Scope is whose records a command works on: one profile on one API. A record of the
// same profile made on another API (the emulator, say) is not the same subscription.
type Scope struct {
	Profile string
	// BaseURL is canonical; empty means the production API.
	BaseURL string
}

// api is the scope's base URL, the production API when unset.
func (sc Scope) api() string {
	if sc.BaseURL == "" {
		return config.DefaultBaseURL
	}
	return sc.BaseURL
}

// Has reports whether r belongs to the scope.
func (sc Scope) Has(r Record) bool {
	return r.Profile == sc.Profile && r.API() == sc.api()
}

// IsProduction reports whether the scope is the production API's.
func (sc Scope) IsProduction() bool { return sc.api() == config.DefaultBaseURL }

// String names the scope for messages: "profile ci", plus the API when it is not
// production.
func (sc Scope) String() string {
	if sc.IsProduction() {
		return "profile " + sc.Profile
	}
	return "profile " + sc.Profile + " on " + sc.api()
}

// NewRecord builds a record of the scope with its stable id; empty filters are left out.
func (sc Scope) NewRecord(event, hookURL string, filters Filters, at time.Time) Record {
	r := Record{
		ID:           sc.RecordID(event, hookURL, filters),
		Profile:      sc.Profile,
		BaseURL:      sc.api(),
		Event:        event,
		HookURL:      hookURL,
		RegisteredAt: at.UTC().Truncate(time.Second),
	}
	if !filters.IsZero() {
		f := filters
		r.Filters = &f
	}
	return r
}

// API is the record's base URL, the production API for a record that has none.
func (r Record) API() string {
	if r.BaseURL == "" {
		return config.DefaultBaseURL
	}
	return r.BaseURL
}

// FilterValues returns the record's filters, zero when it has none.
func (r Record) FilterValues() Filters {
	if r.Filters == nil {
		return Filters{}
	}
	return *r.Filters
}

// RecordID is the short local id of a subscription: the first 8 hex digits of a hash of
// profile, event, hook URL, filters and, for another API than production, its base URL.
// Production ids are hashed as they were before records had a base URL, so that the
// ids in existing stores, scripts and notes still match.
func (sc Scope) RecordID(event, hookURL string, f Filters) string {
	h := sha256.New()
	parts := []string{sc.Profile, event, hookURL, f.Mango, f.Course, f.Webinar, f.Page}
	if !sc.IsProduction() {
		parts = append(parts, sc.api())
	}
	for _, s := range parts {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:8]
}

// State is the whole document.
type State struct {
	Version       int      `json:"version"`
	Subscriptions []Record `json:"subscriptions"`
}

// Find returns the index of the record with id, or -1.
func (s *State) Find(id string) int {
	for i, r := range s.Subscriptions {
		if r.ID == id {
			return i
		}
	}
	return -1
}

// Upsert adds r, or replaces the record with the same id.
func (s *State) Upsert(r Record) {
	if i := s.Find(r.ID); i >= 0 {
		s.Subscriptions[i] = r
		return
	}
	s.Subscriptions = append(s.Subscriptions, r)
}

// Remove deletes the records for which match is true and returns them.
func (s *State) Remove(match func(Record) bool) []Record {
	var kept, removed []Record
	for _, r := range s.Subscriptions {
		if match(r) {
			removed = append(removed, r)
		} else {
			kept = append(kept, r)
		}
	}
	s.Subscriptions = kept
	return removed
}

// Select returns the records for which match is true, in registration order.
func (s *State) Select(match func(Record) bool) []Record {
	out := []Record{}
	for _, r := range s.Subscriptions {
		if match(r) {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].RegisteredAt.Before(out[j].RegisteredAt) })
	return out
}

// CorruptError reports a state file that cannot be used. The file is left as it is.
type CorruptError struct {
	Path string
	Err  error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("the state file %s is corrupt (%v); it was left untouched: fix or move it away, or point --state elsewhere", e.Path, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// Store is the state file at Path.
type Store struct {
	Path string
}

// New returns the store kept at path.
func New(path string) *Store { return &Store{Path: path} }

// Load reads the state without locking. A missing file is an empty state.
func (s *Store) Load() (*State, error) {
	st, _, err := s.load()
	return st, err
}

// load returns the state and the bytes it was read from.
func (s *Store) load() (*State, []byte, error) {
	f, err := os.Open(s.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return &State{Version: formatVersion}, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading the state file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxStateSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("reading the state file %s: %w", s.Path, err)
	}
	st, err := s.parse(data)
	return st, data, err
}

func (s *Store) parse(data []byte) (*State, error) {
	if len(data) > maxStateSize {
		return nil, &CorruptError{s.Path, fmt.Errorf("larger than %d MiB", maxStateSize>>20)}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return &State{Version: formatVersion}, nil
	}
	st := &State{}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(st); err != nil {
		return nil, &CorruptError{s.Path, err}
	}
	if dec.More() {
		return nil, &CorruptError{s.Path, errors.New("trailing data after the JSON document")}
	}
	if st.Version > formatVersion {
		return nil, &CorruptError{s.Path, fmt.Errorf("format version %d is newer than this tagmango-hooks understands; upgrade it", st.Version)}
	}
	for i, r := range st.Subscriptions {
		if r.ID == "" || r.Event == "" || r.HookURL == "" {
			return nil, &CorruptError{s.Path, fmt.Errorf("subscription #%d lacks id, event or hookUrl", i+1)}
		}
		// Older records have no base URL: they were made on production. A hand-edited
		// one is compared in canonical form, as the current base URL is.
		base, err := config.NormalizeBaseURL(r.BaseURL)
		if err != nil {
			return nil, &CorruptError{s.Path, fmt.Errorf("subscription #%d has an invalid baseUrl: %w", i+1, err)}
		}
		st.Subscriptions[i].BaseURL = base
	}
	st.Version = formatVersion
	return st, nil
}

// Update runs fn on the current state under the lock and, when fn returns nil, writes
// the result atomically. When fn fails, or changes nothing, nothing is written.
func (s *Store) Update(fn func(*State) error) error {
	unlock, err := fsutil.Lock(s.Path)
	if err != nil {
		return s.writeError(err)
	}
	defer unlock()
	st, before, err := s.load()
	if err != nil {
		return err
	}
	if err := fn(st); err != nil {
		return err
	}
	if st.Subscriptions == nil {
		st.Subscriptions = []Record{}
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if bytes.Equal(data, before) {
		return nil
	}
	if err := fsutil.WriteFileAtomic(s.Path, data); err != nil {
		return s.writeError(err)
	}
	return nil
}

// writeError explains a failure to write the state, with what to do about it.
func (s *Store) writeError(err error) error {
	return fmt.Errorf("cannot write the state file %s: %w; fix its directory, or choose another file with --state or TAGMANGO_HOOKS_STATE", s.Path, err)
}
