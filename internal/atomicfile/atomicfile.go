// Package atomicfile writes files so that a reader, a crash or a SIGTERM never
// sees half of one: the data goes to a temporary file in the same directory,
// is synced, and is renamed over the target; then the directory is synced so
// the rename itself survives a power loss.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write replaces path with data, created with mode perm. The directory is
// created (0700) when missing. On error the target is left as it was.
func Write(path string, data []byte, perm os.FileMode) error {
	return place(path, data, perm, os.Rename)
}

// ErrExists is returned by WriteNew when the target already exists.
var ErrExists = os.ErrExist

// WriteNew is Write for a file that must not exist yet (a new private key):
// if another writer got there first, it fails with ErrExists instead of
// replacing that file. A hard link fails where a rename would replace.
func WriteNew(path string, data []byte, perm os.FileMode) error {
	return place(path, data, perm, os.Link)
}

// place writes data to a synced temporary file next to path and puts it
// there with put (rename or link).
func place(path string, data []byte, perm os.FileMode, put func(oldpath, newpath string) error) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a rename; the link's twin after a link
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := put(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes a rename or link in dir durable: until the directory itself
// is synced, a power loss may bring back the old name. Callers that delete
// data once the new file is in place (a journal folded into its snapshot)
// depend on this.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
