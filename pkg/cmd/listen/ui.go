package listen

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/hookurl"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/inspector"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/receiver"
)

// uiSession is the inspector of listen --ui: its own listener, fed by a renderer
// beside the terminal's.
type uiSession struct {
	server   *inspector.Server
	renderer receiver.Renderer
	done     chan struct{}
	served   bool
}

// startUI binds the inspector's listener (before the receiver's, so that a port in
// use fails before anything is received) and builds its renderer, which prints
// "Inspector: URL" after the Ready line.
func startUI(ctx context.Context, opts *ListenOptions, catalog *events.Catalog, matcher *events.Matcher, errOut io.Writer) (*uiSession, error) {
	store := inspector.NewStore(opts.UIKeep)
	srv, err := inspector.New(inspector.Options{
		Store:     store,
		Catalog:   catalog,
		Matcher:   matcher,
		Host:      opts.UIHost,
		Port:      opts.UIPort,
		MaxBody:   opts.MaxBodyBytes,
		Routes:    opts.Routes,
		Mode:      "listen",
		UserAgent: "tagmango-hooks/" + opts.AppVersion,
		Now:       opts.Now,
	})
	if err != nil {
		return nil, err
	}
	if err := srv.Listen(ctx); err != nil {
		return nil, err
	}
	if !hookurl.IsLoopback(opts.UIHost) {
		opts.IO.Warnf("%s", inspector.ExposedWarning(opts.UIHost))
	}
	var onReady func()
	if opts.Open {
		onReady = func() {
			if err := opts.OpenBrowser(ctx, srv.URL()); err != nil {
				fmt.Fprint(errOut, opts.IO.WarningLine(inspector.OpenFailedWarning(err, srv.URL())))
			}
		}
	}
	return &uiSession{
		server:   srv,
		renderer: inspector.NewRenderer(store, errOut, srv.URL(), onReady),
		done:     make(chan struct{}),
	}, nil
}

// serve runs the inspector until ctx ends; stop waits for it. A failure of the page
// does not stop the receiver: it is said, and listen goes on.
func (u *uiSession) serve(ctx context.Context, receiverURL string, errOut io.Writer) {
	u.served = true
	u.server.SetReceiver(receiverURL)
	go func() {
		defer close(u.done)
		if err := u.server.Serve(ctx); err != nil {
			fmt.Fprintf(errOut, "warning: the inspector stopped: %v\n", err)
		}
	}()
}

func (u *uiSession) stop() { <-u.done }

// closeUnserved releases the listener when listen failed before serving.
func (u *uiSession) closeUnserved() {
	if !u.served {
		_ = u.server.Close()
	}
}

// validateUIFlags checks the inspector's flags.
func validateUIFlags(c *cobra.Command, opts *ListenOptions) error {
	if !opts.UI {
		for _, name := range []string{"ui-host", "ui-port", "ui-keep", "open"} {
			if c.Flags().Changed(name) {
				return cmdutil.FlagErrorf("--%s goes with --ui", name)
			}
		}
		return nil
	}
	if err := inspector.ValidPort(opts.UIPort); err != nil {
		return cmdutil.FlagErrorf("invalid --ui-port %d: %v", opts.UIPort, err)
	}
	if opts.UIKeep < 1 {
		return cmdutil.FlagErrorf("invalid --ui-keep %d: use a positive number", opts.UIKeep)
	}
	if opts.UIPort != 0 && opts.UIPort == opts.Port && opts.UIHost == opts.Host {
		return cmdutil.FlagErrorf("--ui-port %d is the receiver's --port: the inspector has its own port", opts.UIPort)
	}
	return nil
}
