package root

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
)

// refuseUnknownSubcommands makes every command group below the root refuse an unknown
// subcommand. cobra checks only at the root: below it, a group that is not runnable
// prints its help and exits 0, so a typo in a CI script (`profile ad ci`) passes.
func refuseUnknownSubcommands(c *cobra.Command) {
	for _, sub := range c.Commands() {
		refuseUnknownSubcommands(sub)
	}
	if !c.HasParent() || !c.HasSubCommands() || c.Runnable() {
		return
	}
	c.Args = cobra.ArbitraryArgs
	// Runnable now, but still used only through its subcommands: its usage shows
	// `GROUP [command]`, not a line of its own.
	c.SetUsageTemplate(strings.Replace(c.UsageTemplate(), "{{if .Runnable}}\n  {{.UseLine}}{{end}}", "", 1))
	c.RunE = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return c.Help()
		}
		return unknownCommand(c, args[0])
	}
}

// unknownCommand is the usage error for a subcommand c does not have, worded as
// cobra words it at the root, with its did-you-mean suggestions.
func unknownCommand(c *cobra.Command, name string) error {
	if c.SuggestionsMinimumDistance <= 0 {
		c.SuggestionsMinimumDistance = 2
	}
	msg := fmt.Sprintf("unknown command %q for %q", name, c.CommandPath())
	s := c.SuggestionsFor(name)
	// cobra suggests only runnable commands; help topics are worth suggesting too.
	for _, sub := range c.Commands() {
		if sub.Annotations["helpTopic"] == "true" && len(name) >= 3 && strings.HasPrefix(sub.Name(), name[:len(name)-1]) {
			s = append(s, sub.Name())
		}
	}
	if len(s) > 0 {
		msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t")
	}
	return cmdutil.FlagErrorf("%s", msg)
}

// newHelpCmd replaces cobra's help command, which answers an unknown topic with the
// root's usage and exit 0.
func newHelpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		Long: `Help provides help for any command, and the reference topics
(exit-codes, environment). Simply type tagmango-hooks help [path to command].`,
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			cmd, rest, err := c.Root().Find(args)
			if err != nil || len(rest) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var names []cobra.Completion
			for _, sub := range cmd.Commands() {
				if (sub.IsAvailableCommand() || sub.Annotations["helpTopic"] == "true") && strings.HasPrefix(sub.Name(), toComplete) {
					names = append(names, cobra.CompletionWithDesc(sub.Name(), sub.Short))
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			cmd, rest, err := c.Root().Find(args)
			if err != nil {
				return unknownCommand(c.Root(), args[0])
			}
			if len(rest) > 0 {
				return unknownCommand(cmd, rest[0])
			}
			cmd.InitDefaultHelpFlag()
			cmd.InitDefaultVersionFlag()
			return cmd.Help()
		},
	}
}
