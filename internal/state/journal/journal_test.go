package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func mustOpen(t *testing.T, path string, opt Options) *Journal {
	t.Helper()
	j, err := Open(path, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func mustPut(t *testing.T, j *Journal, k, v string) {
	t.Helper()
	if err := j.Put(k, json.RawMessage(v)); err != nil {
		t.Fatal(err)
	}
}

// contents returns every key and value, values compacted, as one string.
func contents(j *Journal) string {
	var b strings.Builder
	for _, k := range j.Keys() {
		v, _ := j.Get(k)
		var c bytes.Buffer
		_ = json.Compact(&c, v)
		fmt.Fprintf(&b, "%s=%s;", k, c.String())
	}
	return b.String()
}

func TestReplay(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "s.json")
	j := mustOpen(t, path, Options{})
	mustPut(t, j, "a", `{"x": 1}`)
	mustPut(t, j, "b", `"two"`)
	mustPut(t, j, "a", `{"x": 3}`)
	mustPut(t, j, "c", `[1,2]`)
	if err := j.Delete("c"); err != nil {
		t.Fatal(err)
	}
	if err := j.Delete("missing"); err != nil {
		t.Fatal(err)
	}
	want := `a={"x":3};b="two";`
	if got := contents(j); got != want {
		t.Fatalf("live = %s, want %s", got, want)
	}
	j2 := mustOpen(t, path, Options{})
	if got := contents(j2); got != want {
		t.Fatalf("replayed = %s, want %s", got, want)
	}
	if err := j.Put("bad", json.RawMessage(`{`)); err == nil {
		t.Fatal("invalid JSON value accepted")
	}
}

func TestOlderSnapshotLoads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ccadb.json")
	// The layout certsync wrote before the journal: an indented object.
	old := "{\n  \"K1\": {\n    \"f\": \"v\"\n  },\n  \"K2\": 2\n}\n"
	if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	j := mustOpen(t, path, Options{})
	mustPut(t, j, "K2", `3`)
	j2 := mustOpen(t, path, Options{})
	if got, want := contents(j2), `K1={"f":"v"};K2=3;`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestCorrupt(t *testing.T) {
	tests := []struct {
		name, snapshot, journal, want string
	}{
		{name: "snapshot", snapshot: "{", want: "s.json"},
		{name: "middle entry", journal: `{"k":"a","v":1}` + "\nnot json\n" + `{"k":"b","v":2}` + "\n", want: "s.json.journal:2"},
		{name: "entry without value", journal: `{"k":"a"}` + "\n" + `{"k":"b","v":2}` + "\n", want: "s.json.journal:1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.json")
			if tc.snapshot != "" {
				os.WriteFile(path, []byte(tc.snapshot), 0o600)
			}
			os.WriteFile(path+Suffix, []byte(tc.journal), 0o600)
			_, err := Open(path, Options{})
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open = %v, want ErrCorrupt naming %s", err, tc.want)
			}
		})
	}
}

// TestTornLastEntry cuts the journal at every byte of its last entry, as a
// kill -9 during the write would, and checks that the earlier entries survive,
// the torn one is dropped and reported, and later appends are readable.
func TestTornLastEntry(t *testing.T) {
	src := filepath.Join(t.TempDir(), "s.json")
	j := mustOpen(t, src, Options{})
	mustPut(t, j, "a", `1`)
	mustPut(t, j, "b", `{"nested":"value with \n escaped newline"}`)
	before, err := os.ReadFile(src + Suffix)
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, j, "c", `{"last":"entry"}`)
	full, err := os.ReadFile(src + Suffix)
	if err != nil {
		t.Fatal(err)
	}
	want := contents(j)
	for cut := len(before); cut <= len(full); cut++ {
		path := filepath.Join(t.TempDir(), "s.json")
		if err := os.WriteFile(path+Suffix, full[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		var logs bytes.Buffer
		log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		j := mustOpen(t, path, Options{Logger: log})
		wantHere := `a=1;b={"nested":"value with \n escaped newline"};`
		if cut == len(full) {
			wantHere = want
		}
		if got := contents(j); got != wantHere {
			t.Fatalf("cut at %d: %s, want %s", cut, got, wantHere)
		}
		torn := cut > len(before) && cut < len(full)
		if got := strings.Contains(logs.String(), "torn"); got != torn {
			t.Fatalf("cut at %d: torn reported %v, want %v (%s)", cut, got, torn, logs.String())
		}
		mustPut(t, j, "d", `4`)
		j.Close()
		again := mustOpen(t, path, Options{})
		if v, ok := again.Get("d"); !ok || string(v) != "4" {
			t.Fatalf("cut at %d: the append after a torn entry was lost: %q %v", cut, v, ok)
		}
		if _, ok := again.Get("a"); !ok {
			t.Fatalf("cut at %d: an earlier entry was lost", cut)
		}
	}
}

func TestCompaction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	j := mustOpen(t, path, Options{CompactAfter: 4})
	for i := range 10 {
		mustPut(t, j, fmt.Sprintf("k%d", i%3), fmt.Sprint(i))
	}
	want := `k0=9;k1=7;k2=8;`
	if got := contents(j); got != want {
		t.Fatalf("live = %s", got)
	}
	// 10 entries with compaction after 4: the journal holds the 2 since.
	if n := lines(t, path+Suffix); n != 2 {
		t.Fatalf("journal has %d entries after compaction, want 2", n)
	}
	var snap map[string]int
	if b, err := os.ReadFile(path); err != nil || json.Unmarshal(b, &snap) != nil || snap["k0"] != 6 {
		t.Fatalf("snapshot %v %v", snap, err)
	}
	if got := contents(mustOpen(t, path, Options{})); got != want {
		t.Fatalf("reopened = %s", got)
	}

	t.Run("on open", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "s.json")
		j := mustOpen(t, path, Options{CompactAfter: 1000})
		for i := range 20 {
			mustPut(t, j, "k", fmt.Sprint(i))
		}
		j.Close()
		j2 := mustOpen(t, path, Options{CompactAfter: 5})
		if n := lines(t, path+Suffix); n != 0 {
			t.Fatalf("journal has %d entries after Open, want 0", n)
		}
		if got := contents(j2); got != "k=19;" {
			t.Fatalf("got %s", got)
		}
	})
	t.Run("on close", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "s.json")
		j := mustOpen(t, path, Options{CompactAfter: 1000})
		for i := range 20 {
			mustPut(t, j, "k", fmt.Sprint(i))
		}
		j.compactAfter = 5 // as if a smaller threshold applied from now on
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
		if n := lines(t, path+Suffix); n != 0 {
			t.Fatalf("journal has %d entries after Close, want 0", n)
		}
		if err := j.Put("k", json.RawMessage("1")); !errors.Is(err, ErrClosed) {
			t.Fatalf("Put after Close = %v", err)
		}
	})
	t.Run("interrupted between snapshot and emptying the journal", func(t *testing.T) {
		// The journal's entries are already in the snapshot: replaying
		// them again must give the same values.
		path := filepath.Join(t.TempDir(), "s.json")
		j := mustOpen(t, path, Options{})
		mustPut(t, j, "a", "1")
		mustPut(t, j, "b", "2")
		if err := j.Delete("a"); err != nil {
			t.Fatal(err)
		}
		j.Close()
		log, _ := os.ReadFile(path + Suffix)
		os.WriteFile(path, []byte(`{"b":2}`), 0o600)
		os.WriteFile(path+Suffix, log, 0o600)
		if got := contents(mustOpen(t, path, Options{})); got != "b=2;" {
			t.Fatalf("got %s", got)
		}
	})
}

