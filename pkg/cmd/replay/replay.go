// Package replay implements `replay`: resend the deliveries `listen --save` wrote.
package replay

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/events/shared"
	triggerCmd "github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/trigger"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/hookurl"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/output"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/trigger"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/trigger/report"
)

// ReplayOptions are the inputs of `replay`.
type ReplayOptions struct {
	IO         *iostreams.IOStreams
	Catalog    func() (*events.Catalog, error)
	Format     func() (output.Format, error)
	Verbose    func() bool
	AppVersion string
	Transport  http.RoundTripper

	File    string
	To      string
	Seqs    []string
	Events  []string
	Headers []string
	Timeout time.Duration
}

// NewCmdReplay builds `replay`.
func NewCmdReplay(f *cmdutil.Factory, runF func(*ReplayOptions) error) *cobra.Command {
	opts := &ReplayOptions{
		IO:         f.IOStreams,
		Catalog:    f.Catalog,
		Format:     f.OutputFormat,
		Verbose:    f.Verbose,
		AppVersion: f.AppVersion,
		Transport:  f.HTTPTransport,
	}
	cmd := &cobra.Command{
		Use:   "replay FILE --to URL [--seq N ...] [--events E,...]",
		Short: "Resend deliveries saved by listen --save",
		Long: `Resend the deliveries that listen --save wrote to FILE (one JSON object per line), in
the order they were saved, one at a time, to exactly the URL given: each with its
original body, byte for byte when the line keeps it as JSON, and its original
content-type (application/json when none was saved).

--seq N selects deliveries by their sequence number (repeatable, or N,M,...);
--events E selects those detected as E (a candidate, or the event itself; a family
such as course.completed.* works too). Both together select what matches both.

A line that is not a saved delivery is reported with its line number and skipped;
the rest are still sent. The answers are reported as trigger reports them, with the
same exit status: 0 when every answer was 2xx in time, 3 otherwise (an unreachable
endpoint included), 1 when FILE cannot be read, 130 when interrupted.

-o json prints the summary as trigger -o json does, with "file" instead of "event"
and "skippedLines"; failures are identified by their seq.`,
		Example: `  $ tagmango-hooks listen --save deliveries.jsonl
  $ tagmango-hooks replay deliveries.jsonl --to http://localhost:3000/hooks/tagmango
  $ tagmango-hooks replay deliveries.jsonl --to $URL --seq 3 --seq 7,8
  $ tagmango-hooks replay deliveries.jsonl --to $URL --events webinar.reminder.all`,
		Args: cmdutil.ExactArgs(1, "give the file listen --save wrote, e.g. `replay deliveries.jsonl --to URL`"),
		RunE: func(c *cobra.Command, args []string) error {
			opts.File = args[0]
			if opts.To == "" {
				return cmdutil.FlagErrorf("--to is required: the URL to send the deliveries to")
			}
			if opts.Timeout <= 0 {
				return cmdutil.FlagErrorf("--timeout must be positive")
			}
			if runF != nil {
				return runF(opts)
			}
			return replayRun(c.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.To, "to", "", "the `URL` to POST the deliveries to")
	fl.StringSliceVar(&opts.Seqs, "seq", nil, "replay only the delivery with this sequence number (repeatable, comma-separated)")
	fl.StringSliceVar(&opts.Events, "events", nil, "replay only deliveries detected as these events (comma-separated)")
	fl.StringArrayVarP(&opts.Headers, "header", "H", nil, "add a header to every delivery: `NAME=VALUE` (repeatable)")
	fl.DurationVar(&opts.Timeout, "timeout", trigger.TagMangoTimeout, "time limit of each delivery")
	_ = cmd.RegisterFlagCompletionFunc("events", cmdutil.CompleteEvents(f))
	return cmd
}

// Saved is one line of a `listen --save` file, as far as replay reads it.
type Saved struct {
	Seq        *int            `json:"seq"`
	Event      string          `json:"event"`
	Candidates []string        `json:"candidates"`
	Headers    json.RawMessage `json:"headers"`
	Body       json.RawMessage `json:"body"`
}

func replayRun(ctx context.Context, opts *ReplayOptions) error {
	format, err := opts.Format()
	if err != nil {
		return err
	}
	if _, err := hookurl.Parse(opts.To); err != nil {
		return cmdutil.Invalidf("--to: %v", err)
	}
	header, err := triggerCmd.ParseHeaders(opts.Headers)
	if err != nil {
		return err
	}
	seqs, err := parseSeqs(opts.Seqs)
	if err != nil {
		return err
	}
	eventFilter, err := eventSelectors(opts)
	if err != nil {
		return err
	}

	f, err := os.Open(opts.File)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", opts.File, unwrapPath(err))
	}
	defer f.Close()
	deliveries, skipped, err := readSaved(f, opts.File, opts.IO.ErrOut, func(s *Saved) bool {
		if len(seqs) > 0 && !seqs[*s.Seq] {
			return false
		}
		return eventFilter(s)
	}, seqs)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", opts.File, unwrapPath(err))
	}
	if len(deliveries) == 0 {
		if len(seqs) > 0 || len(opts.Events) > 0 {
			return fmt.Errorf("nothing to replay: no delivery in %s matches the selection", opts.File)
		}
		return fmt.Errorf("nothing to replay: %s holds no saved deliveries", opts.File)
	}

	cfg := trigger.Config{
		URL:         opts.To,
		Header:      header,
		UserAgent:   "tagmango-hooks/" + opts.AppVersion,
		Concurrency: 1, // in the saved order
		Timeout:     opts.Timeout,
		Transport:   opts.Transport,
	}
	return report.Deliver(ctx, report.Options{
		IO:           opts.IO,
		Format:       format,
		Verbose:      opts.Verbose != nil && opts.Verbose(),
		Total:        len(deliveries),
		Label:        "seq ",
		File:         opts.File,
		SkippedLines: &skipped,
	}, cfg, trigger.Slice(deliveries))
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// parseSeqs reads --seq values (already split at commas).
func parseSeqs(vals []string) (map[int]bool, error) {
	seqs := map[int]bool{}
	for _, v := range vals {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, cmdutil.FlagErrorf("--seq %q: give a sequence number (1, 2, …)", v)
		}
		seqs[n] = true
	}
	return seqs, nil
}

