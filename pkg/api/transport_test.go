package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"
)

func TestRedirectIsNotFollowed(t *testing.T) {
	for _, status := range []int{301, 302, 307, 308} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			var reached atomic.Int32
			elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				reached.Add(1)
			}))
			t.Cleanup(elsewhere.Close)
			target := elsewhere.URL + RegisterPath
			api := newFakeAPI(t, reply{status: status, header: map[string]string{"Location": target}})
			c, clock := newTestClient(t, api.URL, nil)
			_, err := c.Register(context.Background(), RegisterRequest{HookURL: "https://example.com/h", Event: "e"})
			if n := reached.Load(); n != 0 {
				t.Fatalf("the redirect target got %d requests: the key would have followed", n)
			}
			e, ok := errors.AsType[*Error](err)
			if !ok {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			want := "TagMango answered " + statusLine(status) + ": the API redirected to " + target +
				"; tagmango-hooks does not follow API redirects — check --base-url"
			if e.Error() != want {
				t.Errorf("Error() = %q\nwant      %q", e.Error(), want)
			}
			if e.Status != status || e.Attempts != 1 || len(api.requests()) != 1 || len(clock.Sleeps()) != 0 {
				t.Errorf("Status = %d, Attempts = %d, requests = %d, sleeps = %v",
					e.Status, e.Attempts, len(api.requests()), clock.Sleeps())
			}
		})
	}
}

// countingTransport counts the bytes read from answers, to prove a bounded read.
type countingTransport struct {
	next http.RoundTripper
	read atomic.Int64
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if resp != nil {
		resp.Body = countingBody{resp.Body, &t.read}
	}
	return resp, err
}

func TestHugeAnswerIsReadBounded(t *testing.T) {
	const size = 5 << 20
	tests := []struct {
		name   string
		status int
		body   []byte
		limit  int
	}{
		{"2xx not JSON", 200, bytes.Repeat([]byte("x"), size), maxHint},
		{"2xx JSON cut off at the bound", 200, append([]byte(`{"success":true,"message":"`), bytes.Repeat([]byte("y"), size)...), maxHint},
		{"4xx", 400, bytes.Repeat([]byte("z"), size), maxSnippet},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = w.Write(tt.body) // fails once the client stops reading; that is the point
			}))
			t.Cleanup(srv.Close)
			counter := &countingTransport{next: http.DefaultTransport.(*http.Transport).Clone()}
			c, _ := newTestClient(t, srv.URL, func(o *Options) { o.Transport = counter })
			res, err := c.Delete(context.Background(), "https://example.com/h")
			if n := counter.read.Load(); n > maxBody {
				t.Errorf("read %d bytes, more than %d", n, maxBody)
			}
			e, ok := errors.AsType[*Error](err)
			if !ok || res != nil || e.Status != tt.status {
				t.Fatalf("res = %+v, err = %v (%T), want an *Error", res, err, err)
			}
			if utf8.RuneCountInString(e.Message) > tt.limit || !strings.HasSuffix(e.Message, "…") {
				t.Errorf("message of %d runes: %.40q", utf8.RuneCountInString(e.Message), e.Message)
			}
		})
	}
}

func TestVerboseLog(t *testing.T) {
	api := newFakeAPI(t, reply{status: 503, body: `{"message":"busy","success":false}`}, reply{status: 200, body: `{"success":true}`})
	var log strings.Builder
	c, _ := newTestClient(t, api.URL, func(o *Options) { o.Verbose = &log })
	if _, err := c.Register(context.Background(), RegisterRequest{HookURL: "https://example.com/h", Event: "course.completed.50", Course: "c1"}); err != nil {
		t.Fatal(err)
	}
	request := "> POST " + api.URL + RegisterPath + "\n" +
		"> accept: application/json\n" +
		"> content-type: application/json\n" +
		"> user-agent: tagmango-hooks/test\n" +
		"> x-api-key: " + testMasked + "\n" +
		`> {"hookUrl":"https://example.com/h","event":"course.completed.50","course":"c1"}` + "\n"
	want := request +
		"< 503 Service Unavailable (0s)\n" +
		`< {"message":"busy","success":false}` + "\n" +
		"retrying in 500ms (503 Service Unavailable, attempt 2 of 3)\n" +
		request +
		"< 200 OK (0s)\n" +
		`< {"success":true}` + "\n"
	if log.String() != want {
		t.Errorf("log:\n%s\nwant:\n%s", log.String(), want)
	}
	if strings.Contains(log.String(), testKey) {
		t.Error("the log holds the full key")
	}
}

