// Package tunnel runs a tunnel program (cloudflared's quick tunnel, ngrok) for
// `listen --tunnel`: it starts the program in a process group of its own, reads its
// public URL, waits until it is ready, watches it die, and stops it. It also proves
// that a public URL reaches listen (Probe).
package tunnel

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/fsutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/safetext"
)

// The tunnel programs listen can run.
const (
	Cloudflared = "cloudflared"
	Ngrok       = "ngrok"
)

// Kinds are the values of --tunnel.
var Kinds = []string{Cloudflared, Ngrok}

const (
	// DefaultTimeout bounds the wait for the public URL (and, in listen, for the
	// probe): quick tunnels take seconds to resolve.
	DefaultTimeout = 60 * time.Second
	// DefaultKillAfter is how long a stopped tunnel may take to exit on SIGTERM before
	// it gets SIGKILL.
	DefaultKillAfter = 5 * time.Second
	// maxLine bounds a line read from the tunnel's output; longer ones are cut.
	maxLine = 16 << 10
	// maxLog bounds the tunnel's log file; beyond it, output is read and dropped.
	maxLog = 16 << 20
	// maxAnswer bounds what is read of an answer of the tunnel's local API.
	maxAnswer = 1 << 20
	// pollEvery is how often the tunnel's local API is asked while starting.
	pollEvery = 200 * time.Millisecond
)

// Config says which tunnel to run, to where.
type Config struct {
	// Kind is Cloudflared or Ngrok.
	Kind string
	// Bin is the program to run; "" looks Kind up on PATH.
	Bin string
	// Port is listen's port on 127.0.0.1, where the tunnel forwards.
	Port int
	// LogPath is the file that receives the tunnel's output (and an empty config
	// file for cloudflared beside it).
	LogPath string
	// Timeout bounds Start's wait for a ready public URL; 0 means DefaultTimeout.
	Timeout time.Duration
	// KillAfter is the wait between SIGTERM and SIGKILL in Stop; 0 means
	// DefaultKillAfter.
	KillAfter time.Duration
	// Started, when set, is called once the program runs, before Start waits for its
	// URL: the moment to say so (a missing program is an error, not a start).
	Started func()
}

// Target is the local URL the tunnel forwards to.
func (c Config) Target() string { return "http://127.0.0.1:" + strconv.Itoa(c.Port) }

// Tunnel is a running tunnel program.
type Tunnel struct {
	// PublicURL is https://HOST, without a trailing slash.
	PublicURL string
	cfg       Config
	proc      *os.Process
	done      chan struct{}
	waitErr   error
	out       *output
	stopOnce  sync.Once
}

// Error is a failure to start or keep a tunnel, said plainly, with the log to read.
type Error struct {
	// Msg is the explanation, one or two lines.
	Msg string
	// LogPath names the tunnel's log ("" when nothing was started).
	LogPath string
}

func (e *Error) Error() string {
	if e.LogPath == "" {
		return e.Msg
	}
	return e.Msg + "\n  the tunnel's log: " + e.LogPath
}

// Start runs the tunnel and returns once its public URL is known and ready, or fails
// after cfg.Timeout (or when ctx ends) having stopped it.
func Start(ctx context.Context, cfg Config) (*Tunnel, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.KillAfter <= 0 {
		cfg.KillAfter = DefaultKillAfter
	}
	var p provider
	switch cfg.Kind {
	case Cloudflared:
		p = &cloudflared{}
	case Ngrok:
		p = &ngrok{}
	default:
		return nil, fmt.Errorf("unknown tunnel %q: use %s", cfg.Kind, strings.Join(Kinds, " or "))
	}
	bin, err := lookBin(cfg)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(cfg.LogPath), fsutil.PrivateDir); err != nil {
		return nil, fmt.Errorf("the tunnel's log: %w", err)
	}
	logFile, err := os.OpenFile(cfg.LogPath, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, fsutil.PrivateFile)
	if err != nil {
		return nil, fmt.Errorf("the tunnel's log: %w", err)
	}
	args, err := p.args(cfg)
	if err != nil {
		logFile.Close()
		return nil, err
	}
	out := &output{log: logFile, parse: p.line}
	t := &Tunnel{cfg: cfg, done: make(chan struct{}), out: out}
	if err := t.spawn(bin, args); err != nil {
		logFile.Close()
		return nil, &Error{Msg: fmt.Sprintf("cannot start %s (%s): %v", cfg.Kind, bin, err), LogPath: cfg.LogPath}
	}
	if cfg.Started != nil {
		cfg.Started()
	}

	wctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	url, err := t.waitReady(wctx, p)
	if err != nil {
		t.Stop()
		return nil, err
	}
	t.PublicURL = url
	return t, nil
}

