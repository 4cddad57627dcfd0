package inventory

import (
	"crypto/x509"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/certsync/certsync/internal/testpki"
)

// countingCache is a VerifyCache whose checks are counted.
func countingCache(c *VerifyCache, calls *int) *VerifyCache {
	c.check = func(child, parent *x509.Certificate) error {
		*calls++
		return child.CheckSignatureFrom(parent)
	}
	return c
}

func TestVerifyCacheChecksAPairOnce(t *testing.T) {
	root := testpki.Root(testpki.Options{CommonName: "Root"})
	mid := testpki.Issue(root, testpki.Options{CommonName: "Mid"})
	other := testpki.Root(testpki.Options{CommonName: "Other"})

	calls := 0
	c := countingCache(NewVerifyCache(), &calls)
	for i := 0; i < 3; i++ {
		if err := c.SignedBy(mid.Cert, root.Cert); err != nil {
			t.Fatalf("SignedBy(mid, root) = %v", err)
		}
	}
	if calls != 1 {
		t.Errorf("a good pair checked %d times, want 1", calls)
	}
	calls = 0
	for i := 0; i < 3; i++ {
		if err := c.SignedBy(mid.Cert, other.Cert); err == nil {
			t.Fatal("SignedBy(mid, other) = nil, want a signature error")
		}
	}
	if calls != 3 {
		t.Errorf("a bad pair checked %d times, want 3 (failures are never cached)", calls)
	}
	if c.Len() != 1 {
		t.Errorf("Len = %d, want 1", c.Len())
	}

	var nilCache *VerifyCache
	if err := nilCache.SignedBy(mid.Cert, root.Cert); err != nil {
		t.Errorf("nil cache: SignedBy(mid, root) = %v", err)
	}
	if err := nilCache.SignedBy(mid.Cert, other.Cert); err == nil {
		t.Error("nil cache: SignedBy(mid, other) = nil, want an error")
	}
}

func TestVerifyCacheSurvivesARun(t *testing.T) {
	root := testpki.Root(testpki.Options{CommonName: "Root"})
	mid := testpki.Issue(root, testpki.Options{CommonName: "Mid"})
	other := testpki.Root(testpki.Options{CommonName: "Other"})
	path := filepath.Join(t.TempDir(), "verified.json")

	first, err := ReadVerifyCache(path)
	if err != nil || first.Len() != 0 {
		t.Fatalf("missing file: %d pairs, %v; want an empty cache, no error", first.Len(), err)
	}
	if err := first.SignedBy(mid.Cert, root.Cert); err != nil {
		t.Fatal(err)
	}
	_ = first.SignedBy(mid.Cert, other.Cert) // fails, not saved
	if err := first.Save(path); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}

	calls := 0
	second, err := ReadVerifyCache(path)
	if err != nil {
		t.Fatal(err)
	}
	countingCache(second, &calls)
	if err := second.SignedBy(mid.Cert, root.Cert); err != nil {
		t.Fatal(err)
	}
	if calls != 0 {
		t.Errorf("a pair verified by the previous run was checked again (%d calls)", calls)
	}
	if err := second.SignedBy(mid.Cert, other.Cert); err == nil || calls != 1 {
		t.Errorf("the failed pair: err %v after %d calls; want an error after 1 call", err, calls)
	}
}

func TestVerifyCacheIgnoresACorruptFile(t *testing.T) {
	good := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" +
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct {
		name, content string
	}{
		{"not JSON", "{not json"},
		{"other version", `{"version":2,"pairs":["` + good + `"]}`},
		{"short key", `{"version":1,"pairs":["` + good + `","abcd"]}`},
		{"not hex", `{"version":1,"pairs":["` + good[:126] + `zz"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "verified.json")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := ReadVerifyCache(path)
			if err == nil {
				t.Error("no error for a corrupt file")
			}
			if c == nil || c.Len() != 0 {
				t.Fatalf("cache %v, want an empty one", c)
			}
			root := testpki.Root(testpki.Options{CommonName: "Root"})
			mid := testpki.Issue(root, testpki.Options{CommonName: "Mid"})
			if err := c.SignedBy(mid.Cert, root.Cert); err != nil {
				t.Errorf("empty cache after a corrupt file: SignedBy = %v", err)
			}
		})
	}
}

func TestVerifyCacheSaveIsBounded(t *testing.T) {
	c := NewVerifyCache()
	for i := 0; i < MaxVerifiedPairs+10; i++ {
		var k verifiedKey
		k[0], k[1], k[2] = byte(i), byte(i>>8), byte(i>>16)
		c.old[k] = struct{}{}
	}
	path := filepath.Join(t.TempDir(), "verified.json")
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := ReadVerifyCache(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.Len() != MaxVerifiedPairs {
		t.Errorf("%d pairs saved, want at most %d", back.Len(), MaxVerifiedPairs)
	}
}

func TestInventorySignedByUsesTheCache(t *testing.T) {
	root := testpki.Root(testpki.Options{CommonName: "Root"})
	mid := testpki.Issue(root, testpki.Options{CommonName: "Mid"})
	calls := 0
	inv, err := ParseWith("inventory.yaml", nil, nil, LoadOptions{Verified: countingCache(NewVerifyCache(), &calls)})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := inv.SignedBy(mid.Cert, root.Cert); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 1 {
		t.Errorf("%d checks, want 1", calls)
	}
	plain, err := Parse("inventory.yaml", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := plain.SignedBy(mid.Cert, mid.Cert); err == nil {
		t.Error("an inventory without a cache accepted a bad signature")
	}
}

// A run that verified nothing new leaves the file as it is; one that did
// writes it.
func TestVerifyCacheWritesOnlyWhatIsNew(t *testing.T) {
	root := testpki.Root(testpki.Options{CommonName: "Root"})
	mid := testpki.Issue(root, testpki.Options{CommonName: "Mid"})
	mid2 := testpki.Issue(root, testpki.Options{CommonName: "Mid 2"})
	path := filepath.Join(t.TempDir(), "verified.json")
	first := NewVerifyCache()
	if err := first.SignedBy(mid.Cert, root.Cert); err != nil {
		t.Fatal(err)
	}
	if err := first.Save(path); err != nil {
		t.Fatal(err)
	}
	saved, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	steady, err := ReadVerifyCache(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := steady.SignedBy(mid.Cert, root.Cert); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil { // a write would bring it back
		t.Fatal(err)
	}
	if err := steady.Save(path); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a run that found every pair in the file wrote it again (%v)", err)
	}

	if err := os.WriteFile(path, saved, 0o600); err != nil {
		t.Fatal(err)
	}
	grown, err := ReadVerifyCache(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := grown.SignedBy(mid2.Cert, root.Cert); err != nil {
		t.Fatal(err)
	}
	if err := grown.Save(path); err != nil {
		t.Fatal(err)
	}
	if again, err := ReadVerifyCache(path); err != nil || again.Len() != 2 {
		t.Errorf("after a new pair the file holds %d pairs (%v), want 2", again.Len(), err)
	}
}
