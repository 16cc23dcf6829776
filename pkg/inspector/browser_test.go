package inspector_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/inspector"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/inspector/browsertest"
)

// browser starts a headless Chromium for the test. Without one the test is
// skipped — but not under CI=true, where a missing browser is a failure.
func browser(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel, err := browsertest.Start(context.Background(), browsertest.Options{Width: 1280, Height: 800})
	if errors.Is(err, browsertest.ErrNoBrowser) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true: %v", err)
		}
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cancel)
	return ctx
}

// do runs the steps with a time limit.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// poll waits until the expression is true in the page.
func poll(t *testing.T, ctx context.Context, expr string) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := chromedp.Run(tctx, chromedp.Poll[chromedp.Void](expr)); err != nil {
		t.Fatalf("waiting for %s: %v", expr, err)
	}
}

const rowsJS = `[...document.querySelectorAll('#viewport .row:not([hidden])')]`

// xssPayload tries everything a payload could do to a page that trusts it.
const xssPayload = `{"name":"<script>window.__xss=1</script>","email":"<img src=x onerror=\"window.__xss=2\">","course":"javascript:window.__xss=3","courseId":"\u001b[31mred\u001b[0m \u202egnp.exe","link":"<a href=\"javascript:window.__xss=4\">click</a>","phone":1,"lastProgressOn":"x"}`

