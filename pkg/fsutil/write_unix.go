//go:build !windows

package fsutil

import "github.com/google/renameio/v2"

// writeAtomic uses a pending file rather than renameio.WriteFile, which would keep an
// existing file's (possibly too open) mode.
func writeAtomic(path string, data []byte) error {
	t, err := renameio.NewPendingFile(path, renameio.WithStaticPermissions(PrivateFile))
	if err != nil {
		return err
	}
	defer func() { _ = t.Cleanup() }()
	if _, err := t.Write(data); err != nil {
		return err
	}
	return t.CloseAtomicallyReplace()
}
