//go:build linux

package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
)

// fakeTunnels builds the fake cloudflared and ngrok once, beside the binary.
var fakeTunnels = sync.OnceValues(func() (string, error) {
	dir := filepath.Join(filepath.Dir(binary), "fake-tunnels")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	for _, name := range []string{"cloudflared", "ngrok"} {
		out, err := exec.Command("go", "build", "-o", filepath.Join(dir, name), "../../pkg/tunnel/internal/faketunnel").CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("building the fake %s: %w\n%s", name, err, out)
		}
	}
	return dir, nil
})

// testCert writes a self-signed certificate for 127.0.0.1 and returns its files and
// a pool that trusts it.
func testCert(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fake tunnel"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// tunnelRig is a fake tunnel on PATH, its certificate trusted by the binary through
// SSL_CERT_FILE, and the recording API server.
type tunnelRig struct {
	api    *cmdtest.APIServer
	env    []string
	info   string
	client *http.Client
}

func newTunnelRig(t *testing.T, mode string) *tunnelRig {
	t.Helper()
	fakes, err := fakeTunnels()
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, pool := testCert(t)
	r := &tunnelRig{api: cmdtest.NewAPIServer(t), info: filepath.Join(t.TempDir(), "fake-info.json")}
	r.env = baseEnv(t, r.api.URL)
	for i, kv := range r.env {
		if strings.HasPrefix(kv, "PATH=") {
			r.env[i] = "PATH=" + fakes + string(os.PathListSeparator) + os.Getenv("PATH")
		}
	}
	r.env = append(r.env, "SSL_CERT_FILE="+certFile, "FAKE_TUNNEL_CERT="+certFile, "FAKE_TUNNEL_KEY="+keyFile,
		"FAKE_TUNNEL_NOTIFY="+r.api.URL, "FAKE_TUNNEL_INFO="+r.info, "FAKE_TUNNEL_MODE="+mode)
	r.client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	t.Cleanup(r.client.CloseIdleConnections)
	return r
}

// calls are the API server's calls as "METHOD PATH hookUrl".
func (r *tunnelRig) calls() []string {
	var out []string
	for _, c := range r.api.Calls() {
		var b struct {
			HookURL string `json:"hookUrl"`
		}
		_ = json.Unmarshal([]byte(c.Body), &b)
		out = append(out, strings.TrimSpace(c.Method+" "+c.Path+" "+b.HookURL))
	}
	return out
}

// fakeInfo is what the fake wrote about itself.
func (r *tunnelRig) fakeInfo(t *testing.T) (pid int, control string) {
	t.Helper()
	b, err := os.ReadFile(r.info)
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		PID     int    `json:"pid"`
		Control string `json:"control"`
	}
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatal(err)
	}
	return info.PID, info.Control
}

// proc is the binary running in the background, its stderr watched.
type proc struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	stderr strings.Builder
	stdout strings.Builder
	lines  chan struct{}
	exited chan struct{}
	err    error
}

func startBinary(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(binary, args...), lines: make(chan struct{}, 1), exited: make(chan struct{})}
	p.cmd.Env = env
	errR, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, s := range []struct {
		r interface{ Read([]byte) (int, error) }
		b *strings.Builder
	}{{errR, &p.stderr}, {outR, &p.stdout}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := bufio.NewScanner(s.r)
			for sc.Scan() {
				p.mu.Lock()
				s.b.WriteString(sc.Text() + "\n")
				p.mu.Unlock()
				select {
				case p.lines <- struct{}{}:
				default:
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
	})
	return p
}

func (p *proc) output() (stdout, stderr string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stdout.String(), p.stderr.String()
}

// waitFor returns the first submatch of re in stderr (or stdout), failing after 20 s.
func (p *proc) waitFor(t *testing.T, onStdout bool, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		out, errOut := p.output()
		text := errOut
		if onStdout {
			text = out
		}
		if m := re.FindStringSubmatch(text); m != nil {
			return m
		}
		select {
		case <-p.lines:
		case <-p.exited:
			out, errOut = p.output()
			if m := re.FindStringSubmatch(map[bool]string{true: out, false: errOut}[onStdout]); m != nil {
				return m
			}
			t.Fatalf("exited (%v) without %s:\n%s", p.err, re, errOut)
		case <-deadline:
			t.Fatalf("no %s within 20s:\n%s", re, errOut)
		}
	}
}

