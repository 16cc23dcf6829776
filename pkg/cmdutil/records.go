package cmdutil

import (
	"fmt"
	"strings"
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/output"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/store"
)

// PrintRecords prints subscription records in the chosen format: JSON and YAML always
// as an array (`[]` when empty); a table with relative times on a terminal;
// tab-separated rows with RFC 3339 times in a pipe.
func PrintRecords(ios *iostreams.IOStreams, format output.Format, records []store.Record, now time.Time) error {
	return printRecords(ios, format, records, now, false)
}

// PrintRecordsWithBaseURL is PrintRecords with a last column, BASE URL, for records of
// several APIs (`list --all-profiles`). JSON and YAML carry baseUrl in every record.
func PrintRecordsWithBaseURL(ios *iostreams.IOStreams, format output.Format, records []store.Record, now time.Time) error {
	return printRecords(ios, format, records, now, true)
}

func printRecords(ios *iostreams.IOStreams, format output.Format, records []store.Record, now time.Time, withBaseURL bool) error {
	if records == nil {
		records = []store.Record{}
	}
	if format.IsStructured() {
		return output.WriteStructured(ios.Out, format, records)
	}
	tty := ios.IsStdoutTTY()
	header := []string{"ID", "EVENT", "HOOK URL", "FILTERS", "PROFILE", "REGISTERED"}
	if withBaseURL {
		header = append(header, "BASE URL")
	}
	t := output.NewTable(ios.Out, tty, header...)
	for _, r := range records {
		registered := r.RegisteredAt.UTC().Format(time.RFC3339)
		if tty {
			registered = output.RelativeTime(r.RegisteredAt, now)
		}
		// The marker is the same in a pipe: a script (or grep) must not mistake a
		// subscription listen will delete for a lasting one.
		filters := r.FilterValues().String()
		if r.Temporary {
			filters = strings.TrimPrefix(filters+" (temporary)", " ")
		}
		row := []string{r.ID, r.Event, r.HookURL, filters, r.Profile, registered}
		if withBaseURL {
			row = append(row, r.API())
		}
		t.AddRow(row...)
	}
	return t.Render()
}

// Action says what register or delete did, in the action field of their -o json/yaml
// output: the only way a script can tell a new subscription from one already there.
type Action string

// The actions of register and delete.
const (
	ActionRegistered        Action = "registered"
	ActionAlreadyRegistered Action = "already-registered"
	ActionDeleted           Action = "deleted"
	ActionAlreadyDeleted    Action = "already-deleted"
	// ActionForgotten is delete --local-only: removed from the store, TagMango not called.
	ActionForgotten Action = "forgotten"
)

// Outcome is one thing register or delete did: to a tracked record, or — Record nil —
// to a URL deleted on TagMango that no record tracked.
type Outcome struct {
	Record  *store.Record
	HookURL string
	Action  Action
}

// recordOutcome is an Outcome with a record as printed: the record's fields, then
// action. Only output has it: the store's records never carry an action.
type recordOutcome struct {
	store.Record
	Action Action `json:"action" yaml:"action"`
}

// urlOutcome is an Outcome without a record as printed.
type urlOutcome struct {
	HookURL string `json:"hookUrl" yaml:"hookUrl"`
	Action  Action `json:"action" yaml:"action"`
}

// PrintOutcomes prints what register or delete did. JSON and YAML: an array of the
// records, each with its action, and {hookUrl, action} for an untracked URL (`[]`
// only when nothing was done). A table: the records as PrintRecords prints them
// (untracked URLs have no row: the command said so on stderr), under heading on a
// terminal when heading is set, so that what was deleted does not read as what remains.
func PrintOutcomes(ios *iostreams.IOStreams, format output.Format, outcomes []Outcome, now time.Time, heading string) error {
	if format.IsStructured() {
		out := make([]any, 0, len(outcomes))
		for _, o := range outcomes {
			if o.Record == nil {
				out = append(out, urlOutcome{HookURL: o.HookURL, Action: o.Action})
				continue
			}
			out = append(out, recordOutcome{Record: *o.Record, Action: o.Action})
		}
		return output.WriteStructured(ios.Out, format, out)
	}
	var records []store.Record
	for _, o := range outcomes {
		if o.Record != nil {
			records = append(records, *o.Record)
		}
	}
	if len(records) == 0 {
		return nil
	}
	if heading != "" && ios.IsStdoutTTY() {
		fmt.Fprintln(ios.Out, heading)
	}
	return PrintRecords(ios, format, records, now)
}
