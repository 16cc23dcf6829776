package listen

import "hash/maphash"

// dedupe remembers the hashes of the last window distinct bodies, so that a body
// seen before is reported as a duplicate with bounded memory (about 40 bytes per
// body), however long listen runs. A seeded 64-bit hash makes a false "duplicate"
// vanishingly unlikely.
type dedupe struct {
	seed   maphash.Seed
	window int
	first  map[uint64]int64 // hash → seq of its first delivery
	ring   []uint64         // hashes in insertion order; the oldest is evicted first
	next   int
}

func newDedupe(window int) *dedupe {
	return &dedupe{seed: maphash.MakeSeed(), window: window, first: make(map[uint64]int64)}
}

// seen returns the seq of an earlier delivery with the same body (0 when none) and
// remembers this one.
func (d *dedupe) seen(body []byte, seq int64) int64 {
	h := maphash.Bytes(d.seed, body)
	if prev, ok := d.first[h]; ok {
		return prev
	}
	d.first[h] = seq
	if len(d.ring) < d.window {
		d.ring = append(d.ring, h)
		return 0
	}
	delete(d.first, d.ring[d.next])
	d.ring[d.next] = h
	d.next = (d.next + 1) % d.window
	return 0
}
