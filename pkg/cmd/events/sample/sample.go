// Package sample implements `events sample TYPE`.
package sample

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/events/shared"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/events"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/output"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/sample"
)

// SampleOptions are the inputs of `events sample`.
type SampleOptions struct {
	IO      *iostreams.IOStreams
	Catalog func() (*events.Catalog, error)
	Format  func() (output.Format, error)
	Now     func() time.Time

	Type  string
	Fake  bool
	Seed  uint64
	Sets  []string
	Force bool
}

// NewCmdSample builds `events sample`.
func NewCmdSample(f *cmdutil.Factory, runF func(*SampleOptions) error) *cobra.Command {
	opts := &SampleOptions{IO: f.IOStreams, Catalog: f.Catalog, Format: f.OutputFormat, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "sample TYPE [--fake [--seed N]] [--set field=value ...]",
		Short: "Print a payload of an event",
		Long: `Print one payload of an event on stdout: the documented example, or with --fake a
realistic one — a random participant (Indian or international name, email and phone),
the event's own timestamp format, 24-hex object ids, and for a recurring webinar a
callList of several sessions. Field types follow the catalog: phone, for instance, is
a number in most events and a string in webinar.completed.all.

--seed N makes --fake reproducible (and implies it): the same seed prints the same
payload, timestamps included. --set field=value changes a field, typed per the catalog
(see trigger --help for the syntax).

The JSON is indented on a terminal and compact (one line) in a pipe; -o yaml prints
YAML instead.`,
		Example: `  $ tagmango-hooks events sample course.completed.50
  $ tagmango-hooks events sample webinar.created.recurring --fake --seed 42
  $ tagmango-hooks events sample order.created.failed --fake --set status=failed > order.json
  $ tagmango-hooks events sample course.completed.50 --fake | curl -sd @- -H 'content-type: application/json' localhost:3000/hooks`,
		Args:              cmdutil.ExactArgs(1, "give the event type, e.g. `events sample course.completed.50`"),
		ValidArgsFunction: cmdutil.CompleteEvents(f),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Type = args[0]
			if c.Flags().Changed("seed") {
				opts.Fake = true
			}
			if runF != nil {
				return runF(opts)
			}
			return sampleRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.Fake, "fake", false, "fill the payload with realistic random participant data")
	fl.Uint64Var(&opts.Seed, "seed", 0, "seed of --fake, for a reproducible payload (implies --fake; 0 is random)")
	fl.StringArrayVar(&opts.Sets, "set", nil, "set a field: `field=value`, dotted paths such as callList.0.webinar (repeatable)")
	fl.BoolVar(&opts.Force, "force", false, "let --set add fields the catalog does not document (as strings)")
	return cmd
}

func sampleRun(opts *SampleOptions) error {
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
	if d := e.DeprecationNote(); d != "" {
		opts.IO.Warnf("%s", d)
	}
	var p *sample.Document
	if opts.Fake {
		g := sample.NewGenerator(opts.Seed)
		if opts.Seed == 0 {
			g.SetNow(opts.Now())
		}
		p = g.Fake(e)
	} else if p, err = sample.Example(e); err != nil {
		return err
	}
	for _, s := range opts.Sets {
		if err := shared.ApplySet(p, e, s, opts.Force); err != nil {
			return err
		}
	}
	if format == output.FormatYAML {
		return output.WriteStructured(opts.IO.Out, format, p)
	}
	var b []byte
	if opts.IO.IsStdoutTTY() {
		b, err = p.Indented()
	} else {
		b, err = p.MarshalJSON()
		b = append(b, '\n')
	}
	if err != nil {
		return err
	}
	_, err = opts.IO.Out.Write(b)
	return err
}
