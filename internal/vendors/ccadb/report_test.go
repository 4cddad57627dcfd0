package ccadb

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/certsync/certsync/internal/diff"
)

func TestParseReportV5AndV2(t *testing.T) {
	v5 := "\ufeffCA Owner,Salesforce Record ID,Certificate Name,Certificate Record Type,Revocation Status,SHA-256 Fingerprint,JSON Array of All Full CRL URLs,JSON Array of Partitioned CRLs,Audit Firm,Audits Same as Parent,Standard Audit Statement Date\n" +
		`Example CA,0018Z00002vyRdNQAU,ICA,Intermediate Certificate,Parent Cert Revoked,abcd,"[""http://crl/1.crl""]","[""http://p/1"",""http://p/2""]",Auditor Name,True,2025-06-30` + "\n" +
		`Example CA,0018Z00002vyRdOQAU,Root,Root Certificate,,ef01,,,,,` + "\n"
	rep, err := parseReport(strings.NewReader(v5))
	if err != nil {
		t.Fatal(err)
	}
	row, ok := rep.rows["ABCD"]
	if !ok {
		t.Fatalf("row not indexed by upper-case SHA-256: %v", rep.rows)
	}
	if !rep.hasRoot("EF01") {
		t.Error("root not recorded")
	}
	byPath := fieldByPath()
	for path, want := range map[string]any{
		"ca_owner":                       "Example CA",
		"certificate_name":               "ICA",
		"revocation.status":              "",
		"crls.full":                      "http://crl/1.crl",
		"crls.partitioned":               []string{"http://p/1", "http://p/2"},
		"auditor.name":                   "Auditor Name",
		"audits.same_as_parent":          true,
		"audits.standard.statement_date": "2025-06-30",
	} {
		got, ok := row.value(byPath[path])
		if !ok || !cmp.Equal(got, want) {
			t.Errorf("%s = %#v (ok %v), want %#v", path, got, ok, want)
		}
	}
	if _, ok := row.value(byPath["description"]); ok {
		t.Error("description is not a report column but was read")
	}

	v2 := `"CA Owner","Salesforce Record ID","Certificate Name","Certificate Record Type","SHA-256 Fingerprint","Full CRL Issued By This CA","Auditor","Audits Same as Parent?","Standard Audit Statement Date"` + "\n" +
		`"Example CA","0018Z00002vyRdNQAU","ICA","Intermediate Certificate","ABCD","http://crl/full.crl","Auditor Name","False","2023.03.14"` + "\n"
	rep, err = parseReport(strings.NewReader(v2))
	if err != nil {
		t.Fatal(err)
	}
	row = rep.rows["ABCD"]
	for path, want := range map[string]any{
		"crls.full":                      "http://crl/full.crl",
		"auditor.name":                   "Auditor Name",
		"audits.same_as_parent":          false,
		"audits.standard.statement_date": "2023-03-14",
	} {
		if got, ok := row.value(byPath[path]); !ok || !cmp.Equal(got, want) {
			t.Errorf("v2 %s = %#v (ok %v), want %#v", path, got, ok, want)
		}
	}

	if _, err := parseReport(strings.NewReader("a,b\n1,2\n")); err == nil {
		t.Error("a CSV without the report's columns was accepted")
	}
}

func TestRequestBody(t *testing.T) {
	c := diff.Change{
		Keys: map[string]string{keyCertPEM: "-----BEGIN CERTIFICATE-----AAAA-----END CERTIFICATE-----", keyParentPEM: "-----BEGIN CERTIFICATE-----BBBB-----END CERTIFICATE-----"},
		Desired: map[string]any{
			"certificate_name": "ICA", "ca_owner": "Example CA", "crls.partitioned": []string(nil),
			"audits.same_as_parent": true, "description": "", "policy.repository": "https://r",
		},
	}
	add := requestBody(c, "")
	want := map[string]any{
		"CertificateInformation": map[string]any{
			"SalesforceRecordId": "", "IntermediateCertPEM": c.Keys[keyCertPEM], "ParentCertPEM": c.Keys[keyParentPEM],
			"IntermediateCertificateName": "ICA", "CAOwner": "Example CA",
		},
		"PertainingToCertificatesIssued": map[string]any{"JSONArrayofPartitionedCRLs": []string{}},
		"AuditInformation":               map[string]any{"AuditSameAsParent": true},
		"PolicyInformation":              map[string]any{"DocumentRepository": "https://r"},
		"Description":                    "",
	}
	if d := cmp.Diff(want, add); d != "" {
		t.Errorf("add body (-want +got):\n%s", d)
	}
	upd := requestBody(c, "0018Z00002vyRdNQAU")
	ci := upd["CertificateInformation"].(map[string]any)
	if ci["SalesforceRecordId"] != "0018Z00002vyRdNQAU" {
		t.Error("update without the record id")
	}
	if _, ok := ci["ParentCertPEM"]; ok {
		t.Error("update sends ParentCertPEM, which cannot be updated")
	}
	if _, ok := upd["RevocationInformation"]; ok {
		t.Error("an unmanaged section was sent")
	}
}
