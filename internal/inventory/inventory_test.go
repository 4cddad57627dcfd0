package inventory_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/pemutil"
	"github.com/certsync/certsync/internal/testfixture"
	"github.com/certsync/certsync/internal/vendors"
	"github.com/certsync/certsync/internal/vendors/ccadb"
)

// pkiSource is the committed test PKI.
const pkiSource = "../../testdata/pki"

// The shared inventory fixtures, under their local names.
var (
	writeInventory = testfixture.WriteInventory
	checkProblems  = testfixture.CheckProblems
)

type want = testfixture.Want

// loadOK writes and loads an inventory that must be valid.
func loadOK(t *testing.T, src string) *inventory.Inventory {
	t.Helper()
	return testfixture.LoadOK(t, src, vendors.Sections()...)
}

func readPKI(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(pkiSource, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// derOf returns the DER of the single certificate in a committed PEM file,
// decoded with encoding/pem (independently of pemutil).
func derOf(t *testing.T, name string) []byte {
	t.Helper()
	b, _ := pem.Decode([]byte(readPKI(t, name)))
	if b == nil {
		t.Fatalf("%s: no PEM block", name)
	}
	return b.Bytes
}

// noCNCA returns a self-signed CA certificate whose subject has no CN.
func noCNCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(7),
		Subject:               pkix.Name{Organization: []string{"Example CA"}},
		NotBefore:             time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// head is a valid inventory with one intermediate; lines a case appends
// start at line 6, and an intermediate's keys start at column 7.
const head = `ccadb:
  intermediates:
    - certificate: pki/tls-issuing.pem
      parent: pki/root.pem
      ca_owner: Example CA
`

// standardAudit is a valid audit slot at lines 6-12 after head:
// url value at 8:16, type 9:17, statement_date 10:27, period_start 11:25,
// period_end 12:23.
const standardAudit = `      audits:
        standard:
          url: https://audits.example.com/s.pdf
          type: WebTrust
          statement_date: "2025-06-30"
          period_start: "2024-04-01"
          period_end: "2025-03-31"
`

// want is one expected problem.
func TestMistakes(t *testing.T) {
	// A partitioned CRL list over the 20,000-character limit, written on
	// line 7 with its '[' at column 22.
	var long []string
	for i := range 500 {
		long = append(long, fmt.Sprintf("http://crl.example.com/partitioned/%05d.crl", i))
	}
	nocn := noCNCA(t)
	chain := readPKI(t, "tls-issuing.pem") + readPKI(t, "root.pem")

	tests := []struct {
		name  string
		yaml  string
		files map[string]string
		want  []want
	}{
		{
			name: "unknown top-level key",
			yaml: "ccadbs:\n  intermediates: []\n",
			want: []want{{Line: 1, Col: 1, Path: "ccadbs", Msg: `unknown field; did you mean "ccadb"? (allowed here: ccadb`}},
		},
		{
			name: "unknown nested key with suggestion",
			yaml: head + `      audits:
        standard:
          urll: https://audits.example.com/s.pdf
`,
			want: []want{{Line: 8, Col: 11, Path: "ccadb.intermediates[0].audits.standard.urll", Msg: `unknown field; did you mean "url"? (allowed here: period_end, period_start, statement_date, type, url)`}},
		},
		{
			name: "unknown key in wrong case",
			yaml: head + "      Description: x\n",
			want: []want{{Line: 6, Col: 7, Path: "ccadb.intermediates[0].Description", Msg: `unknown field; did you mean "description"?`}},
		},
		{
			name: "record-only key in defaults",
			yaml: "ccadb:\n  defaults:\n    certificate: pki/root.pem\n",
			want: []want{{Line: 3, Col: 5, Path: "ccadb.defaults.certificate", Msg: "unknown field (allowed here: auditor, audits,"}},
		},
		{
			name: "key set twice",
			yaml: head + "      ca_owner: Other CA\n",
			want: []want{{Line: 6, Col: 7, Path: "ccadb.intermediates[0].ca_owner", Msg: "is set twice in the same mapping"}},
		},
		{
			name: "list where a mapping is expected",
			yaml: head + "      crls:\n        - http://crl.example.com/a.crl\n",
			want: []want{{Line: 7, Col: 9, Path: "ccadb.intermediates[0].crls", Msg: "must be a mapping of keys to values, found a list"}},
		},
		{
			name: "mapping where a single value is expected",
			yaml: head + "      description:\n        text: hello\n",
			want: []want{{Line: 7, Col: 9, Path: "ccadb.intermediates[0].description", Msg: "must be a single value, found a mapping"}},
		},
		{
			name: "single value where a list is expected",
			yaml: head + "      crls:\n        partitioned: http://crl.example.com/1.crl\n",
			want: []want{{Line: 7, Col: 22, Path: "ccadb.intermediates[0].crls.partitioned", Msg: `must be a list (write [] for an empty one), found the scalar "http://crl.example.com/1.crl"`}},
		},
		{
			name: "mapping where the list of intermediates is expected",
			yaml: "ccadb:\n  intermediates:\n    certificate: pki/tls-issuing.pem\n",
			want: []want{{Line: 3, Col: 5, Path: "ccadb.intermediates", Msg: "must be a list, found a mapping"}},
		},
		{
			name: "list item that is not a single value",
			yaml: head + "      crls:\n        partitioned: [[http://crl.example.com/1.crl]]\n",
			want: []want{{Line: 7, Col: 23, Path: "ccadb.intermediates[0].crls.partitioned[0]", Msg: "must be a single value, found a list"}},
		},
		{
			name: "document that is not a mapping",
			yaml: "- ccadb\n",
			want: []want{{Line: 1, Col: 1, Path: "", Msg: "must be a mapping of keys to values, found a list"}},
		},
		{
			name: "key with no value",
			yaml: head + "      public_comments:\n      description: x\n",
			want: []want{{Line: 6, Col: 23, Path: "ccadb.intermediates[0].public_comments", Msg: `has no value: write "" to clear the field at the vendor, or remove the key to leave it unmanaged`}},
		},
		{
			name: "bool given a quoted string",
			yaml: head + "      technically_constrained: \"true\"\n",
			want: []want{{Line: 6, Col: 32, Path: "ccadb.intermediates[0].technically_constrained", Msg: `must be true or false, found the scalar "true"`}},
		},
		{
			name: "bool given yes",
			yaml: head + "      technically_constrained: yes\n",
			want: []want{{Line: 6, Col: 32, Path: "ccadb.intermediates[0].technically_constrained", Msg: `must be true or false, found the scalar "yes"`}},
		},
		{
			name: "missing certificate",
			yaml: "ccadb:\n  intermediates:\n    - parent: pki/root.pem\n      ca_owner: Example CA\n",
			want: []want{{Line: 3, Col: 7, Path: "ccadb.intermediates[0].certificate", Msg: "is required: a PEM file path (relative to the inventory) or an inline PEM"}},
		},
		{
			name: "missing parent",
			yaml: "ccadb:\n  intermediates:\n    - certificate: pki/tls-issuing.pem\n      ca_owner: Example CA\n",
			want: []want{{Line: 3, Col: 7, Path: "ccadb.intermediates[0].parent", Msg: "is required: a PEM file path"}},
		},
		{
			name: "missing certificate and parent",
			yaml: "ccadb:\n  intermediates:\n    - ca_owner: Example CA\n",
			want: []want{
				{Line: 3, Col: 7, Path: "ccadb.intermediates[0].certificate", Msg: "is required: a PEM file path"},
				{Line: 3, Col: 7, Path: "ccadb.intermediates[0].parent", Msg: "is required: a PEM file path"},
			},
		},
		{
			name: "certificate file does not exist",
			yaml: "ccadb:\n  intermediates:\n    - certificate: pki/missing.pem\n      parent: pki/root.pem\n      ca_owner: Example CA\n",
			want: []want{{Line: 3, Col: 20, Path: "ccadb.intermediates[0].certificate", Msg: "missing.pem: no such file or directory"}},
		},
		{
			name: "certificate file cannot be read",
			yaml: "ccadb:\n  intermediates:\n    - certificate: pki\n      parent: pki/root.pem\n      ca_owner: Example CA\n",
			want: []want{{Line: 3, Col: 20, Path: "ccadb.intermediates[0].certificate", Msg: "pki: is a directory"}},
		},
		{
			name:  "certificate file is not PEM",
			yaml:  "ccadb:\n  intermediates:\n    - certificate: notes.txt\n      parent: pki/root.pem\n      ca_owner: Example CA\n",
			files: map[string]string{"notes.txt": "just some notes\n"},
			want:  []want{{Line: 3, Col: 20, Path: "ccadb.intermediates[0].certificate", Msg: "is not a PEM certificate: no PEM block found"}},
		},
		{
			name: "inline PEM with bad base64",
			yaml: "ccadb:\n  intermediates:\n    - certificate: \"-----BEGIN CERTIFICATE-----MIIB@@@-----END CERTIFICATE-----\"\n      parent: pki/root.pem\n      ca_owner: Example CA\n",
			want: []want{{Line: 3, Col: 20, Path: "ccadb.intermediates[0].certificate", Msg: "is not a PEM certificate: PEM block \"CERTIFICATE\": bad base64"}},
		},
		{
			name: "inline PEM that is not a certificate",
			yaml: "ccadb:\n  intermediates:\n    - certificate: \"-----BEGIN CERTIFICATE-----aGVsbG8=-----END CERTIFICATE-----\"\n      parent: pki/root.pem\n      ca_owner: Example CA\n",
			want: []want{{Line: 3, Col: 20, Path: "ccadb.intermediates[0].certificate", Msg: "is not a PEM certificate: certificate 1: x509:"}},
		},
		{
			name:  "certificate file holds a chain",
			yaml:  "ccadb:\n  intermediates:\n    - certificate: chain.pem\n      parent: pki/root.pem\n      ca_owner: Example CA\n",
			files: map[string]string{"chain.pem": chain},
			want:  []want{{Line: 3, Col: 20, Path: "ccadb.intermediates[0].certificate", Msg: "holds 2 certificates, want exactly one"}},
		},
		{
			name: "leaf certificate",
			yaml: "ccadb:\n  intermediates:\n    - certificate: pki/leaf.pem\n      parent: pki/tls-issuing.pem\n      ca_owner: Example CA\n",
			want: []want{{Line: 3, Col: 20, Path: "ccadb.intermediates[0].certificate", Msg: "is not a CA certificate (basicConstraints CA:FALSE)"}},
		},
		{
			name: "parent did not sign the certificate",
			yaml: "ccadb:\n  intermediates:\n    - certificate: pki/tls-issuing.pem\n      parent: pki/other-root.pem\n      ca_owner: Example CA\n",
			want: []want{{Line: 4, Col: 15, Path: "ccadb.intermediates[0].parent", Msg: `did not sign the certificate ("CN=certsync Test TLS Issuing CA 1,O=Example CA" is not signed by "CN=certsync Other Root CA,O=Other CA")`}},
		},
		{
			name:  "certificate without CN and no name",
			yaml:  "ccadb:\n  intermediates:\n    - certificate: nocn.pem\n      parent: nocn.pem\n      ca_owner: Example CA\n",
			files: map[string]string{"nocn.pem": nocn},
			want:  []want{{Line: 3, Col: 20, Path: "ccadb.intermediates[0].name", Msg: "the certificate has no subject CN to name the record after; set name"}},
		},
		{
			name: "duplicate names",
			yaml: `ccadb:
  defaults:
    ca_owner: Example CA
  intermediates:
    - name: ca
      certificate: pki/tls-issuing.pem
      parent: pki/root.pem
    - name: ca
      certificate: pki/revoked.pem
      parent: pki/root.pem
`,
			want: []want{{Line: 8, Col: 13, Path: "ccadb.intermediates[1].name", Msg: `"ca" is already the name of ccadb.intermediates[0]; names must be unique`}},
		},
		{
			name: "name clashes with a defaulted subject CN",
			yaml: `ccadb:
  defaults:
    ca_owner: Example CA
  intermediates:
    - certificate: pki/tls-issuing.pem
      parent: pki/root.pem
    - name: certsync Test TLS Issuing CA 1
      certificate: pki/revoked.pem
      parent: pki/root.pem
`,
			want: []want{{Line: 7, Col: 13, Path: "ccadb.intermediates[1].name", Msg: `"certsync Test TLS Issuing CA 1" is already the name of ccadb.intermediates[0]`}},
		},
		{
			name: "duplicate certificates (wrapped and flattened)",
			yaml: `ccadb:
  defaults:
    ca_owner: Example CA
  intermediates:
    - name: a
      certificate: pki/tls-issuing.pem
      parent: pki/root.pem
    - name: b
      certificate: pki/tls-issuing.flat.pem
      parent: pki/root.pem
`,
			want: []want{{Line: 9, Col: 20, Path: "ccadb.intermediates[1].certificate", Msg: "is the same certificate as ccadb.intermediates[0] (SHA-256 7A801014987"}},
		},
		{
			name: "name containing a slash",
			yaml: head + "      name: ccadb/tls\n",
			want: []want{{Line: 6, Col: 13, Path: "ccadb.intermediates[0].name", Msg: "must be non-empty and must not contain '/'"}},
		},
		{
			name: "empty name",
			yaml: head + "      name: \"  \"\n",
			want: []want{{Line: 6, Col: 13, Path: "ccadb.intermediates[0].name", Msg: "must be non-empty"}},
		},
		{
			name: "missing ca_owner",
			yaml: "ccadb:\n  intermediates:\n    - certificate: pki/tls-issuing.pem\n      parent: pki/root.pem\n",
			want: []want{{Line: 3, Col: 7, Path: "ccadb.intermediates[0].ca_owner", Msg: "is required (set it here or in ccadb.defaults)"}},
		},
		{
			name: "date with slashes",
			yaml: head + "      policy:\n        cp:\n          url: https://pki.example.com/cp.pdf\n          effective_date: 2025/01/02\n",
			want: []want{{Line: 9, Col: 27, Path: "ccadb.intermediates[0].policy.cp.effective_date", Msg: `"2025/01/02" is not a date in the form yyyy-MM-dd`}},
		},
		{
			name: "date without leading zeros",
			yaml: head + "      revocation:\n        status: Revoked\n        date: 2025-1-2\n        reason: (4) superseded\n",
			want: []want{{Line: 8, Col: 15, Path: "ccadb.intermediates[0].revocation.date", Msg: `"2025-1-2" is not a date in the form yyyy-MM-dd`}},
		},
		{
			name: "date that does not exist",
			yaml: head + strings.Replace(standardAudit, `period_start: "2024-04-01"`, `period_start: "2025-02-30"`, 1),
			want: []want{{Line: 11, Col: 25, Path: "ccadb.intermediates[0].audits.standard.period_start", Msg: `"2025-02-30" is not a date in the form yyyy-MM-dd`}},
		},
		{
			name: "period_end after statement_date",
			yaml: head + strings.Replace(standardAudit, `period_end: "2025-03-31"`, `period_end: "2025-07-01"`, 1),
			want: []want{{Line: 12, Col: 23, Path: "ccadb.intermediates[0].audits.standard.period_end", Msg: "2025-07-01 is after the statement date 2025-06-30"}},
		},
		{
			name: "period_end before period_start",
			yaml: head + strings.NewReplacer("standard:", "tls_br:", `period_start: "2024-04-01"`, `period_start: "2025-04-01"`).Replace(standardAudit),
			want: []want{{Line: 12, Col: 23, Path: "ccadb.intermediates[0].audits.tls_br.period_end", Msg: "2025-03-31 is before the period start 2025-04-01"}},
		},
		{
			name: "http audit url",
			yaml: head + strings.Replace(standardAudit, "https://", "http://", 1),
			want: []want{{Line: 8, Col: 16, Path: "ccadb.intermediates[0].audits.standard.url", Msg: `"http://audits.example.com/s.pdf" is not a valid https URL`}},
		},
		{
			name: "audit url without type and dates",
			yaml: head + "      audits:\n        tls_evg:\n          url: https://audits.example.com/ev.pdf\n",
			want: []want{
				{Line: 8, Col: 16, Path: "ccadb.intermediates[0].audits.tls_evg.type", Msg: "is required when the audit's url is set"},
				{Line: 8, Col: 16, Path: "ccadb.intermediates[0].audits.tls_evg.statement_date", Msg: "is required when the audit's url is set"},
				{Line: 8, Col: 16, Path: "ccadb.intermediates[0].audits.tls_evg.period_start", Msg: "is required when the audit's url is set"},
				{Line: 8, Col: 16, Path: "ccadb.intermediates[0].audits.tls_evg.period_end", Msg: "is required when the audit's url is set"},
			},
		},
		{
			name: "revocation status neither blank nor Revoked",
			yaml: head + "      revocation:\n        status: Active\n",
			want: []want{{Line: 7, Col: 17, Path: "ccadb.intermediates[0].revocation.status", Msg: `"Active" is not allowed: leave it "" for a certificate that is not revoked, or write "Revoked"`}},
		},
		{
			name: "Revoked without date and reason",
			yaml: head + "      revocation:\n        status: Revoked\n",
			want: []want{
				{Line: 7, Col: 17, Path: "ccadb.intermediates[0].revocation.date", Msg: "is required when status is Revoked (yyyy-MM-dd)"},
				{Line: 7, Col: 17, Path: "ccadb.intermediates[0].revocation.reason", Msg: `is required when status is Revoked, e.g. "(4) superseded"`},
			},
		},
		{
			name: "revocation reason without its code",
			yaml: head + "      revocation:\n        status: Revoked\n        date: \"2025-09-01\"\n        reason: keyCompromise\n",
			want: []want{{Line: 9, Col: 17, Path: "ccadb.intermediates[0].revocation.reason", Msg: `"keyCompromise" is not spelt as the CCADB spells it; did you mean "(1) keyCompromise"?`}},
		},
		{
			name: "revocation reason that does not exist",
			yaml: head + "      revocation:\n        status: Revoked\n        date: \"2025-09-01\"\n        reason: (7) unused\n",
			want: []want{{Line: 9, Col: 17, Path: "ccadb.intermediates[0].revocation.reason", Msg: `"(7) unused" is not one of: "(0) unspecified", "(1) keyCompromise"`}},
		},
		{
			name: "revocation date and reason while status is blank",
			yaml: head + "      revocation:\n        status: \"\"\n        date: \"2025-09-01\"\n        reason: (4) superseded\n",
			want: []want{
				{Line: 8, Col: 15, Path: "ccadb.intermediates[0].revocation.date", Msg: "is set but status is not Revoked"},
				{Line: 9, Col: 17, Path: "ccadb.intermediates[0].revocation.reason", Msg: "is set but status is not Revoked"},
			},
		},
		{
			name: "bad alternate CRL URL",
			yaml: head + "      revocation:\n        alternate_crl: crl.example.com/root.crl\n",
			want: []want{{Line: 7, Col: 24, Path: "ccadb.intermediates[0].revocation.alternate_crl", Msg: `"crl.example.com/root.crl" is not a valid http or https URL`}},
		},
		{
			name: "blank mixed with URLs in partitioned CRLs",
			yaml: head + "      crls:\n        partitioned: [\"\", http://crl.example.com/1.crl]\n",
			want: []want{{Line: 7, Col: 23, Path: "ccadb.intermediates[0].crls.partitioned[0]", Msg: `"" is only allowed alone, as [""]`}},
		},
		{
			name: "partitioned CRL that is not a URL",
			yaml: head + "      crls:\n        partitioned: [http://crl.example.com/1.crl, 2.crl]\n",
			want: []want{{Line: 7, Col: 53, Path: "ccadb.intermediates[0].crls.partitioned[1]", Msg: `"2.crl" is not a valid http or https URL`}},
		},
		{
			name: "bad full CRL URL",
			yaml: head + "      crls:\n        full: [ldap://crl.example.com/x.crl]\n",
			want: []want{{Line: 7, Col: 16, Path: "ccadb.intermediates[0].crls.full[0]", Msg: `"ldap://crl.example.com/x.crl" is not a valid http or https URL`}},
		},
		{
			name: "auditor location with a cleared auditor",
			yaml: head + "      auditor:\n        name: \"\"\n        location: United States\n",
			want: []want{{Line: 8, Col: 19, Path: "ccadb.intermediates[0].auditor.location", Msg: "is set but auditor.name is cleared"}},
		},
		{
			name: "two YAML documents",
			yaml: "ccadb: {}\n---\nccadb: {}\n",
			want: []want{{Line: 2, Col: 1, Path: "", Msg: "holds more than one YAML document; put everything in one"}},
		},
		{
			name: "two YAML documents, the first empty",
			yaml: "---\n---\nccadb: {}\n",
			want: []want{{Line: 2, Col: 1, Path: "", Msg: "holds more than one YAML document"}},
		},
		{
			name: "invalid YAML",
			yaml: "ccadb:\n  intermediates: [\n",
			want: []want{{Line: 2, Col: 18, Path: "", Msg: "not valid YAML: did not find expected node content"}},
		},
		{
			name: "invalid YAML in a second document",
			yaml: "ccadb: {}\n---\nccadb: [\n",
			want: []want{{Line: 3, Col: 8, Path: "", Msg: "not valid YAML: did not find expected node content"}},
		},
		{
			name: "bad value in defaults is reported once",
			yaml: `ccadb:
  defaults:
    ca_owner: Example CA
    audits:
      standard:
        url: http://audits.example.com/s.pdf
        type: WebTrust
        statement_date: "2025-06-30"
        period_start: "2024-04-01"
        period_end: "2025-03-31"
  intermediates:
    - certificate: pki/tls-issuing.pem
      parent: pki/root.pem
    - certificate: pki/revoked.pem
      parent: pki/root.pem
`,
			want: []want{{Line: 6, Col: 14, Path: "ccadb.defaults.audits.standard.url", Msg: `"http://audits.example.com/s.pdf" is not a valid https URL`}},
		},
	}

	seen := map[string]bool{}
	for _, tc := range tests {
		if seen[tc.name] {
			t.Fatalf("duplicate case name %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			path := writeInventory(t, tc.yaml, tc.files)
			inv, err := inventory.Load(path, vendors.Sections())
			if err == nil {
				t.Fatalf("Load succeeded; want %d problem(s)", len(tc.want))
			}
			if inv != nil {
				t.Errorf("Load returned an inventory along with the error")
			}
			checkProblems(t, path, err, tc.want)
		})
	}
	if len(tests) < 25 {
		t.Errorf("only %d mistakes covered", len(tests))
	}
}

// checkProblems asserts that err is exactly the wanted problems, in order.
func lines(ps inventory.Problems) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Error()
	}
	return out
}