// lookBin finds the program, or says how to install it.
func lookBin(cfg Config) (string, error) {
	name := cfg.Bin
	if name == "" {
		name = cfg.Kind
	}
	bin, err := exec.LookPath(name)
	if err == nil {
		return bin, nil
	}
	if cfg.Bin != "" {
		return "", &Error{Msg: fmt.Sprintf("--tunnel-bin %s: %v", cfg.Bin, unwrapExec(err))}
	}
	return "", &Error{Msg: fmt.Sprintf("%s is not installed (not found on PATH): %s\n  or give its path with --tunnel-bin", cfg.Kind, InstallHint(cfg.Kind, runtime.GOOS))}
}

func unwrapExec(err error) error {
	var ee *exec.Error
	if errors.As(err, &ee) {
		return ee.Err
	}
	return err
}

// InstallHint says how to install the tunnel program on goos.
func InstallHint(kind, goos string) string {
	switch kind {
	case Cloudflared:
		switch goos {
		case "darwin":
			return "install it with `brew install cloudflared`"
		case "windows":
			return "install it with `winget install --id Cloudflare.cloudflared`, or download it from https://developers.cloudflare.com/cloudflare-one/connections/connect-networks/downloads/"
		case "linux":
			return "install the Debian or RPM package from https://pkg.cloudflare.com/ (apt install cloudflared / dnf install cloudflared), or download it from https://developers.cloudflare.com/cloudflare-one/connections/connect-networks/downloads/"
		}
		return "download it from https://developers.cloudflare.com/cloudflare-one/connections/connect-networks/downloads/"
	case Ngrok:
		switch goos {
		case "darwin":
			return "install it with `brew install ngrok`, then `ngrok config add-authtoken <TOKEN>`"
		case "windows":
			return "install it with `winget install ngrok -s msstore` or download it from https://ngrok.com/download, then `ngrok config add-authtoken <TOKEN>`"
		case "linux":
			return "install the Debian package from https://ngrok.com/download (apt install ngrok) or `snap install ngrok`, then `ngrok config add-authtoken <TOKEN>`"
		}
		return "download it from https://ngrok.com/download, then `ngrok config add-authtoken <TOKEN>`"
	}
	return ""
}

// spawn starts the program with its output in pipes that readers drain into the log.
// The process is started, waited for and — on Linux — tied to the life of this
// process from one locked OS thread: the parent-death signal follows the thread that
// started the child, not the process.
func (t *Tunnel) spawn(bin string, args []string) error {
	stdoutR, stdoutW, err := os.Pipe()
	if err != nil {
		return err
	}
	stderrR, stderrW, err := os.Pipe()
	if err != nil {
		stdoutR.Close()
		stdoutW.Close()
		return err
	}
	// Not bound to a context: Stop ends it, in order, after the subscriptions.
	cmd := exec.CommandContext(context.Background(), bin, args...)
	cmd.Stdout, cmd.Stderr = stdoutW, stderrW
	cmd.SysProcAttr = sysProcAttr()
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// Never unlocked: the thread ends with this goroutine, after the child.
		err := cmd.Start()
		stdoutW.Close()
		stderrW.Close()
		started <- err
		if err != nil {
			return
		}
		t.waitErr = cmd.Wait()
		close(t.done)
	}()
	if err := <-started; err != nil {
		stdoutR.Close()
		stderrR.Close()
		return err
	}
	t.proc = cmd.Process
	t.out.drain(stdoutR, "stdout")
	t.out.drain(stderrR, "stderr")
	return nil
}

// waitReady polls the provider until it has a ready public URL, the process exits,
// its output says it failed, or ctx ends.
func (t *Tunnel) waitReady(ctx context.Context, p provider) (string, error) {
	client := localClient()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		if msg := t.out.failure(); msg != "" {
			return "", &Error{Msg: msg, LogPath: t.cfg.LogPath}
		}
		url, err := p.poll(ctx, client, t.cfg)
		if err != nil {
			return "", &Error{Msg: err.Error(), LogPath: t.cfg.LogPath}
		}
		if url != "" {
			return url, nil
		}
		select {
		case <-t.done:
			t.out.wait()
			if msg := t.out.failure(); msg != "" {
				return "", &Error{Msg: msg, LogPath: t.cfg.LogPath}
			}
			return "", &Error{Msg: fmt.Sprintf("%s exited before its tunnel was ready (%v)%s", t.cfg.Kind, t.waitErr, t.out.lastError()), LogPath: t.cfg.LogPath}
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return "", &Error{Msg: fmt.Sprintf("%s gave no ready public URL within %s (--tunnel-timeout)%s", t.cfg.Kind, t.cfg.Timeout, t.out.lastError()), LogPath: t.cfg.LogPath}
			}
			return "", ctx.Err()
		case <-tick.C:
		}
	}
}

// Done is closed when the tunnel program has exited.
func (t *Tunnel) Done() <-chan struct{} { return t.done }

