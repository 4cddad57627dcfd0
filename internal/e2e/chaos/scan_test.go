package chaos

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The secret scan finds what it looks for: a secret in a JSON log, a key's
// material in a plan, a PEM private key in the state directory; and nothing
// in clean output.
func TestFindSecrets(t *testing.T) {
	dir := t.TempDir()
	key := "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgabcdefabcdef0123\n-----END PRIVATE KEY-----\n"
	files := map[string]string{
		"keys/k.key":       key,
		"out/clean.log":    `{"level":"DEBUG","msg":"token refreshed","token":"[REDACTED]"}`,
		"out/leak.log":     `{"level":"DEBUG","msg":"token refreshed","token":"s3cr3t-t0ken-value"}`,
		"out/plan.json":    `{"changes":[{"key":"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgabcdefabcdef0123"}]}`,
		"state/ccadb.json": "-----BEGIN EC PRIVATE KEY-----\n",
	}
	for name, text := range files {
		mustWrite(t, filepath.Join(dir, name), text, 0o600)
	}
	hits, scanned, debug := findSecrets([]string{"s3cr3t-t0ken-value", "short"}, []string{filepath.Join(dir, "keys/k.key")},
		filepath.Join(dir, "out"), filepath.Join(dir, "state"))
	if scanned != 4 || debug != 2 {
		t.Errorf("scanned %d files with %d debug lines, want 4 and 2", scanned, debug)
	}
	got := strings.Join(hits, "\n")
	for _, want := range []string{"sandbox secret #0 (18 chars) in " + filepath.Join(dir, "out/leak.log"), "material of private key k.key in " + filepath.Join(dir, "out/plan.json"), "a PEM private key in " + filepath.Join(dir, "state/ccadb.json")} {
		if !strings.Contains(got, want) {
			t.Errorf("hits:\n%s\nlack %q", got, want)
		}
	}
	if len(hits) != 3 {
		t.Errorf("%d hits, want 3:\n%s", len(hits), got)
	}
	if _, err := os.Stat(filepath.Join(dir, "out/clean.log")); err != nil {
		t.Fatal(err)
	}
}