func lines(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(b, []byte("\n"))
}

func TestFileModes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	j := mustOpen(t, path, Options{CompactAfter: 1})
	mustPut(t, j, "secretish", `"x"`)
	mustPut(t, j, "secretish", `"y"`)
	for _, p := range []string{path, path + Suffix} {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Fatalf("%s has mode %v, want 0600", p, info.Mode().Perm())
		}
	}
	// A journal left with a wider mode is narrowed when next written.
	if err := os.Chmod(path+Suffix, 0o644); err != nil {
		t.Fatal(err)
	}
	mustPut(t, mustOpen(t, path, Options{}), "k", "1")
	if info, _ := os.Stat(path + Suffix); info.Mode().Perm() != 0o600 {
		t.Fatalf("journal mode %v after a Put, want 0600", info.Mode().Perm())
	}
}

// TestReadOnly: opening and reading create no file, so a plan can run on a
// read-only state directory.
func TestReadOnly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	path := filepath.Join(dir, "s.json")
	j := mustOpen(t, path, Options{})
	mustPut(t, j, "a", "1")
	j.Close()
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	j2 := mustOpen(t, path, Options{})
	if v, ok := j2.Get("a"); !ok || string(v) != "1" {
		t.Fatalf("Get = %s %v", v, ok)
	}
	missingPath := filepath.Join(t.TempDir(), "none", "s.json")
	missing := mustOpen(t, missingPath, Options{})
	if missing.Len() != 0 {
		t.Fatal("a missing store is not empty")
	}
	if _, err := os.Stat(filepath.Dir(missingPath)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Open of a missing store created its directory: %v", err)
	}
}

func TestConcurrentPuts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	j := mustOpen(t, path, Options{CompactAfter: 50})
	const workers, each = 8, 60
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				if err := j.Put(fmt.Sprintf("w%d-%d", w, i), json.RawMessage(fmt.Sprint(i))); err != nil {
					t.Error(err)
				}
				if i%7 == 0 {
					if err := j.Delete(fmt.Sprintf("w%d-%d", w, i)); err != nil {
						t.Error(err)
					}
				}
				j.Get("w0-0")
			}
		})
	}
	wg.Wait()
	want := contents(j)
	if n := strings.Count(want, ";"); n != workers*(each-(each+6)/7) {
		t.Fatalf("%d keys live", n)
	}
	j.Close()
	if got := contents(mustOpen(t, path, Options{})); got != want {
		t.Fatalf("replayed state differs from the live one")
	}
}

func TestPutAll(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	j := mustOpen(t, path, Options{})
	mustPut(t, j, "a", "0")
	if err := j.PutAll(map[string]json.RawMessage{"a": json.RawMessage("1"), "b": json.RawMessage(`{"x": 2}`)}); err != nil {
		t.Fatal(err)
	}
	if err := j.PutAll(map[string]json.RawMessage{"c": json.RawMessage("3"), "d": json.RawMessage("{")}); err == nil {
		t.Fatal("a batch with invalid JSON was accepted")
	}
	want := `a=1;b={"x":2};`
	if got := contents(j); got != want {
		t.Fatalf("live = %s, want %s (a failed batch stores nothing)", got, want)
	}
	if got := contents(mustOpen(t, path, Options{})); got != want {
		t.Fatalf("replayed = %s, want %s", got, want)
	}
}

func TestInMemory(t *testing.T) {
	j := mustOpen(t, "", Options{})
	mustPut(t, j, "a", "1")
	if v, ok := j.Get("a"); !ok || string(v) != "1" {
		t.Fatalf("Get = %s %v", v, ok)
	}
	if err := j.Delete("a"); err != nil || j.Len() != 0 {
		t.Fatalf("Delete = %v, len %d", err, j.Len())
	}
}
