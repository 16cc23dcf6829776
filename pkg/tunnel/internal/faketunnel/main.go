// Command faketunnel stands in for cloudflared and ngrok in tests: the same log lines
// on the same streams, the same local APIs (cloudflared's metrics /quicktunnel and
// /ready, ngrok's /api/tunnels), and a real HTTPS proxy from a loopback "public" port
// to the target. Run as `faketunnel tunnel --url …` it is cloudflared, as
// `faketunnel http HOST:PORT …` ngrok.
//
// FAKE_TUNNEL_MODE (comma-separated): wrong-port (proxy elsewhere), no-url (never
// ready), rate-limited (cloudflared's 1015/429), no-authtoken (ngrok's 4018).
// FAKE_TUNNEL_CERT/KEY: the public port's certificate. FAKE_TUNNEL_NOTIFY: a URL
// GET …/fake-tunnel/sigterm is sent to on SIGTERM, before exiting. FAKE_TUNNEL_INFO: a
// file that receives {"pid","control"}; POST control/fake/die makes it exit 1, and
// POST control/fake/stall makes the public port answer 530 (its connection is lost)
// while the process runs on.
package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: faketunnel tunnel|http …")
		os.Exit(2)
	}
	modes := strings.Split(os.Getenv("FAKE_TUNNEL_MODE"), ",")
	f := &fake{modes: modes}
	switch os.Args[1] {
	case "tunnel":
		f.cloudflared(os.Args[2:])
	case "http":
		f.ngrok(os.Args[2:])
	default:
		fmt.Fprintln(os.Stderr, "unknown command", os.Args[1])
		os.Exit(2)
	}
}

type fake struct {
	modes []string
	// stalled makes the public port answer 530, as Cloudflare does for a tunnel whose
	// connection is gone.
	stalled atomic.Bool
}

func (f *fake) mode(m string) bool { return slices.Contains(f.modes, m) }

func flagValue(args []string, name string) string {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	return ""
}

func stamp() string { return time.Now().UTC().Format("2006-01-02T15:04:05Z") }

func cfLog(level, format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s %s %s\n", stamp(), level, fmt.Sprintf(format, args...))
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

// public serves HTTPS on a loopback port and proxies to target (or, with wrong-port,
// to a server that is not listen). It returns HOST:PORT.
func (f *fake) public(target string) string {
	u, err := url.Parse(target)
	if err != nil {
		fail("bad target %q", target)
	}
	if f.mode("wrong-port") {
		other := http.Server{Handler: http.NotFoundHandler(), ReadHeaderTimeout: 5 * time.Second}
		ol, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
		if err != nil {
			fail("%v", err)
		}
		go func() { _ = other.Serve(ol) }()
		u = &url.URL{Scheme: "http", Host: ol.Addr().String()}
	}
	cert, err := tls.LoadX509KeyPair(os.Getenv("FAKE_TUNNEL_CERT"), os.Getenv("FAKE_TUNNEL_KEY"))
	if err != nil {
		fail("the test certificate: %v", err)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		fail("%v", err)
	}
	// The target is the one the test gave: proxying there is the point.
	proxy := httputil.NewSingleHostReverseProxy(u) //nolint:gosec // G704: the target is the one the test gave
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.stalled.Load() {
			http.Error(w, "error code: 1033", 530)
			return
		}
		proxy.ServeHTTP(w, r)
	})
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	return l.Addr().String()
}

// control serves the fake's local API on l: the program's own endpoints plus
// /fake/die, and writes FAKE_TUNNEL_INFO.
func (f *fake) control(l net.Listener, mux *http.ServeMux, dying func()) {
	mux.HandleFunc("POST /fake/die", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
		go func() {
			dying()
			os.Exit(1)
		}()
	})
	mux.HandleFunc("POST /fake/stall", func(w http.ResponseWriter, _ *http.Request) {
		f.stalled.Store(true)
		w.WriteHeader(http.StatusNoContent)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	if p := os.Getenv("FAKE_TUNNEL_INFO"); p != "" {
		b, _ := json.Marshal(map[string]any{"pid": os.Getpid(), "control": l.Addr().String()})
		if err := os.WriteFile(p+".tmp", b, 0o600); err != nil {
			fail("%v", err)
		}
		if err := os.Rename(p+".tmp", p); err != nil {
			fail("%v", err)
		}
	}
}

// awaitTERM exits on SIGTERM, after telling FAKE_TUNNEL_NOTIFY.
func awaitTERM(say func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM)
	<-ch
	if n := os.Getenv("FAKE_TUNNEL_NOTIFY"); n != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		// The test's own recorder, given by the test.
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, n+"/fake-tunnel/sigterm", nil) //nolint:gosec
		if resp, err := http.DefaultClient.Do(req); err == nil {                                 //nolint:gosec
			resp.Body.Close()
		}
		cancel()
	}
	say()
	os.Exit(0)
}

