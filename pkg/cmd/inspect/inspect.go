// Package inspect implements `inspect`: the inspector's page over deliveries saved
// by `listen --save`, without a receiver.
package inspect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/hookurl"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/inspector"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/output"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/receiver"
)

// InspectOptions are the inputs of `inspect`.
type InspectOptions struct {
	IO          *iostreams.IOStreams
	Catalog     func() (*events.Catalog, error)
	Now         func() time.Time
	AppVersion  string
	Transport   http.RoundTripper
	OpenBrowser func(ctx context.Context, url string) error
	// Ready, when set, is called with the page's URL once it is served (tests).
	Ready func(url string)

	Files   []string
	To      string
	Host    string
	Port    int
	Keep    int
	Open    bool
	MaxBody string

	// MaxBodyBytes is --max-body in bytes.
	MaxBodyBytes int64
}

// NewCmdInspect builds `inspect`.
func NewCmdInspect(f *cmdutil.Factory, runF func(*InspectOptions) error) *cobra.Command {
	opts := &InspectOptions{
		IO:          f.IOStreams,
		Catalog:     f.Catalog,
		Now:         f.Now,
		AppVersion:  f.AppVersion,
		Transport:   f.HTTPTransport,
		OpenBrowser: inspector.OpenBrowser,
	}
	cmd := &cobra.Command{
		Use:   "inspect FILE... [--to URL] [--ui-port 4243] [--open]",
		Short: "Browse deliveries saved by listen --save in the inspector's web page",
		Long: `Serve the inspector — the local web page of listen --ui — over the deliveries that
listen --save wrote to FILE (one or more files), with no receiver: to look at
yesterday's capture, or a colleague's.

The page lists the deliveries (event, who, answer, warning and duplicate badges),
filters them, shows each one's headers, body and schema check table, compares two
field by field, and replays one — as saved or edited — to --to URL (or the URL
typed in the page). The same JSON API under /api/ serves scripts (see
docs/inspector.md). A line that is not a saved delivery is reported with its line
number and skipped. The latest --ui-keep deliveries are kept.

The page is served on 127.0.0.1:4243 (--ui-port 0 picks a free port), answers only
requests addressed to that name, refuses cross-origin and token-less changes, and
runs no script from the payloads. inspect runs until Ctrl-C (exit 0).`,
		Example: `  $ tagmango-hooks listen --save deliveries.jsonl
  $ tagmango-hooks inspect deliveries.jsonl --to http://localhost:3000/hooks/tagmango --open

  # Several captures at once, on any free port
  $ tagmango-hooks inspect monday.jsonl tuesday.jsonl --ui-port 0`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmdutil.FlagErrorf("give the file listen --save wrote, e.g. `inspect deliveries.jsonl`")
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			opts.Files = args
			if err := inspector.ValidPort(opts.Port); err != nil {
				return cmdutil.FlagErrorf("invalid --ui-port %d: %v", opts.Port, err)
			}
			if opts.Keep < 1 {
				return cmdutil.FlagErrorf("invalid --ui-keep %d: use a positive number", opts.Keep)
			}
			n, err := receiver.ParseSize(opts.MaxBody)
			if err != nil {
				return cmdutil.FlagErrorf("--max-body: %v", err)
			}
			opts.MaxBodyBytes = n
			if opts.To != "" {
				if _, err := hookurl.Parse(opts.To); err != nil {
					return cmdutil.Invalidf("--to: %v", err)
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return inspectRun(c.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.To, "to", "", "the default `URL` replays are sent to")
	fl.StringVar(&opts.Host, "ui-host", inspector.DefaultHost, "address of the page (beyond loopback it needs the printed token)")
	fl.IntVar(&opts.Port, "ui-port", inspector.DefaultPort, "port of the page (0 picks a free port)")
	fl.IntVar(&opts.Keep, "ui-keep", inspector.DefaultKeep, "deliveries kept (the latest)")
	fl.BoolVar(&opts.Open, "open", false, "open the page in the browser")
	fl.StringVar(&opts.MaxBody, "max-body", "1MiB", "largest edited body a replay may send")
	return cmd
}

func inspectRun(ctx context.Context, opts *InspectOptions) error {
	catalog, err := opts.Catalog()
	if err != nil {
		return err
	}
	matcher := events.NewMatcher(catalog)
	store := inspector.NewStore(opts.Keep)
	for _, name := range opts.Files {
		if err := load(ctx, opts, store, matcher, name); err != nil {
			return err
		}
	}
	srv, err := inspector.New(inspector.Options{
		Store:     store,
		Catalog:   catalog,
		Matcher:   matcher,
		Host:      opts.Host,
		Port:      opts.Port,
		MaxBody:   opts.MaxBodyBytes,
		To:        opts.To,
		Mode:      "inspect",
		Transport: opts.Transport,
		UserAgent: "tagmango-hooks/" + opts.AppVersion,
		Now:       opts.Now,
	})
	if err != nil {
		return err
	}
	if err := srv.Listen(ctx); err != nil {
		return err
	}
	if !hookurl.IsLoopback(opts.Host) {
		opts.IO.Warnf("%s", inspector.ExposedWarning(opts.Host))
	}
	fmt.Fprintf(opts.IO.ErrOut, "Inspector: %s\n", srv.URL())
	if opts.Open {
		if err := opts.OpenBrowser(ctx, srv.URL()); err != nil {
			opts.IO.Warnf("%s", inspector.OpenFailedWarning(err, srv.URL()))
		}
	}
	if opts.Ready != nil {
		opts.Ready(srv.URL())
	}
	// Ctrl-C is the normal end.
	return srv.Serve(ctx)
}

func load(ctx context.Context, opts *InspectOptions, store *inspector.Store, m *events.Matcher, name string) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", name, unwrapPath(err))
	}
	defer f.Close()
	res, err := inspector.Load(ctx, store, m, name, f, func(msg string) { opts.IO.Warnf("%s", msg) })
	if err != nil {
		if ctx.Err() != nil {
			return cmdutil.ErrCancel
		}
		return err
	}
	switch {
	case res.Loaded == 0:
		opts.IO.Warnf("%s holds no saved deliveries", name)
	case res.Skipped > 0:
		fmt.Fprintf(opts.IO.ErrOut, "%s: %d %s, %d %s skipped\n", name, res.Loaded, output.Plural(res.Loaded, "delivery", "deliveries"), res.Skipped, output.Plural(res.Skipped, "line", "lines"))
	default:
		fmt.Fprintf(opts.IO.ErrOut, "%s: %d %s\n", name, res.Loaded, output.Plural(res.Loaded, "delivery", "deliveries"))
	}
	return nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
