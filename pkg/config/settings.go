package config

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// Setting keys, which are also the names of the global flags that set them.
const (
	KeyProfile = "profile"
	KeyAPIKey  = "api-key"
	KeyBaseURL = "base-url"
	KeyConfig  = "config"
	KeyState   = "state"
)

// Environment variables read by tagmango-hooks.
const (
	EnvProfile = "TAGMANGO_PROFILE"
	EnvAPIKey  = "TAGMANGO_API_KEY"
	EnvBaseURL = "TAGMANGO_BASE_URL"
	EnvConfig  = "TAGMANGO_HOOKS_CONFIG"
	EnvState   = "TAGMANGO_HOOKS_STATE"
)

// Source says which layer a setting came from.
type Source string

// The layers, highest precedence first.
const (
	SourceFlag    Source = "flag"
	SourceEnv     Source = "env"
	SourceFile    Source = "file"
	SourceDefault Source = "default"
)

// Settings are the resolved settings of one invocation.
type Settings struct {
	Profile    string
	APIKey     string
	BaseURL    string
	ConfigPath string
	StatePath  string
	// File is the config file as read (empty when there is none).
	File *File
	// Sources tells, for each Key*, where its value came from.
	Sources map[string]Source
}

// Paths resolves only the config and state file locations, without reading anything.
func Paths(flags *pflag.FlagSet) (configPath, statePath string) {
	v := newViper(flags)
	return v.GetString(KeyConfig), v.GetString(KeyState)
}

func newViper(flags *pflag.FlagSet) *viper.Viper {
	// "::" as delimiter so that dotted profile names are not split into nested keys.
	v := viper.NewWithOptions(viper.KeyDelimiter("::"))
	bind := func(key, env string) {
		if f := flags.Lookup(key); f != nil {
			_ = v.BindPFlag(key, f)
		}
		_ = v.BindEnv(key, env)
	}
	bind(KeyProfile, EnvProfile)
	bind(KeyAPIKey, EnvAPIKey)
	bind(KeyBaseURL, EnvBaseURL)
	bind(KeyConfig, EnvConfig)
	bind(KeyState, EnvState)
	v.SetDefault(KeyProfile, DefaultProfile)
	v.SetDefault(KeyBaseURL, DefaultBaseURL)
	v.SetDefault(KeyConfig, DefaultConfigPath())
	v.SetDefault(KeyState, DefaultStatePath())
	return v
}

// Resolve reads the config file and resolves every setting. warn receives the
// config file's permission warning.
func Resolve(flags *pflag.FlagSet, warn Warner) (*Settings, error) {
	v := newViper(flags)
	s := &Settings{
		ConfigPath: v.GetString(KeyConfig),
		StatePath:  v.GetString(KeyState),
		Sources:    map[string]Source{},
	}
	file, err := LoadFile(s.ConfigPath, warn)
	if err != nil {
		return nil, err
	}
	s.File = file

	// The file's layer: the current profile, then that profile's values.
	fileLayer := map[string]any{}
	if file.CurrentProfile != "" {
		fileLayer[KeyProfile] = file.CurrentProfile
	}
	if err := v.MergeConfigMap(fileLayer); err != nil {
		return nil, err
	}
	s.Profile = v.GetString(KeyProfile)
	if err := ValidateProfileName(s.Profile); err != nil {
		return nil, err
	}
	profileLayer := map[string]any{}
	if p, ok := file.Profiles[s.Profile]; ok {
		if p.APIKey != "" {
			profileLayer[KeyAPIKey] = p.APIKey
		}
		if p.BaseURL != "" {
			profileLayer[KeyBaseURL] = p.BaseURL
		}
	}
	if err := v.MergeConfigMap(profileLayer); err != nil {
		return nil, err
	}
	s.APIKey = v.GetString(KeyAPIKey)
	s.BaseURL = v.GetString(KeyBaseURL)

	for key, env := range map[string]string{KeyProfile: EnvProfile, KeyAPIKey: EnvAPIKey, KeyBaseURL: EnvBaseURL, KeyConfig: EnvConfig, KeyState: EnvState} {
		s.Sources[key] = sourceOf(v, flags, key, env)
	}
	// A profile named on the command line or in the environment that the file lacks
	// is a typo, unless the key comes from there too (CI with no config at all):
	// otherwise `--profile nope` would run as an empty profile.
	if _, ok := file.Profiles[s.Profile]; !ok && s.Sources[KeyProfile].explicit() && !s.Sources[KeyAPIKey].explicit() {
		return nil, NewUnknownProfileError(s.Profile, file)
	}
	return s, nil
}

// explicit reports whether the value was given for this invocation (flag or env).
func (src Source) explicit() bool { return src == SourceFlag || src == SourceEnv }

// UnknownProfileError is a profile name the config file does not have: a usage error
// (exit 2), listing the profiles there are.
type UnknownProfileError struct {
	Name     string
	Profiles []string
}

// NewUnknownProfileError builds the error for name, given the config file.
func NewUnknownProfileError(name string, file *File) *UnknownProfileError {
	return &UnknownProfileError{Name: name, Profiles: file.ProfileNames()}
}

func (e *UnknownProfileError) Error() string {
	if len(e.Profiles) == 0 {
		return fmt.Sprintf("no profile named %s: there are no profiles yet; add one with `tagmango-hooks profile add %s`", e.Name, e.Name)
	}
	return fmt.Sprintf("no profile named %s; profiles: %s", e.Name, strings.Join(e.Profiles, ", "))
}

// ExitCode makes it a usage error.
func (e *UnknownProfileError) ExitCode() int { return 2 }

func sourceOf(v *viper.Viper, flags *pflag.FlagSet, key, env string) Source {
	if f := flags.Lookup(key); f != nil && f.Changed {
		return SourceFlag
	}
	if os.Getenv(env) != "" {
		return SourceEnv
	}
	if v.InConfig(key) {
		return SourceFile
	}
	return SourceDefault
}

// ErrNoAPIKey explains how to provide a key.
var ErrNoAPIKey = fmt.Errorf("no API key: run `tagmango-hooks profile add NAME`, or set %s (CI), or pass --api-key", EnvAPIKey)
