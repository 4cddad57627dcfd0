// Package lock keeps two certsync processes from applying to the same state
// directory at once (a cron line and a person, two pods). It uses an
// advisory file lock, released by the kernel when the process dies, so a
// crash never leaves a stale lock behind; the file also says who holds it.
package lock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ErrHeld means another process holds the lock.
var ErrHeld = errors.New("another certsync run holds the lock")

// HeldError names the holder.
type HeldError struct {
	Path   string
	Holder string
}

func (e *HeldError) Error() string {
	h := e.Holder
	if h == "" {
		h = "unknown holder"
	}
	return fmt.Sprintf("%v: %s (lock file %s); wait for it to finish (if that process is gone and the file stays, remove it)", ErrHeld, h, e.Path)
}

// Unwrap makes errors.Is(err, ErrHeld) true.
func (e *HeldError) Unwrap() error { return ErrHeld }

// Lock is a held lock.
type Lock struct {
	f *os.File
}

// Acquire takes the lock dir/certsync.lock without waiting, recording who
// holds it (what, the pid, the host and the time).
func Acquire(dir, what string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "certsync.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := tryLock(f); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, errWouldBlock) {
			return nil, &HeldError{Path: path, Holder: strings.TrimSpace(string(holder))}
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	host, _ := os.Hostname()
	info := fmt.Sprintf("%s, pid %d on %s, since %s\n", what, os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(info), 0)
	}
	return &Lock{f: f}, nil
}

// Release lets the next run go. The holder line is cleared first, so a
// reader never sees a finished run as the holder.
func (l *Lock) Release() {
	if l == nil || l.f == nil {
		return
	}
	_ = l.f.Truncate(0)
	_ = unlock(l.f)
	_ = l.f.Close()
	l.f = nil
}