func (f *fake) cloudflared(args []string) {
	conf := flagValue(args, "--config")
	if b, err := os.ReadFile(conf); conf == "" || err != nil || len(b) != 0 {
		fail("%s ERR the fake wants an empty --config file: %q %v", stamp(), conf, err)
	}
	if !slices.Contains(args, "--no-autoupdate") {
		fail("the fake wants --no-autoupdate")
	}
	target, metrics := flagValue(args, "--url"), flagValue(args, "--metrics")
	cfLog("INF", "Thank you for trying Cloudflare Tunnel. Doing so, without a Cloudflare account, is a quick way to experiment and try it out. However, be aware that these account-less Tunnels have no uptime guarantee.")
	cfLog("INF", "Requesting new quick Tunnel on trycloudflare.com...")
	if f.mode("rate-limited") {
		cfLog("ERR", `Error unmarshaling QuickTunnel response: error code: 1015 error="invalid character 'e' looking for beginning of value" status_code="429 Too Many Requests"`)
		fail("failed to unmarshal quick Tunnel: invalid character 'e' looking for beginning of value")
	}
	host := f.public(target)
	ml, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", metrics)
	if err != nil {
		fail("%s ERR failed to bind the metrics server: %v", stamp(), err)
	}
	if !f.mode("no-url") {
		cfLog("INF", "+--------------------------------------------------------------------------------------------+")
		cfLog("INF", "|  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |")
		cfLog("INF", "|  https://%s                                                        |", host)
		cfLog("INF", "+--------------------------------------------------------------------------------------------+")
	}
	cfLog("INF", "Starting metrics server on %s/metrics", ml.Addr())
	mux := http.NewServeMux()
	mux.HandleFunc("GET /quicktunnel", func(w http.ResponseWriter, _ *http.Request) {
		h := host
		if f.mode("no-url") {
			h = ""
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"hostname": h})
	})
	mux.HandleFunc("GET /ready", func(w http.ResponseWriter, _ *http.Request) {
		if f.mode("no-url") {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"status":503,"readyConnections":0,"connectorId":"f4c3"}`))
			return
		}
		_, _ = w.Write([]byte(`{"status":200,"readyConnections":1,"connectorId":"f4c3"}`))
	})
	f.control(ml, mux, func() {
		cfLog("ERR", "Connection terminated error=\"the fake was told to die\" connIndex=0")
		cfLog("ERR", "no more connections active and exiting")
	})
	if !f.mode("no-url") {
		cfLog("INF", "Registered tunnel connection connIndex=0 connection=f4c3 event=0 ip=198.41.200.13 location=bom01 protocol=quic")
	}
	awaitTERM(func() { cfLog("INF", "Initiating graceful shutdown due to signal terminated ...") })
}

func ngLog(fields map[string]any) {
	fields["t"] = time.Now().UTC().Format(time.RFC3339Nano)
	b, _ := json.Marshal(fields)
	fmt.Println(string(b))
}

func (f *fake) ngrok(args []string) {
	if len(args) == 0 || flagValue(args, "--log") != "stdout" || flagValue(args, "--log-format") != "json" {
		fail("the fake wants: http HOST:PORT --log stdout --log-format json")
	}
	target := args[0]
	ngLog(map[string]any{"lvl": "info", "msg": "open config file", "obj": "config", "path": "/home/user/.config/ngrok/ngrok.yml", "err": nil})
	if f.mode("no-authtoken") {
		msg := "authentication failed: Usage of ngrok requires a verified account and authtoken.\n\nSign up for an account: https://dashboard.ngrok.com/signup\nInstall your authtoken: https://dashboard.ngrok.com/get-started/your-authtoken\r\n\r\nERR_NGROK_4018\r\n"
		ngLog(map[string]any{"lvl": "eror", "msg": "failed to reconnect session", "obj": "tunnels.session", "err": msg})
		fmt.Fprintln(os.Stderr, "ERROR:  authentication failed: Usage of ngrok requires a verified account and authtoken.")
		fmt.Fprintln(os.Stderr, "ERROR:  ")
		fail("ERROR:  ERR_NGROK_4018")
	}
	wl, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		fail("%v", err)
	}
	ngLog(map[string]any{"lvl": "info", "msg": "starting web service", "obj": "web", "addr": wl.Addr().String(), "allow_hosts": []string{}})
	host := f.public("http://" + target)
	public := "https://" + host
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/tunnels", func(w http.ResponseWriter, _ *http.Request) {
		tunnels := []any{}
		if !f.mode("no-url") {
			tunnels = append(tunnels, map[string]any{
				"name": "command_line", "public_url": public, "proto": "https",
				"config": map[string]any{"addr": "http://" + target, "inspect": true},
			})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"tunnels": tunnels, "uri": "/api/tunnels"})
	})
	f.control(wl, mux, func() {
		ngLog(map[string]any{"lvl": "eror", "msg": "session closing", "obj": "tunnels.session", "err": "the fake was told to die"})
	})
	if !f.mode("no-url") {
		ngLog(map[string]any{"lvl": "info", "msg": "started tunnel", "obj": "tunnels", "name": "command_line", "addr": "http://" + target, "url": public})
	}
	awaitTERM(func() {
		ngLog(map[string]any{"lvl": "info", "msg": "received stop request", "obj": "app", "stopReq": "terminated"})
	})
}
