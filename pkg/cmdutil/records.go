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
		filters := r.FilterValues().String()
		if tty && r.Temporary {
			filters += " (temporary)"
		}
		row := []string{r.ID, r.Event, r.HookURL, filters, r.Profile, registered}
		if withBaseURL {
			row = append(row, r.API())
		}
		t.AddRow(row...)
	}
	return t.Render()
}
