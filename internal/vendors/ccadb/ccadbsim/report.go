package ccadbsim

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"slices"
	"strings"
)

// ReportV5Header returns the header of the public
// AllCertificateRecordsCSVFormatV5 report, verbatim (as published by crt.sh's hourly copy,
// https://github.com/crtsh/ccadb_data), in
// column order.
func ReportV5Header() []string { return slices.Clone(reportV5Header) }

var reportV5Header = []string{
	"CA Owner", "Salesforce Record ID", "Certificate Name", "Parent Salesforce Record ID", "Parent Certificate Name",
	"Certificate Record Type", "Subordinate CA Owner", "Apple Status", "Chrome Status", "Microsoft Status", "Mozilla Status",
	"Status of Root Cert", "Revocation Status", "SHA-256 Fingerprint", "Parent SHA-256 Fingerprint", "Valid From (GMT)",
	"Valid To (GMT)", "Authority Key Identifier", "Subject Key Identifier", "Technically Constrained",
	"Trust Bits for Root Cert", "EV OIDs for Root Cert", "Derived Trust Bits", "JSON Array of All Full CRL URLs",
	"JSON Array of Partitioned CRLs", "DV ACME Directory URL(s)", "OV ACME Directory URL(s)", "EV ACME Directory URL(s)",
	"IV ACME Directory URL(s)", "Audit Firm", "Audit Firm Location", "Audits Same as Parent",
	"Standard Audit URL", "Standard Audit Type", "Standard Audit Statement Date", "Standard Audit Period Start Date", "Standard Audit Period End Date",
	"NetSec Audit URL", "NetSec Audit Type", "NetSec Audit Statement Date", "NetSec Audit Period Start Date", "NetSec Audit Period End Date",
	"TLS BR Audit URL", "TLS BR Audit Type", "TLS BR Audit Statement Date", "TLS BR Audit Period Start Date", "TLS BR Audit Period End Date",
	"TLS EVG Audit URL", "TLS EVG Audit Type", "TLS EVG Audit Statement Date", "TLS EVG Audit Period Start Date", "TLS EVG Audit Period End Date",
	"Code Signing Audit URL", "Code Signing Audit Type", "Code Signing Audit Statement Date", "Code Signing Audit Period Start Date", "Code Signing Audit Period End Date",
	"S/MIME BR Audit URL", "S/MIME BR Audit Type", "S/MIME BR Audit Statement Date", "S/MIME BR Audit Period Start Date", "S/MIME BR Audit Period End Date",
	"VMC Audit URL", "VMC Audit Type", "VMC Audit Statement Date", "VMC Audit Period Start Date", "VMC Audit Period End Date",
	"Policy Documentation", "CA Document Repository", "CP Same as Parent", "Certificate Policy (CP) URL", "CP Effective Date",
	"CPS Same as Parent", "Certificate Practice Statement (CPS) URL", "CPS Effective Date", "CP/CPS Same as Parent",
	"Certificate Practice & Policy Statement", "CP/CPS Effective Date", "MD/AsciiDoc CP/CPS Same as Parent",
	"MD/AsciiDoc CP/CPS URL", "MD/AsciiDoc CP/CPS Effective Date", "Test Website URL - Valid", "Test Website URL - Expired",
	"Test Website URL - Revoked", "TLS Capable", "TLS EV Capable", "Code Signing Capable", "S/MIME Capable", "Country",
}

// reportAudits maps the V5 audit column prefixes to the API's audit kinds,
// all seven.
var reportAudits = map[string]string{
	"Standard Audit":     "Standard",
	"NetSec Audit":       "NetSec",
	"TLS BR Audit":       "TLSBR",
	"TLS EVG Audit":      "TLSEVG",
	"Code Signing Audit": "CodeSigning",
	"S/MIME BR Audit":    "SMIME",
	"VMC Audit":          "VMC",
}

// reportAuditColumns pairs the V5 audit column suffixes with the API's.
var reportAuditColumns = [][2]string{
	{" URL", ""}, {" Type", "Type"}, {" Statement Date", "StatementDate"},
	{" Period Start Date", "PeriodStartDate"}, {" Period End Date", "PeriodEndDate"},
}

// reportDocuments maps the V5 document column triples (same as parent, link,
// effective date) to the API's documents. The self-assessment has no V5
// column.
var reportDocuments = []struct {
	columns [3]string
	doc     Document
}{
	{[3]string{"CP Same as Parent", "Certificate Policy (CP) URL", "CP Effective Date"}, documents[0]},
	{[3]string{"CPS Same as Parent", "Certificate Practice Statement (CPS) URL", "CPS Effective Date"}, documents[1]},
	{[3]string{"CP/CPS Same as Parent", "Certificate Practice & Policy Statement", "CP/CPS Effective Date"}, documents[2]},
	{[3]string{"MD/AsciiDoc CP/CPS Same as Parent", "MD/AsciiDoc CP/CPS URL", "MD/AsciiDoc CP/CPS Effective Date"}, documents[3]},
}

// report serves the AllCertificateRecordsCSVFormatV5 report, built from the
// simulator's records. It is public: no session needed.
func (s *Server) report(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body := s.ReportCSV()
	w.Header().Set("Content-Type", "text/csv; charset=UTF-8")
	w.Header().Set("Content-Disposition", `attachment; filename="AllCertificateRecordsCSVFormatV5.csv"`)
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(body)
	}
}

