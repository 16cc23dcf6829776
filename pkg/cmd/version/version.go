// Package version implements `version`.
package version

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tagmango-hooks/tagmango-hooks/pkg/build"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/cmdutil"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/iostreams"
	"github.com/tagmango-hooks/tagmango-hooks/pkg/output"
)

// VersionOptions are the inputs of `version`.
type VersionOptions struct {
	IO     *iostreams.IOStreams
	Format func() (output.Format, error)
	Info   func() build.Information
}

// NewCmdVersion builds `version`.
func NewCmdVersion(f *cmdutil.Factory, runF func(*VersionOptions) error) *cobra.Command {
	opts := &VersionOptions{IO: f.IOStreams, Format: f.OutputFormat, Info: build.Info}
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and build date",
		Args:  cmdutil.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return versionRun(opts)
		},
	}
}

func versionRun(opts *VersionOptions) error {
	format, err := opts.Format()
	if err != nil {
		return err
	}
	info := opts.Info()
	if format.IsStructured() {
		return output.WriteStructured(opts.IO.Out, format, info)
	}
	fmt.Fprintf(opts.IO.Out, "tagmango-hooks %s\n", Line(info))
	return nil
}

// Line renders the version information on one line, as `--version` prints it too.
func Line(info build.Information) string {
	s := info.Version
	if info.Commit != "" {
		commit := info.Commit
		if len(commit) > 12 {
			commit = commit[:12]
		}
		s += " (commit " + commit
		if info.Date != "" {
			s += ", built " + info.Date
		}
		s += ")"
	}
	return s + " " + info.GoVersion + " " + info.Platform
}
