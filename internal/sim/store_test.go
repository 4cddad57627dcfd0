package sim

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sim.json")
	// A state file from before stores had records: one JSON object.
	if err := os.WriteFile(path, []byte(`{"NextID": 7, "Items": ["a", "b"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	var old struct {
		NextID int
		Items  []string
	}
	if err := s.DecodeAll(&old); err != nil || old.NextID != 7 || len(old.Items) != 2 {
		t.Fatalf("DecodeAll = %+v, %v", old, err)
	}
	if err := s.Replace(map[string]any{"item/a": 1, "item/b": 2, "next": 7}); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(map[string]any{"item/c": 3, "next": 8}, []string{"item/a", "missing"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Put("item/d", 4); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("item/b"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Put("item/e", 5); err == nil {
		t.Fatal("Put after Close succeeded")
	}

	s2, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := s2.Keys("item/"); !slices.Equal(got, []string{"item/c", "item/d"}) {
		t.Fatalf("Keys = %v", got)
	}
	var n int
	if ok, err := s2.Get("next", &n); !ok || err != nil || n != 8 {
		t.Fatalf("Get(next) = %v %v %d", ok, err, n)
	}
	if s2.Has("NextID") {
		t.Fatal("the older layout's keys survived Replace")
	}
	for _, p := range []string{path, path + ".journal"} {
		if info, err := os.Stat(p); err != nil || info.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v, want mode 0600", p, info, err)
		}
	}
}
