//go:build !windows

package iostreams

import "os"

// enableVT reports whether the terminal behind f renders ANSI colour sequences once
// asked to. Terminals outside Windows always do; TERM=dumb is handled by the caller.
func enableVT(*os.File) bool { return true }
