// Package config reads and writes the profiles file and resolves the settings of one
// invocation (profile, API key, base URL, file locations) with one viper instance:
// flag > environment > config file > default.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/fsutil"
)

// DefaultBaseURL is TagMango's production API.
const DefaultBaseURL = "https://api-prod-new.tagmango.com"

// DefaultProfile is used when nothing names a profile.
const DefaultProfile = "default"

// maxConfigSize bounds how much of a config file is read.
const maxConfigSize = 1 << 20

// Profile is one named set of credentials.
type Profile struct {
	APIKey  string `yaml:"api-key"`
	BaseURL string `yaml:"base-url,omitempty"`
}

// File is the config file's content.
type File struct {
	CurrentProfile string              `yaml:"current-profile,omitempty"`
	Profiles       map[string]*Profile `yaml:"profiles,omitempty"`
}

// ProfileNames lists the profiles in name order.
func (f *File) ProfileNames() []string {
	names := make([]string, 0, len(f.Profiles))
	for n := range f.Profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ValidateProfileName refuses names that would be ambiguous in the file or on a
// command line: lowercase letters, digits, '.', '-' and '_', starting with a letter or
// digit, at most 64. (Hand-written: a regexp compiled at start-up costs every command.)
func ValidateProfileName(name string) error {
	valid := len(name) > 0 && len(name) <= 64
	for i := 0; valid && i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		valid = alnum || (i > 0 && (c == '.' || c == '-' || c == '_'))
	}
	if !valid {
		return fmt.Errorf("invalid profile name %q: use lowercase letters, digits, '.', '-' and '_' (at most 64)", name)
	}
	return nil
}

// Warner receives warnings, one line each (iostreams.IOStreams is one); nil means
// they are not shown.
type Warner interface {
	Warnf(format string, args ...any)
}

// LoadFile reads the config file at path. A missing file is an empty config. When the
// file can be read by group or others, a warning is written to warn.
func LoadFile(path string, warn Warner) (*File, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &File{Profiles: map[string]*Profile{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the config file: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().Perm()&0o077 != 0 && warn != nil {
		warn.Warnf("%s is accessible by other users (mode %04o) and holds API keys; run: chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	// Others who can list or write the directory can see the file come and go, or
	// replace it with one of their own (as ssh checks ~/.ssh).
	dir := filepath.Dir(path)
	if di, err := os.Stat(dir); err == nil && di.Mode().Perm()&0o077 != 0 && warn != nil {
		warn.Warnf("the config directory %s is accessible by other users (mode %04o); run: chmod 700 %s", dir, di.Mode().Perm(), dir)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading the config file %s: %w", path, err)
	}
	return ParseFile(path, data)
}

// ParseFile decodes a config file's content; path is only used in messages.
func ParseFile(path string, data []byte) (*File, error) {
	if len(data) > maxConfigSize {
		return nil, fmt.Errorf("the config file %s is larger than 1 MiB; is it the right file?", path)
	}
	cfg := &File{}
	if len(bytes.TrimSpace(data)) > 0 {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		// A file of comments only decodes to EOF: it is an empty config.
		if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("the config file %s is not valid: %v; fix it, or recreate it with `tagmango-hooks profile add`", path, strings.TrimPrefix(err.Error(), "yaml: "))
		}
	}
	if cfg.Profiles == nil {
		cfg.Profiles = map[string]*Profile{}
	}
	for name, p := range cfg.Profiles {
		if p == nil {
			cfg.Profiles[name] = &Profile{}
		}
	}
	return cfg, nil
}

// Update loads the config file, applies fn and saves the result, all under the lock,
// so two `profile` commands at once do not lose each other's change.
func Update(path string, warn Warner, fn func(*File) error) error {
	unlock, err := fsutil.Lock(path)
	if err != nil {
		return err
	}
	defer unlock()
	cfg, err := LoadFile(path, warn)
	if err != nil {
		return err
	}
	if err := fn(cfg); err != nil {
		return err
	}
	data, err := yaml.Marshal(cfg)
	if err != nil {
		return err
	}
	if err := fsutil.WriteFileAtomic(path, data); err != nil {
		return fmt.Errorf("writing the config file: %w", err)
	}
	return nil
}

// DefaultConfigPath is $XDG_CONFIG_HOME/tagmango-hooks/config.yaml (os.UserConfigDir).
func DefaultConfigPath() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		dir = filepath.Join(homeDir(), ".config")
	}
	return filepath.Join(dir, "tagmango-hooks", "config.yaml")
}

// DefaultStatePath is $XDG_STATE_HOME/tagmango-hooks/subscriptions.json, falling back
// to ~/.local/state.
func DefaultStatePath() string {
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" || !filepath.IsAbs(dir) {
		dir = filepath.Join(homeDir(), ".local", "state")
	}
	return filepath.Join(dir, "tagmango-hooks", "subscriptions.json")
}

func homeDir() string {
	if h, err := os.UserHomeDir(); err == nil {
		return h
	}
	return "."
}
