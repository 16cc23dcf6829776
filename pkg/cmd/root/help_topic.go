package root

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/emulator"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/output"
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
NO_COLOR                any value turns colour off (so does --no-color); colour is only used on a
                        terminal: stdout's for output, stderr's for warnings and errors
XDG_CONFIG_HOME, XDG_STATE_HOME
                        where the default config and state files live
`,
	},
	{
		name:  "exit-codes",
		short: "Exit codes and what they mean",
		long: `tagmango-hooks exits with:

0    success, including "already registered" and "already deleted"; 'listen' and
     'emulator serve' stopped by Ctrl-C or SIGTERM; 'listen --count N' after N;
     also when the reader of stdout goes away ('list | head -1'): a quiet end
1    the operation failed: an API error, the network, a file that cannot be read
     or written (a missing 'replay' file, 'trigger --data', 'listen --save', a
     corrupt state or config file), or a 2xx answer that is not TagMango's JSON
     (is --base-url right?); a port already in use ('listen', 'emulator serve');
     'emulator fire' when no emulator answers; 'replay' with nothing to replay
     (an empty file, or no delivery matching --seq/--event); "no" at a
     confirmation (nothing is changed); for 'listen': --save or the display could
     not be written, deliveries were left unshown at Ctrl-C, --register failed
     part-way, a temporary subscription could not be deleted at the end, or
     another 'listen --register' runs with the same --public-url; or the
     --tunnel could not start, did not reach listen (the probe), or died
2    usage or validation error: a bad flag, an unknown subcommand, an unknown event
     or id, an invalid URL, a filter that does not apply to the event (without
     --force), a --profile or TAGMANGO_PROFILE the config file lacks (unless the
     key comes from --api-key or TAGMANGO_API_KEY), a confirmation needed off a
     terminal (--all or 'profile remove' without --yes), an empty key piped to
     'profile add', an 'emulator fire' of more than ` + output.Thousands(emulator.DefaultMaxDeliveries) + ` deliveries,
     'listen --forward-to' its own address, 'listen --register' on a --public-url
     that has a subscription of its own (not temporary)
3    an expectation was not met: 'listen --count N --timeout DUR' saw fewer than
     N; 'trigger', 'replay' or 'emulator fire' saw a non-2xx, slow or failed
     delivery, or the endpoint could not be reached; 'emulator fire' matched no
     registration
4    authentication: no API key for a command that calls the API ('listen
     --register' too), or TagMango rejected it (401/403)
130  interrupted (Ctrl-C), at a prompt too (nothing is changed); except for
     'listen', 'inspect' and 'emulator serve', where Ctrl-C is the normal end (0)
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
