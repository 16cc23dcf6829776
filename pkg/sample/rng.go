package sample

import "math/rand/v2"

// rng is the Generator's source of randomness, with the few draws fake data needs.
type rng struct{ *rand.Rand }

// Number returns an int in [lo, hi].
func (r *rng) Number(lo, hi int) int { return lo + r.IntN(hi-lo+1) }

// Bool returns true or false with equal chance.
func (r *rng) Bool() bool { return r.IntN(2) == 0 }

// Word returns a plain lowercase word.
func (r *rng) Word() string { return pick(r, words) }

// FirstName returns an international first name.
func (r *rng) FirstName() string { return pick(r, internationalFirstNames) }

// LastName returns an international last name.
func (r *rng) LastName() string { return pick(r, internationalLastNames) }

func pick(r *rng, list []string) string { return list[r.IntN(len(list))] }

// ShuffleStrings shuffles list in place.
func (r *rng) ShuffleStrings(list []string) {
	r.Shuffle(len(list), func(i, j int) { list[i], list[j] = list[j], list[i] })
}
