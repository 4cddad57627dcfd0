package lock

import (
	"errors"
	"strings"
	"testing"
)

func TestAcquireRelease(t *testing.T) {
	dir := t.TempDir()
	a, err := Acquire(dir, "certsync apply")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(dir, "certsync apply")
	var held *HeldError
	if !errors.As(err, &held) || !errors.Is(err, ErrHeld) {
		t.Fatalf("second Acquire = %v, want HeldError", err)
	}
	if !strings.Contains(held.Holder, "certsync apply, pid ") {
		t.Errorf("holder = %q, want it to name the command and pid", held.Holder)
	}
	a.Release()
	b, err := Acquire(dir, "certsync run")
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	b.Release()
	b.Release() // idempotent
}
