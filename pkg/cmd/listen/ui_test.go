package listen_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
)

func TestUIFlags(t *testing.T) {
	o, err := parse(t, "--ui", "--ui-port", "0", "--ui-keep", "5", "--open")
	if err != nil || !o.UI || o.UIPort != 0 || o.UIKeep != 5 || !o.Open || o.UIHost != "127.0.0.1" {
		t.Fatalf("%+v %v", o, err)
	}
	if o, _ := parse(t); o.UI || o.UIPort != 4243 || o.UIKeep != 10000 {
		t.Errorf("defaults %+v", o)
	}
	for args, want := range map[string]string{
		"--ui-port 5000":       "--ui-port goes with --ui",
		"--open":               "--open goes with --ui",
		"--ui --ui-keep 0":     "invalid --ui-keep 0",
		"--ui --ui-port 70000": "invalid --ui-port 70000",
		"--ui --ui-port -1":    "invalid --ui-port -1: use 0 to 65535",
		"--ui --ui-port 4242":  "the inspector has its own port",
	} {
		_, err := parse(t, strings.Fields(args)...)
		if err == nil || !strings.Contains(err.Error(), want) || cmdutil.ExitCodeFor(err) != cmdutil.ExitUsage {
			t.Errorf("%s: %v, want %q (exit 2)", args, err, want)
		}
	}
}

// TestListenUI: listen --ui serves the inspector on its own port, says where after
// the Ready line, and keeps its JSON lines unchanged.
func TestListenUI(t *testing.T) {
	env := cmdtest.New(t)
	s := startListen(t, env, "--json", "--ui", "--ui-port", "0")
	var page string
	deadline := time.Now().Add(10 * time.Second)
	for page == "" && time.Now().Before(deadline) {
		for line := range strings.SplitSeq(s.errOut.String(), "\n") {
			if u, ok := strings.CutPrefix(line, "Inspector: "); ok {
				page = u
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !strings.HasPrefix(page, "http://127.0.0.1:") || strings.HasPrefix(s.url, strings.TrimSuffix(page, "/")) {
		t.Fatalf("inspector at %q, receiver at %q", page, s.url)
	}
	if code := post(t, s.url, coursePayload); code != http.StatusOK {
		t.Fatalf("post: %d", code)
	}
	var list struct {
		Deliveries []map[string]any `json:"deliveries"`
	}
	for range 400 {
		resp, err := http.Get(page + "api/deliveries")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err := json.Unmarshal(b, &list); err != nil {
			t.Fatalf("%v: %s", err, b)
		}
		if len(list.Deliveries) == 1 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if len(list.Deliveries) != 1 || list.Deliveries[0]["seq"] != float64(1) || list.Deliveries[0]["who"] != "Student Name <student@example.com>" {
		t.Fatalf("inspector list %v", list.Deliveries)
	}
	res := s.stop(t, env)
	lines := jsonLines(t, res.Stdout)
	if res.Code != 0 || len(lines) != 1 || lines[0]["seq"] != float64(1) {
		t.Errorf("exit %d, stdout %q", res.Code, res.Stdout)
	}
	ready, insp := strings.Index(res.Stderr, "Ready: listening on "), strings.Index(res.Stderr, "Inspector: "+page)
	if ready < 0 || insp < ready {
		t.Errorf("the Inspector line comes after the Ready line:\n%s", res.Stderr)
	}
	if _, err := http.Get(page); err == nil {
		t.Error("the inspector still serves after listen ended")
	}
}
