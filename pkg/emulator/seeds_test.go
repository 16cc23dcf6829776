package emulator_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/emulator"
)

// The register and delete snippets of TagMango's pages (testdata/seeds, copied from
// the shared seeds) must work against the emulator with only the host changed, and
// the placeholders filled in.

const tagmangoHost = "https://api-prod-new.tagmango.com"

var placeholderFilter = regexp.MustCompile(`"<(\w+) to be associated> \(optional[^)"]*\)"`)

// snippet is one request example of a seed page.
type snippet struct {
	seed, lang, text string
}

// snippets cuts the curl, JavaScript and Python examples out of the seed pages.
func snippets(t *testing.T) []snippet {
	t.Helper()
	files, err := filepath.Glob("testdata/seeds/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no seeds: %v", err)
	}
	var out []snippet
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(data), "\n")
		for i := 0; i < len(lines); i++ {
			var lang string
			var end func(string) bool
			switch {
			case strings.HasPrefix(lines[i], "curl -X "):
				lang, end = "curl", func(l string) bool { return strings.HasSuffix(l, "}'") }
			case strings.HasPrefix(lines[i], "fetch("):
				lang, end = "js", func(l string) bool { return strings.HasPrefix(l, ".then(data") }
			case lines[i] == "import requests":
				lang, end = "python", func(l string) bool { return strings.HasPrefix(l, "print(") }
			default:
				continue
			}
			j := i
			for j < len(lines) && !end(lines[j]) {
				j++
			}
			if j == len(lines) {
				t.Fatalf("%s: unterminated %s snippet at line %d", f, lang, i+1)
			}
			out = append(out, snippet{seed: filepath.Base(f), lang: lang, text: strings.Join(lines[i:j+1], "\n")})
			i = j
		}
	}
	return out
}

// fill changes the host and fills the placeholders.
func fill(s, base, hookURL, event string) string {
	s = strings.ReplaceAll(s, tagmangoHost, base)
	s = strings.ReplaceAll(s, "<Your API Key>", testKey)
	s = strings.ReplaceAll(s, "<your webhook url>", hookURL)
	s = strings.ReplaceAll(s, "<webhook_event_type>", event)
	return placeholderFilter.ReplaceAllStringFunc(s, func(m string) string {
		switch placeholderFilter.FindStringSubmatch(m)[1] {
		case "course":
			return `"` + courseA + `"`
		case "webinar":
			return `"` + webinarW + `"`
		}
		return `"65a1b2c3d4e5f6a7b8c9d0ff"`
	})
}

func runSnippet(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
	return string(out)
}

func TestSeedSnippetsWorkAgainstTheEmulator(t *testing.T) {
	all := snippets(t)
	tools := map[string][]string{
		"curl":   {"curl", "--version"},
		"js":     {"node", "-e", "if (typeof fetch !== 'function') process.exit(1)"},
		"python": {"python3", "-c", "import requests"},
	}
	for lang, probe := range tools {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			if lang != "curl" && testing.Short() {
				t.Skipf("%s snippets not run with -short: each starts an interpreter", lang)
			}
			if err := exec.Command(probe[0], probe[1:]...).Run(); err != nil {
				t.Skipf("%s snippets not run: %s is not available (%v)", lang, strings.Join(probe, " "), err)
			}
			ran := 0
			for _, sn := range all {
				if sn.lang != lang {
					continue
				}
				e := newEmu(t, emulator.Config{APIKey: testKey})
				recv := newReceiver(t, nil)
				hook := recv.URL + "/hooks/" + sn.seed
				event := "course.completed.50" // for the overview page's <webhook_event_type>
				text := fill(sn.text, e.URL, hook, event)
				if strings.Contains(text, "<") && lang == "curl" {
					t.Fatalf("%s: a placeholder is left:\n%s", sn.seed, text)
				}
				isDelete := strings.Contains(text, "DELETE") || strings.Contains(text, "requests.delete")
				if isDelete {
					e.register(t, `{"hookUrl":"`+hook+`","event":"user.deleted"}`)
				}
				var out string
				switch lang {
				case "curl":
					out = runSnippet(t, "bash", "-c", text+" --silent --show-error")
				case "js":
					out = runSnippet(t, "node", "-e", text)
				case "python":
					out = runSnippet(t, "python3", "-c", text)
				}
				ran++
				if !strings.Contains(strings.ReplaceAll(out, " ", ""), "success") {
					t.Errorf("%s %s: no envelope in the output:\n%s", sn.seed, lang, out)
				}
				regs := e.Registrations()
				if isDelete {
					if len(regs) != 0 {
						t.Errorf("%s %s delete: left %+v\n%s", sn.seed, lang, regs, out)
					}
					continue
				}
				if len(regs) != 1 || regs[0].HookURL != hook {
					t.Fatalf("%s %s register: registrations %+v\noutput: %s", sn.seed, lang, regs, out)
				}
				// What the snippet registered receives the event it names.
				reg := regs[0]
				req := `{"event":"` + reg.Event + `"`
				if f := reg.Filter("course"); f != "" && strings.HasPrefix(reg.Event, "course.") {
					req += `,"course":"` + f + `"`
				}
				if f := reg.Filter("webinar"); f != "" && strings.HasPrefix(reg.Event, "webinar.") {
					req += `,"webinar":"` + f + `"`
				}
				if rep := e.fire(t, req+`}`); rep.Matched != 1 || recv.count("") != rep.Sent || rep.Sent == 0 {
					t.Errorf("%s %s: fire %s: %+v, %d received", sn.seed, lang, req, rep, recv.count(""))
				}
			}
			if ran == 0 {
				t.Fatalf("no %s snippet found in the seeds", lang)
			}
			t.Logf("%d %s snippets ran", ran, lang)
		})
	}
}
