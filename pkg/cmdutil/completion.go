package cmdutil

import (
	"github.com/spf13/cobra"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/config"
)

// CompleteProfiles completes profile names from the config file.
func CompleteProfiles(f *Factory) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		cfg, err := config.LoadFile(f.ConfigPath(), nil)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		return cfg.ProfileNames(), cobra.ShellCompDirectiveNoFileComp
	}
}

// CompleteEvents completes event types from the catalog.
func CompleteEvents(f *Factory) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		c, err := f.Catalog()
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		return c.Names(), cobra.ShellCompDirectiveNoFileComp
	}
}
