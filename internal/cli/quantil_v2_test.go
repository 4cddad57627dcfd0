package cli

import (
	"strings"
	"testing"
)

// The README's demo with QUANTIL's V2 certificate API
// (CERTSYNC_QUANTIL_API=v2): apply to the sandbox, then a clean plan.
func TestSandboxDemoConvergesQuantilV2(t *testing.T) {
	example := exampleCopy(t)
	r := newRunner(t)
	r.env["CERTSYNC_QUANTIL_API"] = "v2"
	res := r.run("apply", "--sandbox", "--auto-approve", "-i", example)
	if res.code != ExitOK || !strings.Contains(res.stdout, "Apply complete: 7 ok, 0 failed, 0 skipped.") || !strings.Contains(res.stdout, "serves the CDN domains") {
		t.Fatalf("apply exit %d:\n%s%s", res.code, res.stdout, res.stderr)
	}
	res = r.run("plan", "--sandbox", "-i", example, "--detailed-exitcode")
	if res.code != ExitOK || !strings.Contains(res.stdout, "No changes.") {
		t.Fatalf("second plan exit %d:\n%s%s", res.code, res.stdout, res.stderr)
	}
	r.env["CERTSYNC_QUANTIL_API"] = "v3"
	res = r.run("plan", "--sandbox", "-i", example)
	if res.code == ExitOK || !strings.Contains(res.stdout+res.stderr, "CERTSYNC_QUANTIL_API must be one of v1, v2") {
		t.Fatalf("an invalid API setting: exit %d:\n%s%s", res.code, res.stdout, res.stderr)
	}
}
