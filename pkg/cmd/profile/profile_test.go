package profile_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
)

func TestProfileAddFromStdin(t *testing.T) {
	e := cmdtest.New(t)
	res := e.RunWith(cmdtest.Options{Stdin: "  " + cmdtest.TestAPIKey + "\n"}, "profile", "add", "ci")
	if res.Code != 0 {
		t.Fatalf("exit %d: %s", res.Code, res.Stderr)
	}
	if !strings.Contains(res.Stderr, "…9f3a") || !strings.Contains(res.Stderr, "ci is now the current profile") {
		t.Errorf("stderr: %s", res.Stderr)
	}
	fi, err := os.Stat(e.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("config mode %o, want 600", fi.Mode().Perm())
	}
	di, _ := os.Stat(strings.TrimSuffix(e.ConfigPath, "/config.yaml"))
	if di.Mode().Perm() != 0o700 {
		t.Errorf("config dir mode %o, want 700", di.Mode().Perm())
	}
	b, _ := os.ReadFile(e.ConfigPath)
	if !strings.Contains(string(b), "api-key: "+cmdtest.TestAPIKey) || !strings.Contains(string(b), "current-profile: ci") {
		t.Errorf("config: %s", b)
	}

	// A second profile does not become current unless --use.
	res = e.RunWith(cmdtest.Options{Stdin: "tmk_other_key_000000000000wxyz"}, "profile", "add", "staging", "--base-url", "http://127.0.0.1:4280")
	if res.Code != 0 || strings.Contains(res.Stderr, "now the current") {
		t.Errorf("exit %d: %s", res.Code, res.Stderr)
	}
	res = e.Run("profile", "list", "-o", "json")
	var entries []map[string]any
	if err := json.Unmarshal([]byte(res.Stdout), &entries); err != nil {
		t.Fatalf("%v: %s", err, res.Stdout)
	}
	if len(entries) != 2 || entries[0]["name"] != "ci" || entries[0]["current"] != true || entries[0]["apiKey"] != "…9f3a" ||
		entries[1]["baseUrl"] != "http://127.0.0.1:4280" || entries[1]["current"] != false {
		t.Errorf("entries %v", entries)
	}
}

func TestProfileAddRefusesEmptyKey(t *testing.T) {
	e := cmdtest.New(t)
	for _, in := range []string{"", "   \n"} {
		res := e.RunWith(cmdtest.Options{Stdin: in}, "profile", "add", "ci")
		if res.Code != 2 || !strings.Contains(res.Stderr, "no API key") {
			t.Errorf("stdin %q: exit %d stderr %s", in, res.Code, res.Stderr)
		}
	}
	if _, err := os.Stat(e.ConfigPath); !os.IsNotExist(err) {
		t.Errorf("config written for an empty key")
	}
}

func TestProfileAddPromptsOnTTY(t *testing.T) {
	e := cmdtest.New(t)
	res := e.RunWith(cmdtest.Options{Stdin: cmdtest.TestAPIKey + "\n", StdinTTY: true, StderrTTY: true}, "profile", "add", "dev")
	if res.Code != 0 || !strings.Contains(res.Stderr, "API key for profile dev:") {
		t.Errorf("exit %d stderr %s", res.Code, res.Stderr)
	}
}

func TestProfileAddInvalidName(t *testing.T) {
	e := cmdtest.New(t)
	res := e.RunWith(cmdtest.Options{Stdin: "k"}, "profile", "add", "Bad Name")
	if res.Code != 2 || !strings.Contains(res.Stderr, "invalid profile name") {
		t.Errorf("exit %d stderr %s", res.Code, res.Stderr)
	}
}

func TestProfileUseAndRemove(t *testing.T) {
	e := cmdtest.New(t)
	e.WriteConfig("current-profile: a\nprofiles:\n  a:\n    api-key: tmk_aaaaaaaaaaaaaaaa\n  b:\n    api-key: tmk_bbbbbbbbbbbbbbbb\n")
	if res := e.Run("profile", "use", "nope"); res.Code != 2 || !strings.Contains(res.Stderr, "profiles: a, b") {
		t.Errorf("use nope: exit %d %s", res.Code, res.Stderr)
	}
	if res := e.Run("profile", "use", "b"); res.Code != 0 {
		t.Fatalf("use b: %s", res.Stderr)
	}
	if res := e.Run("profile", "show", "-o", "json"); !strings.Contains(res.Stdout, `"value": "b"`) {
		t.Errorf("show after use: %s", res.Stdout)
	}
	if res := e.Run("profile", "remove", "b"); res.Code != 2 || !strings.Contains(res.Stderr, "--yes") {
		t.Errorf("remove without --yes off a TTY: exit %d %s", res.Code, res.Stderr)
	}
	if res := e.Run("profile", "remove", "b", "--yes"); res.Code != 0 {
		t.Fatalf("remove: %s", res.Stderr)
	}
	b, _ := os.ReadFile(e.ConfigPath)
	if strings.Contains(string(b), "tmk_bbbb") || strings.Contains(string(b), "current-profile: b") {
		t.Errorf("config after remove: %s", b)
	}
}

