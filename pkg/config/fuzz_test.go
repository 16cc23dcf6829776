package config

import (
	"strings"
	"testing"
)

// FuzzParseFile: any bytes give a config or an error naming the file, never a panic.
func FuzzParseFile(f *testing.F) {
	for _, seed := range []string{
		"",
		"current-profile: default\nprofiles:\n  default:\n    api-key: tmk_x\n    base-url: https://api-prod-new.tagmango.com\n",
		"profiles: [oops\n",
		"profiles:\n  a: null\n",
		"current-profile: 3\n",
		"a: &a [*a, *a]\n",
		"profiles:\n  ci.prod:\n    api-key: \"\\u0000\"\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseFile("/cfg.yaml", data)
		if err != nil {
			if !strings.Contains(err.Error(), "/cfg.yaml") {
				t.Errorf("error does not name the file: %v", err)
			}
			return
		}
		if cfg.Profiles == nil {
			t.Errorf("nil profiles map")
		}
		for name, p := range cfg.Profiles {
			if p == nil {
				t.Errorf("nil profile %q", name)
			}
		}
	})
}
