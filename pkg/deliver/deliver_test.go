package deliver

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/deliver/delivertest"
)

func deliveries(n int) Source {
	ds := make([]Delivery, n)
	for i := range ds {
		ds[i] = Delivery{ID: i + 1, Body: []byte(`{"n":` + strconv.Itoa(i+1) + `}`)}
	}
	return Slice(ds)
}

func TestRunRespectsConcurrency(t *testing.T) {
	const conc = 4
	var (
		mu       sync.Mutex
		inFlight int
		maxSeen  int
		gate     = make(chan struct{})
		once     sync.Once
	)
	// The first requests wait until conc of them are in flight at once, which proves
	// the engine reaches its concurrency; the maximum proves it never exceeds it.
	rc := delivertest.New(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		mu.Lock()
		inFlight++
		maxSeen = max(maxSeen, inFlight)
		if inFlight == conc {
			once.Do(func() { close(gate) })
		}
		mu.Unlock()
		<-gate
		mu.Lock()
		inFlight--
		mu.Unlock()
	})
	var results []Result
	sum, err := Run(context.Background(), Config{URL: rc.URL, Concurrency: conc, Timeout: 10 * time.Second,
		OnResult: func(r Result) { results = append(results, r) }}, deliveries(3*conc))
	if err != nil {
		t.Fatal(err)
	}
	if maxSeen != conc {
		t.Errorf("at most %d in flight, want %d", maxSeen, conc)
	}
	if sum.Sent != 3*conc || sum.OK != 3*conc || !sum.Passed() || len(results) != 3*conc {
		t.Errorf("summary %+v, %d results", sum, len(results))
	}
}

func TestRunSequentialKeepsOrder(t *testing.T) {
	rc := delivertest.New(t, nil)
	if _, err := Run(context.Background(), Config{URL: rc.URL, Concurrency: 1}, deliveries(20)); err != nil {
		t.Fatal(err)
	}
	for i, r := range rc.Requests() {
		if want := `{"n":` + strconv.Itoa(i+1) + `}`; string(r.Body) != want {
			t.Fatalf("request %d is %s, want %s", i, r.Body, want)
		}
	}
}

func TestRunHeadersAndRedirects(t *testing.T) {
	rc := delivertest.New(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	})
	h := http.Header{}
	h.Set("Host", "hooks.example.com")
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Token", "t")
	sum, err := Run(context.Background(), Config{URL: rc.URL + "/in", UserAgent: "ua/1", Header: h},
		Slice([]Delivery{{ID: 1, Body: []byte("{}"), ContentType: "text/plain"}}))
	if err != nil {
		t.Fatal(err)
	}
	reqs := rc.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests: the redirect must not be followed", len(reqs))
	}
	got := reqs[0].Header
	if got.Get("Content-Type") != "application/json; charset=utf-8" || got.Get("User-Agent") != "ua/1" || got.Get("X-Token") != "t" {
		t.Errorf("headers %v", got)
	}
	if sum.Statuses["302"] != 1 || sum.OK != 0 || sum.Passed() {
		t.Errorf("a redirect is not a success: %+v", sum)
	}
}

func TestRunKeepsTheAnswersBeginning(t *testing.T) {
	rc := delivertest.New(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		_, _ = io.WriteString(w, "hello world")
	})
	var got Result
	_, err := Run(context.Background(), Config{URL: rc.URL, AnswerBytes: 4, OnResult: func(r Result) { got = r }}, deliveries(1))
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Answer) != "hell" || got.AnswerSize != 11 || got.Status != 200 {
		t.Errorf("result %+v", got)
	}
}

func TestRunSlowAnswersFail(t *testing.T) {
	rc := delivertest.New(t, nil)
	sum, err := Run(context.Background(), Config{URL: rc.URL, SlowAfter: time.Nanosecond}, deliveries(3))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Over30s != 3 || sum.OK != 0 || sum.Statuses["200"] != 3 || sum.Passed() || len(sum.Failures) != 3 || !sum.Failures[0].Slow {
		t.Errorf("summary %+v", sum)
	}
}