func TestProfileShowSources(t *testing.T) {
	e := cmdtest.New(t)
	e.WriteConfig("current-profile: a\nprofiles:\n  a:\n    api-key: " + cmdtest.TestAPIKey + "\n    base-url: http://file.example\n  b:\n    api-key: tmk_bbbbbbbbbbbbbbbb\n")
	type setting struct{ Value, Source string }
	show := func(args ...string) map[string]setting {
		t.Helper()
		res := e.Run(append([]string{"profile", "show", "-o", "json"}, args...)...)
		if res.Code != 0 {
			t.Fatalf("exit %d: %s", res.Code, res.Stderr)
		}
		out := map[string]setting{}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal([]byte(res.Stdout), &raw); err != nil {
			t.Fatal(err)
		}
		for k, v := range raw {
			var s setting
			if json.Unmarshal(v, &s) == nil {
				out[k] = s
			}
		}
		return out
	}

	// file
	s := show()
	if s["profile"] != (setting{"a", "file"}) || s["apiKey"] != (setting{"…9f3a", "file"}) || s["baseUrl"] != (setting{"http://file.example", "file"}) {
		t.Errorf("file layer: %+v", s)
	}
	// env beats file
	t.Setenv("TAGMANGO_PROFILE", "b")
	t.Setenv("TAGMANGO_BASE_URL", "http://env.example")
	s = show()
	if s["profile"] != (setting{"b", "env"}) || s["baseUrl"] != (setting{"http://env.example", "env"}) || s["apiKey"].Source != "file" {
		t.Errorf("env layer: %+v", s)
	}
	// flag beats env
	s = show("--profile", "a", "--base-url", "http://flag.example", "--api-key", "tmk_flag_key_1234567890abcd")
	if s["profile"] != (setting{"a", "flag"}) || s["baseUrl"] != (setting{"http://flag.example", "flag"}) || s["apiKey"] != (setting{"…abcd", "flag"}) {
		t.Errorf("flag layer: %+v", s)
	}
	// default: no current profile, and none named
	t.Setenv("TAGMANGO_PROFILE", "")
	t.Setenv("TAGMANGO_BASE_URL", "")
	e.WriteConfig("profiles:\n  a:\n    api-key: tmk_aaaaaaaaaaaaaaaa\n")
	s = show()
	if s["profile"] != (setting{"default", "default"}) || s["baseUrl"] != (setting{"https://api-prod-new.tagmango.com", "default"}) || s["apiKey"] != (setting{"", "default"}) {
		t.Errorf("default layer: %+v", s)
	}
}

func TestConfigPermissionWarning(t *testing.T) {
	e := cmdtest.New(t)
	e.WriteConfig("current-profile: a\nprofiles:\n  a:\n    api-key: " + cmdtest.TestAPIKey + "\n")
	if err := os.Chmod(e.ConfigPath, 0o644); err != nil {
		t.Fatal(err)
	}
	res := e.Run("profile", "list")
	if !strings.Contains(res.Stderr, "chmod 600") {
		t.Errorf("no warning: %s", res.Stderr)
	}
	if strings.Contains(res.Stderr, "config directory") {
		t.Errorf("the directory is private: %s", res.Stderr)
	}
	// The directory too.
	dir := strings.TrimSuffix(e.ConfigPath, "/config.yaml")
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	res = e.Run("profile", "list")
	if !strings.Contains(res.Stderr, "warning: the config directory "+dir+" is accessible by other users (mode 0755); run: chmod 700 "+dir+"\n") {
		t.Errorf("no directory warning: %s", res.Stderr)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	// Writing it again makes it private.
	res = e.RunWith(cmdtest.Options{Stdin: "tmk_new_key_0000000000000000"}, "profile", "add", "a")
	if res.Code != 0 {
		t.Fatal(res.Stderr)
	}
	fi, _ := os.Stat(e.ConfigPath)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %o after rewrite", fi.Mode().Perm())
	}
}

func TestCorruptConfig(t *testing.T) {
	e := cmdtest.New(t)
	e.WriteConfig("profiles: [oops\n")
	res := e.Run("profile", "list")
	if res.Code != 1 || !strings.Contains(res.Stderr, e.ConfigPath) {
		t.Errorf("exit %d stderr %s", res.Code, res.Stderr)
	}
	// listen-like commands that need no config are unaffected; list needs the profile.
	res = e.Run("register", "--url", "https://example.com/x", "--event", "course.completed.50")
	if res.Code != 1 || !strings.Contains(res.Stderr, "not valid") {
		t.Errorf("register with a corrupt config: exit %d stderr %s", res.Code, res.Stderr)
	}
}