// eventSelectors checks --events against the catalog and returns the selection.
func eventSelectors(opts *ReplayOptions) (func(*Saved) bool, error) {
	var want []string
	for _, e := range opts.Events {
		if e = strings.TrimSpace(e); e != "" {
			want = append(want, e)
		}
	}
	if len(want) == 0 {
		return func(*Saved) bool { return true }, nil
	}
	catalog, err := opts.Catalog()
	if err != nil {
		return nil, err
	}
	for _, w := range want {
		if _, ok := catalog.Lookup(w); ok || w == "unknown" {
			continue
		}
		if prefix, ok := strings.CutSuffix(w, "*"); ok && slices.ContainsFunc(catalog.Names(), func(n string) bool { return strings.HasPrefix(n, prefix) }) {
			continue
		}
		return nil, shared.UnknownEvent(catalog, w)
	}
	return func(s *Saved) bool {
		for _, w := range want {
			if s.Event == w || slices.ContainsFunc(s.Candidates, func(c string) bool { return matches(w, c) }) {
				return true
			}
		}
		return false
	}, nil
}

// matches reports whether a selector (an event or a family such as
// "course.completed.*") selects the event name.
func matches(selector, name string) bool {
	if prefix, ok := strings.CutSuffix(selector, "*"); ok {
		return strings.HasPrefix(name, prefix)
	}
	return selector == name
}

// readSaved reads the saved lines in order and returns the selected deliveries; a
// malformed line is reported on warn with its number and skipped. Requested seqs that
// are not in the file are reported too.
func readSaved(r io.Reader, name string, warn io.Writer, keep func(*Saved) bool, seqs map[int]bool) ([]trigger.Delivery, int, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var out []trigger.Delivery
	found := map[int]bool{}
	skipped := 0
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			d, s, perr := parseLine(line)
			if perr != nil {
				fmt.Fprintf(warn, "warning: %s line %d: %v; skipped\n", name, lineNo, perr)
				skipped++
			} else {
				found[*s.Seq] = true
				if keep(s) {
					out = append(out, d)
				}
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, skipped, err
		}
	}
	var missing []int
	for n := range seqs {
		if !found[n] {
			missing = append(missing, n)
		}
	}
	slices.Sort(missing)
	for _, n := range missing {
		fmt.Fprintf(warn, "warning: no delivery with seq %d in %s\n", n, name)
	}
	return out, skipped, nil
}

// parseLine reads one saved delivery. The body is sent as saved: a JSON value as its
// exact text in the line, a string (a body that was not JSON) as its content.
func parseLine(line []byte) (trigger.Delivery, *Saved, error) {
	var s Saved
	if err := json.Unmarshal(line, &s); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return trigger.Delivery{}, nil, fmt.Errorf("not JSON (%w)", syn)
		case errors.As(err, &typ):
			if typ.Field == "" {
				return trigger.Delivery{}, nil, errors.New("not a JSON object")
			}
			return trigger.Delivery{}, nil, fmt.Errorf("%q is %s, not what listen --save writes", typ.Field, typ.Value)
		}
		return trigger.Delivery{}, nil, err
	}
	if s.Seq == nil {
		return trigger.Delivery{}, nil, errors.New(`no "seq": not a line of listen --save`)
	}
	if len(s.Body) == 0 {
		return trigger.Delivery{}, nil, errors.New(`no "body": not a line of listen --save`)
	}
	body := []byte(s.Body)
	if s.Body[0] == '"' {
		var text string
		if err := json.Unmarshal(s.Body, &text); err != nil {
			return trigger.Delivery{}, nil, fmt.Errorf("body: %w", err)
		}
		body = []byte(text)
	}
	ct, err := contentType(s.Headers)
	if err != nil {
		return trigger.Delivery{}, nil, err
	}
	return trigger.Delivery{ID: *s.Seq, Body: body, ContentType: ct}, &s, nil
}

// contentType finds the saved content-type: headers may map names to a string or to a
// list of strings, in any case.
func contentType(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "application/json", nil
	}
	var h map[string]json.RawMessage
	if err := json.Unmarshal(raw, &h); err != nil {
		return "", errors.New(`"headers" is not an object`)
	}
	for k, v := range h {
		if !strings.EqualFold(k, "content-type") {
			continue
		}
		var s string
		if json.Unmarshal(v, &s) == nil && s != "" {
			return s, nil
		}
		var list []string
		if json.Unmarshal(v, &list) == nil && len(list) > 0 && list[0] != "" {
			return list[0], nil
		}
	}
	return "application/json", nil
}
