// Package root assembles the command tree and runs it.
package root

import (
	"github.com/spf13/cobra"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/build"
	versionCmd "github.com/tagmango-hooks/tagmango-hooks/pkg/cmd/version"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/config"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/output"
)

//go:generate go run ../../../cmd/gen-docs -root ../../..

// NewCmdRoot builds the whole command tree for one invocation.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tagmango-hooks <command>",
		Short: "Register, inspect, receive and replay TagMango webhooks",
		Long: `tagmango-hooks is the command-line companion for TagMango webhooks.

Subscribe an endpoint to TagMango events and keep track of what is subscribed,
watch deliveries arrive while you build your handler, fire realistic events at it,
replay what you captured, and run a local TagMango in CI.`,
		Example: `  $ echo "$TAGMANGO_API_KEY" | tagmango-hooks profile add default
  $ tagmango-hooks register --url https://example.com/hooks/tm --event course.completed.50 --course 634fc35ddaf58580e2418c40
  $ tagmango-hooks list
  $ tagmango-hooks listen --port 4242`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       f.AppVersion,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if noColor, _ := cmd.Flags().GetBool("no-color"); noColor {
				f.IOStreams.DisableColor()
			}
			_, err := f.OutputFormat()
			return err
		},
	}
	cmd.SetVersionTemplate("tagmango-hooks " + versionCmd.Line(build.Info()) + "\n")
	cmd.DisableAutoGenTag = true

	pf := cmd.PersistentFlags()
	pf.String(config.KeyProfile, "", "profile to use (env "+config.EnvProfile+"; default: the config's current profile, else \"default\")")
	pf.String(config.KeyAPIKey, "", "API key, overriding the profile's (visible in ps: prefer "+config.EnvAPIKey+")")
	pf.String(config.KeyBaseURL, "", "API base URL (env "+config.EnvBaseURL+"; default "+config.DefaultBaseURL+")")
	pf.String(config.KeyConfig, "", "config file (env "+config.EnvConfig+"; default $XDG_CONFIG_HOME/tagmango-hooks/config.yaml)")
	pf.String(config.KeyState, "", "subscription store (env "+config.EnvState+"; default $XDG_STATE_HOME/tagmango-hooks/subscriptions.json)")
	pf.StringP("output", "o", "table", "output format: table, json or yaml")
	pf.Bool("no-color", false, "disable colour (also NO_COLOR; colour is only used on a terminal)")
	pf.BoolP("verbose", "v", false, "log each HTTP request and response to stderr (API key redacted)")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(output.Formats, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc(config.KeyProfile, cmdutil.CompleteProfiles(f))
	f.GlobalFlags = pf

	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return cmdutil.FlagErrorWrap(err)
	})
	cmd.SetOut(f.IOStreams.Out)
	cmd.SetErr(f.IOStreams.ErrOut)
	cmd.SetIn(f.IOStreams.In)

	addCommands(cmd, f)
	cmd.SetHelpCommand(newHelpCmd())
	// Added now rather than when cobra runs, so that it refuses unknown shells too.
	cmd.InitDefaultCompletionCmd()
	refuseUnknownSubcommands(cmd)
	return cmd
}
