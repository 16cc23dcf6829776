// Package shared holds what the events, trigger, replay and emulator fire commands
// share: looking an event up with a suggestion, and applying and completing --set.
package shared

import (
	"strings"

	"github.com/spf13/cobra"

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

// CompleteSet completes --set with the field names of the event given as the first
// argument, each followed by "=" (dotted paths for nested fields, such as
// callList.0.webinar=), as trigger --set and emulator fire --set take them.
func CompleteSet(f *cmdutil.Factory) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) == 0 || strings.Contains(toComplete, "=") {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		c, err := f.Catalog()
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		e, ok := c.Lookup(args[0])
		if !ok {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, p := range sample.FieldPaths(e) {
			out = append(out, cobra.CompletionWithDesc(p.Path+"=", p.Type))
		}
		// No space after "name=": the value comes next.
		return out, cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
	}
}