func TestBrowser(t *testing.T) {
	ctx := browser(t)
	var dialogs atomic.Int64
	if err := chromedp.Listen(ctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			dialogs.Add(1)
			go func() {
				_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
			}()
		}
	}); err != nil {
		t.Fatal(err)
	}
	rc := &recorder{}
	target := httptest.NewServer(rc)
	defer target.Close()
	s := startSession(t, sessionConfig{})

	// The page loads and connects its stream.
	do(t, ctx, chromedp.Navigate(s.page), chromedp.WaitVisible(chromedp.CSS("#live.on")))
	if n := eval[int](t, ctx, rowsJS+`.length`); n != 0 {
		t.Fatalf("%d rows before any delivery", n)
	}

	// Three deliveries appear without a reload, newest first.
	s.post("/course.completed.50", coursePayload)
	s.post("/", reminderPayload)
	s.post("/course.completed.50", noCourseID)
	poll(t, ctx, rowsJS+`.length === 3`)
	if got := eval[string](t, ctx, rowsJS+`.map(r => r.children[0].textContent).join(" ")`); got != "#3 #2 #1" {
		t.Errorf("rows %q", got)
	}

	// The filter narrows the list, and the URL keeps it across a reload.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`(() => { const q = document.getElementById('f-q'); q.value = 'asha'; q.dispatchEvent(new Event('input')); })()`))
	poll(t, ctx, rowsJS+`.length === 1`)
	if got := eval[string](t, ctx, `location.search`); !strings.Contains(got, "q=asha") {
		t.Errorf("the URL does not keep the filter: %q", got)
	}
	do(t, ctx, chromedp.Navigate(s.page+"?q=asha"), chromedp.WaitVisible(chromedp.CSS("#live.on")))
	poll(t, ctx, rowsJS+`.length === 1 && document.getElementById('f-q').value === 'asha'`)

	// The detail shows the schema table, with the missing field flagged.
	do(t, ctx, chromedp.Click(chromedp.CSS("#viewport .row:not([hidden])")), chromedp.WaitVisible(chromedp.CSS("#d-schema tr.r-missing")))
	if got := eval[string](t, ctx, `document.querySelector('#d-schema tr.r-missing').textContent`); got != "courseIdstring—missing" {
		t.Errorf("missing row %q", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('#d-warnings').textContent`); !strings.Contains(got, `missing field "courseId"`) {
		t.Errorf("warnings %q", got)
	}

	// Replay sends the body byte for byte; Edit & replay sends the edit.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const i = document.getElementById('d-target'); i.value = %q; i.dispatchEvent(new Event('change')); })()`, target.URL+"/hook")),
		chromedp.Click(chromedp.CSS("#a-replay")))
	poll(t, ctx, `!document.getElementById('d-result').hidden`)
	if reqs := rc.got(); len(reqs) != 1 || string(reqs[0].body) != noCourseID || reqs[0].path != "/hook" {
		t.Fatalf("replay reached the target with %q", reqs)
	}
	if got := eval[string](t, ctx, `document.getElementById('d-result').textContent`); !strings.Contains(got, "Replay of #3 → 202") {
		t.Errorf("replay result %q", got)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("#a-edit")), chromedp.WaitVisible(chromedp.CSS("#e-body")))
	// An invalid edit is refused in the page, and nothing is sent.
	do(t, ctx, chromedp.SetValue(chromedp.CSS("#e-body"), `{"name": "x",}`), chromedp.Click(chromedp.CSS("#e-send")))
	poll(t, ctx, `document.getElementById('e-error').textContent.includes('Not valid JSON')`)
	edited := `{"name":"Asha Rao","email":"asha@example.com","phone":9876543210,"course":"Example course","courseId":"634fc35ddaf58580e2418c40","lastProgressOn":"2023-11-20T18:30Z"}`
	do(t, ctx, chromedp.SetValue(chromedp.CSS("#e-body"), edited), chromedp.Click(chromedp.CSS("#e-send")))
	poll(t, ctx, `!document.getElementById('editor').open`)
	if reqs := rc.got(); len(reqs) != 2 || string(reqs[1].body) != edited {
		t.Fatalf("edited replay reached the target with %q", reqs)
	}
	// Both replays are entries of their own.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`(() => { const q = document.getElementById('f-q'); q.value = ''; q.dispatchEvent(new Event('input')); })()`))
	poll(t, ctx, rowsJS+`.length === 5`)
	if got := eval[string](t, ctx, rowsJS+`.slice(0, 2).map(r => r.children[0].textContent + " " + r.querySelector('.badge.rpl').textContent).join(", ")`); got != "↻3 replay, ↻3 replay" {
		t.Errorf("replay rows %q", got)
	}

	// Compare: mark #1, open #3, compare: the differing fields, not a text diff.
	selectSeq := func(label string) {
		t.Helper()
		do(t, ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`%s.find(r => r.children[0].textContent === %q).click()`, rowsJS, label)))
		poll(t, ctx, fmt.Sprintf(`document.getElementById('d-title').textContent.startsWith('Delivery %s ')`, label))
	}
	selectSeq("#1")
	do(t, ctx, chromedp.Click(chromedp.CSS("#a-mark")))
	poll(t, ctx, `document.getElementById('a-mark').textContent.startsWith('Marked')`)
	selectSeq("#3")
	poll(t, ctx, `document.getElementById('a-mark').textContent === 'Compare with #1'`)
	do(t, ctx, chromedp.Click(chromedp.CSS("#a-mark")), chromedp.WaitVisible(chromedp.CSS("#cmp-table")))
	diff := eval[string](t, ctx, `[...document.querySelectorAll('#cmp-table tbody tr')].map(r => r.children[0].textContent + ':' + r.children[3].textContent).join(' ')`)
	if diff != "name:changed email:changed phone:changed courseId:only in A" {
		t.Errorf("compare rows %q", diff)
	}
	if got := eval[string](t, ctx, `document.getElementById('cmp-title').textContent`); !strings.Contains(got, "4 of 6 fields differ") {
		t.Errorf("compare title %q", got)
	}
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById('compare').close()`))

	// Keyboard: j moves down the list (to older), Enter opens it.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById('d-close').click()`))
	selectSeq("#3")
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById('d-close').click()`),
		chromedp.KeyEvent("j"), chromedp.KeyEvent("\r"))
	poll(t, ctx, `!document.getElementById('detail').hidden && document.getElementById('d-title').textContent.startsWith('Delivery #2 ')`)

	// A payload full of markup, script URLs and terminal escapes is shown as text and
	// runs nothing.
	s.post("/course.completed.50", xssPayload)
	poll(t, ctx, rowsJS+`.length === 6`)
	selectSeq("#4")
	do(t, ctx, chromedp.Click(chromedp.CSS("#t-raw")))
	if got := eval[string](t, ctx, `document.getElementById('d-body').textContent`); !strings.Contains(got, `<script>window.__xss=1</script>`) || !strings.Contains(got, `<img src=x onerror=`) {
		t.Errorf("the payload is not shown as text: %q", got)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("#t-pretty")))
	if got := eval[string](t, ctx, `document.getElementById('d-body').textContent`); !strings.Contains(got, `"\u003cscript\u003ewindow.__xss=1\u003c/script\u003e"`) && !strings.Contains(got, `"<script>window.__xss=1</script>"`) {
		t.Errorf("pretty body %q", got)
	}
	injected := eval[int](t, ctx, `document.querySelectorAll('script:not([src]), img, iframe, a[href^="javascript"], #detail a, #viewport a').length`)
	xss := eval[string](t, ctx, `String(window.__xss)`)
	if injected != 0 || xss != "undefined" || dialogs.Load() != 0 {
		t.Errorf("the payload got in: %d injected nodes, window.__xss %s, %d dialogs", injected, xss, dialogs.Load())
	}
}

// TestBrowserTenThousand: 10,000 deliveries render (only the rows on screen exist)
// and scroll to the oldest; the time to first render and to filter is printed.
func TestBrowserTenThousand(t *testing.T) {
	ctx := browser(t)
	c := testCatalog(t)
	m := events.NewMatcher(c)
	store := inspector.NewStore(0)
	var saved bytes.Buffer
	for i := 1; i <= 10000; i++ {
		body := fmt.Sprintf(`{"name":"Participant %d","email":"p%d@example.com","phone":"98%08d","timezone":"+05:30","webinar":"Launch","webinarId":"634fc35ddaf58580e2418c40","webinarLink":"https://meet.google.com/abc","webinarFromTime":"2024-03-15T10:00:00.000Z","webinarToTime":"2024-03-15T11:00:00.000Z","webinarFromTimeInCreatorTimezone":"2024-03-15T15:30:00.000Z","creatorTimezone":"+05:30","mangoes":"Community"}`, i, i, i)
		fmt.Fprintf(&saved, `{"seq":%d,"receivedAt":"2026-11-30T10:00:%02d.%03dZ","method":"POST","path":"/webinar.reminder.all","headers":{"Content-Type":"application/json"},"status":200,"raw":%q}`+"\n", i, i/1000, i%1000, body)
	}
	if _, err := inspector.Load(context.Background(), store, m, "fanout.jsonl", &saved, func(s string) { t.Error(s) }); err != nil {
		t.Fatal(err)
	}
	srv, err := inspector.New(inspector.Options{Store: store, Catalog: c, Matcher: m, Port: 0, Mode: "inspect"})
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(context.Background())
	if err := srv.Listen(sctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	do(t, ctx, chromedp.Navigate(srv.URL()))
	poll(t, ctx, `window.inspectorTimings.entries === 10000 && `+rowsJS+`.length > 0`)
	first := eval[float64](t, ctx, `window.inspectorTimings.firstRenderMs`)
	if n := eval[int](t, ctx, `document.querySelectorAll('#viewport .row').length`); n > 100 {
		t.Errorf("%d rows in the page for 10,000 entries: not virtualised", n)
	}
	if got := eval[string](t, ctx, rowsJS+`[0].children[0].textContent`); got != "#10000" {
		t.Errorf("top row %q", got)
	}
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById('viewport').scrollTop = 1e9`))
	poll(t, ctx, rowsJS+`.some(r => r.children[0].textContent === '#1')`)
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`(() => { const q = document.getElementById('f-q'); q.value = 'participant 9999'; q.dispatchEvent(new Event('input')); })()`))
	poll(t, ctx, rowsJS+`.length === 1`)
	filter := eval[float64](t, ctx, `window.inspectorTimings.filterMs`)
	fmt.Printf("inspector page, 10,000 entries: first render %.0f ms, filter %.1f ms\n", first, filter)
	t.Logf("first render %.0f ms, filter %.1f ms", first, filter)
}

