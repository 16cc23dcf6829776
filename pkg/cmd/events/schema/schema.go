// Package schema implements `events schema`: the catalog as JSON Schema 2020-12 or as
// an OpenAPI 3.1 document.
package schema

import (
	"slices"

	"github.com/spf13/cobra"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/events/shared"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/eventschema"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/output"
)

// The values of --format.
const (
	FormatJSONSchema = "json-schema"
	FormatOpenAPI    = "openapi"
)

// SchemaOptions are the inputs of `events schema`.
type SchemaOptions struct {
	IO      *iostreams.IOStreams
	Catalog func() (*events.Catalog, error)
	Output  func() (output.Format, error)
	// Version is the OpenAPI document's info.version: this build's version.
	Version string

	Types  []string
	Format string
}

// NewCmdSchema builds `events schema`.
func NewCmdSchema(f *cmdutil.Factory, runF func(*SchemaOptions) error) *cobra.Command {
	opts := &SchemaOptions{IO: f.IOStreams, Catalog: f.Catalog, Output: f.OutputFormat, Version: f.AppVersion}
	cmd := &cobra.Command{
		Use:   "schema [TYPE...] [--format json-schema|openapi]",
		Short: "Print the events as JSON Schema or as an OpenAPI 3.1 document",
		Long: `Print the catalog in a standard format, for code generators and validators.

--format json-schema (the default) prints JSON Schema 2020-12: with one TYPE, that
event's schema; with several or none, one document with each event under $defs,
keyed by event type. Every documented field is required and typed as the catalog says
(null only where it is nullable; phone is a number or a string depending on the
event, as TagMango sends it); inferred types say so in their description and in
x-tagmango-type-source, and each event carries x-tagmango-fields-status. The
catalog's example payload is under examples.

--format openapi prints an OpenAPI 3.1.0 document: the register and delete API under
paths (with the x-api-key security scheme and TagMango's envelopes) and each event
(all, or the TYPEs given) under webhooks, its payload in components/schemas.

The output is JSON, or YAML with -o yaml (same keys, same order). It is
deterministic, so it can be committed and diffed; docs/schema/ in the repository
holds the published copies.`,
		Example: `  $ tagmango-hooks events schema course.completed.50
  $ tagmango-hooks events schema > events.schema.json
  $ tagmango-hooks events schema --format openapi -o yaml > tagmango-webhooks.openapi.yaml`,
		ValidArgsFunction: cmdutil.CompleteEvents(f),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Types = args
			switch opts.Format {
			case FormatJSONSchema, FormatOpenAPI:
			default:
				return cmdutil.FlagErrorf("invalid --format %q: use json-schema or openapi", opts.Format)
			}
			if runF != nil {
				return runF(opts)
			}
			return schemaRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", FormatJSONSchema, "document `format`: json-schema (JSON Schema 2020-12) or openapi (OpenAPI 3.1)")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{FormatJSONSchema, FormatOpenAPI}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func schemaRun(opts *SchemaOptions) error {
	out, err := opts.Output()
	if err != nil {
		return err
	}
	catalog, err := opts.Catalog()
	if err != nil {
		return err
	}
	selected := catalog.Events
	if len(opts.Types) > 0 {
		selected = nil
		for _, t := range opts.Types {
			e, err := shared.Lookup(catalog, t)
			if err != nil {
				return err
			}
			if !slices.Contains(selected, e) {
				selected = append(selected, e)
			}
		}
	}
	b := eventschema.NewBuilder(catalog)
	var doc *eventschema.Object
	switch {
	case opts.Format == FormatOpenAPI:
		doc, err = b.OpenAPI(selected, opts.Version)
	case len(selected) == 1 && len(opts.Types) > 0:
		doc, err = b.EventSchema(selected[0])
	default:
		doc, err = b.Bundle(selected, len(opts.Types) == 0)
	}
	if err != nil {
		return err
	}
	var data []byte
	if out == output.FormatYAML {
		data, err = doc.YAML()
	} else {
		data, err = doc.JSON()
	}
	if err != nil {
		return err
	}
	_, err = opts.IO.Out.Write(data)
	return err
}