func TestDottedProfileName(t *testing.T) {
	e := cmdtest.New(t)
	e.WriteConfig("current-profile: ci.prod\nprofiles:\n  ci.prod:\n    api-key: tmk_dotted_key_00000000wxyz\n    base-url: http://dotted.example\n")
	res := e.Run("profile", "show", "-o", "json")
	if res.Code != 0 || !strings.Contains(res.Stdout, `"value": "…wxyz"`) || !strings.Contains(res.Stdout, "http://dotted.example") {
		t.Errorf("exit %d stdout %s stderr %s", res.Code, res.Stdout, res.Stderr)
	}
}

func TestUnknownConfigKeyIsReported(t *testing.T) {
	e := cmdtest.New(t)
	e.WriteConfig("current-profile: a\nprofiles:\n  a:\n    apikey: oops\n")
	res := e.Run("profile", "list")
	if res.Code != 1 || !strings.Contains(res.Stderr, "apikey") {
		t.Errorf("exit %d stderr %s", res.Code, res.Stderr)
	}
}

func TestProfileRemoveAsksOnTTY(t *testing.T) {
	e := cmdtest.New(t)
	e.WriteConfig("current-profile: a\nprofiles:\n  a:\n    api-key: tmk_aaaaaaaaaaaaaaaa\n")
	tty := cmdtest.Options{StdinTTY: true, StderrTTY: true}
	tty.Stdin = "n\n"
	if res := e.RunWith(tty, "profile", "remove", "a"); res.Code != 1 || !strings.Contains(res.Stderr, "Remove profile a") || !strings.Contains(res.Stderr, "nothing was removed") {
		t.Errorf("declined: exit %d %s", res.Code, res.Stderr)
	}
	if b, _ := os.ReadFile(e.ConfigPath); !strings.Contains(string(b), "tmk_aaaa") {
		t.Errorf("declined but removed")
	}
	tty.Stdin = "y\n"
	if res := e.RunWith(tty, "profile", "remove", "a"); res.Code != 0 {
		t.Errorf("confirmed: exit %d %s", res.Code, res.Stderr)
	}
	if b, _ := os.ReadFile(e.ConfigPath); strings.Contains(string(b), "tmk_aaaa") {
		t.Errorf("confirmed but kept: %s", b)
	}
}

// A profile named by --profile or TAGMANGO_PROFILE that the config lacks is a typo
// (exit 2), unless the key comes from the flag or the environment too.
func TestUnknownProfile(t *testing.T) {
	e := cmdtest.New(t)
	srv := cmdtest.NewAPIServer(t)
	e.WriteConfig("current-profile: default\nprofiles:\n  default:\n    api-key: " + cmdtest.TestAPIKey + "\n    base-url: " + srv.URL + "\n  staging:\n    api-key: tmk_bbbbbbbbbbbbbbbb\n    base-url: " + srv.URL + "\n")
	const msg = "error: no profile named nope; profiles: default, staging\n"
	register := []string{"register", "--url", "https://example.com/h", "--event", "course.completed.50"}
	for _, args := range [][]string{
		{"--profile", "nope", "list"},
		append([]string{"--profile", "nope"}, register...),
		{"--profile", "nope", "delete", "--url", "https://example.com/h"},
		{"--profile", "nope", "profile", "show"},
		{"profile", "show", "nope"},
		{"--profile", "nope", "listen", "--port", "0", "--timeout", "1ms", "--register", "--public-url", "https://t.example.com", "--event", "course.completed.50"},
	} {
		res := e.Run(args...)
		if res.Code != 2 || res.Stderr != msg || res.Stdout != "" {
			t.Errorf("%v: exit %d stdout %q stderr %q", args, res.Code, res.Stdout, res.Stderr)
		}
	}
	t.Setenv("TAGMANGO_PROFILE", "nope")
	if res := e.Run("list"); res.Code != 2 || res.Stderr != msg {
		t.Errorf("TAGMANGO_PROFILE=nope list: exit %d %q", res.Code, res.Stderr)
	}
	// Commands that read no profile do not care.
	for _, args := range [][]string{
		{"events"},
		{"events", "show", "user.deleted"},
		{"listen", "--port", "0", "--timeout", "1ms"},
		{"profile", "list"},
		{"list", "--all-profiles"},
	} {
		if res := e.Run(args...); res.Code != 0 {
			t.Errorf("TAGMANGO_PROFILE=nope %v: exit %d %s", args, res.Code, res.Stderr)
		}
	}
	if len(srv.Calls()) != 0 {
		t.Errorf("%d API calls", len(srv.Calls()))
	}

	// With the key from the environment or the flag, any profile name is fine.
	t.Setenv("TAGMANGO_API_KEY", cmdtest.TestAPIKey)
	t.Setenv("TAGMANGO_BASE_URL", srv.URL)
	if res := e.Run(register...); res.Code != 0 {
		t.Errorf("env key: exit %d %s", res.Code, res.Stderr)
	}
	t.Setenv("TAGMANGO_API_KEY", "")
	if res := e.Run(append([]string{"--api-key", cmdtest.TestAPIKey}, "list")...); res.Code != 0 {
		t.Errorf("flag key: exit %d %s", res.Code, res.Stderr)
	}
	// ... but `profile show NAME` asks about the config file's profile NAME.
	t.Setenv("TAGMANGO_API_KEY", cmdtest.TestAPIKey)
	if res := e.Run("profile", "show", "nope"); res.Code != 2 || res.Stderr != msg {
		t.Errorf("profile show nope with an env key: exit %d %q", res.Code, res.Stderr)
	}
	// The current profile and the default need no entry: that is the no-key case (4).
	t.Setenv("TAGMANGO_API_KEY", "")
	t.Setenv("TAGMANGO_PROFILE", "")
	e.WriteConfig("")
	if res := e.Run(register...); res.Code != 4 {
		t.Errorf("no config: exit %d %s", res.Code, res.Stderr)
	}
	if res := e.Run("--profile", "ci", "list"); res.Code != 2 || !strings.Contains(res.Stderr, "no profile named ci: there are no profiles yet; add one with `tagmango-hooks profile add ci`") {
		t.Errorf("no profiles: exit %d %s", res.Code, res.Stderr)
	}
}

