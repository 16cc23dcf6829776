package listen

import (
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
	u, err := hookurl.Parse(opts.PublicURL)
	if err != nil {
		return tempsubs.Config{}, cmdutil.Invalidf("--public-url: %v", err)
	}
	if opts.Tunnel == "" {
		if err := checkFilters(opts, s.catalog); err != nil {
			return tempsubs.Config{}, err
		}
	}
	if opts.Path != "/" && !strings.HasPrefix(u.Path+"/", opts.Path+"/") {
		opts.IO.Warnf("deliveries will arrive on %s/<event>, outside --path %s, unless your tunnel rewrites paths: they would be answered 404", strings.TrimRight(u.Path, "/"), opts.Path)
	}
	cfg, err := s.prepareConfig()
	if err != nil {
		return tempsubs.Config{}, err
	}
	for _, w := range hookurl.Warnings(u, cfg.Scope.BaseURL) {
		opts.IO.Warnf("%s", w)
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
	state, err := st.Load()
	if err != nil {
		return tempsubs.Config{}, err
	}
	client, err := opts.APIClient(0)
	if err != nil {
		return tempsubs.Config{}, err
	}
	s.prepared = &tempsubs.Config{
		ErrOut: s.errOut, Lines: opts.IO, Client: client, Store: st, State: state, Scope: scope, Now: opts.Now,
		Events: opts.RegisterEvents, Filters: opts.Filters,
	}
	return *s.prepared, nil
}

// checkFilters refuses a filter that does not apply to an event: TagMango would
// ignore it and deliver every entity's events.
func checkFilters(opts *ListenOptions, catalog *events.Catalog) error {
	for _, name := range opts.RegisterEvents {
		e, _ := catalog.Lookup(name)
		given := events.FilterSet{Mango: opts.Filters.Mango, Course: opts.Filters.Course, Webinar: opts.Filters.Webinar}
		for _, flag := range e.Misapplied(given) {
			return cmdutil.Invalidf("%s", e.FilterProblem(flag))
		}
		if note := e.DeprecationNote(); note != "" {
			opts.IO.Warnf("%s", note)
		}
	}
	if opts.Filters.Page != "" {
		opts.IO.Warnf("%s", events.PageWarning)
	}
	return nil
}
