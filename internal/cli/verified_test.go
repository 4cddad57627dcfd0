package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/certsync/certsync/internal/inventory"
)

// plan keeps the signatures it verified in the state directory's
// verified.json for the next run; validate writes nothing; a corrupt file
// is an empty cache, replaced by a good one.
func TestSignatureCacheFile(t *testing.T) {
	example := exampleCopy(t)
	r := newRunner(t)
	cacheFile := filepath.Join(r.env["CERTSYNC_STATE_DIR"], verifiedFile)

	if res := r.run("validate", example); res.code != ExitOK {
		t.Fatalf("validate exit %d:\n%s", res.code, res.stderr)
	}
	if _, err := os.Stat(cacheFile); !os.IsNotExist(err) {
		t.Fatalf("validate wrote %s (stat: %v)", cacheFile, err)
	}

	check := func(step string) {
		t.Helper()
		st, err := os.Stat(cacheFile)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", step, st.Mode().Perm())
		}
		c, err := inventory.ReadVerifyCache(cacheFile)
		if err != nil || c.Len() == 0 {
			t.Errorf("%s: %d pairs, %v; want the example's signatures", step, c.Len(), err)
		}
	}
	for _, step := range []string{"first plan", "plan after a corrupt cache"} {
		if res := r.run("plan", "--sandbox", "-i", example); res.code != ExitOK && res.code != ExitChanges {
			t.Fatalf("%s: exit %d:\n%s%s", step, res.code, res.stdout, res.stderr)
		}
		check(step)
		if err := os.WriteFile(cacheFile, []byte("{corrupt"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
