package tunnel

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/fsutil"
)

// cloudflared runs a quick tunnel (trycloudflare.com, no account): `cloudflared
// tunnel --url … --metrics …`, with the hostname from the metrics server's
// /quicktunnel and readiness from its /ready.
type cloudflared struct {
	metrics string
	// fromLog is the URL its banner printed, should /quicktunnel not say.
	mu      sync.Mutex
	fromLog string
}

// quickTunnelURL matches the banner's URL; api.trycloudflare.com, which its error
// lines name, is never a tunnel.
var quickTunnelURL = regexp.MustCompile(`https://([a-z0-9-]+)\.trycloudflare\.com\b`)

func (c *cloudflared) args(cfg Config) ([]string, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	c.metrics = "127.0.0.1:" + strconv.Itoa(port)
	// An empty config: a ~/.cloudflared/config.yml with ingress rules or a tunnel id
	// would otherwise take over the quick tunnel.
	conf := filepath.Join(filepath.Dir(cfg.LogPath), "cloudflared-empty-config.yml")
	if err := fsutil.RefuseSymlink(conf); err != nil {
		return nil, err
	}
	if err := os.WriteFile(conf, nil, fsutil.PrivateFile); err != nil {
		return nil, fmt.Errorf("cloudflared's empty config: %w", err)
	}
	return []string{"tunnel", "--config", conf, "--url", cfg.Target(), "--no-autoupdate", "--metrics", c.metrics}, nil
}

func (c *cloudflared) line(_, text string) string {
	if strings.Contains(text, "429 Too Many Requests") || strings.Contains(text, "error code: 1015") {
		return "Cloudflare is refusing new quick tunnels from this network for now (429 Too Many Requests, error 1015): wait a few minutes and try again, or use --tunnel ngrok, or your own tunnel with --public-url"
	}
	if m := quickTunnelURL.FindStringSubmatch(text); m != nil && m[1] != "api" {
		c.mu.Lock()
		if c.fromLog == "" {
			c.fromLog = m[0]
		}
		c.mu.Unlock()
	}
	return ""
}

func (c *cloudflared) poll(ctx context.Context, client *http.Client, _ Config) (string, error) {
	host := ""
	if status, body := getJSON(ctx, client, "http://"+c.metrics+"/quicktunnel"); status == http.StatusOK {
		var qt struct {
			Hostname string `json:"hostname"`
		}
		if json.Unmarshal(body, &qt) == nil && validHost(qt.Hostname) {
			host = qt.Hostname
		}
	}
	url := ""
	switch {
	case host != "":
		url = "https://" + host
	default:
		url = c.fromLogURL()
	}
	if url == "" {
		return "", nil
	}
	// /ready answers 200 once a connection to Cloudflare's edge is registered.
	status, body := getJSON(ctx, client, "http://"+c.metrics+"/ready")
	var ready struct {
		ReadyConnections int `json:"readyConnections"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &ready) != nil || ready.ReadyConnections < 1 {
		return "", nil
	}
	return url, nil
}

func (c *cloudflared) fromLogURL() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fromLog
}

// validHost accepts a host[:port] and nothing that could bend a URL.
func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	return strings.IndexFunc(h, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '-' && r != '.' && r != ':'
	}) < 0
}
