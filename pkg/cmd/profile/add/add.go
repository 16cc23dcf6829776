// Package add implements `profile add`.
package add

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/api"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/config"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
)

// maxKeySize bounds what is read from stdin as a key.
const maxKeySize = 4096

// AddOptions are the inputs of `profile add`.
type AddOptions struct {
	IO         *iostreams.IOStreams
	ConfigPath func() string

	Name    string
	BaseURL string
	Use     bool
}

// NewCmdAdd builds `profile add`.
func NewCmdAdd(f *cmdutil.Factory, runF func(*AddOptions) error) *cobra.Command {
	opts := &AddOptions{IO: f.IOStreams, ConfigPath: f.ConfigPath}
	cmd := &cobra.Command{
		Use:   "add NAME",
		Short: "Store an API key as a profile",
		Long: `Store a TagMango API key under a profile name.

The key is read from stdin when it is piped, otherwise prompted for without echo.
Find it in the TagMango dashboard under Platform Integrations (the key of any listed
integration works). The first profile added becomes the current one.`,
		Example: `  $ echo "$TAGMANGO_API_KEY" | tagmango-hooks profile add ci
  $ tagmango-hooks profile add staging --base-url https://staging.example.com --use`,
		Args: cmdutil.ExactArgs(1, "profile add needs a profile NAME"),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Name = args[0]
			if err := config.ValidateProfileName(opts.Name); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			if opts.BaseURL != "" {
				if err := validateBaseURL(opts.BaseURL); err != nil {
					return cmdutil.FlagErrorWrap(err)
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return addRun(c.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.BaseURL, "base-url", "", "API base URL stored with the profile")
	cmd.Flags().BoolVar(&opts.Use, "use", false, "make this the current profile")
	return cmd
}

func validateBaseURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("invalid --base-url %q: use an absolute http:// or https:// URL", raw)
	}
	return nil
}

func addRun(ctx context.Context, opts *AddOptions) error {
	key, err := readKey(ctx, opts)
	if err != nil {
		return err
	}
	path := opts.ConfigPath()
	var (
		existed    bool
		madeActive bool
	)
	err = config.Update(path, opts.IO, func(cfg *config.File) error {
		p, ok := cfg.Profiles[opts.Name]
		existed = ok
		if !ok {
			p = &config.Profile{}
			cfg.Profiles[opts.Name] = p
		}
		p.APIKey = key
		if opts.BaseURL != "" {
			p.BaseURL = opts.BaseURL
		}
		if opts.Use || cfg.CurrentProfile == "" || cfg.Profiles[cfg.CurrentProfile] == nil {
			madeActive = cfg.CurrentProfile != opts.Name
			cfg.CurrentProfile = opts.Name
		}
		return nil
	})
	if err != nil {
		return err
	}
	verb := "Saved"
	if existed {
		verb = "Updated"
	}
	fmt.Fprintf(opts.IO.ErrOut, "%s %s profile %s (key %s) in %s\n", opts.IO.SuccessIcon(), verb, opts.Name, api.MaskKey(key), path)
	if madeActive {
		fmt.Fprintf(opts.IO.ErrOut, "%s %s is now the current profile\n", opts.IO.SuccessIcon(), opts.Name)
	}
	return nil
}

func readKey(ctx context.Context, opts *AddOptions) (string, error) {
	var (
		raw string
		err error
	)
	if opts.IO.IsStdinTTY() {
		raw, err = opts.IO.ReadSecret(ctx, fmt.Sprintf("API key for profile %s: ", opts.Name))
		if err != nil {
			return "", fmt.Errorf("reading the key: %w", err)
		}
	} else {
		b, err := opts.IO.ReadAll(maxKeySize)
		if err != nil {
			return "", cmdutil.Invalidf("reading the key from stdin: %v", err)
		}
		raw = string(b)
	}
	key := strings.TrimSpace(raw)
	if key == "" {
		return "", cmdutil.Invalidf("no API key given: pipe it in, e.g. echo \"$KEY\" | tagmango-hooks profile add %s", opts.Name)
	}
	if strings.ContainsAny(key, " \t\r\n") {
		return "", cmdutil.Invalidf("the API key contains whitespace; pipe in the key alone, on one line")
	}
	return key, nil
}
