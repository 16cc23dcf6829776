package listen

import (
	"context"
	"fmt"
	"strings"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/hookurl"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/tempsubs"
)

// startTemporary checks --public-url and the filters, then hands the subscriptions'
// life to tempsubs: clean up what a killed listen left, register PUBLIC_URL/<event>
// for every event.
func startTemporary(ctx context.Context, opts *ListenOptions, catalog *events.Catalog) (*tempsubs.Subscriptions, error) {
	errOut := opts.IO.ErrOut
	u, err := hookurl.Parse(opts.PublicURL)
	if err != nil {
		return nil, cmdutil.Invalidf("--public-url: %v", err)
	}
	if err := checkFilters(opts, catalog); err != nil {
		return nil, err
	}
	for _, w := range hookurl.Warnings(u) {
		fmt.Fprintf(errOut, "warning: %s\n", w)
	}
	if opts.Path != "/" && !strings.HasPrefix(u.Path+"/", opts.Path+"/") {
		fmt.Fprintf(errOut, "warning: deliveries will arrive on %s/<event>, outside --path %s, unless your tunnel rewrites paths: they would be answered 404\n", strings.TrimRight(u.Path, "/"), opts.Path)
	}

	settings, err := opts.Settings()
	if err != nil {
		return nil, err
	}
	scope, err := cmdutil.Scope(settings)
	if err != nil {
		return nil, err
	}
	st, err := opts.Store()
	if err != nil {
		return nil, err
	}
	// The store comes first: a corrupt file stops us before any API call, and before
	// the question of the API key.
	if _, err := st.Load(); err != nil {
		return nil, err
	}
	client, err := opts.APIClient(0)
	if err != nil {
		return nil, err
	}
	return tempsubs.Start(ctx, tempsubs.Config{
		ErrOut: errOut, Client: client, Store: st, Scope: scope, Now: opts.Now,
		PublicURL: opts.PublicURL, Events: opts.RegisterEvents, Filters: opts.Filters,
	})
}

// checkFilters refuses a filter that does not apply to an event: TagMango would
// ignore it and deliver every entity's events.
func checkFilters(opts *ListenOptions, catalog *events.Catalog) error {
	for _, name := range opts.RegisterEvents {
		e, _ := catalog.Lookup(name)
		for _, ff := range [][2]string{{"mango", opts.Filters.Mango}, {"course", opts.Filters.Course}, {"webinar", opts.Filters.Webinar}} {
			if msg := e.FilterProblem(ff[0]); ff[1] != "" && msg != "" {
				return cmdutil.Invalidf("%s", msg)
			}
		}
		if note := e.DeprecationNote(); note != "" {
			fmt.Fprintf(opts.IO.ErrOut, "warning: %s\n", note)
		}
	}
	if opts.Filters.Page != "" {
		fmt.Fprintln(opts.IO.ErrOut, "warning: --page is accepted by the API but no documented event uses it; sending it anyway")
	}
	return nil
}
