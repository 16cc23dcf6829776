package tunnel

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestCloudflaredLines(t *testing.T) {
	c := &cloudflared{}
	for _, l := range []string{
		`2024-01-01T00:00:00Z ERR failed to request quick Tunnel: Post "https://api.trycloudflare.com/tunnel": dial tcp: lookup api.trycloudflare.com: no such host`,
		`2024-01-01T00:00:00Z INF |  https://seasonal-deck-organisms-sf.trycloudflare.com                                     |`,
		`2024-01-01T00:00:00Z INF |  https://other-words.trycloudflare.com  |`,
	} {
		if msg := c.line("stderr", l); msg != "" {
			t.Errorf("%q: %s", l, msg)
		}
	}
	if got := c.fromLogURL(); got != "https://seasonal-deck-organisms-sf.trycloudflare.com" {
		t.Errorf("URL from the banner: %q (never api.trycloudflare.com, the first one only)", got)
	}
	if msg := c.line("stderr", `2024-01-01T00:00:00Z ERR Error unmarshaling QuickTunnel response: error code: 1015 error="invalid character 'e' looking for beginning of value" status_code="429 Too Many Requests"`); !strings.HasPrefix(msg, "Cloudflare is refusing new quick tunnels") {
		t.Errorf("rate limit: %q", msg)
	}
}

func TestNgrokLines(t *testing.T) {
	n := &ngrok{}
	n.line("stdout", `{"addr":"127.0.0.1:4041","lvl":"info","msg":"starting web service","obj":"web","t":"2024-01-01T00:00:00Z"}`)
	n.line("stdout", `{"addr":"127.0.0.1:9999/x?y","lvl":"info","msg":"starting web service","obj":"web"}`)
	if n.webAddr != "127.0.0.1:4041" {
		t.Errorf("web_addr %q", n.webAddr)
	}
	if msg := n.line("stderr", "ERROR:  ERR_NGROK_4018"); !strings.Contains(msg, "ngrok config add-authtoken <TOKEN>") || strings.Contains(msg, "\n") {
		t.Errorf("authtoken hint %q: one line", msg)
	}
}

// Lines are bounded: a megabyte without a newline costs maxLine.
func TestReadLineIsBounded(t *testing.T) {
	br := bufio.NewReaderSize(strings.NewReader(strings.Repeat("x", 1<<20)+"\nnext\n"), 4096)
	l, err := readLine(br)
	if err != nil || len(l) != maxLine {
		t.Fatalf("len %d err %v", len(l), err)
	}
	if l, _ := readLine(br); l != "next" {
		t.Errorf("then %q", l)
	}
}

func TestInstallHints(t *testing.T) {
	for _, tc := range []struct{ kind, goos, want string }{
		{Cloudflared, "darwin", "brew install cloudflared"},
		{Cloudflared, "linux", "Debian or RPM package"},
		{Cloudflared, "windows", "winget install --id Cloudflare.cloudflared"},
		{Ngrok, "darwin", "brew install ngrok"},
		{Ngrok, "freebsd", "https://ngrok.com/download"},
	} {
		if got := InstallHint(tc.kind, tc.goos); !strings.Contains(got, tc.want) {
			t.Errorf("%s on %s: %q", tc.kind, tc.goos, got)
		}
	}
}

// A tunnel that ignores SIGTERM gets SIGKILL after KillAfter; an exit before it is
// ready is reported with its log.
func TestStopEscalatesAndExitIsReported(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM")
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	dir := t.TempDir()
	// A "cloudflared" that traps SIGTERM and never gets ready.
	bin := filepath.Join(dir, "stubborn")
	if err := os.WriteFile(bin, []byte("#!"+sh+"\ntrap '' TERM\necho '2024-01-01T00:00:00Z ERR stubborn' >&2\nwhile :; do sleep 0.05; done\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Kind: Cloudflared, Bin: bin, Port: 1, LogPath: filepath.Join(dir, "t.log"), Timeout: 300 * time.Millisecond, KillAfter: 200 * time.Millisecond}
	start := time.Now()
	_, err = Start(context.Background(), cfg)
	var te *Error
	if !errors.As(err, &te) || !strings.Contains(te.Msg, "gave no ready public URL within 300ms") || !strings.Contains(te.Msg, ": 2024-01-01T00:00:00Z ERR stubborn") || te.LogPath != cfg.LogPath {
		t.Fatalf("err %v", err)
	}
	if d := time.Since(start); d < 500*time.Millisecond {
		t.Errorf("returned after %s: before the SIGKILL that the trap forces", d)
	}
	if b, _ := os.ReadFile(cfg.LogPath); !strings.Contains(string(b), "stderr 2024-01-01T00:00:00Z ERR stubborn\n") {
		t.Errorf("log %q", b)
	}

	// One that exits at once.
	if err := os.WriteFile(bin, []byte("#!"+sh+"\necho 'failed to do the thing' >&2\nexit 3\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	cfg.Timeout = 10 * time.Second
	_, err = Start(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "cloudflared exited before its tunnel was ready (exit status 3): failed to do the thing\n  the tunnel's log: "+cfg.LogPath) {
		t.Errorf("err %v", err)
	}
}