func TestAllMistakesAtOnceSorted(t *testing.T) {
	src := `ccadb:
  defaults:
    ca_owner: Example CA
    audits:
      standard: {statement_date: 2025/02/01}
  intermediates:
    - name: first/one
      certificate: pki/tls-issuing.pem
      parent: pki/other-root.pem
      crls:
        full: [ftp://crl.example.com/x.crl]
    - certificate: pki/leaf.pem
      parent: pki/tls-issuing.pem
      ca_owner: ""
      revocation:
        status: Revoked
      audits:
        tls_br: {period_end: "2025-13-01"}
`
	path := writeInventory(t, src, nil)
	_, err := inventory.Load(path, vendors.Sections())
	// The checker finds these in a different order (e.g. ca_owner after the
	// certificate checks); the report is in file order. The defaults' bad
	// date, inherited by intermediates[0], appears once.
	checkProblems(t, path, err, []want{
		{Line: 5, Col: 34, Path: "ccadb.defaults.audits.standard.statement_date", Msg: `"2025/02/01" is not a date`},
		{Line: 7, Col: 13, Path: "ccadb.intermediates[0].name", Msg: "must not contain '/'"},
		{Line: 9, Col: 15, Path: "ccadb.intermediates[0].parent", Msg: "did not sign the certificate"},
		{Line: 11, Col: 16, Path: "ccadb.intermediates[0].crls.full[0]", Msg: `"ftp://crl.example.com/x.crl" is not a valid http or https URL`},
		{Line: 12, Col: 7, Path: "ccadb.intermediates[1].ca_owner", Msg: "is required"},
		{Line: 12, Col: 20, Path: "ccadb.intermediates[1].certificate", Msg: "is not a CA certificate"},
		{Line: 16, Col: 17, Path: "ccadb.intermediates[1].revocation.date", Msg: "is required when status is Revoked"},
		{Line: 16, Col: 17, Path: "ccadb.intermediates[1].revocation.reason", Msg: "is required when status is Revoked"},
		{Line: 18, Col: 30, Path: "ccadb.intermediates[1].audits.tls_br.period_end", Msg: `"2025-13-01" is not a date`},
	})
}

