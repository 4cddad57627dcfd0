package inventory_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/vendors"
)

// FuzzParse checks that Parse never panics and that every failure is a
// Problems list of FILE:... lines in file order. Plain `go test` runs the
// seeds only; `make fuzz` fuzzes.
func FuzzParse(f *testing.F) {
	example, err := os.ReadFile("../../inventory.example.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	for _, s := range []string{
		"",
		"# comments only\n",
		"---\n",
		"ccadb:\n",
		"ccadb: {}\n---\nccadb: {}\n",
		"---\n---\nccadb: {}\n",
		"ccadb: {}\n---\nccadb: [\n",
		"ccadb:\n  intermediates: [\n",
		"ccadb:\n\tintermediates: []\n",
		"- ccadb\n",
		"ccadbs: {}\n",
		"ccadb:\n  intermediates:\n    certificate: x\n",
		"ccadb:\n  intermediates:\n    - ca_owner:\n      description: {a: b}\n      technically_constrained: yes\n",
		"ccadb:\n  defaults: &d\n    ca_owner: X\n  intermediates:\n    - *d\n    - <<: *d\n      certificate: testdata/pki/root.pem\n",
		"ccadb:\n  intermediates:\n    - certificate: testdata/pki/tls-issuing.pem\n      parent: testdata/pki/root.pem\n      ca_owner: X\n      crls:\n        partitioned: [\"\", [a], ~, http://x/1.crl]\n",
		"ccadb:\n  intermediates:\n    - certificate: \"-----BEGIN CERTIFICATE-----MIIB@@-----END CERTIFICATE-----\"\n      parent: \"-----BEGIN CERTIFICATE-----\"\n",
		"ccadb:\n  intermediates:\n    - certificate: testdata/pki/leaf.pem\n      parent: testdata/pki/other-root.pem\n      name: a/b\n      revocation: {status: Revoked, reason: keyCompromise, date: 2025-02-30}\n      audits: {standard: {url: http://x, type: webtrust, period_end: \"2025-01-01\", period_start: \"2025-02-01\"}}\n",
		"ccadb:\n  ca_owner: X\n  ca_owner: Y\n",
		"? [a, b]\n: c\n",
		"ccadb: !!binary aGVsbG8=\n",
		"a: &a [*a]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Relative certificate paths resolve against the repository root,
		// so the seeds reach the certificate checks.
		const path = "../../fuzz-inventory.yaml"
		inv, err := inventory.Parse(path, data, vendors.Sections())
		if err == nil {
			if inv == nil {
				t.Fatal("Parse returned neither an inventory nor an error")
			}
			return
		}
		if !errors.Is(err, inventory.ErrInvalid) {
			t.Fatalf("error does not wrap ErrInvalid: %v", err)
		}
		var ps inventory.Problems
		if !errors.As(err, &ps) {
			t.Fatalf("error is %T, not Problems: %v", err, err)
		}
		if len(ps) == 0 {
			t.Fatal("empty Problems returned as an error")
		}
		// Line breaks as YAML counts them (it also knows \r, NEL, LS, PS).
		maxLine := 1 + strings.Count(string(data), "\n") + strings.Count(string(data), "\r") +
			strings.Count(string(data), "\u0085") + strings.Count(string(data), "\u2028") + strings.Count(string(data), "\u2029")
		for i, p := range ps {
			if p.File == "" {
				t.Errorf("problem %d has no File: %#v", i, p)
			}
			if !strings.HasPrefix(p.Error(), p.File+":") {
				t.Errorf("problem %d does not format as FILE:...: %q", i, p.Error())
			}
			if p.Pos.Line < 0 || p.Pos.Col < 0 || p.Pos.Line > maxLine {
				t.Errorf("problem %d at %d:%d is outside the %d-line input: %v", i, p.Pos.Line, p.Pos.Col, maxLine, p)
			}
			if p.Msg == "" {
				t.Errorf("problem %d has no message: %#v", i, p)
			}
			if i > 0 {
				a, b := ps[i-1].Pos, p.Pos
				if a.Line > b.Line || (a.Line == b.Line && a.Col > b.Col) {
					t.Errorf("problems %d and %d out of order: %v / %v", i-1, i, ps[i-1], p)
				}
			}
		}
	})
}
