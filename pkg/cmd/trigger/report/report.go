// Package report runs the delivery engine for `trigger` and `replay` and shows what
// happened: a progress bar on a terminal (stderr only), then either the one answer or
// a summary on stdout, or a JSON/YAML summary for scripts. It maps the outcome to the
// commands' errors: exit 3 when a delivery failed, 130 when interrupted.
package report

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/deliver"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/output"
)

// Options say how to show a run.
type Options struct {
	IO      *iostreams.IOStreams
	Format  output.Format
	Verbose bool
	// Total is how many deliveries the source will give (for the progress bar and
	// "23 of 50"); 0 when it is not known until the source ends (replay streams its
	// file): the bar then shows a count, and a run that sent exactly one delivery to
	// its end is shown as one.
	Total int
	// Now is the clock of the progress bar; nil means time.Now.
	Now func() time.Time
	// Label prefixes a delivery's ID in messages: "#" for trigger, "seq " for replay.
	Label string
	// Event or File names what was sent, in the JSON report.
	Event string
	File  string
	// SkippedLines tells how many lines of File were skipped (replay), once the run
	// is over.
	SkippedLines func() int
	// Notes, when set, is where the source writes its warnings during the run; nil
	// means Deliver makes its own on IO.ErrOut.
	Notes *Notes
}

// Report is the JSON shape of a run (`trigger -o json`, `replay -o json`).
type Report struct {
	Event  string `json:"event,omitempty"`
	File   string `json:"file,omitempty"`
	URL    string `json:"url"`
	Passed bool   `json:"passed"`
	*deliver.Summary
	// Answer is the beginning of the answer when exactly one delivery was sent.
	Answer       *string `json:"answer,omitempty"`
	SkippedLines *int    `json:"skippedLines,omitempty"`
}

// Deliver sends src with cfg and reports. It returns nil when every delivery was
// answered 2xx in time, an expectation error (exit 3) otherwise — an unreachable
// endpoint included — and cmdutil.ErrCancel (exit 130) when ctx was cancelled.
func Deliver(ctx context.Context, o Options, cfg deliver.Config, src deliver.Source) error {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	notes := o.Notes
	if notes == nil {
		notes = NewNotes(o.IO.ErrOut)
	}
	if o.IO.IsStderrTTY() && o.Total != 1 && !o.Verbose {
		notes.startBar(o.Total, now)
	}
	var only deliver.Result
	userCallback := cfg.OnResult
	cfg.OnResult = func(r deliver.Result) {
		only = r
		notes.answered()
		if o.Verbose {
			notes.Printf("%s%d  %s  %s\n", o.Label, r.ID, outcome(r), Duration(r.Latency))
		}
		if userCallback != nil {
			userCallback(r)
		}
	}
	sum, srcErr := deliver.Run(ctx, cfg, src)
	notes.close()
	if sum == nil {
		return srcErr
	}
	single := sum.Sent == 1 && (o.Total == 1 || o.Total <= 0 && !sum.Interrupted && srcErr == nil)

	if o.Format.IsStructured() {
		rep := Report{Event: o.Event, File: o.File, URL: cfg.URL, Passed: sum.Passed(), Summary: sum}
		if o.SkippedLines != nil {
			n := o.SkippedLines()
			rep.SkippedLines = &n
		}
		if single && only.Err == nil {
			a := string(only.Answer)
			rep.Answer = &a
		}
		if err := output.WriteStructured(o.IO.Out, o.Format, rep); err != nil {
			return err
		}
	} else if single {
		writeSingle(o.IO.Out, only)
	} else {
		writeSummary(o.IO.Out, o, cfg.URL, sum)
	}

	switch {
	case sum.Interrupted:
		return cmdutil.ErrCancel
	case srcErr != nil:
		return srcErr
	case sum.Unreachable():
		return cmdutil.Expectationf("could not reach %s: %s", cfg.URL, sum.Failures[0].Error)
	case !sum.Passed():
		return cmdutil.Expectationf("%s", failureMessage(o, sum, single, only))
	}
	return nil
}

// outcome is "200 OK", "500 Internal Server Error" or the error.
func outcome(r deliver.Result) string {
	if r.Err != nil {
		return r.Err.Error()
	}
	s := strconv.Itoa(r.Status)
	if t := http.StatusText(r.Status); t != "" {
		s += " " + t
	}
	if r.Slow {
		s += " (too slow)"
	}
	return s
}

func writeSingle(w io.Writer, r deliver.Result) {
	if r.Err != nil {
		return // the error says it
	}
	fmt.Fprintf(w, "%s in %s\n", outcome(r), Duration(r.Latency))
	fmt.Fprintf(w, "answer: %s\n", Quote(r.Answer, r.AnswerSize))
}

