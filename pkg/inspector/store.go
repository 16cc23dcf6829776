// Package inspector is the local web page behind `listen --ui` and `inspect`: a
// bounded store of entries (deliveries, and replays sent from the page), the JSON API
// under /api/ that serves them, and the embedded page that uses only that API.
//
// Entries reach the store through a receiver.Renderer (listen) or from save files
// (inspect). The renderer runs on the receiver's processing goroutine, so adding an
// entry is a copy under a short lock; the page's readers never hold that lock while
// they write to the network, and a slow reader is dropped rather than waited for.
package inspector

import (
	"cmp"
	"slices"
	"sync"
)

// DefaultKeep is how many entries the store keeps by default (--ui-keep).
const DefaultKeep = 10000

// Store keeps the latest entries, up to a bound; the oldest go first. It is safe for
// concurrent use. Slots are immutable once added: an update (a forward result
// arriving) replaces the slot, and readers get copies.
type Store struct {
	mu   sync.Mutex
	keep int
	// ring holds the slots in id order: ring[(start+i)%keep] has id first+i.
	ring  []slot
	start int
	n     int
	first int64 // id of the oldest slot kept
	// nextID and version number entries and changes from 1.
	nextID, version int64
	// log[(v-1)%keep] is the id of the entry changed at version v.
	log     []int64
	dropped int64
	// pending maps the seq of a delivery waiting for its forward answer to its id.
	pending map[int64]int64
	// changed is closed when entries are added or replaced; waiters then ask for
	// a new one. closed says it is closed already, so that a burst with no reader
	// closes nothing.
	changed chan struct{}
	closed  bool
}

// NewStore keeps up to keep entries (DefaultKeep when keep ≤ 0).
func NewStore(keep int) *Store {
	if keep <= 0 {
		keep = DefaultKeep
	}
	return &Store{keep: keep, ring: make([]slot, keep), log: make([]int64, keep), first: 1, nextID: 1, pending: map[int64]int64{}, changed: make(chan struct{})}
}

// Keep is the bound.
func (s *Store) Keep() int { return s.keep }

// add numbers r and keeps it, evicting the oldest entry when full; it returns r as
// kept.
func (s *Store) add(r slot) slot {
	s.mu.Lock()
	defer s.mu.Unlock()
	r.id = s.nextID
	s.nextID++
	s.version++
	r.version = s.version
	s.logChange(r.id)
	if s.n == s.keep {
		old := s.ring[s.start]
		s.ring[s.start] = slot{}
		s.start = (s.start + 1) % s.keep
		s.n--
		s.first++
		s.dropped++
		if old.pending && s.pending[old.seq] == old.id {
			delete(s.pending, old.seq)
		}
	}
	s.ring[(s.start+s.n)%s.keep] = r
	s.n++
	if r.pending { // only deliveries: a replay has its answer
		s.pending[r.seq] = r.id
	}
	return r
}

// replacePending puts r, a delivery with its forward answer, in the place of the
// one that waited for it; false when that one is gone (evicted) or unknown.
func (s *Store) replacePending(seq int64, r slot) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.pending[seq]
	if !ok {
		return false
	}
	delete(s.pending, seq)
	i, ok := s.index(id)
	if !ok {
		return false
	}
	r.id = id
	s.version++
	r.version = s.version
	s.logChange(id)
	s.ring[i] = r
	return true
}

// index is the ring position of id; s.mu is held.
func (s *Store) index(id int64) (int, bool) {
	if id < s.first || id >= s.first+int64(s.n) {
		return 0, false
	}
	return (s.start + int(id-s.first)) % s.keep, true
}

// notify wakes the readers waiting for changes, without waiting for any of them.
func (s *Store) notify() {
	s.mu.Lock()
	if !s.closed {
		close(s.changed)
		s.closed = true
	}
	s.mu.Unlock()
}

// wait returns a channel closed at the next change.
func (s *Store) wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		s.changed = make(chan struct{})
		s.closed = false
	}
	return s.changed
}

// get returns the entry with id.
func (s *Store) get(id int64) (slot, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.index(id)
	if !ok {
		return slot{}, false
	}
	return s.ring[i], true
}

// idOfSeq is the id of the latest delivery (file, seq), 0 when it is not kept. It
// looks from the newest back: duplicates are usually recent, and a detail view is
// rare enough not to keep an index on the receiver's path.
func (s *Store) idOfSeq(file string, seq int64) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := s.n - 1; i >= 0; i-- {
		if r := s.ring[(s.start+i)%s.keep]; !r.replay && r.seq == seq {
			if n, _ := r.readNames(r.data); n.file == file {
				return r.id
			}
		}
	}
	return 0
}

// snapshot returns the entries kept, oldest first, and how many were dropped.
func (s *Store) snapshot() ([]slot, int64) {
	recs, dropped, _ := s.snapshotVersion()
	return recs, dropped
}

// snapshotVersion is snapshot with the version it reflects: a stream resumed from
// it misses nothing.
func (s *Store) snapshotVersion() ([]slot, int64, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]slot, s.n)
	for i := range s.n {
		out[i] = s.ring[(s.start+i)%s.keep]
	}
	return out, s.dropped, s.version
}

// since appends to out up to limit entries changed after version v, in the order of
// their changes, and returns the version to ask from next (the latest when nothing
// is left). A reader asks in small pieces, so that one that writes slowly holds no
// more than a piece of entries that the store has let go. A reader more than keep
// changes behind gets the entries kept that changed since.
func (s *Store) since(v int64, limit int, out []slot) ([]slot, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v >= s.version {
		return out, s.version
	}
	if s.version-v > int64(s.keep) {
		for i := range s.n {
			if r := s.ring[(s.start+i)%s.keep]; r.version > v {
				out = append(out, r)
			}
		}
		slices.SortFunc(out, func(a, b slot) int { return cmp.Compare(a.version, b.version) })
		if len(out) > limit {
			out = out[:limit]
			return out, out[limit-1].version
		}
		return out, s.version
	}
	for ver := v + 1; ver <= s.version; ver++ {
		i, ok := s.index(s.log[(ver-1)%int64(s.keep)])
		// A record replaced since is sent at its later version.
		if ok && s.ring[i].version == ver {
			out = append(out, s.ring[i])
			if len(out) == limit {
				return out, ver
			}
		}
	}
	return out, s.version
}

// logChange notes that the entry id changed at s.version; s.mu is held.
func (s *Store) logChange(id int64) { s.log[(s.version-1)%int64(s.keep)] = id }

// Len is how many entries are kept.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// Dropped counts the entries evicted to keep the bound.
func (s *Store) Dropped() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// Version is the number of the latest change.
func (s *Store) Version() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.version
}

// nextIDValue is the id the next entry will get.
func (s *Store) nextIDValue() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nextID
}
