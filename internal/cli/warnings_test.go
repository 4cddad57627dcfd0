package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// pki is the absolute path of a committed test certificate.
func pki(name string) string {
	abs, _ := filepath.Abs(filepath.Join("..", "..", "testdata", "pki", name))
	return abs
}

// Inventory warnings are printed with their position, once even when
// defaults pass them to every item, and never fail a command.
func TestInventoryWarningsPrintedNotFatal(t *testing.T) {
	path := writeFile(t, t.TempDir(), "inv.yaml", "ccadb:\n  defaults:\n    ca_owner: Example CA\n    audits:\n      netsec: {type: SOC 2}\n"+
		"  intermediates:\n    - {certificate: "+pki("tls-issuing.pem")+", parent: "+pki("root.pem")+"}\n    - {certificate: "+pki("constrained.pem")+", parent: "+pki("root.pem")+"}\n")
	res := newRunner(t).run("validate", path)
	want := path + ":5:22: ccadb.defaults.audits.netsec.type: warning: \"SOC 2\" is not an audit type certsync has seen"
	if res.code != ExitOK || !strings.Contains(res.stderr, want) {
		t.Fatalf("exit %d, stderr %q; want exit 0 and %q", res.code, res.stderr, want)
	}
	if n := strings.Count(res.stderr, "warning:"); n != 1 {
		t.Errorf("%d warnings printed, want 1:\n%s", n, res.stderr)
	}
}