// wait returns the exit code once the binary has ended.
func (p *proc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		_, errOut := p.output()
		t.Fatalf("did not end:\n%s", errOut)
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
	return 0
}

// gone polls until pid no longer exists (a process must be observed: no event
// says so).
func gone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("process %d is still running", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var readyBlock = regexp.MustCompile(`Ready: listening on (http://127\.0\.0\.1:(\d+)/)\nTunnel: (https://127\.0\.0\.1:\d+) → http://127\.0\.0\.1:(\d+) \((cloudflared|ngrok)\)\n((?:✓ subscribed .*\n)+)`)

const tunnelCoursePayload = `{"name":"Student Name","email":"student@example.com","phone":1234567890,"course":"Example course","courseId":"634fc35ddaf58580e2418c40","lastProgressOn":"2023-11-20T18:30Z"}`

// The whole life through real processes: tunnel up, probe through it, subscribed,
// a delivery through it shown with its event, Ctrl-C: unsubscribed, and only then
// the tunnel's SIGTERM.
func TestListenTunnel(t *testing.T) {
	for _, kind := range []string{"cloudflared", "ngrok"} {
		t.Run(kind, func(t *testing.T) {
			r := newTunnelRig(t, "")
			start := time.Now()
			p := startBinary(t, r.env, "listen", "--port", "0", "--json", "--tunnel", kind, "--event", "course.completed.50", "-e", "user.deleted")
			m := p.waitFor(t, false, readyBlock)
			t.Logf("%s: from start to subscribed: %s", kind, time.Since(start).Round(time.Millisecond))
			public, listenPort := m[3], m[2]
			if m[4] != listenPort || m[5] != kind {
				t.Errorf("Tunnel line: %q", m[0])
			}
			want := []string{
				"POST /api/v1/integration/webhook/webhook " + public + "/course.completed.50",
				"POST /api/v1/integration/webhook/webhook " + public + "/user.deleted",
			}
			if got := r.calls(); !slices.Equal(got, want) {
				t.Fatalf("calls while listening:\n%s", strings.Join(got, "\n"))
			}
			if m[6] != "✓ subscribed course.completed.50 → "+public+"/course.completed.50 (temporary)\n✓ subscribed user.deleted → "+public+"/user.deleted (temporary)\n" {
				t.Errorf("subscription lines %q", m[6])
			}

			resp, err := r.client.Post(public+"/course.completed.50", "application/json", strings.NewReader(tunnelCoursePayload))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("a delivery through the tunnel: %s", resp.Status)
			}
			line := p.waitFor(t, true, regexp.MustCompile(`(?m)^\{.*\}$`))[0]
			var d struct {
				Seq   int    `json:"seq"`
				Event string `json:"event"`
				Path  string `json:"path"`
			}
			if err := json.Unmarshal([]byte(line), &d); err != nil || d.Event != "course.completed.50" || d.Path != "/course.completed.50" || d.Seq != 1 {
				t.Errorf("delivery line %s (%v): the probe is not a delivery, this is", line, err)
			}
			pid, _ := r.fakeInfo(t)

			if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
				t.Fatal(err)
			}
			code := p.wait(t)
			stdout, stderr := p.output()
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			want = append(want,
				"DELETE /api/v1/integration/webhook/webhook "+public+"/course.completed.50",
				"DELETE /api/v1/integration/webhook/webhook "+public+"/user.deleted",
				"GET /fake-tunnel/sigterm")
			if got := r.calls(); !slices.Equal(got, want) {
				t.Errorf("calls (the deletions must come before the tunnel's SIGTERM):\n%s", strings.Join(got, "\n"))
			}
			if n := strings.Count(stdout, "\n"); n != 1 {
				t.Errorf("stdout has %d lines, want the one delivery:\n%s", n, stdout)
			}
			if !strings.Contains(stderr, "✓ deleted 2 temporary subscriptions\n") || strings.Contains(stderr, "probe") {
				t.Errorf("stderr:\n%s", stderr)
			}
			gone(t, pid)
		})
	}
}

