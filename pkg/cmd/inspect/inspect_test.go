package inspect_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/factory"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/root"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdtest"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/inspector"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
)

// syncBuffer is a stderr the test reads while inspect runs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

const saved = `{"seq":1,"receivedAt":"2026-11-30T10:00:00Z","event":"course.completed.50","candidates":["course.completed.50"],"method":"POST","path":"/course.completed.50","headers":{"Content-Type":"application/json"},"body":{"name":"A","email":"a@example.com"},"warnings":["missing field \"courseId\" (string)"],"notes":[],"repeatOf":null,"duplicateOf":null,"status":200,"forward":null,"raw":"{\"name\":\"A\",\"email\":\"a@example.com\"}"}
this is not a saved delivery
{"seq":2,"body":{"name":"Old line","email":"b@example.com","course":"C","courseId":"x","phone":1,"lastProgressOn":"y"}}
`

func TestInspectServesSavedDeliveries(t *testing.T) {
	env := cmdtest.New(t)
	file := filepath.Join(t.TempDir(), "deliveries.jsonl")
	if err := os.WriteFile(file, []byte(saved), 0o600); err != nil {
		t.Fatal(err)
	}
	rc := make(chan []byte, 1)
	target := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc <- b
	}))
	defer target.Close()

	ios, _, out, _ := iostreams.Test()
	errOut := &syncBuffer{}
	ios.ErrOut = errOut
	f := factory.New(ios)
	env.Configure(f)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- root.Main(ctx, f, []string{"inspect", file, "--ui-port", "0", "--to", target.URL}) }()
	defer cancel()
	var page string
	for deadline := time.Now().Add(10 * time.Second); page == "" && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		for line := range strings.SplitSeq(errOut.String(), "\n") {
			if u, ok := strings.CutPrefix(line, "Inspector: "); ok {
				page = u
			}
		}
	}
	if page == "" {
		t.Fatalf("no Inspector line: %s", errOut.String())
	}
	stderr := errOut.String()
	if !strings.Contains(stderr, "warning: "+file+" line 2: not JSON") || !strings.Contains(stderr, file+": 2 deliveries, 1 line skipped") {
		t.Errorf("stderr:\n%s", stderr)
	}
	resp, err := http.Get(page + "api/deliveries")
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Deliveries []map[string]any `json:"deliveries"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if len(list.Deliveries) != 2 || list.Deliveries[0]["file"] != file || list.Deliveries[1]["event"] != "course.completed.*" || list.Deliveries[1]["who"] != "Old line <b@example.com>" {
		t.Fatalf("entries %v", list.Deliveries)
	}
	// Replay goes to --to by default, with the saved bytes.
	req, _ := http.NewRequest(http.MethodPost, page+"api/deliveries/1/replay", strings.NewReader(`{}`))
	req.Header.Set(inspector.TokenHeader, tokenOf(t, page))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("replay: %d", resp.StatusCode)
	}
	if got := <-rc; string(got) != `{"name":"A","email":"a@example.com"}` {
		t.Errorf("replayed %q", got)
	}
	cancel()
	if code := <-done; code != 0 || out.Len() != 0 {
		t.Errorf("exit %d, stdout %q", code, out.String())
	}
}

// tokenOf reads the token from the page, as its script does.
func tokenOf(t *testing.T, page string) string {
	t.Helper()
	resp, err := http.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	_, after, ok := strings.Cut(string(b), `name="inspector-token" content="`)
	tok, _, _ := strings.Cut(after, `"`)
	if !ok || tok == "" {
		t.Fatalf("no token in the page: %s", b)
	}
	return tok
}

func TestInspectErrors(t *testing.T) {
	env := cmdtest.New(t)
	missing := filepath.Join(t.TempDir(), "missing.jsonl")
	for _, tt := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"inspect"}, 2, "give the file listen --save wrote"},
		{[]string{"inspect", missing, "--ui-port", "0"}, 1, "cannot read " + missing + ": no such file or directory"},
		{[]string{"inspect", missing, "--to", "ftp://x"}, 2, "--to:"},
		{[]string{"inspect", missing, "--ui-keep", "0"}, 2, "invalid --ui-keep 0"},
		{[]string{"inspect", missing, "--ui-port", "70000"}, 2, "invalid --ui-port 70000: use 0 to 65535"},
	} {
		res := env.Run(tt.args...)
		if res.Code != tt.code || !strings.Contains(res.Stderr, tt.says) {
			t.Errorf("%v: exit %d %q, want %d %q", tt.args, res.Code, res.Stderr, tt.code, tt.says)
		}
	}
}
