package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 12's pull-request plan: after the example is applied in the
// sandbox, a machine without certsync's own state and without the files it
// wrote (a CI runner) plans in CI mode with nothing to change: the CCADB's
// write-only fields are listed apart, the order's download is local-only,
// and the CDN certificate deployed from that order is compared by the
// serial the order names (the same one), not planned as an update.
func TestCIPlanOnFreshRunnerAfterApply(t *testing.T) {
	example := exampleCopy(t)
	r := newRunner(t)
	if res := r.run("apply", "--sandbox", "--auto-approve", "-i", example); res.code != ExitOK {
		t.Fatalf("apply: %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	// certsync's own state goes; the simulators' state (the vendors) stays.
	sandbox := filepath.Join(r.env["CERTSYNC_STATE_DIR"], "sandbox")
	entries, err := os.ReadDir(sandbox)
	if err != nil {
		t.Fatal(err)
	}
	removed := 0
	for _, e := range entries {
		if strings.Contains(e.Name(), "-sim.json") || e.Name() == "certsync.lock" {
			continue
		}
		if err := os.Remove(filepath.Join(sandbox, e.Name())); err != nil {
			t.Fatal(err)
		}
		removed++
	}
	if removed == 0 {
		t.Fatalf("no state file of certsync's own in %s: %v", sandbox, entries)
	}
	out := filepath.Join(filepath.Dir(example), "out")
	if err := os.RemoveAll(out); err != nil {
		t.Fatal(err)
	}

	res := r.run("plan", "--sandbox", "--ci", "--detailed-exitcode", "-i", example)
	if res.code != ExitOK {
		t.Fatalf("CI plan on a fresh runner: exit %d, want 0\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	for _, want := range []string{
		"Not known from here",
		"? ccadb/intermediate/revoked: revocation.date",
		"? ccadb/intermediate/constrained: technically_constrained",
		"Local only",
		"<= markmonitor/order/www will be downloaded",
		"No changes.",
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("the CI plan does not show %q:\n%s", want, res.stdout)
		}
	}
	if strings.Contains(res.stdout, "quantil/certificate/www.example.com will be") {
		t.Errorf("the CDN certificate is planned as a change:\n%s", res.stdout)
	}
}
