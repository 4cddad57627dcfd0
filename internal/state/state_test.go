package state

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/certsync/certsync/internal/state/journal"
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
	if err := s.Put("gone", 1); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("gone"); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, "v.json.journal"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("journal file: %v, mode %v", err, info.Mode())
	}
	s2, err := Open(dir, "v")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := s2.Get("k", &m); !ok || err != nil || m["a"] != "b" {
		t.Fatalf("reopened Get = %v %v %v", ok, err, m)
	}
	var n int
	if ok, _ := s2.Get("gone", &n); ok {
		t.Fatal("a deleted entry came back")
	}
	if ok, err := s2.Get("k", &n); !ok || err == nil {
		t.Fatalf("decoding into the wrong type = %v, %v; want an error", ok, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Put("k", 1); err == nil {
		t.Fatal("Put after Close succeeded")
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.json"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, "bad"); !errors.Is(err, journal.ErrCorrupt) {
		t.Fatalf("a corrupt state file: %v, want ErrCorrupt", err)
	}
	mem, _ := Open("", "v")
	if err := mem.Put("k", 1); err != nil {
		t.Fatal(err)
	}
	if ok, err := mem.Get("k", &n); !ok || err != nil || n != 1 {
		t.Fatalf("in-memory Get = %v %v %v", ok, err, n)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 { // v.json.journal, bad.json: a failed Open creates nothing
		t.Fatalf("files in the state dir: %v", entries)
	}
}

// TestOlderStateFileLoads: a ccadb.json written before the journal (the whole
// store as one indented object) is read as the snapshot.
func TestOlderStateFileLoads(t *testing.T) {
	dir := t.TempDir()
	old := "{\n  \"ABC\": {\n    \"Fields\": {\n      \"CPS\": \"https://example.com/cps\"\n    }\n  }\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "ccadb.json"), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir, "ccadb")
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ Fields map[string]string }
	if ok, err := s.Get("ABC", &v); !ok || err != nil || v.Fields["CPS"] != "https://example.com/cps" {
		t.Fatalf("Get = %v %v %+v", ok, err, v)
	}
}