// -v shows the answer's body too: the key and URL passwords masked, escape sequences
// shown escaped, at most maxLoggedBody bytes; and the caller still gets all of it.
func TestVerboseLogShowsTheAnswer(t *testing.T) {
	long := `{"message":"x` + strings.Repeat("é", maxLoggedBody) + `","success":false}`
	cases := []struct {
		name string
		body string
		want string
	}{
		{"redacted", `{"message":"bad key ` + testKey + ` for https://u:hunter2@x.example.com/","success":false}`,
			`< {"message":"bad key ` + testMasked + ` for https://u:xxxxx@x.example.com/","success":false}` + "\n"},
		{"terminal-safe", "{\"message\":\"\x1b[2J\u202egnp.exe\x07\"}", `< {"message":"\x1b[2J\u202egnp.exe\x07"}` + "\n"},
		{"lines", "<html>\r\n<body>502 Bad Gateway</body>\r\n</html>\r\n", "< <html>\n< <body>502 Bad Gateway</body>\n< </html>\n"},
		{"empty", "", ""},
		{"bounded", long, "< " + long[:maxLoggedBody-1] + "\n< … (" + fmt.Sprint(len(long)) + " bytes in all)\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			api := newFakeAPI(t, reply{status: 400, body: tc.body})
			var log strings.Builder
			c, _ := newTestClient(t, api.URL, func(o *Options) { o.Verbose = &log })
			_, err := c.Delete(context.Background(), "https://example.com/h")
			_, answer, _ := strings.Cut(log.String(), "< 400 Bad Request (0s)\n")
			if answer != tc.want {
				t.Errorf("logged answer:\n%q\nwant:\n%q", answer, tc.want)
			}
			// The body reached the caller whole: the error quotes its message.
			if e, ok := errors.AsType[*Error](err); !ok || e.Status != 400 || (tc.name == "redacted" && !strings.Contains(e.Message, "bad key")) {
				t.Errorf("err = %v", err)
			}
		})
	}
	// The cut falls between runes ("é" is 2 bytes; the prefix is odd).
	if !strings.HasSuffix(long[:maxLoggedBody-1], "é") {
		t.Fatal("the bounded case does not cut inside a rune")
	}
}

func TestVerboseLogOfFailures(t *testing.T) {
	api := newFakeAPI(t, reply{status: 401, body: `{"message":"bad key ` + testKey + `"}`})
	var log strings.Builder
	c, _ := newTestClient(t, "http://"+closedAddr(t), func(o *Options) { o.Verbose = &log })
	_, _ = c.Delete(context.Background(), "https://example.com/h")
	if !strings.Contains(log.String(), "< connection refused (0s)\n") {
		t.Errorf("log:\n%s", log.String())
	}
	c, _ = newTestClient(t, api.URL, func(o *Options) { o.Verbose = &log })
	_, err := c.Delete(context.Background(), "https://example.com/h")
	if strings.Contains(log.String()+err.Error(), testKey) {
		t.Error("the full key leaked")
	}
}

func TestDryRun(t *testing.T) {
	api := newFakeAPI(t)
	c, _ := newTestClient(t, api.URL, nil)
	headers := "accept: application/json\n" +
		"content-type: application/json\n" +
		"user-agent: tagmango-hooks/test\n" +
		"x-api-key: " + testMasked + "\n"

	var b strings.Builder
	if err := c.DryRunRegister(&b, RegisterRequest{HookURL: "https://example.com/h?a=1&b=2", Event: "webinar.reminder.all", Webinar: "w1"}); err != nil {
		t.Fatal(err)
	}
	want := "POST " + api.URL + RegisterPath + "\n" + headers + "\n" +
		`{"hookUrl":"https://example.com/h?a=1&b=2","event":"webinar.reminder.all","webinar":"w1"}` + "\n"
	if b.String() != want {
		t.Errorf("dry run:\n%s\nwant:\n%s", b.String(), want)
	}

	b.Reset()
	if err := c.DryRunDelete(&b, "https://example.com/h"); err != nil {
		t.Fatal(err)
	}
	want = "DELETE " + api.URL + RegisterPath + "\n" + headers + "\n" + `{"hookUrl":"https://example.com/h"}` + "\n"
	if b.String() != want {
		t.Errorf("dry run:\n%s\nwant:\n%s", b.String(), want)
	}

	if n := len(api.requests()); n != 0 {
		t.Errorf("dry run sent %d requests", n)
	}
}

func TestDryRunReportsWriteErrors(t *testing.T) {
	c, _ := newTestClient(t, "http://127.0.0.1:1", nil)
	errFull := errors.New("disk full")
	if err := c.DryRunDelete(failingWriter{errFull}, "https://example.com/h"); !errors.Is(err, errFull) {
		t.Errorf("err = %v", err)
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }
