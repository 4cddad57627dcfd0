package inventory

import (
	"crypto/x509"
)

// CCADB is the `ccadb` section: intermediate-certificate records in the
// Common CA Database. Every field of AddUpdateIntermediateCertAPI can be
// expressed; a field left out is not managed.
type CCADB struct {
	Pos Pos
	// Defaults apply to every intermediate that does not set the field itself.
	Defaults *CCADBRecord `yaml:"defaults"`
	// Intermediates are the records certsync keeps in the CCADB.
	Intermediates []CCADBIntermediate `yaml:"intermediates"`
}

// CCADBIntermediate is one intermediate certificate record.
type CCADBIntermediate struct {
	Pos Pos
	// Name is the record's key in plans and --target
	// (ccadb/intermediate/NAME); default: the certificate's subject CN.
	Name String `yaml:"name"`
	// Certificate is a PEM file (relative to the inventory) or an inline PEM,
	// with line breaks or flattened to one line.
	Certificate String `yaml:"certificate"`
	// Parent is the PEM of the certificate that signed Certificate; needed to
	// add the record, and it must already be in the CCADB (or in this file).
	Parent String `yaml:"parent"`

	CCADBRecord `yaml:",inline"`

	// Cert and ParentCert are the parsed certificates, set by Load.
	Cert       *x509.Certificate `yaml:"-"`
	ParentCert *x509.Certificate `yaml:"-"`
}

// CCADBRecord holds the record's fields, grouped like the API's JSON.
type CCADBRecord struct {
	// CertificateName is IntermediateCertificateName; default: subject CN.
	CertificateName    String `yaml:"certificate_name"`
	CAOwner            String `yaml:"ca_owner"`
	SubordinateCAOwner String `yaml:"subordinate_ca_owner"`
	// TechnicallyConstrained is ConsentforTechnicallyConstrainedCert.
	TechnicallyConstrained Bool `yaml:"technically_constrained"`

	Revocation    CCADBRevocation `yaml:"revocation"`
	CAInformation CCADBOtherCA    `yaml:"ca_information"`
	CRLs          CCADBCRLs       `yaml:"crls"`
	Auditor       CCADBAuditor    `yaml:"auditor"`
	Audits        CCADBAudits     `yaml:"audits"`
	Policy        CCADBPolicy     `yaml:"policy"`

	Description    String `yaml:"description"`
	PublicComments String `yaml:"public_comments"`
}

// CCADBRevocation is RevocationInformation.
type CCADBRevocation struct {
	Pos Pos
	// Status is "" (not revoked) or "Revoked".
	Status String `yaml:"status"`
	// Date is DateOfRevocation, yyyy-MM-dd.
	Date String `yaml:"date"`
	// Reason is RevocationReasonCode, spelled as the CCADB spells it,
	// e.g. "(1) keyCompromise".
	Reason       String `yaml:"reason"`
	AlternateCRL String `yaml:"alternate_crl"`
}

// CCADBOtherCA is OtherCAInformation.
type CCADBOtherCA struct {
	RecognizedCAADomains      String `yaml:"recognized_caa_domains"`
	ProblemReportingMechanism String `yaml:"problem_reporting_mechanism"`
}

// CCADBCRLs is PertainingToCertificatesIssued.
type CCADBCRLs struct {
	// Full is FullCRLIssuedByThisCA: one URL, or "" to clear.
	Full String `yaml:"full"`
	// Partitioned is JSONArrayofPartitionedCRLs; [] resets it, [""] means
	// "not yet issuing".
	Partitioned Strings `yaml:"partitioned"`
}

// CCADBAuditor is AuditorInformation.
type CCADBAuditor struct {
	Name     String `yaml:"name"`
	Location String `yaml:"location"`
}

// CCADBAudits is AuditInformation: five audit slots.
type CCADBAudits struct {
	SameAsParent  Bool       `yaml:"same_as_parent"`
	Standard      CCADBAudit `yaml:"standard"`
	CodeSigning   CCADBAudit `yaml:"code_signing"`
	BR            CCADBAudit `yaml:"br"`
	EVSSL         CCADBAudit `yaml:"ev_ssl"`
	EVCodeSigning CCADBAudit `yaml:"ev_code_signing"`
}

// CCADBAudit is one audit slot; dates are yyyy-MM-dd.
type CCADBAudit struct {
	Pos           Pos
	URL           String `yaml:"url"`
	Type          String `yaml:"type"`
	StatementDate String `yaml:"statement_date"`
	PeriodStart   String `yaml:"period_start"`
	PeriodEnd     String `yaml:"period_end"`
}

// CCADBPolicy is PolicyInformation.
type CCADBPolicy struct {
	SameAsParent      Bool   `yaml:"same_as_parent"`
	Documentation     String `yaml:"documentation"`
	Repository        String `yaml:"repository"`
	CertificatePolicy String `yaml:"certificate_policy"`
	PracticeStatement String `yaml:"practice_statement"`
	LastUpdated       String `yaml:"last_updated"`
}
