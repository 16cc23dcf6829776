package output

import "testing"

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 100: "100", 999: "999", 1000: "1,000", 65536: "65,536", 1_000_000: "1,000,000", -1234567: "-1,234,567"} {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
