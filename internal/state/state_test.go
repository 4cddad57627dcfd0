package state

import (
	"os"
	"path/filepath"
	"testing"
)

func TestStoreRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, "v")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if ok, err := s.Get("k", &m); ok || err != nil {
		t.Fatalf("empty store Get = %v, %v", ok, err)
	}
	if err := s.Put("k", map[string]any{"a": "b"}); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, "v.json"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v, mode %v", err, info.Mode())
	}
	s2, err := Open(dir, "v")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := s2.Get("k", &m); !ok || err != nil || m["a"] != "b" {
		t.Fatalf("reopened Get = %v %v %v", ok, err, m)
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.json"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, "bad"); err == nil {
		t.Fatal("a corrupt state file was accepted")
	}
	mem, _ := Open("", "v")
	if err := mem.Put("k", 1); err != nil {
		t.Fatal(err)
	}
}