func writeSummary(w io.Writer, o Options, url string, s *deliver.Summary) {
	noun := "deliveries"
	if s.Sent == 1 {
		noun = "delivery"
	}
	rate := ""
	if secs := s.Duration().Seconds(); secs > 0 && s.Sent > 1 {
		rate = fmt.Sprintf(" (%.0f/s)", float64(s.Sent)/secs)
	}
	switch {
	case s.Interrupted && o.Total > 0:
		fmt.Fprintf(w, "Interrupted: sent %d of %d %s to %s in %s%s\n", s.Sent, o.Total, noun, url, Duration(s.Duration()), rate)
	case s.Interrupted:
		fmt.Fprintf(w, "Interrupted: sent %d %s to %s in %s%s\n", s.Sent, noun, url, Duration(s.Duration()), rate)
	default:
		fmt.Fprintf(w, "Sent %d %s to %s in %s%s\n", s.Sent, noun, url, Duration(s.Duration()), rate)
	}
	var rows [][2]string
	twoxx := 0
	var others []string
	for code, n := range s.Statuses {
		if c, _ := strconv.Atoi(code); c >= 200 && c < 300 {
			twoxx += n
		} else {
			others = append(others, code)
		}
	}
	slices.SortFunc(others, func(a, b string) int { x, _ := strconv.Atoi(a); y, _ := strconv.Atoi(b); return x - y })
	rows = append(rows, [2]string{"2xx", strconv.Itoa(twoxx)})
	for _, code := range others {
		rows = append(rows, [2]string{code, strconv.Itoa(s.Statuses[code])})
	}
	errs := strconv.Itoa(s.Errors)
	if s.Errors > 0 {
		var kinds []string
		for k, n := range s.ErrorKinds {
			kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
		}
		slices.Sort(kinds)
		errs += " (" + strings.Join(kinds, ", ") + ")"
	}
	rows = append(rows, [2]string{"errors", errs}, [2]string{"over 30s", strconv.Itoa(s.Over30s)})
	if s.Sent > 0 {
		rows = append(rows, [2]string{"latency", fmt.Sprintf("p50 %s  p95 %s  p99 %s  max %s",
			Duration(s.Percentile(50)), Duration(s.Percentile(95)), Duration(s.Percentile(99)), Duration(s.Percentile(100)))})
	}
	for _, r := range rows {
		fmt.Fprintf(w, "  %-9s %s\n", r[0], r[1])
	}
	if len(s.Failures) > 0 {
		failed := s.Sent - s.OK
		head := "Failures"
		if failed > len(s.Failures) {
			head = fmt.Sprintf("Failures (first %d of %d)", len(s.Failures), failed)
		}
		fmt.Fprintf(w, "%s:\n", head)
		for _, f := range s.Failures {
			what, detail := f.Error, ""
			if what == "" {
				what = strconv.Itoa(f.Status) + " " + http.StatusText(f.Status)
				detail = Quote([]byte(f.Answer), int64(len(f.Answer)))
				if f.Slow {
					what += fmt.Sprintf(" after %s (over 30s)", Duration(time.Duration(f.LatencyMs*float64(time.Millisecond))))
				}
			}
			line := fmt.Sprintf("  %-7s %s", o.Label+strconv.Itoa(f.ID), output.SanitizeCell(what))
			if detail != "" {
				line += "  " + detail
			}
			fmt.Fprintln(w, line)
		}
	}
}

// failureMessage says in one line what went wrong.
func failureMessage(o Options, s *deliver.Summary, single bool, only deliver.Result) string {
	if single {
		if only.Err != nil {
			return only.Err.Error()
		}
		if only.Slow {
			return fmt.Sprintf("the endpoint answered %s after %s, over TagMango's 30 s limit", outcome(only), Duration(only.Latency))
		}
		return fmt.Sprintf("the endpoint answered %s", outcome(only))
	}
	var parts []string
	var codes []string
	for code := range s.Statuses {
		if c, _ := strconv.Atoi(code); c < 200 || c >= 300 {
			codes = append(codes, code)
		}
	}
	slices.Sort(codes)
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%d answered %s", s.Statuses[c], c))
	}
	var kinds []string
	for k := range s.ErrorKinds {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%d %s", s.ErrorKinds[k], errorKindText(k)))
	}
	if s.Over30s > 0 {
		parts = append(parts, fmt.Sprintf("%d took over 30 s", s.Over30s))
	}
	return fmt.Sprintf("%d of %d deliveries failed: %s", s.Sent-s.OK, s.Sent, strings.Join(parts, ", "))
}

func errorKindText(k string) string {
	switch k {
	case deliver.KindTimeout:
		return "timed out"
	case deliver.KindOther:
		return "failed"
	}
	return "failed: " + k
}

// Duration shows a latency with a precision that suits its size.
func Duration(d time.Duration) string {
	switch {
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

// Quote shows the beginning of an answer as a quoted, escaped string (control
// characters and invalid UTF-8 cannot reach the terminal), noting its full size when
// it was cut.
func Quote(b []byte, size int64) string {
	const show = 200
	cut := len(b) > show || size > int64(len(b))
	if len(b) > show {
		b = b[:show]
		// Do not split the last character.
		for i := 0; i < utf8.UTFMax-1 && len(b) > 0; i++ {
			if r, n := utf8.DecodeLastRune(b); r != utf8.RuneError || n != 1 {
				break
			}
			b = b[:len(b)-1]
		}
	}
	q := strconv.Quote(string(b))
	if cut {
		q += fmt.Sprintf("… (%d bytes)", size)
	}
	return q
}
