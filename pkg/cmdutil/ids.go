package cmdutil

import (
	"fmt"
	"strings"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/safetext"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/store"
)

// MinIDPrefix is the fewest characters of a subscription id that may stand for it.
const MinIDPrefix = 4

// ResolveID finds the record that id names among records (those of one scope: ids are
// per profile and API): the record with that id, else the only one whose id starts
// with it, given at least MinIDPrefix characters. found is false when none matches.
// A prefix that several ids share, or one too short to be taken, is a validation
// error (exit 2) that lists the candidates.
func ResolveID(records []store.Record, id string) (rec store.Record, found bool, err error) {
	var matches []store.Record
	for _, r := range records {
		if r.ID == id {
			return r, true, nil
		}
		if id != "" && strings.HasPrefix(r.ID, id) {
			matches = append(matches, r)
		}
	}
	switch {
	case len(matches) == 0:
		return store.Record{}, false, nil
	case len(id) < MinIDPrefix:
		return store.Record{}, false, Invalidf("id %q is too short: give at least %d characters of it (%s)", id, MinIDPrefix, candidates(matches))
	case len(matches) > 1:
		return store.Record{}, false, Invalidf("id %q is ambiguous: give more characters of one of %s", id, candidates(matches))
	}
	return matches[0], true, nil
}

func candidates(records []store.Record) string {
	const most = 10
	parts := make([]string, 0, min(len(records), most))
	for _, r := range records[:min(len(records), most)] {
		parts = append(parts, fmt.Sprintf("%s (%s → %s)", r.ID, r.Event, safetext.Escape(r.HookURL)))
	}
	s := strings.Join(parts, ", ")
	if len(records) > most {
		s += fmt.Sprintf(" and %d more", len(records)-most)
	}
	return s
}
