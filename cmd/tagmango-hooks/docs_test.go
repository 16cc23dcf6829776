package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
)

// The docs run as shown. TestDocsRun takes every fenced shell block of README.md and
// docs/*.md and runs it with bash against a real `emulator serve`, so an example that
// stops working fails CI instead of a reader.
//
// Which blocks: ```sh and ```bash blocks are run. Shell examples must use one of those
// two; a block tagged console, shell, shell-session or zsh, or an untagged block that
// mentions tagmango-hooks, fails the test (it would otherwise never be checked). Other
// languages (json, go, ts, python, js) are not run, nor is YAML, except a GitHub
// Actions example marked as a workflow (below); a YAML block with `run:` steps must
// say which it is.
//
// How: each file runs in order, in a fresh HOME (XDG_CONFIG_HOME, XDG_STATE_HOME
// beneath it) and working directory, with TAGMANGO_BASE_URL and TAGMANGO_API_KEY
// pointing at an emulator of its own, `tagmango-hooks` on PATH as the built binary,
// and `bash -e -o pipefail`: every command of a block must succeed, and the block must
// exit 0. "Your handler" of the examples (port 3000) is a test server that answers 200.
// The documented default ports (listen's 4242, the emulator's 4280, the handler's
// 3000) are moved to free ones, so the test runs beside a listen of your own: a
// literal `:PORT` or `--port PORT` in a block is rewritten, and the `tagmango-hooks` on
// PATH (a small wrapper) adds `--port` to a `listen` or `emulator serve` that names
// none, and `--emulator` to an `emulator fire` that names none.
//
// An HTML comment on the line before a block's fence (blank lines between are allowed)
// says how to run it:
//
//	<!-- docs-test: skip REASON -->  not run; say why (needs a TagMango key, a tunnel, the internet)
//	<!-- docs-test: exit N -->       the block must exit N
//	<!-- docs-test: background -->   a server ("terminal 1"): started, waited for until it prints
//	                                 a line starting "Ready:" on stderr, kept running while the
//	                                 next runnable block runs ("terminal 2"), then stopped with
//	                                 SIGINT (Ctrl-C) to its tagmango-hooks processes: it must
//	                                 exit 0. Consecutive background blocks all stay up.
//	<!-- docs-test: servers -->      each command of the block is a server, run alone: started,
//	                                 waited for until "Ready:", stopped with SIGINT, must exit 0
//	<!-- docs-test: workflow -->     (on ```yaml) a GitHub Actions job, a whole workflow or a list
//	                                 of steps: each `run:` step runs as GitHub runs it (bash -e, the
//	                                 job's and the step's env), in order, in one working directory,
//	                                 and what a step starts in the background stays up for the next
//	                                 ones. `uses:` steps and `go install` steps are left out: the
//	                                 built binary is already on PATH.
//
// Every block has a time limit, and every process a block started is gone before the
// next block runs.

// docsFiles are the documents whose shell blocks must run.
func docsFiles(t *testing.T) []string {
	t.Helper()
	files := []string{"../../README.md"}
	guides, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	return append(files, guides...)
}

// docBlock is one fenced block of a document.
type docBlock struct {
	line   int // of the opening fence, 1-based
	lang   string
	text   string
	mode   string // "run", "skip", "background", "servers" or "workflow"
	reason string // for skip
	exit   int    // expected exit code in mode "run"
}

var (
	docFence   = regexp.MustCompile("^(\\s*)(```+|~~~+)\\s*([^\\s`]*)")
	docMarker  = regexp.MustCompile(`^\s*<!--\s*docs-test:\s*(.*?)\s*-->\s*$`)
	docRunStep = regexp.MustCompile(`(?m)^\s*(-\s+)?run:`)
	docPort    = regexp.MustCompile(`(:|--port[ =])(4242|4280|3000)\b`)
)

