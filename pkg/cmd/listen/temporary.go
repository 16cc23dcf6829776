package listen

import (
	"fmt"
	"strings"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/hookurl"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/tempsubs"
)

// config checks --public-url (and, without --tunnel, the filters) and builds the
// lifecycle's config.
func (s *session) config() (tempsubs.Config, error) {
	opts := s.opts
	errOut := s.errOut
	u, err := hookurl.Parse(opts.PublicURL)
	if err != nil {
		return tempsubs.Config{}, cmdutil.Invalidf("--public-url: %v", err)
	}
	if opts.Tunnel == "" {
		if err := checkFilters(opts, s.catalog); err != nil {
			return tempsubs.Config{}, err
		}
	}
	for _, w := range hookurl.Warnings(u) {
		fmt.Fprintf(errOut, "warning: %s\n", w)
	}
	if opts.Path != "/" && !strings.HasPrefix(u.Path+"/", opts.Path+"/") {
		fmt.Fprintf(errOut, "warning: deliveries will arrive on %s/<event>, outside --path %s, unless your tunnel rewrites paths: they would be answered 404\n", strings.TrimRight(u.Path, "/"), opts.Path)
	}
	cfg, err := s.prepareConfig()
	if err != nil {
		return tempsubs.Config{}, err
	}
	cfg.PublicURL = opts.PublicURL
	return cfg, nil
}

// prepareConfig resolves what the subscriptions need from the settings, once.
func (s *session) prepareConfig() (tempsubs.Config, error) {
	if s.prepared != nil {
		return *s.prepared, nil
	}
	opts := s.opts
	settings, err := opts.Settings()
	if err != nil {
		return tempsubs.Config{}, err
	}
	scope, err := cmdutil.Scope(settings)
	if err != nil {
		return tempsubs.Config{}, err
	}
	st, err := opts.Store()
	if err != nil {
		return tempsubs.Config{}, err
	}
	// The store comes first: a corrupt file stops us before any API call, and before
	// the question of the API key.
	if _, err := st.Load(); err != nil {
		return tempsubs.Config{}, err
	}
	client, err := opts.APIClient(0)
	if err != nil {
		return tempsubs.Config{}, err
	}
	s.prepared = &tempsubs.Config{
		ErrOut: s.errOut, Client: client, Store: st, Scope: scope, Now: opts.Now,
		Events: opts.RegisterEvents, Filters: opts.Filters,
	}
	return *s.prepared, nil
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
