package ccadbsim

import (
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/testpki"
)

// v5Header is the report's published header line, verbatim.
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

// rowByID returns the report row of the record with 18-character id (the
// report shows its CCADB unique id).
func (f *fixture) rowByID(rows []map[string]string, id string) map[string]string {
	f.t.Helper()
	rec, ok := f.s.Record(id)
	if !ok {
		f.t.Fatalf("no record %s", id)
	}
	for _, r := range rows {
		if r["Salesforce Record ID"] == rec.CCADBID {
			return r
		}
	}
	return nil
}

// everyField is an add request's sections with a valid value in every field
// of today's API.
func everyField() obj {
	audits := obj{"AuditSameAsParent": false}
	for _, kind := range AuditKinds() {
		audits = merge(audits, validAudit(kind))
	}
	docs := obj{"PolicyDocumentation": "Policy doc", "DocumentRepository": "https://repo.example/"}
	for i, d := range Documents() {
		docs[d.SameAsParent] = i%2 == 0
		docs[d.Link] = fmt.Sprintf("https://repo.example/doc%d.pdf", i)
		docs[d.Date] = fmt.Sprintf("2026-01-%02d", 10+i)
	}
	pertaining := obj{
		"JSONArrayofAllFullCRLURLs":           []string{"http://crl.example/full.crl", "http://crl2.example/full.crl"},
		"JSONArrayofPartitionedCRLs":          []string{"http://a/1.crl", "http://a/2.crl"},
		"CABForumCertificatePolicyIdentifier": "2.23.140.1.2.2",
	}
	for _, kind := range []string{"DV", "OV", "EV", "IV"} {
		pertaining[ACMEField(kind)] = "https://acme.example/" + kind
		pertaining[AutomatedSolutionField(kind)] = "SECRET-" + kind + " solution"
		pertaining[TestWebsiteField(kind)] = "https://SECRET-" + kind + ".example/"
	}
	return obj{
		"CertificateInformation":         obj{"SubordinateCAOwner": "Sub Org", "ConsentforTechnicallyConstrainedCert": true},
		"PertainingToCertificatesIssued": pertaining,
		"AuditorInformation":             obj{"Auditor": "LSTI Group", "AuditorLocation": "France"},
		"AuditInformation":               audits,
		"NonAuditDocumentInformation":    docs,
		// Not in the V5 report.
		"RevocationInformation": obj{"AlternateCRL": "SECRET-ALT", "RevocationStatus": "", "DateOfRevocation": "", "RevocationReasonCode": ""},
		"OtherCAInformation":    obj{"RecognizedCAADomains": "SECRET-CAA", "ProblemReportingMechanism": "SECRET-PRM"},
		"Description":           "SECRET-DESC",
		"PublicComments":        "SECRET-COMMENT",
	}
}

func TestReport(t *testing.T) {
	f := newFixture(t)
	c := testpki.Issue(f.root, testpki.Options{CommonName: "Reported CA", Constrained: true})
	id := f.add(c, f.root, everyField())
	rec := f.record(id)
	for _, name := range FieldNames() {
		if _, set := rec.Fields[name]; !set {
			t.Errorf("field %s not stored", name)
		}
	}
	if len(rec.Fields) != len(FieldNames()) {
		t.Errorf("%d fields stored, want %d: %v", len(rec.Fields), len(FieldNames()), rec.Fields)
	}

	raw, rows := f.getReport(ReportPath)
	if header, _, _ := strings.Cut(raw, "\n"); header != v5Header {
		t.Errorf("header:\n%s\nwant\n%s", header, v5Header)
	}
	if len(ReportV5Header()) != 89 {
		t.Errorf("%d columns, want 89", len(ReportV5Header()))
	}
	if !strings.Contains(raw, `"[""http://crl.example/full.crl"",""http://crl2.example/full.crl""]","[""http://a/1.crl"",""http://a/2.crl""]"`) {
		t.Errorf("JSON arrays should be CSV-quoted compact JSON:\n%s", raw)
	}
	for _, hidden := range []string{"SECRET", "2.23.140.1.2.2", "doc4.pdf", rec.ID, f.rootID} {
		if strings.Contains(raw, hidden) {
			t.Errorf("the report carries %s", hidden)
		}
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2", len(rows))
	}

	want := map[string]string{
		"CA Owner": "Example CA", "Salesforce Record ID": "A000002", "Certificate Name": "Reported CA",
		"Parent Salesforce Record ID": "A000001", "Parent Certificate Name": "Example Root CA",
		"Certificate Record Type": "Intermediate Certificate", "Subordinate CA Owner": "Sub Org",
		"Apple Status": "Not Trusted", "Chrome Status": "Not Trusted", "Microsoft Status": "Not Trusted", "Mozilla Status": "Not Trusted",
		"Status of Root Cert": "", "Revocation Status": "Not Revoked",
		"SHA-256 Fingerprint": c.SHA256(), "Parent SHA-256 Fingerprint": f.root.SHA256(),
		"Valid From (GMT)": "2025-01-01", "Valid To (GMT)": "2045-01-01",
		"Authority Key Identifier":        base64.StdEncoding.EncodeToString(c.Cert.AuthorityKeyId),
		"Subject Key Identifier":          base64.StdEncoding.EncodeToString(c.Cert.SubjectKeyId),
		"Technically Constrained":         "True",
		"JSON Array of All Full CRL URLs": `["http://crl.example/full.crl","http://crl2.example/full.crl"]`,
		"JSON Array of Partitioned CRLs":  `["http://a/1.crl","http://a/2.crl"]`,
		"DV ACME Directory URL(s)":        "https://acme.example/DV", "OV ACME Directory URL(s)": "https://acme.example/OV",
		"EV ACME Directory URL(s)": "https://acme.example/EV", "IV ACME Directory URL(s)": "https://acme.example/IV",
		"Audit Firm": "LSTI Group", "Audit Firm Location": "France", "Audits Same as Parent": "False",
		"Policy Documentation": "Policy doc", "CA Document Repository": "https://repo.example/",
		"CP Same as Parent": "True", "Certificate Policy (CP) URL": "https://repo.example/doc0.pdf", "CP Effective Date": "2026-01-10",
		"CPS Same as Parent": "False", "Certificate Practice Statement (CPS) URL": "https://repo.example/doc1.pdf", "CPS Effective Date": "2026-01-11",
		"CP/CPS Same as Parent": "True", "Certificate Practice & Policy Statement": "https://repo.example/doc2.pdf", "CP/CPS Effective Date": "2026-01-12",
		"MD/AsciiDoc CP/CPS Same as Parent": "False", "MD/AsciiDoc CP/CPS URL": "https://repo.example/doc3.pdf", "MD/AsciiDoc CP/CPS Effective Date": "2026-01-13",
		"Test Website URL - Valid": "", "TLS Capable": "", "Country": "",
	}
	for prefix, kind := range map[string]string{"Standard Audit": "Standard", "NetSec Audit": "NetSec", "TLS BR Audit": "TLSBR",
		"TLS EVG Audit": "TLSEVG", "Code Signing Audit": "CodeSigning", "S/MIME BR Audit": "SMIME", "VMC Audit": "VMC"} {
		want[prefix+" URL"] = "https://audit.example/" + kind + ".pdf"
		want[prefix+" Type"] = "WebTrust"
		want[prefix+" Statement Date"] = "2025-03-01"
		want[prefix+" Period Start Date"] = "2024-01-01"
		want[prefix+" Period End Date"] = "2024-12-31"
	}
	row := f.rowByID(rows, id)
	for k, v := range want {
		if row[k] != v {
			t.Errorf("%s = %q, want %q", k, row[k], v)
		}
	}
	root := f.rowByID(rows, f.rootID)
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
	if got := f.rowByID(rows, id); got["Revocation Status"] != "Revoked" || got["JSON Array of Partitioned CRLs"] != "[]" {
		t.Errorf("revoked row: %q %q", got["Revocation Status"], got["JSON Array of Partitioned CRLs"])
	}
	if got := f.rowByID(rows, childID)["Revocation Status"]; got != "Parent Cert Revoked" {
		t.Errorf("child of a revoked CA: %q", got)
	}
}