// parseDocBlocks returns the fenced blocks of a Markdown document with their markers,
// or the problems found: a marker that is not understood, a marker on a block that is
// not run, a shell example in a block the test would not run.
func parseDocBlocks(doc string) ([]docBlock, []string) {
	var blocks []docBlock
	var problems []string
	lines := strings.Split(doc, "\n")
	lastText := -1 // index of the last non-blank line outside a block
	for i := 0; i < len(lines); i++ {
		m := docFence.FindStringSubmatch(lines[i])
		if m == nil {
			if strings.TrimSpace(lines[i]) != "" {
				lastText = i
			}
			continue
		}
		indent, fence, lang := m[1], m[2], strings.ToLower(m[3])
		b := docBlock{line: i + 1, lang: lang, mode: "run"}
		var body []string
		j := i + 1
		for ; j < len(lines); j++ {
			l := lines[j]
			if strings.HasPrefix(strings.TrimLeft(l, " \t"), fence) && strings.TrimSpace(strings.Trim(strings.TrimSpace(l), string(fence[0]))) == "" {
				break
			}
			body = append(body, strings.TrimPrefix(l, indent))
		}
		b.text = strings.Join(body, "\n") + "\n"
		var marker string
		if lastText >= 0 {
			if mm := docMarker.FindStringSubmatch(lines[lastText]); mm != nil {
				marker = mm[1]
			}
		}
		shell, yml := lang == "sh" || lang == "bash", lang == "yaml" || lang == "yml"
		runnable := shell || yml && marker != ""
		switch {
		case shell:
		case yml:
			if marker == "" && docRunStep.MatchString(b.text) {
				problems = append(problems, fmt.Sprintf("line %d: a workflow example is never run: mark it <!-- docs-test: workflow --> or <!-- docs-test: skip REASON -->", b.line))
			}
		case lang == "console" || lang == "shell" || lang == "shell-session" || lang == "zsh" ||
			(lang == "" && strings.Contains(b.text, "tagmango-hooks")):
			problems = append(problems, fmt.Sprintf("line %d: a shell example in a ```%s block is never run: tag it ```sh", b.line, lang))
		}
		if marker != "" {
			if !runnable {
				problems = append(problems, fmt.Sprintf("line %d: a docs-test marker on a ```%s block, which is not run", b.line, lang))
			}
			word, rest, _ := strings.Cut(marker, " ")
			rest = strings.TrimSpace(rest)
			if yml && word != "skip" && word != "workflow" {
				problems = append(problems, fmt.Sprintf("line %d: a ```%s block takes docs-test workflow or skip, not %q", b.line, lang, marker))
			}
			switch word {
			case "skip":
				b.mode, b.reason = "skip", rest
				if rest == "" {
					problems = append(problems, fmt.Sprintf("line %d: say why the block is skipped: <!-- docs-test: skip (needs a TagMango key) -->", b.line))
				}
			case "exit":
				n, err := strconv.Atoi(rest)
				if err != nil {
					problems = append(problems, fmt.Sprintf("line %d: docs-test exit needs a number, not %q", b.line, rest))
				}
				b.exit = n
			case "workflow":
				b.mode = word
				if !yml {
					problems = append(problems, fmt.Sprintf("line %d: docs-test workflow is for ```yaml blocks", b.line))
				}
			case "background", "servers":
				b.mode = word
				if rest != "" {
					problems = append(problems, fmt.Sprintf("line %d: docs-test %s takes nothing after it, not %q", b.line, word, rest))
				}
			default:
				problems = append(problems, fmt.Sprintf("line %d: unknown docs-test marker %q (skip REASON, exit N, background, servers, workflow)", b.line, marker))
			}
		}
		if runnable {
			blocks = append(blocks, b)
		}
		i, lastText = j, -1
	}
	return blocks, problems
}

// commands splits a block into its commands: one per line, a line ending in a
// backslash continuing on the next; blank lines and comment lines are not commands.
func commands(text string) []string {
	var cmds []string
	var cur strings.Builder
	for _, l := range strings.Split(text, "\n") {
		if cur.Len() == 0 && (strings.TrimSpace(l) == "" || strings.HasPrefix(strings.TrimSpace(l), "#")) {
			continue
		}
		cur.WriteString(l + "\n")
		if !strings.HasSuffix(l, "\\") {
			cmds = append(cmds, cur.String())
			cur.Reset()
		}
	}
	if cur.Len() > 0 {
		cmds = append(cmds, cur.String())
	}
	return cmds
}