// LogPath is the file with the tunnel's output.
func (t *Tunnel) LogPath() string { return t.cfg.LogPath }

// Kind is Cloudflared or Ngrok.
func (t *Tunnel) Kind() string { return t.cfg.Kind }

// Target is the local URL the tunnel forwards to.
func (t *Tunnel) Target() string { return t.cfg.Target() }

// ExitError explains, once Done is closed, why the tunnel stopped.
func (t *Tunnel) ExitError() error {
	t.out.wait()
	return &Error{Msg: fmt.Sprintf("the %s tunnel stopped (%v)%s", t.cfg.Kind, t.waitErr, t.out.lastError()), LogPath: t.cfg.LogPath}
}

// Stop ends the tunnel: SIGTERM to its process group, SIGKILL after KillAfter. It
// returns once the process has exited and its output is in the log.
func (t *Tunnel) Stop() {
	t.stopOnce.Do(func() {
		select {
		case <-t.done:
		default:
			_ = terminate(t.proc)
			timer := time.NewTimer(t.cfg.KillAfter)
			select {
			case <-t.done:
			case <-timer.C:
				_ = kill(t.proc)
				<-t.done
			}
			timer.Stop()
		}
		t.out.wait()
		_ = t.out.log.Close()
	})
}

// localClient asks the tunnel's own API on loopback: never through a proxy.
func localClient() *http.Client {
	return &http.Client{
		Timeout:   2 * time.Second,
		Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
	}
}

// getJSON GETs a loopback URL, reading at most maxAnswer bytes. It returns the status
// and body; a connection error is not an error (the tunnel is still starting).
func getJSON(ctx context.Context, c *http.Client, url string) (int, []byte) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	return resp.StatusCode, b
}

// freePort returns a loopback port nobody listens on now.
func freePort() (int, error) {
	l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// provider is what differs between tunnel programs.
type provider interface {
	// args are the program's arguments.
	args(cfg Config) ([]string, error)
	// line looks at one line of output (under the output's lock); it returns a
	// failure to report at once, or "".
	line(stream, text string) string
	// poll asks the program's local API: the public URL once ready, "" not yet.
	poll(ctx context.Context, c *http.Client, cfg Config) (string, error)
}

// output drains the program's stdout and stderr line by line into the log (bounded)
// and through the provider's parser.
type output struct {
	log   *os.File
	parse func(stream, text string) string

	mu      sync.Mutex
	written int
	fail    string
	lastErr string
	readers sync.WaitGroup
}

func (o *output) drain(r *os.File, stream string) {
	o.readers.Add(1)
	go func() {
		defer o.readers.Done()
		defer r.Close()
		br := bufio.NewReaderSize(r, 4096)
		for {
			line, err := readLine(br)
			if line != "" || err == nil {
				o.take(stream, line)
			}
			if err != nil {
				return
			}
		}
	}()
}

// readLine reads one line of at most maxLine bytes; the rest of a longer line is
// dropped.
func readLine(br *bufio.Reader) (string, error) {
	var b []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(b) < maxLine {
			b = append(b, chunk[:min(len(chunk), maxLine-len(b))]...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return strings.TrimRight(string(b), "\r\n"), err
	}
}

func (o *output) take(stream, line string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.written < maxLog {
		n, _ := fmt.Fprintf(o.log, "%s %s\n", stream, line)
		o.written += n
		if o.written >= maxLog {
			_, _ = io.WriteString(o.log, "[the log is full: the rest of the tunnel's output is dropped]\n")
		}
	}
	if isErrorLine(line) {
		o.lastErr = line
	}
	if msg := o.parse(stream, line); msg != "" && o.fail == "" {
		o.fail = msg
	}
}

// isErrorLine reports lines worth quoting when the tunnel fails.
func isErrorLine(l string) bool {
	return strings.Contains(l, " ERR ") || strings.Contains(l, " ERROR ") || strings.HasPrefix(l, "ERROR:") ||
		strings.HasPrefix(l, "failed") || strings.Contains(l, `"lvl":"eror"`) || strings.Contains(l, `"lvl":"crit"`)
}

// failure is what the output said that ends the start at once.
func (o *output) failure() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.fail
}

// lastError quotes the last error line, terminal-safe, for a message.
func (o *output) lastError() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.lastErr == "" {
		return ""
	}
	l := o.lastErr
	if len(l) > 300 {
		l = l[:300] + "…"
	}
	return ": " + safetext.Escape(l)
}

// wait returns once both streams are drained, or after a second: a child the
// program left behind may hold them open.
func (o *output) wait() {
	drained := make(chan struct{})
	go func() {
		o.readers.Wait()
		close(drained)
	}()
	timer := time.NewTimer(time.Second)
	defer timer.Stop()
	select {
	case <-drained:
	case <-timer.C:
	}
}