func TestReportDelay(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.ReportDelay = time.Hour })
	f.clock.Advance(time.Hour) // the root was created an hour ago
	id := f.add(f.issue("Fresh CA"), f.root, nil)
	_, rows := f.getReport(ReportPath)
	if len(rows) != 1 || f.rowByID(rows, id) != nil {
		t.Errorf("a record younger than ReportDelay is reported: %v", rows)
	}
	f.clock.Advance(time.Hour)
	if _, rows = f.getReport(ReportPath); f.rowByID(rows, id) == nil {
		t.Error("the record should be reported after ReportDelay")
	}
}

// TestReportSeveralOwners: a certificate in two CA Owners' hierarchies has a
// record, and a report row, per owner, each with its own ids; GetCertificateId
// answers the first record created, even when it is the other owner's.
func TestReportSeveralOwners(t *testing.T) {
	f := newFixture(t)
	shared := f.issue("Shared CA")
	theirs, err := f.s.Seed(Record{PEM: shared.PEM(), ParentID: f.rootID, CAOwner: "Other CA", Name: "Shared CA (theirs)"})
	if err != nil {
		t.Fatal(err)
	}
	ours, err := f.s.Seed(Record{PEM: shared.PEM(), ParentID: f.rootID, Fields: map[string]string{FieldAllFullCRLURLs: `["http://ours/full.crl"]`}})
	if err != nil {
		t.Fatal(err)
	}
	_, rows := f.getReport(ReportPath)
	var owners []string
	for _, r := range rows {
		if r["SHA-256 Fingerprint"] == shared.SHA256() {
			owners = append(owners, r["CA Owner"]+" "+r["Salesforce Record ID"]+" "+r["JSON Array of All Full CRL URLs"])
		}
	}
	if want := []string{"Other CA A000002 ", `Example CA A000003 ["http://ours/full.crl"]`}; !slices.Equal(owners, want) {
		t.Errorf("rows of the shared certificate %q, want %q", owners, want)
	}
	status, resp := f.post(GetIDPath, encode(t, obj{"SHA256": shared.SHA256(), "RecordType": "Intermediate Certificate"}))
	if status != 200 || !strings.Contains(resp, theirs) {
		t.Errorf("GetCertificateId: %d %s, want the first record %s", status, resp, theirs)
	}
	// Our record is updated by its own 18-character id; theirs is refused.
	if status, resp := f.post(AddUpdatePath, f.updateBody(ours, shared, obj{"Description": "ours"})); status != 200 {
		t.Errorf("update of our record: %d %s", status, resp)
	}
	if status, resp := f.post(AddUpdatePath, f.updateBody(theirs, shared, obj{"Description": "ours"})); status != 400 ||
		resp != failBody("", fmt.Sprintf(MsgNotOwnHierarchy, "Other CA")) {
		t.Errorf("update of their record: %d %s", status, resp)
	}
}
