package config

import "testing"

func TestValidateProfileName(t *testing.T) {
	for _, ok := range []string{"default", "ci", "ci.prod", "a-b_c", "0", "x1234567890123456789012345678901234567890123456789012345678901"} {
		if err := ValidateProfileName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "CI", "-x", ".x", "a b", "a/b", "é", "x12345678901234567890123456789012345678901234567890123456789012345"} {
		if err := ValidateProfileName(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
