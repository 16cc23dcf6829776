package cmdutil

import (
	"context"
	"net/http"
	"time"

	"github.com/spf13/pflag"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/api"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/config"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/output"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/store"
)

// Factory hands commands their dependencies. Everything that can fail or costs I/O is
// a function, called only by the commands that need it: a command that needs no API
// key never fails because the config file is broken.
type Factory struct {
	IOStreams  *iostreams.IOStreams
	AppVersion string
	// Now is the clock; tests pin it.
	Now func() time.Time

	// GlobalFlags are the root command's persistent flags, read once parsed.
	GlobalFlags *pflag.FlagSet

	// Settings resolves profile, API key, base URL and file locations.
	Settings func() (*config.Settings, error)
	// ConfigPath resolves the config file location without reading it.
	ConfigPath func() string
	// Store opens the subscription store.
	Store func() (*store.Store, error)
	// APIClient builds the TagMango client for the current profile; it fails with an
	// AuthError when there is no API key. timeout 0 means the default.
	APIClient func(timeout time.Duration) (*api.Client, error)
	// Catalog is the event catalog.
	Catalog func() (*events.Catalog, error)
	// HTTPTransport is the base transport of every HTTP client; nil means the default.
	HTTPTransport http.RoundTripper
	// Sleep waits; tests replace it to make retries and pacing instant.
	Sleep func(ctx context.Context, d time.Duration) error
}

// OutputFormat is the validated --output flag.
func (f *Factory) OutputFormat() (output.Format, error) {
	v, _ := f.GlobalFlags.GetString("output")
	format, err := output.ParseFormat(v)
	if err != nil {
		return "", FlagErrorWrap(err)
	}
	return format, nil
}

// Verbose reports whether -v was given.
func (f *Factory) Verbose() bool {
	v, _ := f.GlobalFlags.GetBool("verbose")
	return v
}
