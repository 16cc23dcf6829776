// Command screenshots writes docs/images/inspector.png: the inspector of a real
// listen session — a receiver engine feeding the inspector, forwarding to a local
// handler — after a fan-out of realistic deliveries (pkg/sample fake data with a
// fixed seed, received on a fixed clock), shown in headless Chromium at 1280×800.
//
//	go run ./cmd/screenshots [-o docs/images/inspector.png]
//
// It needs the Debian package chromium (or $CHROMIUM). The handler's latencies are
// measured for real, so two runs differ in a few pixels of the latency lines.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/inspector"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/inspector/browsertest"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/receiver"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/sample"
)

// epoch is the session's fixed clock start.
var epoch = time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)

func main() {
	out := flag.String("o", filepath.Join("docs", "images", "inspector.png"), "the PNG to write")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "screenshots:", err)
		os.Exit(1)
	}
}

// delivery is one request of the session.
type delivery struct {
	path string
	body []byte
	at   time.Time
}

// session builds the deliveries: a webinar reminder fan-out of 600 participants over
// about 8 seconds, course completions, one completion without its courseId and a
// duplicate, at fixed times.
func session(c *events.Catalog) ([]delivery, error) {
	g := sample.NewGenerator(42)
	g.SetNow(epoch)
	rng := rand.New(rand.NewPCG(7, 7)) //nolint:gosec // a fixed picture, not a secret
	lookup := func(name string) (*events.Event, error) {
		e, ok := c.Lookup(name)
		if !ok {
			return nil, fmt.Errorf("no event %s in the catalog", name)
		}
		return e, nil
	}
	reminder, err := lookup("webinar.reminder.all")
	if err != nil {
		return nil, err
	}
	course, err := lookup("course.completed.50")
	if err != nil {
		return nil, err
	}
	var ds []delivery
	at := epoch
	add := func(path string, doc *sample.Document, gap time.Duration) error {
		b, err := doc.MarshalJSON()
		if err != nil {
			return err
		}
		at = at.Add(gap)
		ds = append(ds, delivery{path: path, body: b, at: at})
		return nil
	}
	for range 6 {
		if err := add("/course.completed.50", g.Fake(course), time.Duration(400+rng.IntN(900))*time.Millisecond); err != nil {
			return nil, err
		}
	}
	// The fan-out: a ramp up to ~120 deliveries a second, then down.
	for i := range 600 {
		x := float64(i) / 600
		rate := 20 + 100*4*x*(1-x) // per second
		if err := add("/", g.Fake(reminder), time.Duration(float64(time.Second)/rate)); err != nil {
			return nil, err
		}
	}
	// A handler would choke on this one: its courseId is missing.
	b, err := g.Fake(course).MarshalJSON()
	if err != nil {
		return nil, err
	}
	at = at.Add(700 * time.Millisecond)
	ds = append(ds, delivery{path: "/course.completed.50", body: regexp.MustCompile(`,?"courseId":"[^"]*"`).ReplaceAll(b, nil), at: at})
	dup := g.Fake(course)
	if err := add("/course.completed.50", dup, 300*time.Millisecond); err != nil {
		return nil, err
	}
	if err := add("/course.completed.50", dup, 900*time.Millisecond); err != nil {
		return nil, err
	}
	return ds, nil
}

func run(out string) error {
	c, err := events.Load()
	if err != nil {
		return err
	}
	ds, err := session(c)
	if err != nil {
		return err
	}
	m := events.NewMatcher(c)

	// The user's handler: answers in a few milliseconds, slower in the thick of the
	// burst, and fails now and then.
	var handled atomic.Int64
	handler := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		n := handled.Add(1)
		time.Sleep(time.Duration(1+n%5+(n/40)%4) * time.Millisecond)
		if n%97 == 0 {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, `{"error":"database is locked"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	defer handler.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store := inspector.NewStore(0)
	srv, err := inspector.New(inspector.Options{Store: store, Catalog: c, Matcher: m, Port: 0, Mode: "listen",
		Routes: []receiver.Route{{URL: "http://localhost:3000/hooks/tagmango"}}})
	if err != nil {
		return err
	}
	if err := srv.Listen(ctx); err != nil {
		return err
	}
	var next atomic.Int64
	clock := func() time.Time {
		i := next.Add(1) - 1
		if int(i) < len(ds) {
			return ds[i].at
		}
		return ds[len(ds)-1].at.Add(time.Second)
	}
	eng, err := receiver.New(receiver.Config{Port: 0, Matcher: m, Now: clock, Routes: []receiver.Route{{URL: handler.URL}}},
		inspector.NewRenderer(store, nil, srv.URL(), nil))
	if err != nil {
		return err
	}
	if err := eng.Listen(ctx); err != nil {
		return err
	}
	// The page shows the documented default address, not this run's free port.
	srv.SetReceiver("http://127.0.0.1:4242/")
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()
	ran := make(chan error, 1)
	go func() {
		_, err := eng.Run(ctx)
		ran <- err
	}()

	// One after the other, so that the numbering (and the clock) is the same each run.
	client := &http.Client{Timeout: 10 * time.Second}
	for _, d := range ds {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(eng.URL(), "/")+d.path, bytes.NewReader(d.body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	for deadline := time.Now().Add(30 * time.Second); store.Len() < len(ds); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("the inspector has %d of the %d deliveries after 30 s", store.Len(), len(ds))
		}
	}

	png, err := shoot(ctx, srv.URL(), len(ds))
	if err != nil {
		return err
	}
	cancel()
	if err := <-ran; err != nil {
		return err
	}
	if err := <-served; err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o750); err != nil {
		return err
	}
	if err := os.WriteFile(out, png, 0o644); err != nil { //nolint:gosec // a picture for the docs
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s (%d bytes)\n", out, len(png))
	return nil
}

// shoot opens the page, picks the delivery without its courseId and takes the
// picture.
func shoot(parent context.Context, page string, n int) ([]byte, error) {
	ctx, cancel, err := browsertest.Start(parent, browsertest.Options{Width: 1280, Height: 800})
	if err != nil {
		return nil, err
	}
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTimeout()
	err = chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 800),
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.CSS("#live.on")),
		// Every delivery listed, and no forward answer still awaited on screen.
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`window.inspectorTimings.entries >= %d && !document.querySelector('#viewport .c-status.wait')`, n)),
		// The delivery with a missing field, in the detail pane.
		chromedp.Evaluate[chromedp.Void](`(() => {
			const rows = [...document.querySelectorAll('#viewport .row')];
			const row = rows.find(r => r.querySelector('.badge.warn') && !r.querySelector('.badge.dup'));
			row && row.click();
		})()`),
		chromedp.WaitVisible(chromedp.CSS("#d-schema tr.r-missing")),
		// The chart drawn from the stats of every delivery.
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.getElementById('chart-legend').textContent.startsWith('%d deliveries')`, n)),
	)
	if err != nil {
		return nil, err
	}
	return chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS("body")))
}
