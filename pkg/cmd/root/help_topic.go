package root

import (
	"fmt"

	"github.com/spf13/cobra"
)

// helpTopics are reference pages reachable as `tagmango-hooks help TOPIC`.
var helpTopics = []struct {
	name, short, long string
}{
	{
		name:  "environment",
		short: "Environment variables tagmango-hooks reads",
		long: `Settings are resolved flag > environment > config file > default.

TAGMANGO_API_KEY        the API key, overriding the profile's; the way to pass a key in CI
TAGMANGO_PROFILE        the profile to use (default: the config's current profile, else "default")
TAGMANGO_BASE_URL       the API base URL (default https://api-prod-new.tagmango.com); point it
                        at 'tagmango-hooks emulator serve' to test without an account
TAGMANGO_HOOKS_CONFIG   the config file (default $XDG_CONFIG_HOME/tagmango-hooks/config.yaml)
TAGMANGO_HOOKS_STATE    the subscription store (default $XDG_STATE_HOME/tagmango-hooks/subscriptions.json,
                        falling back to ~/.local/state/tagmango-hooks/subscriptions.json)
TAGMANGO_EMULATOR_URL   the emulator 'emulator fire' talks to (default http://127.0.0.1:4280)
NO_COLOR                any value turns colour off (so does --no-color, and a stdout that is not a terminal)
XDG_CONFIG_HOME, XDG_STATE_HOME
                        where the default config and state files live
`,
	},
	{
		name:  "exit-codes",
		short: "Exit codes and what they mean",
		long: `tagmango-hooks exits with:

0    success, including "already registered" and "already deleted"; also when the
     reader of stdout goes away ('list | head -1'): a quiet end, no message
1    the operation failed: an API error, the network, a file, or a 2xx answer that
     is not TagMango's JSON (is --base-url right?); for 'listen': --save or the
     display could not be written, or deliveries were left unshown at Ctrl-C
2    usage or validation error: a bad flag, an unknown subcommand, an unknown event
     or id, an invalid URL, a --profile or TAGMANGO_PROFILE the config file lacks
     (unless the key comes from --api-key or TAGMANGO_API_KEY), a confirmation
     needed off a terminal (--all or 'profile remove' without --yes), an
     'emulator fire' of more than 1,000,000 deliveries
3    an expectation was not met: 'listen --count' timed out, 'trigger', 'replay' or
     'emulator fire' saw a non-2xx, slow or failed delivery, or the endpoint could not be reached;
     'emulator fire' matched no registration
4    authentication: no API key, or TagMango rejected it (401/403)
130  interrupted (Ctrl-C), at a prompt too (nothing is changed); except for
     'listen' and 'inspect', where Ctrl-C is the normal end (0)
`,
	},
}

// addHelpTopics adds the reference pages as help-only commands.
func addHelpTopics(root *cobra.Command) {
	for _, t := range helpTopics {
		topic := &cobra.Command{
			Use:   t.name,
			Short: t.short,
			Long:  t.long,
			// A help topic is not runnable; `help TOPIC` and `TOPIC --help` print it.
			Annotations: map[string]string{"helpTopic": "true"},
		}
		topic.SetHelpFunc(func(c *cobra.Command, _ []string) {
			fmt.Fprint(c.OutOrStdout(), c.Long)
		})
		topic.SetUsageFunc(func(c *cobra.Command) error {
			fmt.Fprint(c.OutOrStderr(), c.Long)
			return nil
		})
		root.AddCommand(topic)
	}
}