func TestDecodingAndCheckingProblemsAtOnce(t *testing.T) {
	src := `ccadb:
  intermediates:
    - certificate: [pki/tls-issuing.pem]
      parnet: pki/root.pem
      ca_owner: Example CA
      technically_constrained: "no"
      audits:
        standard: {statement_date: 2025/02/01}
  defualts: {}
`
	path := writeInventory(t, src, nil)
	_, err := inventory.Load(path, vendors.Sections())
	// Decoding problems do not hide the checks' problems (the bad date, the
	// parent that the typo left unset), but the check's "certificate is
	// required" on the field that failed to decode is not repeated.
	checkProblems(t, path, err, []want{
		{Line: 3, Col: 7, Path: "ccadb.intermediates[0].parent", Msg: "is required"},
		{Line: 3, Col: 20, Path: "ccadb.intermediates[0].certificate", Msg: "must be a single value, found a list"},
		{Line: 4, Col: 7, Path: "ccadb.intermediates[0].parnet", Msg: `did you mean "parent"?`},
		{Line: 6, Col: 32, Path: "ccadb.intermediates[0].technically_constrained", Msg: `found the scalar "no"`},
		{Line: 8, Col: 36, Path: "ccadb.intermediates[0].audits.standard.statement_date", Msg: `"2025/02/01" is not a date`},
		{Line: 9, Col: 3, Path: "ccadb.defualts", Msg: `did you mean "defaults"?`},
	})
}