func TestListenTunnelFailures(t *testing.T) {
	cases := []struct {
		name, mode string
		args       []string
		noFakes    bool
		want       []string
	}{
		{name: "missing binary", args: []string{"--tunnel", "cloudflared"}, noFakes: true,
			want: []string{"error: cloudflared is not installed (not found on PATH): install the Debian or RPM package from https://pkg.cloudflare.com/", "or give its path with --tunnel-bin"}},
		{name: "missing --tunnel-bin", args: []string{"--tunnel", "ngrok", "--tunnel-bin", "/nonexistent/ngrok"},
			want: []string{"error: --tunnel-bin /nonexistent/ngrok: "}},
		{name: "URL never appears", mode: "no-url", args: []string{"--tunnel", "cloudflared", "--tunnel-timeout", "1s"},
			want: []string{"error: cloudflared gave no ready public URL within 1s (--tunnel-timeout)", "the tunnel's log: "}},
		{name: "ngrok without authtoken", mode: "no-authtoken", args: []string{"--tunnel", "ngrok"},
			want: []string{"error: ngrok needs your account's authtoken (ERR_NGROK_4018): run `ngrok config add-authtoken <TOKEN>` with the token from https://dashboard.ngrok.com/get-started/your-authtoken, then try again\n"}},
		{name: "rate-limited quick tunnel", mode: "rate-limited", args: []string{"--tunnel", "cloudflared"},
			want: []string{"error: Cloudflare is refusing new quick tunnels from this network for now (429 Too Many Requests, error 1015): wait a few minutes and try again"}},
		{name: "probe never arrives", mode: "wrong-port", args: []string{"--tunnel", "cloudflared", "--tunnel-timeout", "2s"},
			want: []string{"error: the tunnel does not reach this listen: no probe sent to https://127.0.0.1:", "arrived within 2s (last attempt: answered 404 Not Found)", "nothing was subscribed"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newTunnelRig(t, tc.mode)
			env := r.env
			if tc.noFakes {
				env = slices.Clone(env)
				for i, kv := range env {
					if strings.HasPrefix(kv, "PATH=") {
						env[i] = "PATH=" + t.TempDir()
					}
				}
			}
			p := startBinary(t, env, append([]string{"listen", "--port", "0", "--event", "course.completed.50"}, tc.args...)...)
			code := p.wait(t)
			_, stderr := p.output()
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			var tagmango []string
			for _, c := range r.calls() {
				if !strings.HasPrefix(c, "GET /fake-tunnel/") {
					tagmango = append(tagmango, c)
				}
			}
			if strings.Contains(stderr, "Ready:") || len(tagmango) != 0 {
				t.Errorf("calls %v; stderr:\n%s", r.calls(), stderr)
			}
			// A program that could not be run was never started: nothing says it was.
			if started := strings.Contains(stderr, "Started "); started == (tc.noFakes || strings.HasPrefix(tc.name, "missing")) {
				t.Errorf("started %v:\n%s", started, stderr)
			}
			if strings.Contains(stderr, "the tunnel's log: ") {
				logPath := regexp.MustCompile(`the tunnel's log: (\S+)`).FindStringSubmatch(stderr)[1]
				if b, err := os.ReadFile(logPath); err != nil || !strings.Contains(string(b), "stderr ") {
					t.Errorf("the log %s: %v %q", logPath, err, b)
				}
			}
		})
	}
}

