package ccadb

// kind says how a field travels on the wire and in the report.
type kind int

const (
	text kind = iota
	date
	boolean
	list
	// revocationStatus is "" or "Revoked" on the wire; the report computes
	// "Not Revoked" and "Parent Cert Revoked", both of which mean "" here.
	revocationStatus
)

// field maps one inventory path to the AddUpdateIntermediateCertAPI JSON and
// to the public report column that shows its value. The catalogue is the one
// place that knows the API's key names: a later rename (such as the newer
// documentation's CCADBUniqueId) changes a line here and in ids.go.
type field struct {
	// path below an intermediate in the inventory, e.g. "audits.tls_br.url".
	path string
	// section and key on the wire; section "" means a top-level key.
	section, key string
	// column in AllCertificateRecordsCSVFormatV5; "" when the report does
	// not carry the field (its live value comes from certsync's own record
	// of what it sent).
	column string
	kind   kind
}

// Sections and keys of AddUpdateIntermediateCertAPI as documented on
// 2026-03-20 (https://github.com/mozilla/CCADB-Tools/tree/master/API_AddUpdateIntermediateCert).
const (
	secCert     = "CertificateInformation"
	secRevoke   = "RevocationInformation"
	secOther    = "OtherCAInformation"
	secIssued   = "PertainingToCertificatesIssued"
	secAuditor  = "AuditorInformation"
	secAudit    = "AuditInformation"
	secDocs     = "NonAuditDocumentInformation"
	keyName     = "IntermediateCertificateName"
	keyPEM      = "IntermediateCertPEM"
	keyParent   = "ParentCertPEM"
	keyCAOwner  = "CAOwner"
	colCAOwner  = "CA Owner"
	colSubOwner = "Subordinate CA Owner"
	colSHA256   = "SHA-256 Fingerprint"
	colType     = "Certificate Record Type"
	colValidTo  = "Valid To (GMT)"
)

var fields = buildFields()

// validations are the validation types of the per-type fields: inventory
// key, wire prefix, report column prefix.
var validations = []struct{ path, wire string }{{"dv", "DV"}, {"ov", "OV"}, {"ev", "EV"}, {"iv", "IV"}}

// auditSlots are the seven audits: inventory key, wire prefix, V5 column
// prefix.
var auditSlots = []struct{ path, wire, column string }{
	{"standard", "Standard", "Standard Audit"},
	{"netsec", "NetSec", "NetSec Audit"},
	{"tls_br", "TLSBR", "TLS BR Audit"},
	{"tls_evg", "TLSEVG", "TLS EVG Audit"},
	{"code_signing", "CodeSigning", "Code Signing Audit"},
	{"smime", "SMIME", "S/MIME BR Audit"},
	{"vmc", "VMC", "VMC Audit"},
}

// documentSlots are the dated documents of NonAuditDocumentInformation:
// inventory key, wire keys (flag, link, date) and V5 columns (none for the
// self-assessment).
var documentSlots = []struct {
	path, datePath string
	wire           [3]string
	column         [3]string
}{
	{"cp", "effective_date", [3]string{"CPSameAsParent", "CertificatePolicy", "CPEffectiveDate"}, [3]string{"CP Same as Parent", "Certificate Policy (CP) URL", "CP Effective Date"}},
	{"cps", "effective_date", [3]string{"CPSSameAsParent", "CertificationPracticeStatement", "CPSEffectiveDate"}, [3]string{"CPS Same as Parent", "Certificate Practice Statement (CPS) URL", "CPS Effective Date"}},
	{"cp_cps", "effective_date", [3]string{"CPCPSSameAsParent", "CertificatePracticeAndPolicyStatement", "CPCPSEffectiveDate"}, [3]string{"CP/CPS Same as Parent", "Certificate Practice & Policy Statement", "CP/CPS Effective Date"}},
	{"markdown_cp_cps", "effective_date", [3]string{"MarkdownOrAsciiDocCPCPSSameAsParent", "MarkdownOrAsciiDocCPCPS", "MarkdownOrAsciiDocCPCPSEffectiveDate"}, [3]string{"MD/AsciiDoc CP/CPS Same as Parent", "MD/AsciiDoc CP/CPS URL", "MD/AsciiDoc CP/CPS Effective Date"}},
	{"self_assessment", "completion_date", [3]string{"SelfAssessmentSameAsParent", "SelfAssessment", "SelfAssessmentCompletionDate"}, [3]string{}},
}