func TestDocsBlocksParse(t *testing.T) {
	doc := "intro\n\n```sh\necho one\n```\n\n<!-- docs-test: skip (needs a TagMango key) -->\n\n" +
		"```bash\necho two\n```\n<!-- docs-test: exit 3 -->\n```sh\nfalse\n```\n" +
		"- a list item:\n  <!-- docs-test: background -->\n  ```sh\n  tagmango-hooks listen\n  ```\n" +
		"<!-- docs-test: workflow -->\n```yaml\nsteps:\n  - run: tagmango-hooks list\n```\n" +
		"```yaml\nkey: value\n```\n```json\n{}\n```\n"
	blocks, problems := parseDocBlocks(doc)
	if len(problems) != 0 {
		t.Fatalf("problems: %q", problems)
	}
	want := []docBlock{
		{line: 3, lang: "sh", text: "echo one\n", mode: "run"},
		{line: 9, lang: "bash", text: "echo two\n", mode: "skip", reason: "(needs a TagMango key)"},
		{line: 13, lang: "sh", text: "false\n", mode: "run", exit: 3},
		{line: 18, lang: "sh", text: "tagmango-hooks listen\n", mode: "background"},
		{line: 22, lang: "yaml", text: "steps:\n  - run: tagmango-hooks list\n", mode: "workflow"},
	}
	if fmt.Sprint(blocks) != fmt.Sprint(want) {
		t.Errorf("blocks\n got %+v\nwant %+v", blocks, want)
	}

	for _, bad := range []string{
		"```console\n$ tagmango-hooks list\n```\n",
		"```\ntagmango-hooks list\n```\n",
		"<!-- docs-test: skip -->\n```sh\nx\n```\n",
		"<!-- docs-test: skpi (typo) -->\n```sh\nx\n```\n",
		"<!-- docs-test: exit three -->\n```sh\nx\n```\n",
		"<!-- docs-test: background -->\n```yaml\nx\n```\n",
		"<!-- docs-test: workflow -->\n```sh\nx\n```\n",
		"```yaml\n- name: a step\n  run: tagmango-hooks list\n```\n",
	} {
		if _, problems := parseDocBlocks(bad); len(problems) != 1 {
			t.Errorf("%q: problems %q, want one", bad, problems)
		}
	}

	got := commands("# a comment\ntagmango-hooks listen   # note\n\ntagmango-hooks listen \\\n  --json\n")
	if want := []string{"tagmango-hooks listen   # note\n", "tagmango-hooks listen \\\n  --json\n"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("commands %q, want %q", got, want)
	}
}

func TestDocsWorkflowScript(t *testing.T) {
	job := `
    env:
      A: "1"
    steps:
      - uses: actions/checkout@v4
      - run: go install ./cmd/tagmango-hooks
      - name: Two lines
        env: { B: "it's" }
        run: |
          echo "$A $B"
          false
`
	script, left, err := workflowScript(job)
	if err != nil {
		t.Fatal(err)
	}
	want := "env 'A=1' 'B=it'\\''s' bash --noprofile --norc -e -c 'echo \"$A $B\"\nfalse\n' || exit $?\n"
	if script != want {
		t.Errorf("script\n%s\nwant\n%s", script, want)
	}
	if fmt.Sprint(left) != "[actions/checkout@v4 go install ./cmd/tagmango-hooks]" {
		t.Errorf("left out %q", left)
	}
	out, err := exec.Command("bash", "-c", script).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || string(out) != "1 it's\n" {
		t.Errorf("ran: %v %q, want exit 1 after \"1 it's\"", err, out)
	}

	steps := "- run: tagmango-hooks list\n"
	if script, _, err := workflowScript(steps); err != nil || !strings.Contains(script, "tagmango-hooks list") {
		t.Errorf("a list of steps: %q %v", script, err)
	}
	wf := "jobs:\n  a:\n    steps:\n      - run: echo ${{ secrets.KEY }}\n"
	if _, _, err := workflowScript(wf); err == nil || !strings.Contains(err.Error(), "${{") {
		t.Errorf("an expression: %v", err)
	}
}

