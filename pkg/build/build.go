// Package build holds the version information set by the release build's ldflags:
//
//	-X github.com/tagmango-hooks/tagmango-hooks/pkg/build.Version=1.2.3
//	-X github.com/tagmango-hooks/tagmango-hooks/pkg/build.Commit=abc123
//	-X github.com/tagmango-hooks/tagmango-hooks/pkg/build.Date=2026-11-23T10:00:00Z
//
// A binary built with `go install` falls back to the module and VCS information that
// the Go toolchain records.
package build

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// Set by ldflags at release time; read through Info.
var (
	Version = ""
	Commit  = ""
	Date    = ""
)

// Information describes the running binary.
type Information struct {
	Version   string `json:"version" yaml:"version"`
	Commit    string `json:"commit" yaml:"commit"`
	Date      string `json:"date" yaml:"date"`
	GoVersion string `json:"goVersion" yaml:"goVersion"`
	Platform  string `json:"platform" yaml:"platform"`
}

// Info returns the binary's version information.
func Info() Information {
	info := Information{
		Version:   Version,
		Commit:    Commit,
		Date:      Date,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if info.Commit == "" {
					info.Commit = s.Value
				}
			case "vcs.time":
				if info.Date == "" {
					info.Date = s.Value
				}
			}
		}
	}
	if info.Version == "" {
		info.Version = "dev"
	}
	// Release tooling writes placeholders when it cannot read the repository.
	if info.Commit == "none" || info.Commit == "unknown" {
		info.Commit = ""
	}
	if strings.HasPrefix(info.Date, "0001-01-01") {
		info.Date = ""
	}
	return info
}
