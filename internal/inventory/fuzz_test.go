package inventory_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

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
		// Syntax errors located by the shortest failing prefix.
		"ccadb:\n  defaults:\n    ca_owner: \"Example\n    name: x\n",
		"ccadb: 'x\n",
		"ccadb:\n  defaults:\n    ca_owner: X\n   name: y\n",
		"ccadb:\n  defaults:\n\tca_owner: X\n",
		"ccadb:\r\n  defaults:\r\n\tca_owner: X\r\n",
		"ccadb:\n  intermediates: [a, b\nmarkmonitor: {}\n",
		"ccadb: {defaults: {}\nquantil: {}\n",
		"ccadb:\n  defaults:\n    ca_owner: a: b\n",
		"ccadb:\n  defaults: *nope\n",
		"ccadb: {}\n---\nquantil: [\n",
		"a: \"\\q\"\n",
		// Text YAML cannot hold.
		"ccadb:\n  defaults:\n    ca_owner: Ex\xffample\n",
		"# Zürich\nca: M\xfcnchen\n",
		"ccadb:\n  x\x00y\n",
		"\x7fELF\x02\x01\x01\x00\x00\x00",
		"a: b\u0090\n\u2028c: d\u0085",
		"\xef\xbb\xbfccadb: {}\n",
		// Merge keys and aliases.
		"ccadb:\n  defaults:\n    audits:\n      standard: &std {url: https://a.example.com/s.pdf, type: WebTrust}\n      code_signing: &cs {type: ETSI EN 319 411}\n      tls_br: {<<: *std, url: https://a.example.com/b.pdf}\n      tls_evg: {<<: [*cs, *std], period_end: \"2025-03-31\"}\n",
		"ccadb:\n  defaults:\n    auditor: &a\n      <<: {<<: [*a]}\n",
		"ccadb:\n  defaults:\n    auditor:\n      <<: [x, *y]\n",
		"ccadb:\n  defaults: &d\n    crls:\n      partitioned: &p [lol, lol, lol, lol]\n  intermediates:\n    - <<: *d\n    - crls: {partitioned: *p}\n    - {<<: [*d, *d], crls: *d}\n",
		"ccadb:\n  ? " + strings.Repeat("k", 2000) + "\n  : 1\n",
		"ccadb:\n  defaults:\n    technically_constrained: " + strings.Repeat("y", 2000) + "\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Relative certificate paths resolve against the repository root,
		// so the seeds reach the certificate checks.
		const path = "../../fuzz-inventory.yaml"
		inv, err := inventory.Parse(path, data, vendors.Sections())
		if err == nil && !utf8.Valid(data) {
			t.Fatalf("input that is not UTF-8 was accepted: %q", data)
		}
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
			if p.Pos.Col > len(data)+1 {
				t.Errorf("problem %d at column %d, past the %d-byte input: %v", i, p.Pos.Col, len(data), p)
			}
			// A huge value or key is shortened: no line of the report is
			// allowed to grow with the input.
			if n := len(p.Error()); n > 8<<10 {
				t.Errorf("problem %d is %d bytes long: %.200s", i, n, p.Error())
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
