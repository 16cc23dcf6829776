package receiver

import "hash/maphash"

// dedupe remembers the hashes of the last window distinct bodies, so that a body
// seen before is reported as a repeat or a duplicate with bounded memory, however
// long listen runs: about 62 bytes per body (measured with Go 1.26: 8 in the ring,
// the rest the map's 24-byte entry with its control byte and the slack of a table
// sized in powers of two), 4 MiB for DefaultDuplicateWindow. A seeded 64-bit hash
// makes a false "duplicate" vanishingly unlikely.
type dedupe struct {
	seed   maphash.Seed
	window int
	first  map[uint64]sighting
	ring   []uint64 // hashes in insertion order; the oldest is evicted first
	next   int
}

// sighting is the seq of a body's first delivery and how many deliveries had it.
type sighting struct {
	seq   int64
	count int64
}

func newDedupe(window int) *dedupe {
	return &dedupe{seed: maphash.MakeSeed(), window: window, first: make(map[uint64]sighting)}
}

// seen returns the seq of the first delivery with the same body (0 when none) and
// how many deliveries have had it, this one included, and remembers this one.
func (d *dedupe) seen(body []byte, seq int64) (first, nth int64) {
	h := maphash.Bytes(d.seed, body)
	if s, ok := d.first[h]; ok {
		s.count++
		d.first[h] = s
		return s.seq, s.count
	}
	d.first[h] = sighting{seq: seq, count: 1}
	if len(d.ring) < d.window {
		d.ring = append(d.ring, h)
		return 0, 1
	}
	delete(d.first, d.ring[d.next])
	d.ring[d.next] = h
	d.next = (d.next + 1) % d.window
	return 0, 1
}