// TestBrowserSearchAgreesWithTheAPI: the page's search ignores ASCII case only, as
// the API's q= (and so Download) does.
func TestBrowserSearchAgreesWithTheAPI(t *testing.T) {
	ctx := browser(t)
	s := startSession(t, sessionConfig{})
	s.post("/", `{"city":"ÅRHUS","name":"Zoë"}`)
	s.post("/", `{"city":"århus","name":"Asha"}`)
	do(t, ctx, chromedp.Navigate(s.page), chromedp.WaitVisible(chromedp.CSS("#live.on")))
	poll(t, ctx, rowsJS+`.length === 2`)
	for _, q := range []string{"ÅRH", "årh", "ZOË", "zoë", "ASHA", "rhus"} {
		var api listAnswer
		s.getJSON("/api/deliveries?view=list&q="+url.QueryEscape(q), &api)
		do(t, ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const q = document.getElementById('f-q'); q.value = %q; q.dispatchEvent(new Event('input')); })()`, q)))
		// The search applies 120 ms after typing stops; the URL says when it did.
		poll(t, ctx, fmt.Sprintf(`new URLSearchParams(location.search).get('q') === %q`, q))
		if got := eval[int](t, ctx, rowsJS+`.length`); got != len(api.Deliveries) {
			t.Errorf("q=%s: the page shows %d rows, the API lists %d", q, got, len(api.Deliveries))
		}
	}
}
