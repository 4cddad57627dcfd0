package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteAndWriteNew(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sub", "f")
	if err := Write(p, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "two" {
		t.Fatalf("content %q", b)
	}
	if err := WriteNew(p, []byte("three"), 0o600); !errors.Is(err, ErrExists) {
		t.Fatalf("WriteNew over an existing file: %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "two" {
		t.Fatal("WriteNew replaced the file")
	}
	k := filepath.Join(dir, "key")
	if err := WriteNew(k, []byte("k"), 0o600); err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(k); info.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", info.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "sub" && e.Name() != "key" {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}
