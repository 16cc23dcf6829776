package cmdutil

import (
	"fmt"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/config"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/store"
)

// BaseURL is the settings' API base URL in canonical form. One that cannot be used —
// user-info, a query or fragment, not http(s) — is a validation error (exit 2) that
// names where it came from.
func BaseURL(s *config.Settings) (string, error) {
	base, err := config.NormalizeBaseURL(s.BaseURL)
	if err != nil {
		return "", Invalidf("the API base URL %s: %v", baseURLOrigin(s), err)
	}
	return base, nil
}

// Scope is the profile and API whose records a command works on.
func Scope(s *config.Settings) (store.Scope, error) {
	base, err := BaseURL(s)
	if err != nil {
		return store.Scope{}, err
	}
	return store.Scope{Profile: s.Profile, BaseURL: base}, nil
}

// baseURLOrigin says where the base URL came from, in the words the user would use to
// fix it.
func baseURLOrigin(s *config.Settings) string {
	switch s.Sources[config.KeyBaseURL] {
	case config.SourceFlag:
		return "(--base-url)"
	case config.SourceEnv:
		return "(" + config.EnvBaseURL + ")"
	case config.SourceFile:
		return fmt.Sprintf("(base-url of profile %s in %s)", s.Profile, s.ConfigPath)
	}
	return ""
}