// ReportCSV returns the AllCertificateRecordsCSVFormatV5 report as served:
// the header, then one row per record in creation order, leaving out records
// created less than Options.ReportDelay ago. A certificate with records
// under several CA Owners has one row per record. Its "Salesforce Record ID"
// and "Parent Salesforce Record ID" columns carry CCADB unique ids ("A0…"),
// as the real report does, never the 18-character ids.
//
// Only the columns the API can write, or that derive from the certificate,
// are filled; the report does not carry DateOfRevocation,
// RevocationReasonCode, AlternateCRL, RecognizedCAADomains,
// ProblemReportingMechanism, CABForumCertificatePolicyIdentifier, the
// other-automated-solution descriptions, the automated test certificate
// websites, the self-assessment, ConsentforTechnicallyConstrainedCert,
// Description or PublicComments, as the real one does not (its "Test Website
// URL" columns are the root's test websites, not these).
func (s *Server) ReportCSV() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opt.Now()
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	_ = cw.Write(reportV5Header)
	for _, rec := range s.records {
		if s.opt.ReportDelay > 0 && now.Sub(rec.CreatedAt) < s.opt.ReportDelay {
			continue
		}
		_ = cw.Write(s.reportRowLocked(rec))
	}
	cw.Flush()
	return b.Bytes()
}

func (s *Server) reportRowLocked(rec *Record) []string {
	f := rec.Fields
	col := map[string]string{
		"CA Owner":                        rec.CAOwner,
		"Salesforce Record ID":            rec.CCADBID,
		"Certificate Name":                rec.Name,
		"Certificate Record Type":         rec.RecordType,
		"Subordinate CA Owner":            rec.SubordinateCAOwner,
		"SHA-256 Fingerprint":             rec.SHA256,
		"Parent SHA-256 Fingerprint":      rec.ParentSHA256,
		"Authority Key Identifier":        s.keyIDs[rec.ID].aki,
		"Subject Key Identifier":          s.keyIDs[rec.ID].ski,
		"Technically Constrained":         reportBool(rec.TechnicallyConstrained),
		"JSON Array of All Full CRL URLs": f[FieldAllFullCRLURLs],
		"JSON Array of Partitioned CRLs":  f[FieldPartitionedCRLs],
		"DV ACME Directory URL(s)":        f[ACMEField("DV")],
		"OV ACME Directory URL(s)":        f[ACMEField("OV")],
		"EV ACME Directory URL(s)":        f[ACMEField("EV")],
		"IV ACME Directory URL(s)":        f[ACMEField("IV")],
		"Audit Firm":                      f[FieldAuditor],
		"Audit Firm Location":             f[FieldAuditorLocation],
		"Audits Same as Parent":           reportBool(f[FieldAuditSameAsParent] == "true"),
		"Policy Documentation":            f[FieldPolicyDocumentation],
		"CA Document Repository":          f[FieldDocumentRepository],
	}
	for _, d := range reportDocuments {
		col[d.columns[0]] = reportBool(f[d.doc.SameAsParent] == "true")
		col[d.columns[1]] = f[d.doc.Link]
		col[d.columns[2]] = f[d.doc.Date]
	}
	if !rec.ValidFrom.IsZero() {
		col["Valid From (GMT)"] = rec.ValidFrom.UTC().Format("2006-01-02")
	}
	if !rec.ValidTo.IsZero() {
		col["Valid To (GMT)"] = rec.ValidTo.UTC().Format("2006-01-02")
	}
	if parent := s.byID[strings.ToUpper(rec.ParentID)]; rec.ParentID != "" && parent != nil {
		col["Parent Salesforce Record ID"] = parent.CCADBID
		col["Parent Certificate Name"] = parent.Name
	}
	if rec.RecordType == IntermediateCertificate {
		col["Revocation Status"] = s.revocationStatusLocked(rec)
		for _, store := range []string{"Apple Status", "Chrome Status", "Microsoft Status", "Mozilla Status"} {
			col[store] = "Not Trusted"
		}
	}
	for prefix, kind := range reportAudits {
		for _, c := range reportAuditColumns {
			col[prefix+c[0]] = f[AuditField(kind, c[1])]
		}
	}
	row := make([]string, len(reportV5Header))
	for i, name := range reportV5Header {
		row[i] = col[name]
	}
	return row
}

// revocationStatusLocked is the report's computed Revocation Status of an
// intermediate: its own, else "Parent Cert Revoked" when an ancestor is
// revoked.
func (s *Server) revocationStatusLocked(rec *Record) string {
	if rec.Fields[FieldRevocationStatus] == "Revoked" {
		return "Revoked"
	}
	seen := map[string]bool{rec.ID: true}
	for p := s.byID[strings.ToUpper(rec.ParentID)]; p != nil && !seen[p.ID]; p = s.byID[strings.ToUpper(p.ParentID)] {
		if p.Fields[FieldRevocationStatus] == "Revoked" {
			return "Parent Cert Revoked"
		}
		seen[p.ID] = true
	}
	return "Not Revoked"
}

func reportBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}
