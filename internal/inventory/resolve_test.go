package inventory

import (
	"path/filepath"
	"testing"
)

// Resolve gives what filepath.Abs gives, from the directory Parse saw or
// from a Dir set since.
func TestResolveMatchesAbs(t *testing.T) {
	inv, err := Parse(filepath.Join("conf", "inv.yaml"), []byte("guards: {}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	tests := []struct {
		dir, ref string
	}{
		{"conf", "k.pem"},
		{"conf", "../keys/./k.pem"},
		{"conf", "a/b/../c.pem"},
		{other, "k.pem"},
		{"elsewhere", "k.pem"},
	}
	for _, tt := range tests {
		inv.Dir = tt.dir
		want, err := filepath.Abs(filepath.Join(tt.dir, tt.ref))
		if err != nil {
			t.Fatal(err)
		}
		if got := inv.Resolve(String{Value: tt.ref}); got != want {
			t.Errorf("Dir %q, Resolve(%q) = %q, want %q", tt.dir, tt.ref, got, want)
		}
	}
	if got := inv.Resolve(String{Value: "/abs/k.pem"}); got != "/abs/k.pem" {
		t.Errorf("an absolute reference resolves to %q", got)
	}
}

// BenchmarkResolve resolves one relative reference, as every file of every
// item does.
func BenchmarkResolve(b *testing.B) {
	inv, err := Parse(filepath.Join("conf", "inv.yaml"), []byte("guards: {}\n"), nil)
	if err != nil {
		b.Fatal(err)
	}
	ref := String{Value: "keys/o1.key"}
	b.ReportAllocs()
	for b.Loop() {
		_ = inv.Resolve(ref)
	}
}
