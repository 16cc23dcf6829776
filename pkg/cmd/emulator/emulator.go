// Package emulator implements `emulator`: a local stand-in for TagMango.
package emulator

import (
	"github.com/spf13/cobra"

	fireCmd "github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/emulator/fire"
	serveCmd "github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/emulator/serve"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
)

// NewCmdEmulator builds `emulator` and its subcommands.
func NewCmdEmulator(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "emulator <command>",
		Short: "Run TagMango on this machine, for tests and CI without credentials",
		Long: `A local stand-in for TagMango, for tests and CI without credentials.

'emulator serve' answers TagMango's webhook register and delete API, with TagMango's
envelopes and errors, and keeps the registrations. 'emulator fire' asks it to deliver
an event to every registration whose event and filter match — one call per
participant, as TagMango does — so that register → event → your handler can be
tested end to end on one machine.`,
		Example: `  $ tagmango-hooks emulator serve &
  $ export TAGMANGO_BASE_URL=http://127.0.0.1:4280 TAGMANGO_API_KEY=test
  $ tagmango-hooks register --url http://127.0.0.1:3000/hooks/tm --event course.completed.50
  $ tagmango-hooks emulator fire course.completed.50 --course 634fc35ddaf58580e2418c40 --participants 25`,
	}
	cmd.AddCommand(serveCmd.NewCmdServe(f, nil))
	cmd.AddCommand(fireCmd.NewCmdFire(f, nil))
	return cmd
}
