// Package profile groups the commands that manage API-key profiles.
package profile

import (
	"github.com/spf13/cobra"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/profile/add"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/profile/list"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/profile/remove"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/profile/show"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/profile/use"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
)

// NewCmdProfile is the `profile` command group.
func NewCmdProfile(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "profile <command>",
		Short: "Manage API-key profiles",
		Long: `Manage the API keys tagmango-hooks uses, as named profiles in the config file
(mode 0600). The key is read from stdin or a prompt, never from an argument, and is
only ever shown masked.

In CI, set TAGMANGO_API_KEY instead of storing a profile.`,
		Args: cmdutil.NoArgs,
	}
	cmd.AddCommand(add.NewCmdAdd(f, nil))
	cmd.AddCommand(list.NewCmdList(f, nil))
	cmd.AddCommand(use.NewCmdUse(f, nil))
	cmd.AddCommand(remove.NewCmdRemove(f, nil))
	cmd.AddCommand(show.NewCmdShow(f, nil))
	return cmd
}
