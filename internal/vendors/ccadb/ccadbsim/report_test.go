package ccadbsim

import (
	"encoding/base64"
	"encoding/csv"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/testpki"
)

// v5Header is the header line of vendor notes §4.2, verbatim.
const v5Header = `CA Owner,Salesforce Record ID,Certificate Name,Parent Salesforce Record ID,Parent Certificate Name,Certificate Record Type,Subordinate CA Owner,Apple Status,Chrome Status,Microsoft Status,Mozilla Status,Status of Root Cert,Revocation Status,SHA-256 Fingerprint,Parent SHA-256 Fingerprint,Valid From (GMT),Valid To (GMT),Authority Key Identifier,Subject Key Identifier,Technically Constrained,Trust Bits for Root Cert,EV OIDs for Root Cert,Derived Trust Bits,JSON Array of All Full CRL URLs,JSON Array of Partitioned CRLs,DV ACME Directory URL(s),OV ACME Directory URL(s),EV ACME Directory URL(s),IV ACME Directory URL(s),Audit Firm,Audit Firm Location,Audits Same as Parent,Standard Audit URL,Standard Audit Type,Standard Audit Statement Date,Standard Audit Period Start Date,Standard Audit Period End Date,NetSec Audit URL,NetSec Audit Type,NetSec Audit Statement Date,NetSec Audit Period Start Date,NetSec Audit Period End Date,TLS BR Audit URL,TLS BR Audit Type,TLS BR Audit Statement Date,TLS BR Audit Period Start Date,TLS BR Audit Period End Date,TLS EVG Audit URL,TLS EVG Audit Type,TLS EVG Audit Statement Date,TLS EVG Audit Period Start Date,TLS EVG Audit Period End Date,Code Signing Audit URL,Code Signing Audit Type,Code Signing Audit Statement Date,Code Signing Audit Period Start Date,Code Signing Audit Period End Date,S/MIME BR Audit URL,S/MIME BR Audit Type,S/MIME BR Audit Statement Date,S/MIME BR Audit Period Start Date,S/MIME BR Audit Period End Date,VMC Audit URL,VMC Audit Type,VMC Audit Statement Date,VMC Audit Period Start Date,VMC Audit Period End Date,Policy Documentation,CA Document Repository,CP Same as Parent,Certificate Policy (CP) URL,CP Effective Date,CPS Same as Parent,Certificate Practice Statement (CPS) URL,CPS Effective Date,CP/CPS Same as Parent,Certificate Practice & Policy Statement,CP/CPS Effective Date,MD/AsciiDoc CP/CPS Same as Parent,MD/AsciiDoc CP/CPS URL,MD/AsciiDoc CP/CPS Effective Date,Test Website URL - Valid,Test Website URL - Expired,Test Website URL - Revoked,TLS Capable,TLS EV Capable,Code Signing Capable,S/MIME Capable,Country`

// getReport fetches the report without any credentials.
func (f *fixture) getReport(path string) (raw string, rows []map[string]string) {
	f.t.Helper()
	resp, err := http.Get(f.ts.URL + path)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		f.t.Fatalf("report: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	recs, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil {
		f.t.Fatal(err)
	}
	for _, r := range recs[1:] {
		row := map[string]string{}
		for i, h := range recs[0] {
			row[h] = r[i]
		}
		rows = append(rows, row)
	}
	return string(b), rows
}

func rowByID(rows []map[string]string, id string) map[string]string {
	for _, r := range rows {
		if r["Salesforce Record ID"] == id {
			return r
		}
	}
	return nil
}

