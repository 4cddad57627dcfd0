package inventory_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/vendors"
)

// A huge value is quoted by its beginning and its length, not in full.
func TestHugeValueShortened(t *testing.T) {
	huge := strings.Repeat("x", 1<<20)
	ps := parseProblems(t, "ccadb:\n  defaults:\n    technically_constrained: "+huge+"\n")
	msg := ps.Error()
	want := `inv.yaml:3:30: ccadb.defaults.technically_constrained: must be true or false, found the scalar "` + strings.Repeat("x", 80-len(`the scalar "`)) + `… (1048589 bytes)`
	if len(msg) > 300 || !strings.HasPrefix(msg, want) {
		t.Fatalf("got (%d bytes) %.400s\nwant %s", len(msg), msg, want)
	}
	ps = parseProblems(t, "ccadb:\n  ? "+huge+"\n  : 1\n")
	if msg := ps.Error(); len(msg) > 2000 || !strings.Contains(msg, "… (1048582 bytes): unknown field") {
		t.Fatalf("an unknown huge key: got (%d bytes) %.400s", len(msg), msg)
	}
}

// A certificate file over pemutil.MaxFileBytes is refused where it is named,
// with the limit, and not read whole.
func TestPEMFileTooLarge(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.pem")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(3 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	inv := filepath.Join(dir, "inv.yaml")
	_, err = inventory.Parse(inv, []byte("ccadb:\n  intermediates:\n    - certificate: big.pem\n      parent: big.pem\n"), vendors.Sections())
	want := "inv.yaml:3:20: ccadb.intermediates[0].certificate: cannot read " + big + ": file too large: it is 3 MiB; the limit is 1 MiB"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v\nwant a line with %s", err, want)
	}
}
