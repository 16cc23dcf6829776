// Package events implements `events`: the catalog of TagMango events, one event's
// fields and example, and sample payloads.
package events

import (
	"github.com/spf13/cobra"

	listCmd "github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/events/list"
	sampleCmd "github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/events/sample"
	schemaCmd "github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/events/schema"
	showCmd "github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/events/show"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
)

// NewCmdEvents builds `events`; without a subcommand it lists the catalog.
func NewCmdEvents(f *cmdutil.Factory) *cobra.Command {
	list := listCmd.NewCmdList(f, nil)
	cmd := &cobra.Command{
		Use:   "events [list | show TYPE | sample TYPE | schema [TYPE...]]",
		Short: "The TagMango events: list, fields, example payloads",
		Long: `Everything tagmango-hooks knows about TagMango's events, from its embedded catalog.

TagMango sends the bare payload with no event name, so the catalog's fields are what
tells the events apart. Run without a subcommand, events lists the catalog.`,
		Example: `  $ tagmango-hooks events
  $ tagmango-hooks events show webinar.created.recurring
  $ tagmango-hooks events sample course.completed.50 --fake --seed 7
  $ tagmango-hooks events schema --format openapi -o yaml`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cmdutil.FlagErrorf("unknown command %q for events: use list, show, sample or schema", args[0])
			}
			return nil
		},
		RunE: list.RunE,
	}
	cmd.AddCommand(list)
	cmd.AddCommand(showCmd.NewCmdShow(f, nil))
	cmd.AddCommand(sampleCmd.NewCmdSample(f, nil))
	cmd.AddCommand(schemaCmd.NewCmdSchema(f, nil))
	return cmd
}
