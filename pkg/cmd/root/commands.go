package root

import (
	"github.com/spf13/cobra"

	deleteCmd "github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/delete"
	emulatorCmd "github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/emulator"
	eventsCmd "github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/events"
	inspectCmd "github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/inspect"
	listCmd "github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/list"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/listen"
	profileCmd "github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/profile"
	registerCmd "github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/register"
	replayCmd "github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/replay"
	triggerCmd "github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/trigger"
	versionCmd "github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/version"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
)

// addCommands adds every command explicitly; there is no init-time registration.
func addCommands(root *cobra.Command, f *cmdutil.Factory) {
	root.AddCommand(profileCmd.NewCmdProfile(f))
	root.AddCommand(registerCmd.NewCmdRegister(f, nil))
	root.AddCommand(deleteCmd.NewCmdDelete(f, nil))
	root.AddCommand(listCmd.NewCmdList(f, nil))
	root.AddCommand(eventsCmd.NewCmdEvents(f))
	root.AddCommand(triggerCmd.NewCmdTrigger(f, nil))
	root.AddCommand(replayCmd.NewCmdReplay(f, nil))
	root.AddCommand(emulatorCmd.NewCmdEmulator(f))
	root.AddCommand(listen.NewCmdListen(f, nil))
	root.AddCommand(inspectCmd.NewCmdInspect(f, nil))
	root.AddCommand(versionCmd.NewCmdVersion(f, nil))
	addHelpTopics(root)
}
