// Package shared holds what the events, trigger and replay commands share: looking an
// event up with a suggestion, and its deprecation warning.
package shared

import (
	"fmt"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/sample"
)

// Lookup finds name in the catalog; an unknown name is a validation error (exit 2)
// that suggests the closest event.
func Lookup(c *events.Catalog, name string) (*events.Event, error) {
	if e, ok := c.Lookup(name); ok {
		return e, nil
	}
	return nil, UnknownEvent(c, name)
}

// UnknownEvent is the error for an event name the catalog does not have.
func UnknownEvent(c *events.Catalog, name string) error {
	if s := c.Suggest(name); s != "" {
		return cmdutil.Invalidf("unknown event %q; did you mean %q?", name, s)
	}
	return cmdutil.Invalidf("unknown event %q; see `tagmango-hooks events` for the list", name)
}

// Deprecation says that e is deprecated and what replaces it; "" when it is not.
func Deprecation(e *events.Event) string {
	if !e.Deprecated {
		return ""
	}
	msg := fmt.Sprintf("%s is deprecated", e.Type)
	if r := e.Replacement(); r != "" {
		msg += "; use " + r + " instead"
	}
	return msg
}

// ApplySet applies one --set assignment; its errors are validation errors (exit 2)
// and an unknown field hints at --force.
func ApplySet(p *sample.Payload, e *events.Event, assignment string, force bool) error {
	err := sample.Set(p, e, assignment, force)
	switch {
	case err == nil:
		return nil
	case sample.IsUnknownField(err):
		return cmdutil.Invalidf("--set %s: %v (--force adds it as a string)", assignment, err)
	}
	return cmdutil.Invalidf("--set %s: %v", assignment, err)
}
