package cmdutil

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
)

// EventUse says what --event does in a command.
type EventUse int

const (
	// Subscribe means the events are subscribed to (register, listen --register), so each
	// must be an event name; a family is refused.
	Subscribe EventUse = iota
	// Select means the events choose among deliveries or records (list, listen, replay);
	// families such as course.completed.* are taken too.
	Select
)

// EventFlag is --event/-e, the one way every command is told events: repeatable and
// comma-separated (-e a,b -e c).
type EventFlag struct {
	use    EventUse
	values []string
	// alias holds the values of the deprecated --events: a flag of its own, since two
	// string-array flags sharing one slice would each replace the other's values.
	alias []string
}

// AddEventFlag defines --event/-e on cmd, with completion of event names (and, to
// select, families), also after a comma.
func AddEventFlag(f *Factory, cmd *cobra.Command, use EventUse, usage string) *EventFlag {
	ef := &EventFlag{use: use}
	cmd.Flags().StringArrayVarP(&ef.values, "event", "e", nil, usage+" (repeatable, or comma-separated: -e a,b)")
	_ = cmd.RegisterFlagCompletionFunc("event", completeEventList(f, use))
	return ef
}

// AddDeprecatedAlias defines --events as a hidden alias of --event, kept for one
// release. pflag announces the deprecation when the flag is used; the notice goes to
// stderr, since cobra would print it on stdout (the command's output) and break
// `--json | jq`.
func (ef *EventFlag) AddDeprecatedAlias(f *Factory, cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVar(&ef.alias, "events", nil, "deprecated: use --event")
	_ = fl.MarkDeprecated("events", "use --event (-e) instead; it is repeatable and comma-separated")
	_ = cmd.RegisterFlagCompletionFunc("events", completeEventList(f, ef.use))
	fl.SetOutput(f.IOStreams.ErrOut)
}

// Names returns the events given, split on commas and trimmed, without blanks or
// repeats, in the order given (--event before the deprecated --events).
func (ef *EventFlag) Names() []string {
	return SplitEvents(append(slices.Clone(ef.values), ef.alias...))
}

// SplitEvents splits repeatable, comma-separated event values into names: trimmed,
// without blanks or repeats, in order.
func SplitEvents(values []string) []string {
	var out []string
	for _, v := range values {
		for _, name := range strings.Split(v, ",") {
			if name = strings.TrimSpace(name); name != "" && !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	return out
}

// CheckEvents validates names against the catalog for use: each must be an event
// name, or to select also a family matching at least one event. The error (exit 2)
// names flag and suggests the closest event or family.
func CheckEvents(c *events.Catalog, flag string, use EventUse, names []string) error {
	for _, name := range names {
		if _, ok := c.Lookup(name); ok {
			continue
		}
		if events.IsPattern(name) {
			members := c.Expand(name)
			switch {
			case len(members) == 0:
				return UnknownFamily(c, flag, name)
			case use == Subscribe:
				return FamilyNotSubscribable(flag, name, members)
			}
			continue
		}
		return Invalidf("%s: %s", flag, c.UnknownMessage(name))
	}
	return nil
}

// UnknownFamily is the exit-2 error for a family pattern that matches no event.
func UnknownFamily(c *events.Catalog, flag, pattern string) error {
	if s := events.Closest(pattern, c.Families()); s != "" {
		return Invalidf("%s: no event is in the family %q; did you mean %q?", flag, pattern, s)
	}
	return Invalidf("%s: no event is in the family %q; see `tagmango-hooks events` for the list", flag, pattern)
}

// FamilyNotSubscribable is the exit-2 error for a family where events are subscribed
// one by one: TagMango takes event names only.
func FamilyNotSubscribable(flag, pattern string, members []string) error {
	return Invalidf("%s: %q is a family, and TagMango subscribes single events; name them: %s %s", flag, pattern, flag, strings.Join(members, ","))
}

// completeEventList completes the last item of a comma-separated list of events.
func completeEventList(f *Factory, use EventUse) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		c, err := f.Catalog()
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		names := c.Names()
		if use == Select {
			names = append(names, c.Families()...)
		}
		done := ""
		if i := strings.LastIndexByte(toComplete, ','); i >= 0 {
			done = toComplete[:i+1]
		}
		given := SplitEvents([]string{done})
		out := make([]cobra.Completion, 0, len(names))
		for _, n := range names {
			if !slices.Contains(given, n) {
				out = append(out, done+n)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}