func TestRunSourceErrorStops(t *testing.T) {
	rc := delivertest.New(t, nil)
	n := 0
	boom := errors.New("boom")
	sum, err := Run(context.Background(), Config{URL: rc.URL, Concurrency: 1}, func() (Delivery, bool, error) {
		n++
		if n == 3 {
			return Delivery{}, false, boom
		}
		return Delivery{ID: n, Body: []byte("{}")}, true, nil
	})
	if !errors.Is(err, boom) || sum == nil || sum.Sent != 2 {
		t.Errorf("err %v, summary %+v", err, sum)
	}
}

func TestRunCancelled(t *testing.T) {
	rc := delivertest.New(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sum, err := Run(ctx, Config{URL: rc.URL}, deliveries(5))
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Interrupted || sum.Sent != 0 || len(rc.Requests()) != 0 {
		t.Errorf("summary %+v, %d requests", sum, len(rc.Requests()))
	}
}

func TestRunUnreachable(t *testing.T) {
	sum, err := Run(context.Background(), Config{URL: delivertest.ClosedURL(t)}, deliveries(3))
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Unreachable() || sum.Errors != 3 || sum.ErrorKinds[KindRefused] != 3 {
		t.Errorf("summary %+v", sum)
	}
}

func TestClassify(t *testing.T) {
	u, _ := url.Parse("http://127.0.0.1:3000/hook")
	tls, _ := url.Parse("https://example.com/hook")
	cases := []struct {
		err  error
		u    *url.URL
		kind string
		msg  string
	}{
		{fmt.Errorf("Post: %w", context.DeadlineExceeded), u, KindTimeout, "no answer within 2s"},
		{&url.Error{Op: "Post", Err: &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}}, u, KindRefused, "nothing is listening on 127.0.0.1:3000 — is your server running?"},
		{&url.Error{Op: "Post", Err: &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}}, tls, KindRefused, "nothing is listening on example.com:443"},
		{&net.DNSError{Err: "no such host", Name: "example.com"}, tls, KindDNS, "cannot resolve example.com: no such host"},
		{fmt.Errorf("read: %w", io.EOF), u, KindReset, "127.0.0.1:3000 closed the connection without answering"},
		{&url.Error{Op: "Post", Err: &net.OpError{Op: "dial", Err: syscall.ENETUNREACH}}, tls, KindUnreachable, "example.com is unreachable from here"},
		{&url.Error{Op: "Post", Err: x509.UnknownAuthorityError{}}, tls, KindTLS, "TLS: x509: certificate signed by unknown authority"},
		{errors.New("strange"), u, KindOther, "strange"},
	}
	for _, tc := range cases {
		kind, err := classify(tc.err, 2*time.Second, tc.u)
		if kind != tc.kind || err.Error() != tc.msg && !containsPrefix(err.Error(), tc.msg) {
			t.Errorf("classify(%v) = %q, %s; want %q, %s", tc.err, err, kind, tc.msg, tc.kind)
		}
	}
}

func containsPrefix(s, prefix string) bool { return len(s) >= len(prefix) && s[:len(prefix)] == prefix }

func TestPercentile(t *testing.T) {
	var l []time.Duration
	for i := 1; i <= 100; i++ {
		l = append(l, time.Duration(i))
	}
	for p, want := range map[int]time.Duration{50: 50, 95: 95, 99: 99, 100: 100} {
		if got := percentile(l, p); got != want {
			t.Errorf("p%d = %d, want %d", p, got, want)
		}
	}
	if got := percentile([]time.Duration{7}, 50); got != 7 {
		t.Errorf("p50 of one = %d", got)
	}
	if got := percentile([]time.Duration{1, 2}, 50); got != 1 {
		t.Errorf("p50 of two = %d", got)
	}
}

// TestRunCancelledWhileTheSourceBlocks: a source blocked reading (a FIFO with no more
// lines) does not hold an interrupted run.
func TestRunCancelledWhileTheSourceBlocks(t *testing.T) {
	rc := delivertest.New(t, nil)
	release := make(chan struct{})
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	src := func() (Delivery, bool, error) {
		n++
		if n > 1 {
			<-release
			return Delivery{}, false, nil
		}
		return Delivery{ID: 1, Body: []byte("{}")}, true, nil
	}
	sum, err := Run(ctx, Config{URL: rc.URL, Concurrency: 1, OnResult: func(Result) { cancel() }}, src)
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Interrupted || sum.Sent != 1 || sum.OK != 1 || sum.Passed() {
		t.Errorf("summary %+v", sum)
	}
}