func TestDocsRun(t *testing.T) {
	// The examples pipe into jq, as readers do; without it they cannot run as shown.
	for _, tool := range [][2]string{{"bash", "bash"}, {"jq", "jq"}, {"timeout", "coreutils"}} {
		if _, err := exec.LookPath(tool[0]); err != nil {
			t.Fatalf("the docs' examples need %s: install it (apt-get install %s)", tool[0], tool[1])
		}
	}
	start := time.Now()
	for _, file := range docsFiles(t) {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			doc, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			blocks, problems := parseDocBlocks(string(doc))
			for _, p := range problems {
				t.Errorf("%s %s", name, p)
			}
			if t.Failed() {
				return
			}
			var h *docsHarness
			var up []*docProc // background blocks running
			for _, b := range blocks {
				where := fmt.Sprintf("%s:%d", name, b.line)
				if b.mode == "skip" {
					t.Logf("%s: skipped %s", where, b.reason)
					continue
				}
				if h == nil {
					h = newDocsHarness(t)
				}
				switch b.mode {
				case "background":
					p := h.start(t, where, b.text)
					if !p.waitReady(t) {
						break
					}
					up = append(up, p)
				case "servers":
					for _, c := range commands(b.text) {
						p := h.start(t, where, c)
						if p.waitReady(t) {
							p.interrupt(t, 0)
						}
					}
				default:
					script := b.text
					if b.mode == "workflow" {
						var left []string
						script, left, err = workflowScript(b.text)
						if err != nil {
							t.Errorf("%s: %v", where, err)
							continue
						}
						t.Logf("%s: left out of the workflow: %s", where, strings.Join(left, "; "))
					}
					p := h.start(t, where, script)
					p.wait(t, b.exit)
					for i := len(up) - 1; i >= 0; i-- {
						up[i].interrupt(t, 0)
					}
					up = nil
				}
			}
			for i := len(up) - 1; i >= 0; i-- {
				up[i].interrupt(t, 0)
			}
		})
	}
	t.Logf("the docs ran in %v", time.Since(start).Round(time.Millisecond))
}

