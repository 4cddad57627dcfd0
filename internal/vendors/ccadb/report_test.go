package ccadb

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/certsync/certsync/internal/diff"
)

func TestParseReportV5(t *testing.T) {
	v5 := "\ufeffCA Owner,Salesforce Record ID,Certificate Name,Certificate Record Type,Revocation Status,SHA-256 Fingerprint,JSON Array of All Full CRL URLs,JSON Array of Partitioned CRLs,DV ACME Directory URL(s),Audit Firm,Audits Same as Parent,TLS BR Audit Statement Date,CP/CPS Same as Parent,CP Effective Date\n" +
		`Example CA,A000086,ICA,Intermediate Certificate,Parent Cert Revoked,abcd,"[""http://crl/1.crl"",""http://crl/2.crl""]","[""http://p/1"",""http://p/2""]",https://acme/dv,Auditor Name,True,2025-06-30,False,2025.02.01` + "\n" +
		`Other CA,A000087,ICA elsewhere,Intermediate Certificate,Not Revoked,ABCD,,,,,,,,` + "\n" +
		`Example CA,A000001,Root,Root Certificate,,ef01,,,,,,,,` + "\n" +
		`Someone Else,A000002,Unrelated,Intermediate Certificate,Not Revoked,9999,,,,,,,,` + "\n"
	rep, err := parseReport(strings.NewReader(v5), map[string]bool{"ABCD": true, "EF01": true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.rows["ABCD"]) != 2 {
		t.Fatalf("want both owners' rows of ABCD, got %v", rep.rows)
	}
	if _, kept := rep.rows["9999"]; kept {
		t.Error("a row of a certificate the inventory does not hold was kept")
	}
	if !rep.hasRoot("EF01") {
		t.Error("root not recorded")
	}
	row, ok := rep.row("ABCD", "example ca", "")
	if !ok || row.col(colCCADBID) != "A000086" {
		t.Fatalf("row for Example CA = %v, %v", row, ok)
	}
	if r, ok := rep.row("ABCD", "Nobody", "Other CA"); !ok || r.col(colCCADBID) != "A000087" {
		t.Errorf("row by subordinate CA owner = %v, %v", r, ok)
	}
	if _, ok := rep.row("ABCD", "Nobody", ""); ok {
		t.Error("a row under another CA Owner was taken as ours")
	}
	for path, want := range map[string]any{
		"ca_owner":                     "Example CA",
		"certificate_name":             "ICA",
		"revocation.status":            "",
		"crls.full":                    []string{"http://crl/1.crl", "http://crl/2.crl"},
		"crls.partitioned":             []string{"http://p/1", "http://p/2"},
		"issuance.acme_endpoints.dv":   "https://acme/dv",
		"auditor.name":                 "Auditor Name",
		"audits.same_as_parent":        true,
		"audits.tls_br.statement_date": "2025-06-30",
		"policy.cp_cps.same_as_parent": false,
		"policy.cp.effective_date":     "2025-02-01",
	} {
		got, ok := row.value(catalogue[path])
		if !ok || !cmp.Equal(got, want) {
			t.Errorf("%s = %#v (ok %v), want %#v", path, got, ok, want)
		}
	}
	for _, path := range []string{"description", "issuance.cabf_policy_identifier", "policy.self_assessment.url"} {
		if _, ok := row.value(catalogue[path]); ok {
			t.Errorf("%s is not a report column but was read", path)
		}
	}
	if _, err := parseReport(strings.NewReader("a,b\n1,2\n"), nil); err == nil {
		t.Error("a CSV without the report's columns was accepted")
	}
}

// Every field of the catalogue whose V5 column exists is named exactly as
// the simulator's (verbatim) V5 header names it.
func TestCatalogueColumnsAreV5Columns(t *testing.T) {
	header := map[string]bool{}
	for _, h := range ccadbsimHeader() {
		header[h] = true
	}
	for _, f := range fields {
		if f.column != "" && !header[f.column] {
			t.Errorf("%s: column %q is not in the V5 header", f.path, f.column)
		}
	}
}

func TestRequestBody(t *testing.T) {
	c := diff.Change{
		Desired: map[string]any{
			"certificate_name": "ICA", "ca_owner": "Example CA", "crls.partitioned": []string(nil),
			"crls.full": []string{"http://c/1"}, "audits.same_as_parent": true, "description": "",
			"policy.repository": "https://r", "audits.tls_br.url": "https://a/br",
		},
	}
	add := requestBody(c, "", "CERT", "PARENT")
	want := map[string]any{
		"CertificateInformation": map[string]any{
			"IntermediateCertPEM": "CERT", "ParentCertPEM": "PARENT",
			"IntermediateCertificateName": "ICA", "CAOwner": "Example CA",
		},
		"PertainingToCertificatesIssued": map[string]any{"JSONArrayofPartitionedCRLs": []string{}, "JSONArrayofAllFullCRLURLs": []string{"http://c/1"}},
		"AuditInformation":               map[string]any{"AuditSameAsParent": true, "TLSBRAudit": "https://a/br"},
		"NonAuditDocumentInformation":    map[string]any{"DocumentRepository": "https://r"},
		"Description":                    "",
	}
	if d := cmp.Diff(want, add); d != "" {
		t.Errorf("add body (-want +got):\n%s", d)
	}
	upd := requestBody(c, "0018Z00002vyRdNQAU", "CERT", "PARENT")
	ci := upd["CertificateInformation"].(map[string]any)
	if ci[keyRecordID] != "0018Z00002vyRdNQAU" {
		t.Error("update without the record id")
	}
	if _, ok := ci["ParentCertPEM"]; ok {
		t.Error("update sends ParentCertPEM, which cannot be updated")
	}
	if _, ok := upd["RevocationInformation"]; ok {
		t.Error("an unmanaged section was sent")
	}
}

func TestIsRecordID(t *testing.T) {
	for id, want := range map[string]bool{
		"0018Z00002vyRdNQAU": true, "A000086": false, "": false, "0018Z00002vyRdNQA-": false, "1394873259327": false,
	} {
		if got := isRecordID(id); got != want {
			t.Errorf("isRecordID(%q) = %v", id, got)
		}
	}
}
