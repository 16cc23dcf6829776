// Package trigger implements `trigger`: send deliveries of an event to an endpoint,
// shaped as TagMango sends them.
package trigger

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/events/shared"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/trigger/report"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/deliver"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/hookurl"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/output"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/sample"
)

// MaxDataSize bounds a --data body (file or stdin).
const MaxDataSize = 10 << 20

// TriggerOptions are the inputs of `trigger`.
type TriggerOptions struct {
	IO         *iostreams.IOStreams
	Catalog    func() (*events.Catalog, error)
	Format     func() (output.Format, error)
	Verbose    func() bool
	Now        func() time.Time
	AppVersion string
	// Transport sends the deliveries; nil means one sized for Concurrency.
	Transport http.RoundTripper

	Event       string
	To          string
	Count       int
	Concurrency int
	Sets        []string
	Force       bool
	Data        string
	Headers     []string
	Timeout     time.Duration
	Seed        uint64
}

// NewCmdTrigger builds `trigger`.
func NewCmdTrigger(f *cmdutil.Factory, runF func(*TriggerOptions) error) *cobra.Command {
	opts := &TriggerOptions{
		IO:         f.IOStreams,
		Catalog:    f.Catalog,
		Format:     f.OutputFormat,
		Verbose:    f.Verbose,
		Now:        f.Now,
		AppVersion: f.AppVersion,
		Transport:  f.HTTPTransport,
	}
	cmd := &cobra.Command{
		Use:   "trigger EVENT --to URL [--count N] [--set field=value ...] [--data FILE|-]",
		Short: "Send sample deliveries of an event to an endpoint",
		Long: `Send deliveries of EVENT to an endpoint — your handler, or a listen — shaped exactly
as TagMango sends them: a POST of the bare JSON payload with content-type
application/json (and user-agent tagmango-hooks/VERSION), to exactly the URL given
(a loopback address needs no scheme: --to localhost:3000/hooks is http://…).

Each delivery is a realistic fake participant (see events sample --fake); --count N
(-n N) simulates TagMango's fan-out, one call per participant, each with distinct data,
--concurrency at a time. --seed N makes the payloads reproducible.

--set field=value changes a field of every payload, typed per the catalog: a number
field gets a JSON number, a string field a string; null sets null (name='"null"' sets
the text); arrays and objects take JSON (callList='[...]'). Nested fields use dots,
array items their index: callList.0.webinar=... A field the event does not document
is refused with the closest name; --force adds it as a string.

--data FILE (or - for stdin, at most 10 MiB) sends that body verbatim instead.

One delivery prints its status, latency and the beginning of the answer. Many show a
progress bar on a terminal (stderr), then a summary: sent, 2xx, other statuses by
code, errors, latency percentiles and how many took over TagMango's 30 s limit.
Redirects are reported, not followed.

Exit status: 0 when every answer was 2xx in time; 3 when one was not, timed out
(--timeout, default TagMango's 30 s) or took over 30 s, and when the endpoint cannot
be reached; 2 for an unknown event or invalid flags; 130 when interrupted (the
partial summary is printed: deliveries in flight count as sent, with their status
when it had come, else as errors of kind "interrupted"; "passed" is false).

-o json prints the summary as one object:
  {"event", "url", "passed", "sent", "ok" (2xx in time), "statuses" {"200": N, ...},
   "errors", "errorKinds" {"timeout": N, "connection refused": N, ...}, "over30s",
   "latencyMs" {"p50", "p95", "p99", "max"}, "durationMs", "interrupted",
   "failures" [{"id", "status" or "error", "latencyMs", "slow", "answer"}] (first 20),
   "answer" (the beginning of the answer, when exactly one delivery was sent)}`,
		Example: `  $ tagmango-hooks trigger course.completed.50 --to http://localhost:3000/hooks/tagmango
  $ tagmango-hooks trigger webinar.created.recurring --to localhost:4242 -n 500 --concurrency 50
  $ tagmango-hooks trigger order.created.failed --to $URL --set status=failed --set amount=0
  $ tagmango-hooks trigger webinar.created.single --to $URL --set callList.0.webinar="Live Q&A"
  $ tagmango-hooks events sample course.completed.50 --fake > body.json && tagmango-hooks trigger course.completed.50 --to $URL --data body.json
  $ tagmango-hooks trigger course.completed.100 --to $URL --count 100 -o json | jq .latencyMs.p95`,
		Args:              cmdutil.ExactArgs(1, "give the event to send, e.g. `trigger course.completed.50 --to URL`"),
		ValidArgsFunction: cmdutil.CompleteEvents(f),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Event = args[0]
			if opts.To == "" {
				return cmdutil.FlagErrorf("--to is required: the URL to send the deliveries to")
			}
			if opts.Count < 1 {
				return cmdutil.FlagErrorf("--count must be at least 1")
			}
			if opts.Concurrency < 1 {
				return cmdutil.FlagErrorf("--concurrency must be at least 1")
			}
			if opts.Timeout <= 0 {
				return cmdutil.FlagErrorf("--timeout must be positive")
			}
			if opts.Data != "" && len(opts.Sets) > 0 {
				return cmdutil.FlagErrorf("--set and --data cannot be used together: --data sends its body verbatim")
			}
			if runF != nil {
				return runF(opts)
			}
			return triggerRun(c.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.To, "to", "", "the `URL` to POST the deliveries to (localhost:3000/x needs no http://)")
	fl.IntVarP(&opts.Count, "count", "n", 1, "how many deliveries, each with a distinct participant")
	fl.IntVarP(&opts.Concurrency, "concurrency", "c", 10, "how many deliveries in flight at once")
	fl.StringArrayVar(&opts.Sets, "set", nil, "set a field of every payload: `field=value`, dotted paths such as callList.0.webinar (repeatable)")
	fl.BoolVar(&opts.Force, "force", false, "let --set add fields the catalog does not document (as strings)")
	fl.StringVar(&opts.Data, "data", "", "send the body of `FILE` (- for stdin) verbatim instead of a sample")
	fl.StringArrayVarP(&opts.Headers, "header", "H", nil, "add a header to every delivery: `NAME=VALUE` (repeatable)")
	fl.DurationVar(&opts.Timeout, "timeout", deliver.TagMangoTimeout, "time limit of each delivery")
	fl.Uint64Var(&opts.Seed, "seed", 0, "seed of the fake payloads, for reproducible runs (0 is random)")
	_ = cmd.RegisterFlagCompletionFunc("set", shared.CompleteSet(f))
	return cmd
}

func triggerRun(ctx context.Context, opts *TriggerOptions) error {
	format, err := opts.Format()
	if err != nil {
		return err
	}
	catalog, err := opts.Catalog()
	if err != nil {
		return err
	}
	e, err := shared.Lookup(catalog, opts.Event)
	if err != nil {
		return err
	}
	if opts.To, err = hookurl.ParseTarget(opts.To); err != nil {
		return cmdutil.Invalidf("--to: %v", err)
	}
	header, err := ParseHeaders(opts.Headers)
	if err != nil {
		return err
	}
	if d := e.DeprecationNote(); d != "" {
		opts.IO.Warnf("%s", d)
	}

	var src deliver.Source
	if opts.Data != "" {
		body, err := readData(opts.IO, opts.Data)
		if err != nil {
			return err
		}
		if !json.Valid(body) {
			opts.IO.Warnf("the --data body is not JSON; TagMango always sends JSON")
		}
		src = repeat(body, opts.Count)
	} else {
		src, err = fakes(opts, e)
		if err != nil {
			return err
		}
	}

	cfg := deliver.Config{
		URL:         opts.To,
		Header:      header,
		UserAgent:   "tagmango-hooks/" + opts.AppVersion,
		Concurrency: min(opts.Concurrency, opts.Count),
		Timeout:     opts.Timeout,
		Transport:   opts.Transport,
	}
	return report.Deliver(ctx, report.Options{
		IO:      opts.IO,
		Format:  format,
		Verbose: opts.Verbose != nil && opts.Verbose(),
		Total:   opts.Count,
		Now:     opts.Now,
		Label:   "#",
		Event:   e.Type,
	}, cfg, src)
}

// fakes is a Source of opts.Count fake payloads of e, with opts.Sets applied. The
// first is made here, so that a bad --set fails before anything is sent.
func fakes(opts *TriggerOptions, e *events.Event) (deliver.Source, error) {
	g := sample.NewGenerator(opts.Seed)
	if opts.Seed == 0 {
		g.SetNow(opts.Now())
	}
	make1 := func() ([]byte, error) {
		p := g.Fake(e)
		for _, s := range opts.Sets {
			if err := shared.ApplySet(p, e, s, opts.Force); err != nil {
				return nil, err
			}
		}
		return p.MarshalJSON()
	}
	first, err := make1()
	if err != nil {
		return nil, err
	}
	n := 0
	return func() (deliver.Delivery, bool, error) {
		if n >= opts.Count {
			return deliver.Delivery{}, false, nil
		}
		n++
		if n == 1 {
			return deliver.Delivery{ID: 1, Body: first}, true, nil
		}
		body, err := make1()
		if err != nil {
			return deliver.Delivery{}, false, err
		}
		return deliver.Delivery{ID: n, Body: body}, true, nil
	}, nil
}

func repeat(body []byte, count int) deliver.Source {
	n := 0
	return func() (deliver.Delivery, bool, error) {
		if n >= count {
			return deliver.Delivery{}, false, nil
		}
		n++
		return deliver.Delivery{ID: n, Body: body}, true, nil
	}
}

// readData reads a --data body from a file or, for "-", stdin, at most MaxDataSize.
func readData(ios *iostreams.IOStreams, name string) ([]byte, error) {
	if name == "-" {
		b, err := ios.ReadAll(MaxDataSize)
		if err != nil {
			return nil, fmt.Errorf("--data -: reading stdin: %w", err)
		}
		return b, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("--data: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxDataSize+1))
	if err != nil {
		return nil, fmt.Errorf("--data: reading %s: %w", name, err)
	}
	if len(b) > MaxDataSize {
		return nil, cmdutil.Invalidf("--data: %s is larger than 10 MiB", name)
	}
	return b, nil
}

// ParseHeaders reads --header NAME=VALUE flags (NAME: VALUE is accepted too).
func ParseHeaders(flags []string) (http.Header, error) {
	h := http.Header{}
	for _, raw := range flags {
		name, value, ok := strings.Cut(raw, "=")
		if n, v, ok2 := strings.Cut(raw, ":"); ok2 && (!ok || len(n) < len(name)) {
			name, value, ok = n, v, true
		}
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || name == "" {
			return nil, cmdutil.FlagErrorf("--header %q: use NAME=VALUE", raw)
		}
		if !validHeaderName(name) {
			return nil, cmdutil.FlagErrorf("--header %q: %q is not a valid header name", raw, name)
		}
		if strings.ContainsAny(value, "\r\n\x00") {
			return nil, cmdutil.FlagErrorf("--header %q: the value contains a line break", raw)
		}
		h.Add(name, value)
	}
	return h, nil
}

// validHeaderName reports whether s is an HTTP token (RFC 9110).
func validHeaderName(s string) bool {
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("!#$%&'*+-.^_`|~", r):
		default:
			return false
		}
	}
	return s != ""
}
