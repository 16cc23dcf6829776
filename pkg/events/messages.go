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

// FilterProblem explains why the entity filter (mango, course or webinar) does not
// apply to e — TagMango would ignore it and deliver every entity's events — or returns
// "" when it is e's own filter.
func (e *Event) FilterProblem(filter string) string {
	switch {
	case filter == e.Filter():
		return ""
	case e.Filter() == "":
		return fmt.Sprintf("--%s does not apply to %s, which takes no filter: TagMango would ignore it", filter, e.Type)
	}
	return fmt.Sprintf("--%s does not apply to %s (its filter is --%s): TagMango would ignore it and deliver the events of every %s", filter, e.Type, e.Filter(), e.Filter())
}