func TestReport(t *testing.T) {
	f := newFixture(t)
	c := testpki.Issue(f.root, testpki.Options{CommonName: "Reported CA", Constrained: true})
	id := f.add(c, f.root, obj{
		"CertificateInformation":         obj{"SubordinateCAOwner": "Sub Org"},
		"PertainingToCertificatesIssued": obj{"FullCRLIssuedByThisCA": "http://crl.example/full.crl", "JSONArrayofPartitionedCRLs": []string{"http://a/1.crl", "http://a/2.crl"}},
		"AuditorInformation":             obj{"Auditor": "LSTI Group", "AuditorLocation": "France"},
		"AuditInformation":               merge(merge(merge(merge(validAudit("Standard"), validAudit("BR")), validAudit("EVSSL")), validAudit("CodeSigning")), validAudit("EVCodeSigning")),
		"PolicyInformation": obj{"CPCPSSameAsParent": true, "PolicyDocumentation": "Policy doc", "DocumentRepository": "https://repo.example/",
			"CertificatePolicy": "https://repo.example/cp.pdf", "CertificationPracticeStatement": "https://repo.example/cps.pdf", "CPCPSLastUpdatedDate": "2026-01-15"},
		// Not in the V5 report.
		"RevocationInformation": obj{"AlternateCRL": "SECRET-ALT"},
		"OtherCAInformation":    obj{"RecognizedCAADomains": "SECRET-CAA", "ProblemReportingMechanism": "SECRET-PRM"},
		"Description":           "SECRET-DESC",
		"PublicComments":        "SECRET-COMMENT",
	})

	raw, rows := f.getReport(ReportPath)
	if header, _, _ := strings.Cut(raw, "\n"); header != v5Header {
		t.Errorf("header:\n%s\nwant\n%s", header, v5Header)
	}
	if len(ReportV5Header()) != 89 {
		t.Errorf("%d columns, want 89", len(ReportV5Header()))
	}
	if !strings.Contains(raw, `"[""http://crl.example/full.crl""]","[""http://a/1.crl"",""http://a/2.crl""]"`) {
		t.Errorf("JSON arrays should be CSV-quoted compact JSON:\n%s", raw)
	}
	for _, secret := range []string{"SECRET", "https://audit.example/EVCodeSigning.pdf"} {
		if strings.Contains(raw, secret) {
			t.Errorf("the report carries %s", secret)
		}
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2", len(rows))
	}

	want := map[string]string{
		"CA Owner": "Example CA", "Salesforce Record ID": id, "Certificate Name": "Reported CA",
		"Parent Salesforce Record ID": f.rootID, "Parent Certificate Name": "Example Root CA",
		"Certificate Record Type": "Intermediate Certificate", "Subordinate CA Owner": "Sub Org",
		"Apple Status": "Not Trusted", "Chrome Status": "Not Trusted", "Microsoft Status": "Not Trusted", "Mozilla Status": "Not Trusted",
		"Status of Root Cert": "", "Revocation Status": "Not Revoked",
		"SHA-256 Fingerprint": c.SHA256(), "Parent SHA-256 Fingerprint": f.root.SHA256(),
		"Valid From (GMT)": "2025-01-01", "Valid To (GMT)": "2045-01-01",
		"Authority Key Identifier":        base64.StdEncoding.EncodeToString(c.Cert.AuthorityKeyId),
		"Subject Key Identifier":          base64.StdEncoding.EncodeToString(c.Cert.SubjectKeyId),
		"Technically Constrained":         "True",
		"JSON Array of All Full CRL URLs": `["http://crl.example/full.crl"]`,
		"JSON Array of Partitioned CRLs":  `["http://a/1.crl","http://a/2.crl"]`,
		"Audit Firm":                      "LSTI Group", "Audit Firm Location": "France", "Audits Same as Parent": "False",
		"Standard Audit URL": "https://audit.example/Standard.pdf", "Standard Audit Type": "WebTrust",
		"Standard Audit Statement Date": "2025-03-01", "Standard Audit Period Start Date": "2024-01-01", "Standard Audit Period End Date": "2024-12-31",
		"TLS BR Audit URL": "https://audit.example/BR.pdf", "TLS BR Audit Period End Date": "2024-12-31",
		"TLS EVG Audit URL": "https://audit.example/EVSSL.pdf", "TLS EVG Audit Type": "WebTrust",
		"Code Signing Audit URL": "https://audit.example/CodeSigning.pdf", "Code Signing Audit Statement Date": "2025-03-01",
		"NetSec Audit URL": "", "S/MIME BR Audit URL": "", "VMC Audit URL": "",
		"Policy Documentation": "Policy doc", "CA Document Repository": "https://repo.example/",
		"Certificate Policy (CP) URL": "https://repo.example/cp.pdf", "Certificate Practice Statement (CPS) URL": "https://repo.example/cps.pdf",
		"CP/CPS Same as Parent": "True", "CP/CPS Effective Date": "2026-01-15",
		"CP Same as Parent": "", "Certificate Practice & Policy Statement": "", "TLS Capable": "", "Country": "",
	}
	row := rowByID(rows, id)
	for k, v := range want {
		if row[k] != v {
			t.Errorf("%s = %q, want %q", k, row[k], v)
		}
	}
	root := rowByID(rows, f.rootID)
	for k, v := range map[string]string{
		"Certificate Record Type": "Root Certificate", "Revocation Status": "", "Mozilla Status": "",
		"Technically Constrained": "False", "JSON Array of Partitioned CRLs": "", "JSON Array of All Full CRL URLs": "",
		"Parent Salesforce Record ID": "", "Audits Same as Parent": "False", "Certificate Name": "Example Root CA",
	} {
		if root[k] != v {
			t.Errorf("root %s = %q, want %q", k, root[k], v)
		}
	}

	// Revocation, inherited by the children; [] after a reset.
	child := testpki.Issue(c, testpki.Options{CommonName: "Child CA"})
	childID := f.add(child, c, nil)
	f.post(AddUpdatePath, f.updateBody(id, c, obj{
		"RevocationInformation":          obj{"RevocationStatus": "Revoked", "DateOfRevocation": "2026-04-01", "RevocationReasonCode": "(1) keyCompromise"},
		"PertainingToCertificatesIssued": obj{"JSONArrayofPartitionedCRLs": []string{}},
	}))
	_, rows = f.getReport("/ccadb/AllCertificateRecordsCSVFormatv5") // page names are case-insensitive
	if got := rowByID(rows, id); got["Revocation Status"] != "Revoked" || got["JSON Array of Partitioned CRLs"] != "[]" {
		t.Errorf("revoked row: %q %q", got["Revocation Status"], got["JSON Array of Partitioned CRLs"])
	}
	if got := rowByID(rows, childID)["Revocation Status"]; got != "Parent Cert Revoked" {
		t.Errorf("child of a revoked CA: %q", got)
	}
}

func TestReportDelay(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.ReportDelay = time.Hour })
	f.clock.Advance(time.Hour) // the root was created an hour ago
	id := f.add(f.issue("Fresh CA"), f.root, nil)
	_, rows := f.getReport(ReportPath)
	if len(rows) != 1 || rowByID(rows, id) != nil {
		t.Errorf("a record younger than ReportDelay is reported: %v", rows)
	}
	f.clock.Advance(time.Hour)
	if _, rows = f.getReport(ReportPath); rowByID(rows, id) == nil {
		t.Error("the record should be reported after ReportDelay")
	}
}
