package tunnel

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// ngrok runs `ngrok http 127.0.0.1:PORT` (it needs the user's ngrok account) and
// reads the public URL from its agent API, /api/tunnels on the web_addr its JSON log
// names.
type ngrok struct {
	mu      sync.Mutex
	webAddr string
}

// defaultWebAddr is ngrok's agent API when its log does not name another.
const defaultWebAddr = "127.0.0.1:4040"

func (n *ngrok) args(cfg Config) ([]string, error) {
	return []string{"http", strings.TrimPrefix(cfg.Target(), "http://"), "--log", "stdout", "--log-format", "json"}, nil
}

func (n *ngrok) line(_, text string) string {
	if strings.Contains(text, "ERR_NGROK_4018") {
		return "ngrok needs your account's authtoken (ERR_NGROK_4018): run `ngrok config add-authtoken <TOKEN>` with the token from https://dashboard.ngrok.com/get-started/your-authtoken, then try again"
	}
	var l struct {
		Msg  string `json:"msg"`
		Obj  string `json:"obj"`
		Addr string `json:"addr"`
	}
	if strings.HasPrefix(text, "{") && json.Unmarshal([]byte(text), &l) == nil && l.Obj == "web" && l.Msg == "starting web service" && validHost(l.Addr) {
		n.mu.Lock()
		n.webAddr = l.Addr
		n.mu.Unlock()
	}
	return ""
}

func (n *ngrok) poll(ctx context.Context, client *http.Client, cfg Config) (string, error) {
	n.mu.Lock()
	addr := n.webAddr
	n.mu.Unlock()
	if addr == "" {
		addr = defaultWebAddr
	}
	status, body := getJSON(ctx, client, "http://"+addr+"/api/tunnels")
	if status != http.StatusOK {
		return "", nil
	}
	var answer struct {
		Tunnels []struct {
			PublicURL string `json:"public_url"`
			Config    struct {
				Addr string `json:"addr"`
			} `json:"config"`
		} `json:"tunnels"`
	}
	if json.Unmarshal(body, &answer) != nil {
		return "", nil
	}
	target := strings.TrimPrefix(cfg.Target(), "http://")
	for _, t := range answer.Tunnels {
		// Another ngrok may own the default web_addr: only a tunnel to our port is ours.
		if strings.TrimPrefix(t.Config.Addr, "http://") != target {
			continue
		}
		u, err := url.Parse(t.PublicURL)
		if err == nil && u.Scheme == "https" && validHost(u.Host) && (u.Path == "" || u.Path == "/") {
			return "https://" + u.Host, nil
		}
	}
	return "", nil
}
