package quantil

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/testfixture"
	"github.com/certsync/certsync/internal/testpki"
)

// sharedPKI writes n leaves of one issuing CA that all use one key file and
// one chain file (issuing CA, then chainTop), as many CDN certificates do.
func sharedPKI(t testing.TB, dir string, n int, chainTop *testpki.Cert) []Sources {
	t.Helper()
	key := testpki.NewKey()
	root := testpki.Root(testpki.Options{CommonName: "Cache Root"})
	ica := testpki.Issue(root, testpki.Options{CommonName: "Cache ICA"})
	if chainTop == nil {
		chainTop = root
	}
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	keyFile := write("k.pem", testfixture.KeyPEM(t, key))
	chainFile := write("chain.pem", ica.PEM()+chainTop.PEM())
	out := make([]Sources, n)
	for i := range out {
		host := fmt.Sprintf("cdn%d.example.com", i)
		leaf := testpki.Issue(ica, testpki.Options{CommonName: host, Leaf: true, DNSNames: []string{host}, Key: key,
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(90 * 24 * time.Hour)})
		out[i] = Sources{Certificate: PEMSource{File: write(host+".pem", leaf.PEM())}, Chain: PEMSource{File: chainFile}, Key: PEMSource{File: keyFile}}
	}
	return out
}

// With the chain and key shared through the cache, every item gets the same
// verdict as without it: good bundles load, and a chain whose second link
// is broken is refused for each item, naming that link.
func TestLoadBundleCacheSameVerdicts(t *testing.T) {
	stranger := testpki.Root(testpki.Options{CommonName: "Stranger Root"})
	tests := []struct {
		name    string
		top     *testpki.Cert
		wantErr string
	}{
		{"good chain", nil, ""},
		{"chain's own link broken", stranger, `certificate 2 ("Stranger Root") did not sign "Cache ICA"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srcs := sharedPKI(t, t.TempDir(), 3, tt.top)
			cache := newPEMCache(nil)
			for i, s := range srcs {
				for _, c := range []*pemCache{nil, cache} {
					b, err := loadBundle(s, time.Now(), c)
					switch {
					case tt.wantErr == "" && err != nil:
						t.Fatalf("item %d (cache %v): %v", i, c != nil, err)
					case tt.wantErr == "" && (b.Leaf == nil || len(b.Chain) != 2 || b.Key == nil || len(b.KeyPEM) == 0):
						t.Fatalf("item %d (cache %v): incomplete bundle %+v", i, c != nil, b)
					case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
						t.Fatalf("item %d (cache %v): error %v, want %q", i, c != nil, err, tt.wantErr)
					}
				}
			}
			if n := len(cache.entries); n != 2 {
				t.Errorf("the cache holds %d entries, want 2 (one key, one chain)", n)
			}
		})
	}
}

// A key file rewritten during a check (a new size and time) is read again:
// the cache never answers for content it did not parse.
func TestLoadBundleCacheRereadsChangedFile(t *testing.T) {
	dir := t.TempDir()
	srcs := sharedPKI(t, dir, 1, nil)
	cache := newPEMCache(nil)
	if _, err := loadBundle(srcs[0], time.Now(), cache); err != nil {
		t.Fatal(err)
	}
	other := testfixture.KeyPEM(t, testpki.NewKey()) + "\n"
	if err := os.WriteFile(srcs[0].Key.File, []byte(other), 0o600); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(srcs[0].Key.File, later, later); err != nil {
		t.Fatal(err)
	}
	_, err := loadBundle(srcs[0], time.Now(), cache)
	if err == nil || !strings.Contains(err.Error(), "does not match the certificate") {
		t.Fatalf("after the key changed: %v, want a key mismatch", err)
	}
}

// BenchmarkLoadBundleShared loads 200 bundles sharing one key and one
// two-certificate chain file, with the check's cache and without it.
func BenchmarkLoadBundleShared(b *testing.B) {
	srcs := sharedPKI(b, b.TempDir(), 200, nil)
	for _, cached := range []bool{false, true} {
		b.Run(fmt.Sprintf("cache=%v", cached), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var cache *pemCache
				if cached {
					cache = newPEMCache(nil)
				}
				for _, s := range srcs {
					if _, err := loadBundle(s, time.Now(), cache); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
