// Package output prints records the way the user asked: an aligned table on a
// terminal, tab-separated rows in a pipe, or JSON / YAML for scripts.
package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
	"go.yaml.in/yaml/v3"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/safetext"
)

// Format is the value of --output.
type Format string

// The formats --output accepts.
const (
	FormatTable Format = "table"
	FormatJSON  Format = "json"
	FormatYAML  Format = "yaml"
)

// Formats lists the accepted values, for help and completion.
var Formats = []string{string(FormatTable), string(FormatJSON), string(FormatYAML)}

// ParseFormat validates an --output value.
func ParseFormat(s string) (Format, error) {
	switch Format(s) {
	case FormatTable, FormatJSON, FormatYAML:
		return Format(s), nil
	case "":
		return FormatTable, nil
	}
	return "", fmt.Errorf("invalid --output %q: use table, json or yaml", s)
}

// IsStructured reports whether the format is meant for programs.
func (f Format) IsStructured() bool { return f == FormatJSON || f == FormatYAML }

// WriteStructured writes v as indented JSON or as YAML.
func WriteStructured(w io.Writer, f Format, v any) error {
	if f == FormatYAML {
		b, err := yaml.Marshal(toPlain(v))
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	// encoding/json leaves DEL, C1 and bidi controls raw; a record's URL or a
	// server's message must not drive the terminal, even as JSON.
	_, err := w.Write(safetext.AppendJSON(make([]byte, 0, buf.Len()), buf.Bytes()))
	return err
}

// toPlain round-trips v through JSON so that YAML output uses the JSON field names.
func toPlain(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var plain any
	if err := json.Unmarshal(b, &plain); err != nil {
		return v
	}
	return plain
}

// Table collects rows and prints them: aligned with a header on a terminal, as
// tab-separated rows without a header in a pipe.
type Table struct {
	w      io.Writer
	tty    bool
	header []string
	rows   [][]string
}

// NewTable starts a table written to w; tty chooses the layout.
func NewTable(w io.Writer, tty bool, header ...string) *Table {
	return &Table{w: w, tty: tty, header: header}
}

// AddRow adds one row; cells are sanitised so a value cannot break the layout or
// reach the terminal as a control sequence.
func (t *Table) AddRow(cells ...string) {
	row := make([]string, len(cells))
	for i, c := range cells {
		row[i] = SanitizeCell(c)
	}
	t.rows = append(t.rows, row)
}

// Render writes the table. A table without rows writes nothing, not even its header:
// the command says on stderr that there is nothing to show.
func (t *Table) Render() error {
	if len(t.rows) == 0 {
		return nil
	}
	if !t.tty {
		var b bytes.Buffer
		for _, r := range t.rows {
			b.WriteString(strings.Join(r, "\t"))
			b.WriteByte('\n')
		}
		_, err := t.w.Write(b.Bytes())
		return err
	}
	var buf bytes.Buffer
	table := tablewriter.NewTable(&buf,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenRows: tw.Off, BetweenColumns: tw.Off},
				Lines:      tw.Lines{ShowHeaderLine: tw.Off},
			},
		})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithPadding(tw.Padding{Left: "", Right: "  ", Overwrite: true}),
	)
	table.Header(t.header)
	if err := table.Bulk(t.rows); err != nil {
		return err
	}
	if err := table.Render(); err != nil {
		return err
	}
	// tablewriter pads the last column; trailing blanks only get in the way.
	var out bytes.Buffer
	for _, line := range strings.SplitAfter(buf.String(), "\n") {
		trimmed := strings.TrimRight(line, " \n")
		if trimmed == "" && !strings.HasSuffix(line, "\n") {
			continue
		}
		out.WriteString(trimmed)
		out.WriteByte('\n')
	}
	_, err := t.w.Write(out.Bytes())
	return err
}

// SanitizeCell replaces tabs, newlines and everything else pkg/safetext calls unsafe
// (controls, bidi overrides, invalid UTF-8) with visible escapes, so a value cannot
// break the layout or reach the terminal as a control sequence.
func SanitizeCell(s string) string { return safetext.Escape(s) }
