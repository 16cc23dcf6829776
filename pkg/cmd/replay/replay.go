// Package replay implements `replay`: resend the deliveries `listen --save` wrote.
package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	triggerCmd "github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/trigger"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/trigger/report"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/deliver"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/hookurl"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/output"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/savefile"
)

// ReplayOptions are the inputs of `replay`.
type ReplayOptions struct {
	IO         *iostreams.IOStreams
	Catalog    func() (*events.Catalog, error)
	Format     func() (output.Format, error)
	Verbose    func() bool
	Now        func() time.Time
	AppVersion string
	Transport  http.RoundTripper

	File    string
	To      string
	Seqs    []string
	Events  []string // split at commas (EventFlag.Names)
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
		Now:        f.Now,
		AppVersion: f.AppVersion,
		Transport:  f.HTTPTransport,
	}
	var eventFlag *cmdutil.EventFlag
	cmd := &cobra.Command{
		Use:   "replay FILE --to URL [--seq N ...] [--event E ...]",
		Short: "Resend deliveries saved by listen --save",
		Long: `Resend the deliveries that listen --save wrote to FILE (one JSON object per line), in
the order they were saved, one at a time, to exactly the URL given: each with its
original body byte for byte — the line's "raw" (the body as a string, when it is
UTF-8) or "rawBase64" (standard base64, when it is not) — and its original
content-type (application/json when none was saved). A line saved by a listen that
did not write those fields sends its "body": a JSON value as its text in the line, a
string as its content.

Deliveries are sent as FILE is read, so FILE may be a FIFO or a file listen --save is
still writing; Ctrl-C stops at once, even while waiting for a FIFO's writer.

--seq N selects deliveries by their sequence number (repeatable, or N,M,...);
--event E selects those detected as E (a candidate, or the event itself; a family
such as 'course.completed.*' works too, and unknown selects the deliveries no event
matched; repeatable, or E,F,...). Both together select what matches both.

A line that is not a saved delivery is reported with its line number and skipped;
the rest are still sent. So is a line longer than listen --save can write (784 MiB:
its largest body, 64 MiB, twice and escaped, plus the other fields), without being
held in memory. The answers are reported as trigger reports them, with the
same exit status: 0 when every answer was 2xx in time, 3 otherwise (an unreachable
endpoint included), 1 when FILE cannot be read, 130 when interrupted.

-o json prints the summary as trigger -o json does, with "file" instead of "event"
and "skippedLines"; failures are identified by their seq.`,
		Example: `  $ tagmango-hooks listen --save deliveries.jsonl
  $ tagmango-hooks replay deliveries.jsonl --to http://localhost:3000/hooks/tagmango
  $ tagmango-hooks replay deliveries.jsonl --to $URL --seq 3 --seq 7,8
  $ tagmango-hooks replay deliveries.jsonl --to $URL --event webinar.reminder.all
  $ tagmango-hooks replay deliveries.jsonl --to localhost:3000/hooks -e 'course.completed.*'`,
		Args: cmdutil.ExactArgs(1, "give the file listen --save wrote, e.g. `replay deliveries.jsonl --to URL`"),
		RunE: func(c *cobra.Command, args []string) error {
			opts.File = args[0]
			opts.Events = eventFlag.Names()
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
	fl.StringVar(&opts.To, "to", "", "the `URL` to POST the deliveries to (localhost:3000/x needs no http://)")
	fl.StringSliceVar(&opts.Seqs, "seq", nil, "replay only the delivery with this sequence number (repeatable, comma-separated)")
	eventFlag = cmdutil.AddEventFlag(f, cmd, cmdutil.Select, "replay only deliveries detected as this `EVENT` or family")
	eventFlag.AddDeprecatedAlias(f, cmd)
	fl.StringArrayVarP(&opts.Headers, "header", "H", nil, "add a header to every delivery: `NAME=VALUE` (repeatable)")
	fl.DurationVar(&opts.Timeout, "timeout", deliver.TagMangoTimeout, "time limit of each delivery")
	return cmd
}

func replayRun(ctx context.Context, opts *ReplayOptions) error {
	format, err := opts.Format()
	if err != nil {
		return err
	}
	if opts.To, err = hookurl.ParseTarget(opts.To); err != nil {
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

	f, err := openSaved(ctx, opts.File)
	if err != nil {
		if ctx.Err() != nil {
			return cmdutil.ErrCancel
		}
		return fmt.Errorf("cannot read %s: %w", opts.File, unwrapPath(err))
	}
	defer f.Close()
	// A read blocked on a FIFO or a pipe returns when the file is closed.
	stopClosing := context.AfterFunc(ctx, func() { _ = f.Close() })
	defer stopClosing()

	notes := report.NewNotes(opts.IO.ErrOut)
	src := &savedSource{
		ctx:   ctx,
		name:  opts.File,
		notes: notes,
		warn:  opts.IO.WarningLine,
		seqs:  seqs,
		found: map[int]bool{},
		keep: func(s *savefile.Line) bool {
			if len(seqs) > 0 && !seqs[*s.Seq] {
				return false
			}
			return eventFilter(s)
		},
	}
	src.lines = savefile.NewReader(f, opts.File, func(warning string) {
		notes.Printf("%s", src.warn(warning))
		src.skipped.Add(1)
	})
	// The first delivery is found before anything is shown, so that a file with
	// nothing to replay is an error rather than an empty report; the rest are sent
	// as they are read.
	first, ok, err := src.next()
	switch {
	case ctx.Err() != nil:
		return cmdutil.ErrCancel
	case err != nil:
		return err
	case !ok && (len(seqs) > 0 || len(opts.Events) > 0):
		return fmt.Errorf("nothing to replay: no delivery in %s matches the selection", opts.File)
	case !ok:
		return fmt.Errorf("nothing to replay: %s holds no saved deliveries", opts.File)
	}
	pending := &first

	cfg := deliver.Config{
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
		Now:          opts.Now,
		Label:        "seq ",
		File:         opts.File,
		SkippedLines: func() int { return int(src.skipped.Load()) },
		Notes:        notes,
	}, cfg, func() (deliver.Delivery, bool, error) {
		if pending != nil {
			d := *pending
			pending = nil
			return d, true, nil
		}
		return src.next()
	})
}

// openSaved opens FILE so that an interruption is honoured while it waits: opening a
// FIFO blocks until a writer comes, beyond the reach of a context.
func openSaved(ctx context.Context, name string) (*os.File, error) {
	type opened struct {
		f   *os.File
		err error
	}
	done := make(chan opened, 1)
	go func() {
		f, err := os.Open(name)
		done <- opened{f, err}
	}()
	select {
	case o := <-done:
		return o.f, o.err
	case <-ctx.Done():
	}
	// Opening the FIFO's other end without waiting lets the pending open return, so
	// that no thread stays blocked in it; what it opened is closed.
	if fi, err := os.Stat(name); err == nil && fi.Mode()&fs.ModeNamedPipe != 0 {
		if w, err := os.OpenFile(name, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			_ = w.Close()
		}
	}
	go func() {
		if o := <-done; o.f != nil {
			_ = o.f.Close()
		}
	}()
	return nil, ctx.Err()
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

// eventSelectors checks --event against the catalog and returns the selection.
// "unknown" is taken too: it is what listen saves for a body no event matched.
func eventSelectors(opts *ReplayOptions) (func(*savefile.Line) bool, error) {
	want := opts.Events
	if len(want) == 0 {
		return func(*savefile.Line) bool { return true }, nil
	}
	catalog, err := opts.Catalog()
	if err != nil {
		return nil, err
	}
	check := slices.DeleteFunc(slices.Clone(want), func(w string) bool { return w == events.Unknown })
	if err := cmdutil.CheckEvents(catalog, "--event", cmdutil.Select, check); err != nil {
		return nil, err
	}
	return func(s *savefile.Line) bool {
		for _, w := range want {
			if events.Selects(w, s.Event, s.Candidates) {
				return true
			}
		}
		return false
	}, nil
}

// savedSource reads a save file line by line and hands out the selected deliveries
// as it goes, so that a file of any size costs no more memory than its longest line.
// It runs on the engine's producer goroutine; what it reports goes through notes.
type savedSource struct {
	ctx   context.Context
	name  string
	lines *savefile.Reader
	notes *report.Notes
	warn  func(string) string // formats a warning line, written through notes
	keep  func(*savefile.Line) bool
	seqs  map[int]bool // the --seq values
	found map[int]bool // the --seq values seen so far
	// skipped is read by the report once the run is over, possibly while a source
	// blocked on a pipe is still winding down.
	skipped atomic.Int64
	done    bool
}

// next returns the next selected delivery, false at the end of the file (after
// naming the --seq values it did not hold). An interruption is the end, silently.
func (s *savedSource) next() (deliver.Delivery, bool, error) {
	for !s.done {
		saved, err := s.lines.Next(s.ctx)
		if s.ctx.Err() != nil {
			return deliver.Delivery{}, false, nil
		}
		if errors.Is(err, io.EOF) {
			s.done = true
			break
		}
		if err != nil {
			return deliver.Delivery{}, false, fmt.Errorf("cannot read %s: %w", s.name, unwrapPath(err))
		}
		if s.seqs[*saved.Seq] {
			s.found[*saved.Seq] = true
		}
		if s.keep(saved) {
			return savedDelivery(saved), true, nil
		}
	}
	var missing []int
	for n := range s.seqs {
		if !s.found[n] {
			missing = append(missing, n)
		}
	}
	slices.Sort(missing)
	for _, n := range missing {
		s.notes.Printf("%s", s.warn(fmt.Sprintf("no delivery with seq %d in %s", n, s.name)))
	}
	s.seqs = nil // said once
	return deliver.Delivery{}, false, nil
}

// savedDelivery is the delivery a line records.
func savedDelivery(s *savefile.Line) deliver.Delivery {
	body, _ := s.Bytes()     // decoded by Parse
	ct, _ := s.ContentType() // decoded by Parse
	return deliver.Delivery{ID: *s.Seq, Body: body, ContentType: ct}
}
