// Package fsutil writes the files tagmango-hooks owns: private, atomic, under a lock,
// and never through a symbolic link.
package fsutil

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// PrivateFile is the mode of every file tagmango-hooks writes; PrivateDir that of the
// directories it creates.
const (
	PrivateFile fs.FileMode = 0o600
	PrivateDir  fs.FileMode = 0o700
)

// ErrSymlink is returned when a path to be written is a symbolic link.
var ErrSymlink = errors.New("is a symbolic link; refusing to write through it")

// lockTimeout bounds how long a command waits for another one to finish with a file.
const lockTimeout = 30 * time.Second

// RefuseSymlink fails when path exists and is a symbolic link, so that a planted link
// cannot redirect a write of secrets or state to another file.
func RefuseSymlink(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%s %w", path, ErrSymlink)
	}
	return nil
}

// WriteFileAtomic replaces path with data: it writes a temporary file in the same
// directory, syncs it and renames it over path, so a crash leaves either the old or the
// new file. The file gets mode 0600 whatever mode an earlier file had; missing
// directories are created 0700.
func WriteFileAtomic(path string, data []byte) error {
	if err := RefuseSymlink(path); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), PrivateDir); err != nil {
		return err
	}
	return writeAtomic(path, data)
}

// Lock takes an exclusive OS lock on path+".lock", waiting for other processes to
// release it, and returns the function that releases it.
func Lock(path string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), PrivateDir); err != nil {
		return nil, err
	}
	lockPath := path + ".lock"
	if err := RefuseSymlink(lockPath); err != nil {
		return nil, err
	}
	fl := flock.New(lockPath, flock.SetPermissions(PrivateFile))
	ctx, cancel := context.WithTimeout(context.Background(), lockTimeout)
	defer cancel()
	ok, err := fl.TryLockContext(ctx, 5*time.Millisecond)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return nil, fmt.Errorf("locking %s: %w", lockPath, err)
	}
	if !ok {
		return nil, fmt.Errorf("%s is held by another tagmango-hooks process for more than %s; if none is running, delete the lock file", lockPath, lockTimeout)
	}
	return func() { _ = fl.Unlock() }, nil
}
