package ccadb

// kind says how a field travels on the wire and in the report.
type kind int

const (
	text kind = iota
	date
	boolean
	list
	// fullCRL is FullCRLIssuedByThisCA: one URL on the wire; in the V5 report
	// the first entry of "JSON Array of All Full CRL URLs".
	fullCRL
	// revocationStatus is "" or "Revoked" on the wire; the report computes
	// "Not Revoked" and "Parent Cert Revoked", both of which mean "" here.
	revocationStatus
)

// field maps one inventory path to the AddUpdateIntermediateCertAPI JSON and
// to the public report column that shows its value.
type field struct {
	// path below an intermediate in the inventory, e.g. "audits.br.url".
	path string
	// section and key on the wire; section "" means a top-level key.
	section, key string
	// column in AllCertificateRecordsCSVFormatV5; "" when the report does
	// not carry the field (its live value comes from certsync's own state).
	column string
	// v2Column is the AllCertificateRecordsCSVFormatv2 name, where it differs.
	v2Column string
	kind     kind
}

// The client sends the spellings of the corrected upstream documents
// (vendor notes §2.3): IntermediateCertificateName, DocumentRepository,
// JSONArrayofPartitionedCRLs.
const (
	secCert     = "CertificateInformation"
	secRevoke   = "RevocationInformation"
	secOther    = "OtherCAInformation"
	secIssued   = "PertainingToCertificatesIssued"
	secAuditor  = "AuditorInformation"
	secAudit    = "AuditInformation"
	secPolicy   = "PolicyInformation"
	keyRecordID = "SalesforceRecordId"
	keyName     = "IntermediateCertificateName"
	keyPEM      = "IntermediateCertPEM"
	keyParent   = "ParentCertPEM"
	keyCAOwner  = "CAOwner"
)

var fields = buildFields()

func buildFields() []field {
	fs := []field{
		{path: "certificate_name", section: secCert, key: keyName, column: "Certificate Name"},
		{path: "ca_owner", section: secCert, key: keyCAOwner, column: "CA Owner"},
		{path: "subordinate_ca_owner", section: secCert, key: "SubordinateCAOwner", column: "Subordinate CA Owner"},
		{path: "technically_constrained", section: secCert, key: "ConsentforTechnicallyConstrainedCert", kind: boolean},
		{path: "revocation.status", section: secRevoke, key: "RevocationStatus", column: "Revocation Status", kind: revocationStatus},
		{path: "revocation.date", section: secRevoke, key: "DateOfRevocation", kind: date},
		{path: "revocation.reason", section: secRevoke, key: "RevocationReasonCode"},
		{path: "revocation.alternate_crl", section: secRevoke, key: "AlternateCRL"},
		{path: "ca_information.recognized_caa_domains", section: secOther, key: "RecognizedCAADomains"},
		{path: "ca_information.problem_reporting_mechanism", section: secOther, key: "ProblemReportingMechanism"},
		{path: "crls.full", section: secIssued, key: "FullCRLIssuedByThisCA", column: "JSON Array of All Full CRL URLs", v2Column: "Full CRL Issued By This CA", kind: fullCRL},
		{path: "crls.partitioned", section: secIssued, key: "JSONArrayofPartitionedCRLs", column: "JSON Array of Partitioned CRLs", kind: list},
		{path: "auditor.name", section: secAuditor, key: "Auditor", column: "Audit Firm", v2Column: "Auditor"},
		{path: "auditor.location", section: secAuditor, key: "AuditorLocation", column: "Audit Firm Location"},
		{path: "audits.same_as_parent", section: secAudit, key: "AuditSameAsParent", column: "Audits Same as Parent", v2Column: "Audits Same as Parent?", kind: boolean},
	}
	audits := []struct{ path, wire, column string }{
		{"standard", "Standard", "Standard Audit"},
		{"code_signing", "CodeSigning", "Code Signing Audit"},
		{"br", "BR", "TLS BR Audit"},
		{"ev_ssl", "EVSSL", "TLS EVG Audit"},
		{"ev_code_signing", "EVCodeSigning", ""}, // merged into Code Signing in the 2024 schema; no report column
	}
	for _, a := range audits {
		col := func(suffix string) string {
			if a.column == "" {
				return ""
			}
			return a.column + " " + suffix
		}
		p := "audits." + a.path + "."
		fs = append(fs,
			field{path: p + "url", section: secAudit, key: a.wire + "Audit", column: col("URL")},
			field{path: p + "type", section: secAudit, key: a.wire + "AuditType", column: col("Type")},
			field{path: p + "statement_date", section: secAudit, key: a.wire + "AuditStatementDate", column: col("Statement Date"), kind: date},
			field{path: p + "period_start", section: secAudit, key: a.wire + "AuditPeriodStartDate", column: col("Period Start Date"), kind: date},
			field{path: p + "period_end", section: secAudit, key: a.wire + "AuditPeriodEndDate", column: col("Period End Date"), kind: date},
		)
	}
	fs = append(fs,
		field{path: "policy.same_as_parent", section: secPolicy, key: "CPCPSSameAsParent", column: "CP/CPS Same as Parent", v2Column: "CP/CPS Same as Parent?", kind: boolean},
		field{path: "policy.documentation", section: secPolicy, key: "PolicyDocumentation", column: "Policy Documentation"},
		field{path: "policy.repository", section: secPolicy, key: "DocumentRepository", column: "CA Document Repository"},
		field{path: "policy.certificate_policy", section: secPolicy, key: "CertificatePolicy", column: "Certificate Policy (CP) URL"},
		field{path: "policy.practice_statement", section: secPolicy, key: "CertificationPracticeStatement", column: "Certificate Practice Statement (CPS) URL"},
		field{path: "policy.last_updated", section: secPolicy, key: "CPCPSLastUpdatedDate", column: "CP/CPS Effective Date", v2Column: "CP/CPS Last Updated Date", kind: date},
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
