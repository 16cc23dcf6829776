package receiver

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParseSize reads a byte count: a plain number of bytes ("1000000") or a number with
// a unit: B, KiB, MiB, GiB (powers of 1024; K, M, G too) or KB, MB, GB (powers of
// 1000), in any case.
func ParseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range [...]struct {
		suffix string
		mult   int64
	}{
		// Longest suffixes first, so that "KiB" is not read as "B".
		{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30},
		{"kb", 1000}, {"mb", 1000 * 1000}, {"gb", 1000 * 1000 * 1000},
		{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30},
		{"b", 1},
	} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	if t == "" {
		return 0, fmt.Errorf("invalid size %q: use bytes or a unit, such as 512KiB, 1MiB or 1000000", s)
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f <= 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("invalid size %q: use bytes or a unit, such as 512KiB, 1MiB or 1000000", s)
	}
	n := f * float64(mult)
	if n > float64(1<<40) {
		return 0, fmt.Errorf("invalid size %q: at most 1TiB", s)
	}
	if n < 1 {
		return 0, fmt.Errorf("invalid size %q: at least 1 byte", s)
	}
	return int64(n), nil
}

// FormatSize writes a byte count for people: "213 B", "1.5 KiB", "1 MiB".
func FormatSize(n int64) string {
	switch {
	case n < 0:
		return "? B"
	case n < 1<<10:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1<<20:
		return trimZero(float64(n)/(1<<10)) + " KiB"
	case n < 1<<30:
		return trimZero(float64(n)/(1<<20)) + " MiB"
	}
	return trimZero(float64(n)/(1<<30)) + " GiB"
}

func trimZero(f float64) string {
	s := strconv.FormatFloat(f, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0")
}