func TestSuggestionIsStable(t *testing.T) {
	// "audito" is one edit from both "auditor" and "audits": the suggestion
	// must not depend on map iteration order.
	path := writeInventory(t, head+"      audito: x\n", nil)
	var first string
	for i := range 50 {
		_, err := inventory.Load(path, vendors.Sections())
		if err == nil {
			t.Fatal("Load succeeded")
		}
		if i == 0 {
			first = err.Error()
			if !strings.Contains(first, `audito: unknown field; did you mean "auditor"?`) {
				t.Fatalf("want the alphabetically first of the closest keys: %s", first)
			}
		} else if err.Error() != first {
			t.Fatalf("suggestion changed between runs:\n%s\n%v", first, err)
		}
	}
}

func TestLoadMissingFileIsNotInvalid(t *testing.T) {
	_, err := inventory.Load(filepath.Join(t.TempDir(), "nope.yaml"), vendors.Sections())
	if err == nil {
		t.Fatal("Load of a missing file succeeded")
	}
	if errors.Is(err, inventory.ErrInvalid) {
		t.Errorf("a missing file is an I/O error, not ErrInvalid: %v", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(err, fs.ErrNotExist) = false: %v", err)
	}
}

func TestLoadExample(t *testing.T) {
	const path = "../../inventory.example.yaml"
	inv, err := inventory.Load(path, vendors.Sections())
	if err != nil {
		t.Fatalf("Load(%s):\n%v", path, err)
	}
	if inv.File != path || inv.Dir != "../.." {
		t.Errorf("File, Dir = %q, %q; want %q, %q", inv.File, inv.Dir, path, "../..")
	}
	if ccadb.SectionOf(inv) == nil || ccadb.SectionOf(inv).Defaults == nil {
		t.Fatal("ccadb section or its defaults not loaded")
	}
	its := ccadb.SectionOf(inv).Intermediates
	// The line of the defaults' ca_owner, wherever the file has it.
	src, _ := os.ReadFile(path)
	caOwnerLine := 0
	for i, l := range strings.Split(string(src), "\n") {
		if strings.TrimSpace(l) == "ca_owner: Example CA" {
			caOwnerLine = i + 1
			break
		}
	}
	var names []string
	for _, it := range its {
		names = append(names, it.Name.Value)
	}
	if diff := cmp.Diff([]string{"certsync Test TLS Issuing CA 1", "tls-sub", "constrained", "revoked"}, names); diff != "" {
		t.Fatalf("names (-want +got):\n%s", diff)
	}
	for i, it := range its {
		if it.CertSHA256 == "" || it.ParentCert == nil {
			t.Fatalf("intermediates[%d]: certificates not parsed", i)
		}
		der, err := it.CertificateDER(inv.Dir)
		if err != nil {
			t.Fatalf("intermediates[%d]: the certificate cannot be read again: %v", i, err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatalf("intermediates[%d]: the DER read again does not parse: %v", i, err)
		}
		if err := cert.CheckSignatureFrom(it.ParentCert); err != nil {
			t.Errorf("intermediates[%d]: parent did not sign: %v", i, err)
		}
		// ca_owner comes from the defaults, with the defaults' position.
		if want := (inventory.String{Value: "Example CA", Set: true, Pos: inventory.Pos{Line: caOwnerLine, Col: 15}}); it.CAOwner != want {
			t.Errorf("intermediates[%d].ca_owner = %+v, want %+v", i, it.CAOwner, want)
		}
	}
	if got := its[1].ParentCert.Subject.CommonName; got != "certsync Test TLS Issuing CA 1" {
		t.Errorf("tls-sub parent CN = %q", got)
	}
	if got := its[1].CertificateName; got.Value != "certsync Test TLS Sub CA" || !got.Set {
		t.Errorf("tls-sub certificate_name = %+v, want the subject CN", got)
	}
	// An explicit "" is kept as set-and-empty.
	if got := its[0].SubordinateCAOwner; !got.Set || got.Value != "" {
		t.Errorf("subordinate_ca_owner = %+v, want set and empty", got)
	}
	if got := its[1].SubordinateCAOwner; got.Set {
		t.Errorf("tls-sub subordinate_ca_owner = %+v, want unset", got)
	}
	if got := its[0].CRLs.Partitioned; !got.Set || !cmp.Equal(got.Values, []string{""}) {
		t.Errorf("partitioned = %+v, want [\"\"] (not yet issuing)", got)
	}
	if got := its[2].CRLs.Full.Values; len(got) != 2 {
		t.Errorf("constrained crls.full = %q, want two URLs", got)
	}
	// tls-sub's audits and CPS are its parent's: nothing inherited.
	if got := its[1].Audits.Standard.URL; got.Set {
		t.Errorf("tls-sub inherited audits.standard.url %+v though its audits are its parent's", got)
	}
	if got := its[1].Policy.CPS.URL; got.Set {
		t.Errorf("tls-sub inherited policy.cps.url %+v though its CPS is its parent's", got)
	}
	if got := its[0].Policy.CPS.URL; !got.Set {
		t.Error("tls-issuing did not inherit policy.cps.url")
	}
	if diff := cmp.Diff([]string{"http://crl.example.com/tls-sub/1.crl", "http://crl.example.com/tls-sub/2.crl"}, its[1].CRLs.Partitioned.Values); diff != "" {
		t.Errorf("tls-sub partitioned (-want +got):\n%s", diff)
	}
	if !its[1].Audits.SameAsParent.Value || !its[1].Audits.SameAsParent.Set {
		t.Errorf("tls-sub audits.same_as_parent = %+v, want true", its[1].Audits.SameAsParent)
	}
	if !its[2].TechnicallyConstrained.Value {
		t.Errorf("constrained: technically_constrained not true")
	}
	if got := its[2].Audits.TLSEVG.URL; !got.Set || got.Value != "" {
		t.Errorf("constrained audits.tls_evg.url = %+v, want set and empty", got)
	}
	rv := its[3].Revocation
	if rv.Status.Value != "Revoked" || rv.Date.Value != "2025-09-01" || rv.Reason.Value != "(5) cessationOfOperation" {
		t.Errorf("revoked revocation = %+v", rv)
	}
}

func TestNameDefaultsToSubjectCN(t *testing.T) {
	inv := loadOK(t, head)
	it := ccadb.SectionOf(inv).Intermediates[0]
	certPos := inventory.Pos{Line: 3, Col: 20}
	want := inventory.String{Value: "certsync Test TLS Issuing CA 1", Set: true, Pos: certPos}
	if it.Name != want {
		t.Errorf("name = %+v, want %+v", it.Name, want)
	}
	if it.CertificateName != want {
		t.Errorf("certificate_name = %+v, want %+v", it.CertificateName, want)
	}

	// Explicit values win over the CN.
	inv = loadOK(t, head+"      name: issuing\n      certificate_name: Issuing CA\n")
	it = ccadb.SectionOf(inv).Intermediates[0]
	if it.Name.Value != "issuing" || it.CertificateName.Value != "Issuing CA" {
		t.Errorf("name, certificate_name = %q, %q; want issuing, Issuing CA", it.Name.Value, it.CertificateName.Value)
	}
}

func TestDefaultsMerge(t *testing.T) {
	inv := loadOK(t, `ccadb:
  defaults:
    ca_owner: Example CA
    description: from defaults
    technically_constrained: true
    crls:
      partitioned: [http://crl.example.com/d.crl]
  intermediates:
    - certificate: pki/tls-issuing.pem
      parent: pki/root.pem
      description: ""
      technically_constrained: false
      crls:
        partitioned: []
    - certificate: pki/revoked.pem
      parent: pki/root.pem
      description: own
`)
	pos := func(l, c int) inventory.Pos { return inventory.Pos{Line: l, Col: c} }
	a, b := ccadb.SectionOf(inv).Intermediates[0], ccadb.SectionOf(inv).Intermediates[1]

	checks := []struct {
		name      string
		got, want any
	}{
		// Inherited values keep the defaults' position.
		{"a.ca_owner", a.CAOwner, inventory.String{Value: "Example CA", Set: true, Pos: pos(3, 15)}},
		{"b.ca_owner", b.CAOwner, inventory.String{Value: "Example CA", Set: true, Pos: pos(3, 15)}},
		// An explicit "" and an explicit false win over the defaults.
		{"a.description", a.Description, inventory.String{Value: "", Set: true, Pos: pos(11, 20)}},
		{"a.technically_constrained", a.TechnicallyConstrained, inventory.Bool{Value: false, Set: true, Pos: pos(12, 32)}},
		{"a.crls.partitioned", a.CRLs.Partitioned, inventory.Strings{Values: []string{}, Set: true, Pos: pos(14, 22)}},
		{"b.description", b.Description, inventory.String{Value: "own", Set: true, Pos: pos(17, 20)}},
		{"b.technically_constrained", b.TechnicallyConstrained, inventory.Bool{Value: true, Set: true, Pos: pos(5, 30)}},
		{"b.crls.partitioned", b.CRLs.Partitioned, inventory.Strings{
			Values: []string{"http://crl.example.com/d.crl"}, Set: true, Pos: pos(7, 20), Items: []inventory.Pos{pos(7, 21)}}},
		// Fields neither sets stay unmanaged.
		{"a.public_comments", a.PublicComments, inventory.String{}},
		{"b.subordinate_ca_owner", b.SubordinateCAOwner, inventory.String{}},
		{"b.crls.full", b.CRLs.Full, inventory.Strings{}},
		{"b.audits.same_as_parent", b.Audits.SameAsParent, inventory.Bool{}},
		// The defaults themselves are not changed by merging.
		{"defaults.description", ccadb.SectionOf(inv).Defaults.Description, inventory.String{Value: "from defaults", Set: true, Pos: pos(4, 18)}},
	}
	for _, c := range checks {
		if diff := cmp.Diff(c.want, c.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
}

func TestAbsentVersusEmpty(t *testing.T) {
	inv := loadOK(t, head+`      description: ""
      public_comments: ''
      technically_constrained: false
      crls:
        partitioned: []
`)
	it := ccadb.SectionOf(inv).Intermediates[0]
	set := map[string]bool{
		"description":             it.Description.Set,
		"public_comments":         it.PublicComments.Set,
		"technically_constrained": it.TechnicallyConstrained.Set,
		"crls.partitioned":        it.CRLs.Partitioned.Set,
	}
	unset := map[string]bool{
		"subordinate_ca_owner":     it.SubordinateCAOwner.Set,
		"crls.full":                it.CRLs.Full.Set,
		"audits.same_as_parent":    it.Audits.SameAsParent.Set,
		"policy.cp.effective_date": it.Policy.CP.EffectiveDate.Set,
		"revocation.status":        it.Revocation.Status.Set,
	}
	for k, v := range set {
		if !v {
			t.Errorf("%s: Set = false for a key written as empty", k)
		}
	}
	for k, v := range unset {
		if v {
			t.Errorf("%s: Set = true for an absent key", k)
		}
	}
	if it.Description.Value != "" || it.PublicComments.Value != "" || it.TechnicallyConstrained.Value || len(it.CRLs.Partitioned.Values) != 0 {
		t.Errorf("empty values not empty: %+v %+v %+v %+v", it.Description, it.PublicComments, it.TechnicallyConstrained, it.CRLs.Partitioned)
	}
}

func TestPEMForms(t *testing.T) {
	wantDER := derOf(t, "tls-issuing.pem")
	wrapped := readPKI(t, "tls-issuing.pem")
	flat := strings.TrimSpace(readPKI(t, "tls-issuing.flat.pem"))
	if strings.Contains(flat, "\n") {
		t.Fatal("tls-issuing.flat.pem is not one line")
	}
	const tail = "      parent: pki/root.pem\n      ca_owner: Example CA\n"
	forms := map[string]string{
		"flattened file":   "ccadb:\n  intermediates:\n    - certificate: pki/tls-issuing.flat.pem\n" + tail,
		"inline flattened": "ccadb:\n  intermediates:\n    - certificate: \"" + flat + "\"\n" + tail,
		"inline wrapped": "ccadb:\n  intermediates:\n    - certificate: |\n        " +
			strings.ReplaceAll(strings.TrimSpace(wrapped), "\n", "\n        ") + "\n" + tail,
		"CRLF file":     "ccadb:\n  intermediates:\n    - certificate: crlf.pem\n" + tail,
		"absolute path": "ccadb:\n  intermediates:\n    - certificate: " + mustAbs(t, filepath.Join(pkiSource, "tls-issuing.pem")) + "\n" + tail,
	}
	for name, src := range forms {
		t.Run(name, func(t *testing.T) {
			path := writeInventory(t, src, map[string]string{"crlf.pem": strings.ReplaceAll(wrapped, "\n", "\r\n")})
			inv, err := inventory.Load(path, vendors.Sections())
			if err != nil {
				t.Fatalf("Load:\n%v", err)
			}
			it := ccadb.SectionOf(inv).Intermediates[0]
			if der, err := it.CertificateDER(inv.Dir); err != nil || !cmp.Equal(der, wantDER) || it.CertSHA256 != pemutil.SHA256(wantDER) {
				t.Errorf("certificate does not match tls-issuing.pem")
			}
			if it.Name.Value != "certsync Test TLS Issuing CA 1" {
				t.Errorf("name = %q", it.Name.Value)
			}
		})
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

func TestPartitionedLimitBoundary(t *testing.T) {
	for _, size := range []int{ccadb.CRLListLimit, ccadb.CRLListLimit + 1} {
		// ["URL"] is the URL plus 4 characters.
		u := "http://crl.example.com/"
		u += strings.Repeat("a", size-4-len(u))
		src := head + "      crls:\n        partitioned: [" + u + "]\n"
		path := writeInventory(t, src, nil)
		_, err := inventory.Load(path, vendors.Sections())
		if size <= ccadb.CRLListLimit {
			if err != nil {
				t.Errorf("%d characters: unexpected error: %v", size, err)
			}
			continue
		}
		checkProblems(t, path, err, []want{{Line: 7, Col: 22, Path: "ccadb.intermediates[0].crls.partitioned", Msg: fmt.Sprintf("is %d characters as a JSON array; the CCADB allows at most 100000", size)}})
	}
}

func TestAuditDateBoundaries(t *testing.T) {
	// The period may end on the statement date and may be a single day.
	src := head + strings.NewReplacer(
		`statement_date: "2025-06-30"`, `statement_date: "2025-03-31"`,
		`period_start: "2024-04-01"`, `period_start: "2025-03-31"`,
	).Replace(standardAudit)
	inv := loadOK(t, src)
	a := ccadb.SectionOf(inv).Intermediates[0].Audits.Standard
	if a.StatementDate.Value != "2025-03-31" || a.PeriodStart.Value != "2025-03-31" || a.PeriodEnd.Value != "2025-03-31" {
		t.Errorf("audit = %+v", a)
	}
}

func TestLeaves(t *testing.T) {
	inv := loadOK(t, head+standardAudit+`      description: ""
      technically_constrained: false
`)
	it := &ccadb.SectionOf(inv).Intermediates[0]
	leaves := inventory.Leaves(it)

	var wantPaths []string
	wantPaths = append(wantPaths,
		"name", "certificate", "parent",
		"certificate_name", "ca_owner", "subordinate_ca_owner", "technically_constrained",
		"revocation.status", "revocation.date", "revocation.reason", "revocation.alternate_crl",
		"ca_information.recognized_caa_domains", "ca_information.problem_reporting_mechanism",
		"crls.full", "crls.partitioned", "issuance.cabf_policy_identifier")
	for _, group := range []string{"acme_endpoints", "other_automated_solutions", "automated_test_websites"} {
		for _, v := range []string{"dv", "ov", "ev", "iv"} {
			wantPaths = append(wantPaths, "issuance."+group+"."+v)
		}
	}
	wantPaths = append(wantPaths, "auditor.name", "auditor.location", "audits.same_as_parent")
	for _, slot := range []string{"standard", "netsec", "tls_br", "tls_evg", "code_signing", "smime", "vmc"} {
		for _, f := range []string{"url", "type", "statement_date", "period_start", "period_end"} {
			wantPaths = append(wantPaths, "audits."+slot+"."+f)
		}
	}
	wantPaths = append(wantPaths, "policy.documentation", "policy.repository")
	for _, doc := range []string{"cp", "cps", "cp_cps", "markdown_cp_cps"} {
		wantPaths = append(wantPaths, "policy."+doc+".same_as_parent", "policy."+doc+".url", "policy."+doc+".effective_date")
	}
	wantPaths = append(wantPaths,
		"policy.self_assessment.same_as_parent", "policy.self_assessment.url", "policy.self_assessment.completion_date",
		"description", "public_comments")

	var gotPaths []string
	gotSet := map[string]inventory.Leaf{}
	for _, l := range leaves {
		gotPaths = append(gotPaths, l.Path)
		if l.Set {
			gotSet[l.Path] = l
		}
	}
	if diff := cmp.Diff(wantPaths, gotPaths); diff != "" {
		t.Fatalf("leaf paths (-want +got):\n%s", diff)
	}

	pos := func(l, c int) inventory.Pos { return inventory.Pos{Line: l, Col: c} }
	wantSet := map[string]inventory.Leaf{
		"name":                           {Path: "name", Value: "certsync Test TLS Issuing CA 1", Set: true, Pos: pos(3, 20)},
		"certificate":                    {Path: "certificate", Value: "pki/tls-issuing.pem", Set: true, Pos: pos(3, 20)},
		"parent":                         {Path: "parent", Value: "pki/root.pem", Set: true, Pos: pos(4, 15)},
		"certificate_name":               {Path: "certificate_name", Value: "certsync Test TLS Issuing CA 1", Set: true, Pos: pos(3, 20)},
		"ca_owner":                       {Path: "ca_owner", Value: "Example CA", Set: true, Pos: pos(5, 17)},
		"technically_constrained":        {Path: "technically_constrained", Value: false, Set: true, Pos: pos(14, 32)},
		"audits.standard.url":            {Path: "audits.standard.url", Value: "https://audits.example.com/s.pdf", Set: true, Pos: pos(8, 16)},
		"audits.standard.type":           {Path: "audits.standard.type", Value: "WebTrust", Set: true, Pos: pos(9, 17)},
		"audits.standard.statement_date": {Path: "audits.standard.statement_date", Value: "2025-06-30", Set: true, Pos: pos(10, 27)},
		"audits.standard.period_start":   {Path: "audits.standard.period_start", Value: "2024-04-01", Set: true, Pos: pos(11, 25)},
		"audits.standard.period_end":     {Path: "audits.standard.period_end", Value: "2025-03-31", Set: true, Pos: pos(12, 23)},
		"description":                    {Path: "description", Value: "", Set: true, Pos: pos(13, 20)},
	}
	if diff := cmp.Diff(wantSet, gotSet); diff != "" {
		t.Errorf("set leaves (-want +got):\n%s", diff)
	}

	// Unset leaves carry the zero value of their kind.
	for _, l := range leaves {
		switch l.Path {
		case "crls.partitioned":
			if v, ok := l.Value.([]string); !ok || v == nil || len(v) != 0 || l.Set {
				t.Errorf("crls.partitioned leaf = %#v, want unset []string{}", l)
			}
		case "audits.same_as_parent":
			if v, ok := l.Value.(bool); !ok || v || l.Set {
				t.Errorf("audits.same_as_parent leaf = %#v, want unset false", l)
			}
		case "public_comments":
			if v, ok := l.Value.(string); !ok || v != "" || l.Set {
				t.Errorf("public_comments leaf = %#v, want unset \"\"", l)
			}
		}
	}

	// The defaults record lists the same fields, without name/certificate/parent.
	recPaths := []string{}
	for _, l := range inventory.Leaves(ccadb.Record{}) {
		recPaths = append(recPaths, l.Path)
	}
	if diff := cmp.Diff(wantPaths[3:], recPaths); diff != "" {
		t.Errorf("record leaf paths (-want +got):\n%s", diff)
	}
	// An absent defaults section has no leaves (and does not panic).
	if got := inventory.Leaves((*ccadb.Record)(nil)); len(got) != 0 {
		t.Errorf("Leaves(nil record) = %v, want none", got)
	}
}

func TestEmptyInventory(t *testing.T) {
	for name, src := range map[string]string{
		"empty":         "",
		"comments only": "# certsync inventory\n# nothing managed yet\n",
		"empty doc":     "---\n# nothing\n",
		"empty ccadb":   "ccadb:\n",
	} {
		t.Run(name, func(t *testing.T) {
			path := writeInventory(t, src, nil)
			inv, err := inventory.Load(path, vendors.Sections())
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if inv == nil || ccadb.SectionOf(inv) != nil {
				t.Fatalf("Load = %+v, want an empty inventory", inv)
			}
			if inv.File != path || inv.Dir != filepath.Dir(path) {
				t.Errorf("File, Dir = %q, %q", inv.File, inv.Dir)
			}
		})
	}
}
