// Package shared holds what the events, trigger and replay commands share: looking an
// event up with a suggestion, and applying --set.
package shared

import (
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
	return cmdutil.Invalidf("%s", c.UnknownMessage(name))
}

// ApplySet applies one --set assignment; its errors are validation errors (exit 2)
// and an unknown field hints at --force.
func ApplySet(p *sample.Document, e *events.Event, assignment string, force bool) error {
	err := sample.Set(p, e, assignment, force)
	switch {
	case err == nil:
		return nil
	case sample.IsUnknownField(err):
		return cmdutil.Invalidf("--set %s: %v (--force adds it as a string)", assignment, err)
	}
	return cmdutil.Invalidf("--set %s: %v", assignment, err)
}
