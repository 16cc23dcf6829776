//go:build windows

package iostreams

import (
	"os"

	"golang.org/x/sys/windows"
)

// enableVT turns on virtual terminal processing for the console behind f, so that the
// ANSI colour sequences we write render in cmd.exe and PowerShell instead of showing
// as text, and reports whether the console now does them. Consoles older than
// Windows 10 refuse the mode: colour is then off. Windows Terminal has it on already.
func enableVT(f *os.File) bool {
	h := windows.Handle(f.Fd())
	var mode uint32
	if err := windows.GetConsoleMode(h, &mode); err != nil {
		return false
	}
	if mode&windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING != 0 {
		return true
	}
	return windows.SetConsoleMode(h, mode|windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING) == nil
}
