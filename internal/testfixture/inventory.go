package testfixture

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certsync/certsync/internal/inventory"
)

// RepoRoot returns the module's root directory (where go.mod is), from the
// test's working directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// WriteInventory writes src as inventory.yaml into a fresh directory that
// also holds a copy of testdata/pki as pki/ and the extra files (name to
// content), and returns the inventory's path.
func WriteInventory(t testing.TB, src string, extra map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "pki"), 0o755); err != nil {
		t.Fatal(err)
	}
	pkiSource := filepath.Join(RepoRoot(t), "testdata", "pki")
	pems, err := filepath.Glob(filepath.Join(pkiSource, "*.pem"))
	if err != nil || len(pems) == 0 {
		t.Fatalf("no test certificates in %s: %v", pkiSource, err)
	}
	for _, p := range pems {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "pki", filepath.Base(p)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range extra {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "inventory.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// LoadOK writes (see WriteInventory) and loads an inventory that must be
// valid.
func LoadOK(t testing.TB, src string, sections ...inventory.SectionSpec) *inventory.Inventory {
	t.Helper()
	inv, err := inventory.Load(WriteInventory(t, src, nil), sections)
	if err != nil {
		t.Fatalf("Load: unexpected error:\n%v", err)
	}
	if inv == nil {
		t.Fatal("Load returned a nil inventory and no error")
	}
	return inv
}

// Want is one problem a bad inventory must report.
type Want struct {
	Line, Col int
	Path      string
	Msg       string // substring of the message
}

// CheckProblems checks that err is the Problems of the inventory at path,
// exactly wants, in order, each formatted FILE:LINE:COL: PATH: MESSAGE.
func CheckProblems(t testing.TB, path string, err error, wants []Want) {
	t.Helper()
	if !errors.Is(err, inventory.ErrInvalid) {
		t.Errorf("errors.Is(err, ErrInvalid) = false for %T: %v", err, err)
	}
	var ps inventory.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error is %T, not Problems: %v", err, err)
	}
	if len(ps) != len(wants) {
		t.Fatalf("got %d problem(s), want %d:\n%v", len(ps), len(wants), err)
	}
	for i, w := range wants {
		p := ps[i]
		if p.File != path {
			t.Errorf("problem %d: File = %q, want %q", i, p.File, path)
		}
		if p.Pos != (inventory.Pos{Line: w.Line, Col: w.Col}) {
			t.Errorf("problem %d: at %d:%d, want %d:%d: %v", i, p.Pos.Line, p.Pos.Col, w.Line, w.Col, p)
		}
		if p.Path != w.Path {
			t.Errorf("problem %d: Path = %q, want %q: %v", i, p.Path, w.Path, p)
		}
		if !strings.Contains(p.Msg, w.Msg) {
			t.Errorf("problem %d: message %q does not contain %q", i, p.Msg, w.Msg)
		}
		prefix := path
		if w.Line > 0 {
			prefix += fmt.Sprintf(":%d:%d", w.Line, w.Col)
		}
		prefix += ": "
		if w.Path != "" {
			prefix += w.Path + ": "
		}
		if got := p.Error(); !strings.HasPrefix(got, prefix) || !strings.HasSuffix(got, p.Msg) {
			t.Errorf("problem %d formats as %q, want %q + message", i, got, prefix)
		}
	}
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	if got, want := err.Error(), strings.Join(lines, "\n"); got != want {
		t.Errorf("err.Error() = %q, want the problems one per line: %q", got, want)
	}
}
