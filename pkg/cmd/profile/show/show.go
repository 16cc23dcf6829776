// Package show implements `profile show`.
package show

import (
	"github.com/spf13/cobra"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/api"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/config"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/output"
)

// ShowOptions are the inputs of `profile show`.
type ShowOptions struct {
	IO       *iostreams.IOStreams
	Settings func() (*config.Settings, error)
	Format   func() (output.Format, error)
	// SelectProfile makes NAME the profile to resolve, as --profile would.
	SelectProfile func(name string) error

	Name string
}

// Setting is one resolved value and where it came from.
type Setting struct {
	Value  string        `json:"value"`
	Source config.Source `json:"source"`
}

// Effective is the JSON shape of `profile show -o json`.
type Effective struct {
	Profile Setting `json:"profile"`
	APIKey  Setting `json:"apiKey"`
	BaseURL Setting `json:"baseUrl"`
	Config  Setting `json:"config"`
	State   Setting `json:"state"`
	// Exists tells whether the profile is defined in the config file.
	Exists bool `json:"exists"`
}

// NewCmdShow builds `profile show`.
func NewCmdShow(f *cmdutil.Factory, runF func(*ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{
		IO:       f.IOStreams,
		Settings: f.Settings,
		Format:   f.OutputFormat,
		SelectProfile: func(name string) error {
			return f.GlobalFlags.Set(config.KeyProfile, name)
		},
	}
	cmd := &cobra.Command{
		Use:   "show [NAME]",
		Short: "Show the effective settings and where each comes from",
		Long: `Show the settings a command would use — profile, API key (masked), base URL,
config and state files — and where each comes from: flag, env, file or default.
With NAME, show them for that profile.`,
		Args:              cmdutil.MaximumArgs(1, "profile show takes at most one profile NAME"),
		ValidArgsFunction: cmdutil.CompleteProfiles(f),
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Name = args[0]
				if err := opts.SelectProfile(opts.Name); err != nil {
					return cmdutil.FlagErrorWrap(err)
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return showRun(opts)
		},
	}
	return cmd
}

func showRun(opts *ShowOptions) error {
	format, err := opts.Format()
	if err != nil {
		return err
	}
	s, err := opts.Settings()
	if err != nil {
		return err
	}
	_, exists := s.File.Profiles[s.Profile]
	if opts.Name != "" && !exists {
		// Asked by name, a profile the file lacks is a typo even when a key comes
		// from the environment.
		return config.NewUnknownProfileError(opts.Name, s.File)
	}
	eff := Effective{
		Profile: Setting{s.Profile, s.Sources[config.KeyProfile]},
		APIKey:  Setting{api.MaskKey(s.APIKey), s.Sources[config.KeyAPIKey]},
		BaseURL: Setting{s.BaseURL, s.Sources[config.KeyBaseURL]},
		Config:  Setting{s.ConfigPath, s.Sources[config.KeyConfig]},
		State:   Setting{s.StatePath, s.Sources[config.KeyState]},
		Exists:  exists,
	}
	if format.IsStructured() {
		return output.WriteStructured(opts.IO.Out, format, eff)
	}
	key := eff.APIKey.Value
	if key == "" {
		key = "(none: run `tagmango-hooks profile add " + s.Profile + "` or set " + config.EnvAPIKey + ")"
	}
	t := output.NewTable(opts.IO.Out, opts.IO.IsStdoutTTY(), "SETTING", "VALUE", "SOURCE")
	t.AddRow("profile", eff.Profile.Value, string(eff.Profile.Source))
	t.AddRow("api-key", key, string(eff.APIKey.Source))
	t.AddRow("base-url", eff.BaseURL.Value, string(eff.BaseURL.Source))
	t.AddRow("config", eff.Config.Value, string(eff.Config.Source))
	t.AddRow("state", eff.State.Value, string(eff.State.Source))
	return t.Render()
}
