// Package show implements `events show TYPE`.
package show

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/events/shared"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/output"
)

// ShowOptions are the inputs of `events show`.
type ShowOptions struct {
	IO      *iostreams.IOStreams
	Catalog func() (*events.Catalog, error)
	Format  func() (output.Format, error)

	Type string
}

// NewCmdShow builds `events show`.
func NewCmdShow(f *cmdutil.Factory, runF func(*ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{IO: f.IOStreams, Catalog: f.Catalog, Format: f.OutputFormat}
	cmd := &cobra.Command{
		Use:   "show TYPE",
		Short: "Show an event's fields and example payload",
		Long: `Show one event: when it fires, its filter, its fields (name, type, nullable,
meaning; the items of an array such as callList are indented under it), its
documented example payload and the TagMango page it comes from.

TagMango's pages are incomplete for some events: the output says when the fields are
only partly documented or inferred from a sibling event, and marks each type that is
inferred from the example with "*". A deprecated event names its replacement.

-o json prints the catalog entry with its schema: type, category, filters, trigger,
delivery, fieldsStatus, deprecated, replacement (when deprecated), fields (name,
type, nullable (null when not stated), typeSource, description, items), example,
notes and source.`,
		Example: `  $ tagmango-hooks events show course.completed.50
  $ tagmango-hooks events show webinar.created.recurring -o json | jq '.fields[].name'`,
		Args:              cmdutil.ExactArgs(1, "give the event type, e.g. `events show course.completed.50`"),
		ValidArgsFunction: cmdutil.CompleteEvents(f),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Type = args[0]
			if runF != nil {
				return runF(opts)
			}
			return showRun(opts)
		},
	}
	return cmd
}

func showRun(opts *ShowOptions) error {
	format, err := opts.Format()
	if err != nil {
		return err
	}
	catalog, err := opts.Catalog()
	if err != nil {
		return err
	}
	e, err := shared.Lookup(catalog, opts.Type)
	if err != nil {
		return err
	}
	if format.IsStructured() {
		return output.WriteStructured(opts.IO.Out, format, e.Entry(true))
	}
	var b bytes.Buffer
	if err := render(&b, e); err != nil {
		return err
	}
	_, err = opts.IO.Out.Write(b.Bytes())
	return err
}

func render(w io.Writer, e *events.Event) error {
	title := e.Type
	if e.Deprecated {
		title += " — DEPRECATED"
		if r := e.Replacement(); r != "" {
			title += ": use " + r + " instead"
		}
	}
	fmt.Fprintf(w, "%s\n\n", title)

	filter := "none"
	if f := e.Filter(); f != "" {
		filter = fmt.Sprintf("%s (register --%s ID)", f, f)
	}
	about := [][2]string{
		{"Fires when", e.Trigger},
		{"Delivery", e.Delivery},
		{"Filter", filter},
		{"Fields", fieldsNote(e)},
	}
	if err := renderBare(w, about); err != nil {
		return err
	}

	fmt.Fprintln(w)
	fields := output.NewTable(w, true, "FIELD", "TYPE", "NULLABLE", "DESCRIPTION")
	inferredType := addFields(fields, e.Fields, 0)
	if err := fields.Render(); err != nil {
		return err
	}
	if inferredType {
		fmt.Fprintln(w, "* type inferred from the example, not documented")
	}

	if len(e.Example) > 0 {
		var ex bytes.Buffer
		if err := json.Indent(&ex, e.Example, "", "  "); err != nil {
			return fmt.Errorf("the example of %s: %w", e.Type, err)
		}
		fmt.Fprintf(w, "\nExample payload:\n%s\n", ex.String())
	}
	if len(e.Notes) > 0 {
		fmt.Fprintln(w, "\nNotes:")
		for _, n := range e.Notes {
			fmt.Fprintf(w, "  - %s\n", output.SanitizeCell(n))
		}
	}
	if e.Source != "" {
		fmt.Fprintf(w, "\nSource: %s\n", e.Source)
	}
	return nil
}

// renderBare renders a two-column table without its (empty) header line.
func renderBare(w io.Writer, rows [][2]string) error {
	var buf bytes.Buffer
	t := output.NewTable(&buf, true, "", "")
	for _, r := range rows {
		t.AddRow(r[0], r[1])
	}
	if err := t.Render(); err != nil {
		return err
	}
	out := buf.String()
	if i := strings.IndexByte(out, '\n'); i >= 0 && strings.TrimSpace(out[:i]) == "" {
		out = out[i+1:]
	}
	_, err := io.WriteString(w, out)
	return err
}

// fieldsNote says how far the event's fields are documented, in words.
func fieldsNote(e *events.Event) string {
	switch {
	case e.FieldsComplete():
		return "documented by TagMango"
	case strings.HasPrefix(e.FieldsStatus, "inferred_from:"):
		return "INFERRED: TagMango's page shows no payload; the fields are copied from " + strings.TrimPrefix(e.FieldsStatus, "inferred_from:")
	case e.FieldsStatus == "partial_schema":
		return "PARTLY DOCUMENTED: the schema is cut off; the types marked * come from the example"
	case e.FieldsStatus == "example_only":
		return "EXAMPLE ONLY: no schema is documented; every type comes from the example"
	}
	return e.FieldsNote()
}

// addFields adds a row per field, the item fields of an array indented under it (the
// table trims blanks, so the indent is drawn); it reports whether a type was inferred
// from the example.
func addFields(t *output.Table, fields []events.Field, depth int) bool {
	inferred := false
	for i, f := range fields {
		typ := f.Type
		if f.TypeSource == "example" {
			typ += "*"
			inferred = true
		}
		name := f.Name
		if depth > 0 {
			branch := "├─ "
			if i == len(fields)-1 {
				branch = "└─ "
			}
			name = strings.Repeat("│  ", depth-1) + branch + name
		}
		t.AddRow(name, typ, nullable(f.Nullable), f.Description)
		if len(f.Items) > 0 && addFields(t, f.Items, depth+1) {
			inferred = true
		}
	}
	return inferred
}

func nullable(n *bool) string {
	switch {
	case n == nil:
		return "?"
	case *n:
		return "yes"
	}
	return "no"
}