// The mask shows the last 4 characters of a key of 16 or more, else only its length,
// and never a prefix the key does not have.
func TestKeyMask(t *testing.T) {
	e := cmdtest.New(t)
	e.WriteConfig("current-profile: a\nprofiles:\n  a:\n    api-key: short_key_12\n  b:\n    api-key: staging_key_9999\n")
	e.Secrets = append(e.Secrets, "short_key_12", "staging_key_9999")
	res := e.Run("profile", "list", "-o", "json")
	var entries []map[string]any
	if err := json.Unmarshal([]byte(res.Stdout), &entries); err != nil {
		t.Fatalf("%v: %s", err, res.Stdout)
	}
	if len(entries) != 2 || entries[0]["apiKey"] != "set (12 characters)" || entries[1]["apiKey"] != "…9999" {
		t.Errorf("entries %v", entries)
	}
	res = e.RunWith(cmdtest.Options{StdoutTTY: true}, "profile", "show")
	if !strings.Contains(res.Stdout, "set (12 characters)") || strings.Contains(res.Stdout, "tm_") {
		t.Errorf("show: %s", res.Stdout)
	}
	res = e.RunWith(cmdtest.Options{Stdin: "staging_key_0000\n"}, "profile", "add", "c")
	if !strings.Contains(res.Stderr, "(key …0000)") {
		t.Errorf("add: %s", res.Stderr)
	}
}

// The success lines of add, use and remove carry the same ✓ as other commands: green
// on a coloured terminal, plain otherwise.
func TestProfileSuccessLinesUseTheSuccessIcon(t *testing.T) {
	const green = "\x1b[32m✓\x1b[0m "
	for _, colour := range []bool{true, false} {
		e := cmdtest.New(t)
		opts := cmdtest.Options{StderrTTY: true, Color: colour, Stdin: cmdtest.TestAPIKey + "\n"}
		want := "✓ "
		if colour {
			want = green
		}
		for _, tc := range []struct {
			args  []string
			lines []string
		}{
			{[]string{"profile", "add", "a"}, []string{"Saved profile a", "a is now the current profile\n"}},
			{[]string{"profile", "add", "a"}, []string{"Updated profile a"}},
			{[]string{"profile", "add", "b", "--use"}, []string{"Saved profile b", "b is now the current profile\n"}},
			{[]string{"profile", "use", "a"}, []string{"a is now the current profile\n"}},
			{[]string{"profile", "remove", "b", "--yes"}, []string{"Removed profile b\n"}},
		} {
			res := e.RunWith(opts, tc.args...)
			if res.Code != 0 {
				t.Errorf("colour %v, %v: exit %d: %s", colour, tc.args, res.Code, res.Stderr)
			}
			for _, line := range tc.lines {
				if !strings.Contains(res.Stderr, want+line) {
					t.Errorf("colour %v, %v: stderr %q lacks %q", colour, tc.args, res.Stderr, want+line)
				}
			}
			if !colour && strings.Contains(res.Stderr, "\x1b") {
				t.Errorf("%v: colour off a coloured terminal: %q", tc.args, res.Stderr)
			}
		}
	}
}