func buildFields() []field {
	fs := []field{
		{path: "certificate_name", section: secCert, key: keyName, column: "Certificate Name"},
		{path: "ca_owner", section: secCert, key: keyCAOwner, column: colCAOwner},
		{path: "subordinate_ca_owner", section: secCert, key: "SubordinateCAOwner", column: colSubOwner},
		{path: "technically_constrained", section: secCert, key: "ConsentforTechnicallyConstrainedCert", kind: boolean},
		{path: "revocation.status", section: secRevoke, key: "RevocationStatus", column: "Revocation Status", kind: revocationStatus},
		{path: "revocation.date", section: secRevoke, key: "DateOfRevocation", kind: date},
		{path: "revocation.reason", section: secRevoke, key: "RevocationReasonCode"},
		{path: "revocation.alternate_crl", section: secRevoke, key: "AlternateCRL"},
		{path: "ca_information.recognized_caa_domains", section: secOther, key: "RecognizedCAADomains"},
		{path: "ca_information.problem_reporting_mechanism", section: secOther, key: "ProblemReportingMechanism"},
		{path: "crls.full", section: secIssued, key: "JSONArrayofAllFullCRLURLs", column: "JSON Array of All Full CRL URLs", kind: list},
		{path: "crls.partitioned", section: secIssued, key: "JSONArrayofPartitionedCRLs", column: "JSON Array of Partitioned CRLs", kind: list},
		{path: "issuance.cabf_policy_identifier", section: secIssued, key: "CABForumCertificatePolicyIdentifier"},
	}
	for _, v := range validations {
		fs = append(fs, field{path: "issuance.acme_endpoints." + v.path, section: secIssued, key: v.wire + "ACMEEndpoints", column: v.wire + " ACME Directory URL(s)"})
	}
	for _, v := range validations {
		fs = append(fs, field{path: "issuance.other_automated_solutions." + v.path, section: secIssued, key: "Other" + v.wire + "AutomatedSolutionDescription"})
	}
	for _, v := range validations {
		fs = append(fs, field{path: "issuance.automated_test_websites." + v.path, section: secIssued, key: v.wire + "AutomatedTestCertificateWebsite"})
	}
	fs = append(fs,
		field{path: "auditor.name", section: secAuditor, key: "Auditor", column: "Audit Firm"},
		field{path: "auditor.location", section: secAuditor, key: "AuditorLocation", column: "Audit Firm Location"},
		field{path: "audits.same_as_parent", section: secAudit, key: "AuditSameAsParent", column: "Audits Same as Parent", kind: boolean},
	)
	for _, a := range auditSlots {
		p := "audits." + a.path + "."
		fs = append(fs,
			field{path: p + "url", section: secAudit, key: a.wire + "Audit", column: a.column + " URL"},
			field{path: p + "type", section: secAudit, key: a.wire + "AuditType", column: a.column + " Type"},
			field{path: p + "statement_date", section: secAudit, key: a.wire + "AuditStatementDate", column: a.column + " Statement Date", kind: date},
			field{path: p + "period_start", section: secAudit, key: a.wire + "AuditPeriodStartDate", column: a.column + " Period Start Date", kind: date},
			field{path: p + "period_end", section: secAudit, key: a.wire + "AuditPeriodEndDate", column: a.column + " Period End Date", kind: date},
		)
	}
	fs = append(fs,
		field{path: "policy.documentation", section: secDocs, key: "PolicyDocumentation", column: "Policy Documentation"},
		field{path: "policy.repository", section: secDocs, key: "DocumentRepository", column: "CA Document Repository"},
	)
	for _, d := range documentSlots {
		p := "policy." + d.path + "."
		fs = append(fs,
			field{path: p + "same_as_parent", section: secDocs, key: d.wire[0], column: d.column[0], kind: boolean},
			field{path: p + "url", section: secDocs, key: d.wire[1], column: d.column[1]},
			field{path: p + d.datePath, section: secDocs, key: d.wire[2], column: d.column[2], kind: date},
		)
	}
	fs = append(fs,
		field{path: "description", key: "Description"},
		field{path: "public_comments", key: "PublicComments"},
	)
	return fs
}

// fieldByPath indexes the catalogue.
func fieldByPath() map[string]field {
	m := make(map[string]field, len(fields))
	for _, f := range fields {
		m[f.path] = f
	}
	return m
}
