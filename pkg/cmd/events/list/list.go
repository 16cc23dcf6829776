// Package list implements `events list` (also plain `events`).
package list

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/output"
)

// ListOptions are the inputs of `events list`.
type ListOptions struct {
	IO      *iostreams.IOStreams
	Catalog func() (*events.Catalog, error)
	Format  func() (output.Format, error)
}

// NewCmdList builds `events list`.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Catalog: f.Catalog, Format: f.OutputFormat}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List every TagMango event",
		Long: `List every event of the catalog: its type, the filter it takes (the ID you can
pass to register), when it fires and how it is delivered.

On a terminal, deprecated events (†) and events whose fields are inferred from a
sibling (*) are marked after the type, and long texts are wrapped and cut to the
terminal's width. In a pipe,
rows are tab-separated and complete: TYPE, FILTERS, WHEN, DELIVERY, then a fifth
field that is "deprecated", "inferred" or empty.

-o json prints an array of catalog entries: type, category, filters, trigger,
delivery, fieldsStatus, deprecated (and replacement for a deprecated event).`,
		Example: `  $ tagmango-hooks events
  $ tagmango-hooks events list -o json | jq -r '.[] | select(.filters == ["webinar"]) | .type'`,
		Args: cmdutil.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return ListRun(opts)
		},
	}
	return cmd
}

// ListRun prints the catalog.
func ListRun(opts *ListOptions) error {
	format, err := opts.Format()
	if err != nil {
		return err
	}
	catalog, err := opts.Catalog()
	if err != nil {
		return err
	}
	if format.IsStructured() {
		entries := make([]events.CatalogEntry, 0, len(catalog.Events))
		for _, e := range catalog.Events {
			entries = append(entries, e.Entry(false))
		}
		return output.WriteStructured(opts.IO.Out, format, entries)
	}

	tty := opts.IO.IsStdoutTTY()
	if !tty {
		t := output.NewTable(opts.IO.Out, false)
		for _, e := range catalog.Events {
			t.AddRow(e.Type, strings.Join(e.Filters, ","), e.Trigger, e.Delivery, Mark(e))
		}
		return t.Render()
	}

	types := make([]string, len(catalog.Events))
	typeW, filterW := len("TYPE"), len("FILTERS")
	for i, e := range catalog.Events {
		types[i] = e.Type + markSymbol[Mark(e)]
		typeW = max(typeW, utf8.RuneCountInString(types[i]))
		filterW = max(filterW, len(filterText(e)))
	}
	// Two spaces pad each column; what is left is shared by WHEN and DELIVERY.
	rest := opts.IO.TerminalWidth() - typeW - filterW - 3*2
	whenW := max(rest*55/100, 16)
	deliveryW := max(rest-whenW, 16)
	t := output.NewTable(opts.IO.Out, true, "TYPE", "FILTERS", "WHEN", "DELIVERY")
	var deprecated []string
	inferred := false
	for i, e := range catalog.Events {
		// Long texts wrap within their column: continuation rows leave the others empty.
		when, delivery := wrap(e.Trigger, whenW, maxLines), wrap(e.Delivery, deliveryW, maxLines)
		for j := range max(len(when), len(delivery)) {
			cells := []string{"", "", at(when, j), at(delivery, j)}
			if j == 0 {
				cells[0], cells[1] = types[i], filterText(e)
			}
			t.AddRow(cells...)
		}
		switch Mark(e) {
		case "deprecated":
			msg := e.Type
			if r := e.Replacement(); r != "" {
				msg += ": use " + r
			}
			deprecated = append(deprecated, msg)
		case "inferred":
			inferred = true
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	for _, d := range deprecated {
		fmt.Fprintf(opts.IO.ErrOut, "%s deprecated: %s\n", strings.TrimSpace(markSymbol["deprecated"]), d)
	}
	if inferred {
		fmt.Fprintf(opts.IO.ErrOut, "%s inferred: TagMango does not document the payload; its fields are copied from a sibling event\n", strings.TrimSpace(markSymbol["inferred"]))
	}
	fmt.Fprintln(opts.IO.ErrOut, "The whole text: in a pipe or with -o json. Fields and an example: tagmango-hooks events show TYPE")
	return nil
}

// maxLines is how many lines a text may take in the terminal table.
const maxLines = 3

// markSymbol flags marked events after their type on a terminal.
var markSymbol = map[string]string{"deprecated": " †", "inferred": " *"}

// Mark is how an event is flagged in the list: "deprecated", "inferred" (its fields
// are copied from a sibling event) or "".
func Mark(e *events.Event) string {
	switch {
	case e.Deprecated:
		return "deprecated"
	case strings.HasPrefix(e.FieldsStatus, "inferred_from:"):
		return "inferred"
	}
	return ""
}

func filterText(e *events.Event) string {
	if len(e.Filters) == 0 {
		return "none"
	}
	return strings.Join(e.Filters, ",")
}

// wrap breaks s into at most maxLines lines of at most n characters at spaces (a
// longer word gets a line of its own); a cut text ends with "…".
func wrap(s string, n, maxLines int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		switch {
		case line == "":
			line = w
		case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) <= n:
			line += " " + w
		default:
			lines = append(lines, line)
			line = w
		}
	}
	lines = append(lines, line)
	if len(lines) > maxLines {
		lines = lines[:maxLines]
		last := []rune(lines[maxLines-1])
		if len(last) >= n {
			last = last[:n-1]
		}
		lines[maxLines-1] = strings.TrimRight(string(last), " ,;.") + "…"
	}
	return lines
}

func at(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return ""
}
