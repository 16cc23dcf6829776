package cmdutil

import (
	"time"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/output"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/store"
)

// PrintRecords prints subscription records in the chosen format: JSON and YAML always
// as an array (`[]` when empty); a table with relative times on a terminal;
// tab-separated rows with RFC 3339 times in a pipe.
func PrintRecords(ios *iostreams.IOStreams, format output.Format, records []store.Record, now time.Time) error {
	if records == nil {
		records = []store.Record{}
	}
	if format.IsStructured() {
		return output.WriteStructured(ios.Out, format, records)
	}
	tty := ios.IsStdoutTTY()
	t := output.NewTable(ios.Out, tty, "ID", "EVENT", "HOOK URL", "FILTERS", "PROFILE", "REGISTERED")
	for _, r := range records {
		registered := r.RegisteredAt.UTC().Format(time.RFC3339)
		if tty {
			registered = output.RelativeTime(r.RegisteredAt, now)
		}
		filters := r.FilterValues().String()
		if tty && r.Temporary {
			filters += " (temporary)"
		}
		t.AddRow(r.ID, r.Event, r.HookURL, filters, r.Profile, registered)
	}
	return t.Render()
}
