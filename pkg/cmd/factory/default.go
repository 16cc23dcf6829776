// Package factory builds the production Factory.
package factory

import (
	"sync"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/clock"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/api"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/build"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/config"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/store"
)

// New returns a Factory whose dependencies are resolved lazily, each at most once.
// The root command fills in GlobalFlags.
func New(ios *iostreams.IOStreams) *cmdutil.Factory {
	f := &cmdutil.Factory{
		IOStreams:  ios,
		AppVersion: build.Info().Version,
		Now:        time.Now,
		Sleep:      clock.Sleep,
	}
	f.Settings = sync.OnceValues(func() (*config.Settings, error) {
		return config.Resolve(f.GlobalFlags, f.IOStreams)
	})
	f.ConfigPath = func() string {
		p, _ := config.Paths(f.GlobalFlags)
		return p
	}
	f.Store = func() (*store.Store, error) {
		_, statePath := config.Paths(f.GlobalFlags)
		return store.New(statePath), nil
	}
	f.Catalog = sync.OnceValues(events.Load)
	f.APIClient = func(timeout time.Duration) (*api.Client, error) {
		s, err := f.Settings()
		if err != nil {
			return nil, err
		}
		base, err := cmdutil.BaseURL(s)
		if err != nil {
			return nil, err
		}
		if s.APIKey == "" {
			return nil, cmdutil.NewAuthError(config.ErrNoAPIKey)
		}
		opts := api.Options{
			BaseURL:   base,
			APIKey:    s.APIKey,
			UserAgent: "tagmango-hooks/" + f.AppVersion,
			Timeout:   timeout,
			Transport: f.HTTPTransport,
			Sleep:     f.Sleep,
			Now:       f.Now,
		}
		if f.Verbose() {
			opts.Verbose = f.IOStreams.ErrOut
		}
		return api.New(opts), nil
	}
	return f
}
