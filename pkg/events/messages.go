package events

import "fmt"

// UnknownMessage says that name is not a catalog event and names the closest one, or
// where to find the list. Every command that refuses an event name says it this way.
func (c *Catalog) UnknownMessage(name string) string {
	if s := c.Suggest(name); s != "" {
		return fmt.Sprintf("unknown event %q; did you mean %q?", name, s)
	}
	return fmt.Sprintf("unknown event %q; see `tagmango-hooks events` for the list", name)
}

// DeprecationNote says that e is deprecated and what replaces it; "" when it is not.
func (e *Event) DeprecationNote() string {
	if !e.Deprecated {
		return ""
	}
	msg := fmt.Sprintf("%s is deprecated", e.Type)
	if r := e.Replacement(); r != "" {
		msg += "; use " + r + " instead"
	}
	return msg
}

// FilterSet is the entity filters given for an event, by the catalog's names: those
// of a subscription (register, listen --register) or the entity of a fire (the
// emulator). "" is a filter not given.
type FilterSet struct {
	Mango, Course, Webinar string
}

// Get is the value of the filter named name ("mango", "course" or "webinar").
func (f FilterSet) Get(name string) string {
	switch name {
	case "mango":
		return f.Mango
	case "course":
		return f.Course
	case "webinar":
		return f.Webinar
	}
	return ""
}

// Misapplied names the filters given in f that do not apply to e, in flag order
// (mango, course, webinar). Only an event's own filter applies: TagMango ignores any
// other and delivers every entity's events, and so does the emulator.
func (e *Event) Misapplied(f FilterSet) []string {
	var out []string
	for _, name := range [...]string{"mango", "course", "webinar"} {
		if f.Get(name) != "" && name != e.Filter() {
			out = append(out, name)
		}
	}
	return out
}

// PageWarning is what a subscription with a --page filter is told: the API takes the
// filter, but no documented event has a page to filter on.
const PageWarning = "--page is accepted by the API but no documented event uses it; sending it anyway"

// FilterProblem explains why the entity filter (mango, course or webinar) does not
// apply to a subscription to e — TagMango would ignore it and deliver every entity's
// events — or returns "" when it is e's own filter.
func (e *Event) FilterProblem(filter string) string {
	switch {
	case filter == e.Filter():
		return ""
	case e.Filter() == "":
		return fmt.Sprintf("--%s does not apply to %s, which takes no filter: TagMango would ignore it", filter, e.Type)
	}
	return fmt.Sprintf("--%s does not apply to %s (its filter is --%s): TagMango would ignore it and deliver the events of every %s", filter, e.Type, e.Filter(), e.Filter())
}
