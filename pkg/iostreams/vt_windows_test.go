//go:build windows

package iostreams

import (
	"os"
	"testing"
)

// A file is no console: there is no virtual terminal to enable, and so no colour.
func TestEnableVTRefusesAFile(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if enableVT(f) {
		t.Error("enableVT reported a console behind a regular file")
	}
}