// A tunnel that is lost while listening — its process dies, or runs on but no longer
// reaches listen (its connection is gone: Cloudflare answers 530, found by the
// re-check probes) — is said at once, with its log; the subscriptions, which point at
// a dead URL, are deleted; exit 1.
func TestListenTunnelLost(t *testing.T) {
	for _, tc := range []struct {
		name string
		// control is the fake tunnel's control endpoint that loses it.
		control string
		args    []string
		stderr  []string
		// stopped: the process was still running, so listen stopped it (the fake
		// reports its SIGTERM as a call).
		stopped bool
	}{
		{
			name: "dies", control: "/fake/die",
			stderr: []string{
				"error: the cloudflared tunnel stopped (exit status 1): ",
				"no more connections active and exiting\n  the tunnel's log: ",
			},
		},
		{
			name: "stops reaching", control: "/fake/stall", args: []string{"--tunnel-check", "200ms"},
			stderr: []string{
				"error: the cloudflared tunnel no longer reaches this listen: two probes in a row did not arrive (",
				"answered 530",
				"\n  the tunnel's log: ",
			},
			stopped: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newTunnelRig(t, "")
			args := append([]string{"listen", "--port", "0", "--tunnel", "cloudflared", "--event", "user.deleted"}, tc.args...)
			p := startBinary(t, r.env, args...)
			public := p.waitFor(t, false, readyBlock)[3]
			_, control := r.fakeInfo(t)
			resp, err := http.Post("http://"+control+tc.control, "text/plain", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			code := p.wait(t)
			_, stderr := p.output()
			if code != 1 {
				t.Errorf("exit %d", code)
			}
			for _, w := range append(tc.stderr, "✓ deleted 1 temporary subscription\n") {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			want := []string{"POST /api/v1/integration/webhook/webhook " + public + "/user.deleted", "DELETE /api/v1/integration/webhook/webhook " + public + "/user.deleted"}
			if tc.stopped {
				want = append(want, "GET /fake-tunnel/sigterm")
			}
			if got := r.calls(); !slices.Equal(got, want) {
				t.Errorf("calls:\n%s", strings.Join(got, "\n"))
			}
		})
	}
}

// kill -9 of listen: the tunnel goes with it (the parent-death signal), and the next
// listen --register deletes what the killed one left.
func TestListenTunnelKilled(t *testing.T) {
	r := newTunnelRig(t, "")
	p := startBinary(t, r.env, "listen", "--port", "0", "--tunnel", "cloudflared", "--event", "user.deleted")
	public := p.waitFor(t, false, readyBlock)[3]
	pid, _ := r.fakeInfo(t)
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.wait(t)
	gone(t, pid)

	next := startBinary(t, r.env, "listen", "--port", "0", "--register", "--no-probe", "--public-url", "https://next.example.com", "--event", "user.deleted", "--timeout", "100ms")
	if code := next.wait(t); code != 0 {
		_, stderr := next.output()
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	_, stderr := next.output()
	if !strings.Contains(stderr, "Deleted 1 temporary subscription left by a listen that did not end cleanly:\n  user.deleted → "+public+"/user.deleted\n") {
		t.Errorf("stderr:\n%s", stderr)
	}
	calls := r.calls()
	if len(calls) != 4 || calls[1] != "DELETE /api/v1/integration/webhook/webhook "+public+"/user.deleted" {
		t.Errorf("calls:\n%s", strings.Join(calls, "\n"))
	}
}

// A plain --public-url is probed too: through a proxy to listen, the probe arrives
// and listen subscribes; --no-probe sends none.
func TestListenPublicURLProbe(t *testing.T) {
	for _, noProbe := range []bool{false, true} {
		t.Run("no-probe="+strconv.FormatBool(noProbe), func(t *testing.T) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			port := l.Addr().(*net.TCPAddr).Port
			l.Close()
			var probes atomic.Int32
			target, _ := url.Parse("http://127.0.0.1:" + strconv.Itoa(port))
			rp := httputil.NewSingleHostReverseProxy(target)
			proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				if strings.Contains(req.URL.Path, "/_tagmango-hooks/probe/") {
					probes.Add(1)
				}
				rp.ServeHTTP(w, req)
			}))
			defer proxy.Close()
			r := newTunnelRig(t, "")
			args := []string{"listen", "--port", strconv.Itoa(port), "--register", "--public-url", proxy.URL + "/hooks", "--event", "user.deleted", "--timeout", "200ms"}
			if noProbe {
				args = append(args, "--no-probe")
			}
			p := startBinary(t, r.env, args...)
			code := p.wait(t)
			_, stderr := p.output()
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			if got, want := probes.Load(), map[bool]int32{false: 1, true: 0}[noProbe]; got != want {
				t.Errorf("%d probes through the proxy, want %d", got, want)
			}
			want := []string{"POST /api/v1/integration/webhook/webhook " + proxy.URL + "/hooks/user.deleted", "DELETE /api/v1/integration/webhook/webhook " + proxy.URL + "/hooks/user.deleted"}
			if got := r.calls(); !slices.Equal(got, want) {
				t.Errorf("calls:\n%s", strings.Join(got, "\n"))
			}
		})
	}
}
