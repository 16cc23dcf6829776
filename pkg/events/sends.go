package events

// Sends is how many times TagMango sends the same body of the event: 3 for
// webinar.reminder.all (one call per participant at each of its three reminders, with
// nothing in the payload saying which), 1 for the others. Up to that many identical
// bodies are repeats, not duplicates.
func (e *Event) Sends() int { return max(1, e.IdenticalSends) }

// IdenticalSends is the most times one body may be sent by any of the candidate
// events, and the event that sends it so often ("" when every candidate sends once).
func (m *Matcher) IdenticalSends(candidates []string) (event string, sends int) {
	sends = 1
	for _, c := range candidates {
		if e, ok := m.catalog.Lookup(c); ok && e.Sends() > sends {
			event, sends = c, e.Sends()
		}
	}
	return event, sends
}