// ghStep and ghJob are what the docs test reads of a GitHub Actions workflow.
type ghStep struct {
	Name string            `yaml:"name"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	Env  map[string]string `yaml:"env"`
}

type ghJob struct {
	Env   map[string]string `yaml:"env"`
	Steps []ghStep          `yaml:"steps"`
}

// workflowScript turns a GitHub Actions example — a workflow, a job or a list of
// steps — into one bash script that runs its run steps in order, each as GitHub runs
// it: `bash -e` with the job's and the step's env. It also returns the steps it
// left out (uses: steps, go install steps).
func workflowScript(doc string) (string, []string, error) {
	var jobs []ghJob
	var wf struct {
		Jobs map[string]ghJob `yaml:"jobs"`
	}
	var job ghJob
	var steps []ghStep
	switch {
	case yaml.Unmarshal([]byte(doc), &wf) == nil && len(wf.Jobs) > 0:
		for _, name := range slices.Sorted(maps.Keys(wf.Jobs)) {
			jobs = append(jobs, wf.Jobs[name])
		}
	case yaml.Unmarshal([]byte(doc), &job) == nil && len(job.Steps) > 0:
		jobs = []ghJob{job}
	case yaml.Unmarshal([]byte(doc), &steps) == nil && len(steps) > 0:
		jobs = []ghJob{{Steps: steps}}
	default:
		return "", nil, errors.New("not a GitHub Actions workflow, job or list of steps")
	}
	quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
	var script strings.Builder
	var left []string
	for _, j := range jobs {
		for _, st := range j.Steps {
			name := st.Name
			if name == "" {
				name = st.Uses + strings.TrimSpace(st.Run)
			}
			if st.Uses != "" || strings.HasPrefix(strings.TrimSpace(st.Run), "go install ") {
				left = append(left, name)
				continue
			}
			if strings.Contains(st.Run, "${{") || strings.Contains(fmt.Sprint(j.Env, st.Env), "${{") {
				return "", nil, fmt.Errorf("step %q uses a ${{ }} expression, which only GitHub evaluates: mark the block skip", name)
			}
			script.WriteString("env")
			for _, env := range []map[string]string{j.Env, st.Env} {
				for _, k := range slices.Sorted(maps.Keys(env)) {
					script.WriteString(" " + quote(k+"="+env[k]))
				}
			}
			fmt.Fprintf(&script, " bash --noprofile --norc -e -c %s || exit $?\n", quote(st.Run))
		}
	}
	return script.String(), left, nil
}

// docsHarness is one document's world: its HOME, working directory, emulator,
// handler, and the ports the documented defaults are moved to.
type docsHarness struct {
	env     []string
	work    string
	pids    string                     // directory of the per-block files the wrapper writes its pid to
	rewrite func(script string) string // moves the documented ports to this harness's
	blocks  int
}

func newDocsHarness(t *testing.T) *docsHarness {
	t.Helper()
	dir := t.TempDir()
	home, work, bin, pids := filepath.Join(dir, "home"), filepath.Join(dir, "work"), filepath.Join(dir, "bin"), filepath.Join(dir, "pids")
	for _, d := range []string{home, work, bin, pids} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	emu := startEmulator(t)
	t.Cleanup(func() { emu.stop(t) })
	handler := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(handler.Close)
	listenPort, emulatorPort := freePort(t), freePort(t)
	handlerPort := handler.Listener.Addr().(*net.TCPAddr).Port

	ports := map[string]int{"4242": listenPort, "4280": emulatorPort, "3000": handlerPort}
	wrapper := fmt.Sprintf(`#!/usr/bin/env bash
# tagmango-hooks for the docs test: the built binary, on free ports instead of the defaults.
[ -n "${DOCS_TEST_PIDS:-}" ] && echo $$ >> "$DOCS_TEST_PIDS"
has() { local a; for a in "${@:2}"; do case "$a" in "$1"|"$1"=*) return 0;; esac; done; return 1; }
case "$1 ${2:-}" in
  "listen "*) has --port "$@" || set -- "$@" --port %d ;;
  "emulator serve") has --port "$@" || set -- "$@" --port %d ;;
  "emulator fire") has --emulator "$@" || [ -n "${TAGMANGO_EMULATOR_URL:-}" ] || set -- "$@" --emulator http://127.0.0.1:%d ;;
esac
exec %q "$@"
`, listenPort, emulatorPort, emulatorPort, binary)
	if err := os.WriteFile(filepath.Join(bin, "tagmango-hooks"), []byte(wrapper), 0o700); err != nil {
		t.Fatal(err)
	}
	return &docsHarness{
		env: []string{
			"HOME=" + home,
			"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
			"XDG_STATE_HOME=" + filepath.Join(home, ".local", "state"),
			"XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
			"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
			"LANG=C.UTF-8",
			"TAGMANGO_BASE_URL=" + emu.URL,
			"TAGMANGO_API_KEY=" + cmdtest.TestAPIKey,
		},
		work: work,
		pids: pids,
		rewrite: func(script string) string {
			return docPort.ReplaceAllStringFunc(script, func(m string) string {
				sub := docPort.FindStringSubmatch(m)
				return sub[1] + strconv.Itoa(ports[sub[2]])
			})
		},
	}
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

const (
	docsBlockLimit = 20 * time.Second // a block's run; the whole test stays far below 60 s
	docsReadyLimit = 10 * time.Second // a server's start
)

// docProc is a running block: bash in a process group of its own.
type docProc struct {
	where, script string
	cmd           *exec.Cmd
	pidFile       string
	exited        chan struct{} // closed when bash has exited
	drained       chan struct{} // closed when every process holding its stdout and stderr has gone
	ready         chan struct{} // closed at the first "Ready:" (or inspect's "Inspector:") line on stderr
	code          int
	out, errOut   lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) write(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(s)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (h *docsHarness) start(t *testing.T, where, script string) *docProc {
	t.Helper()
	h.blocks++
	p := &docProc{
		where:   where,
		script:  h.rewrite(script),
		pidFile: filepath.Join(h.pids, strconv.Itoa(h.blocks)),
		exited:  make(chan struct{}),
		drained: make(chan struct{}),
		ready:   make(chan struct{}),
	}
	p.cmd = exec.Command("bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", p.script)
	p.cmd.Dir = h.work
	p.cmd.Env = append(append([]string(nil), h.env...), "DOCS_TEST_PIDS="+p.pidFile)
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Our own pipes, not cmd's: Wait then returns when bash exits, and the readers
	// reach EOF only once every process of the block has gone.
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stdout, p.cmd.Stderr = outW, errW
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	outW.Close()
	errW.Close()
	var readers sync.WaitGroup
	readers.Add(2)
	go func() {
		defer readers.Done()
		defer outR.Close()
		b := make([]byte, 32<<10)
		for {
			n, err := outR.Read(b)
			p.out.write(string(b[:n]))
			if err != nil {
				return
			}
		}
	}()
	go func() {
		defer readers.Done()
		defer errR.Close()
		sc := bufio.NewScanner(errR)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		readySeen := false
		for sc.Scan() {
			p.errOut.write(sc.Text() + "\n")
			if !readySeen && (strings.HasPrefix(sc.Text(), "Ready:") || strings.HasPrefix(sc.Text(), "Inspector:")) {
				readySeen = true
				close(p.ready)
			}
		}
		_, _ = io.Copy(io.Discard, errR)
	}()
	go func() {
		readers.Wait()
		close(p.drained)
	}()
	go func() {
		err := p.cmd.Wait()
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee) && ee.ExitCode() >= 0:
			p.code = ee.ExitCode()
		case err != nil:
			p.code = -1 // killed by a signal
		}
		close(p.exited)
	}()
	t.Cleanup(func() { p.kill() })
	return p
}

// kill ends whatever the block left running and waits until it has gone.
func (p *docProc) kill() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-p.drained:
	case <-time.After(docsReadyLimit):
	}
	<-p.exited
}

func (p *docProc) report(t *testing.T, format string, args ...any) {
	t.Helper()
	clip := func(s string) string {
		if len(s) > 4000 {
			return s[:2000] + "\n[…]\n" + s[len(s)-2000:]
		}
		return s
	}
	t.Errorf("%s: %s\n--- block:\n%s--- stdout:\n%s--- stderr:\n%s", p.where, fmt.Sprintf(format, args...), p.script, clip(p.out.String()), clip(p.errOut.String()))
}

func (p *docProc) checkOutput(t *testing.T) {
	t.Helper()
	if strings.Contains(p.out.String()+p.errOut.String(), cmdtest.TestAPIKey) {
		p.report(t, "the output shows the API key")
	}
}

// wait waits for the block to end and checks its exit code.
func (p *docProc) wait(t *testing.T, want int) {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(docsBlockLimit):
		p.kill()
		p.report(t, "still running after %v: a server? mark the block background or servers", docsBlockLimit)
		return
	}
	p.kill()
	if p.code != want {
		p.report(t, "exit %d, want %d", p.code, want)
	}
	p.checkOutput(t)
}

// waitReady waits for a server block's Ready line.
func (p *docProc) waitReady(t *testing.T) bool {
	t.Helper()
	select {
	case <-p.ready:
		return true
	case <-p.exited:
		p.kill()
		p.report(t, "ended (exit %d) before it printed a Ready: line", p.code)
	case <-time.After(docsReadyLimit):
		p.kill()
		p.report(t, "no Ready: line within %v", docsReadyLimit)
	}
	return false
}

// interrupt presses Ctrl-C: SIGINT to the block's tagmango-hooks processes (not to
// the rest of a pipeline, which ends when they do), then checks the exit code.
func (p *docProc) interrupt(t *testing.T, want int) {
	t.Helper()
	pids, err := os.ReadFile(p.pidFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range strings.Fields(string(pids)) {
		if pid, err := strconv.Atoi(f); err == nil {
			_ = syscall.Kill(pid, syscall.SIGINT)
		}
	}
	p.wait(t, want)
}
