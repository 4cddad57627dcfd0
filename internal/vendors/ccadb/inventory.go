package ccadb

import (
	"crypto/x509"

	"github.com/certsync/certsync/internal/inventory"
)

// Section is the `ccadb` section: intermediate-certificate records in the
// Common CA Database. Every field of AddUpdateIntermediateCertAPI can be
// expressed; a field left out is not managed.
type Section struct {
	Pos inventory.Pos
	// Defaults apply to every intermediate that does not set the field itself.
	Defaults *Record `yaml:"defaults"`
	// Intermediates are the records certsync keeps in the CCADB.
	Intermediates []Intermediate `yaml:"intermediates"`
}

// Intermediate is one intermediate certificate record.
type Intermediate struct {
	Pos inventory.Pos
	// Name is the record's key in plans and --target
	// (ccadb/intermediate/NAME); default: the certificate's subject CN.
	Name inventory.String `yaml:"name"`
	// Certificate is a PEM file (relative to the inventory) or an inline PEM,
	// with line breaks or flattened to one line.
	Certificate inventory.String `yaml:"certificate"`
	// Parent is the PEM of the certificate that signed Certificate; needed to
	// add the record, and it must already be in the CCADB (or in this file).
	Parent inventory.String `yaml:"parent"`

	Record `yaml:",inline"`

	// CertSHA256 is the certificate's SHA-256 fingerprint, set by Load once
	// it checked the certificate. Only the fingerprint is kept: a plan
	// needs nothing else, and apply reads the certificate again
	// (CertificateDER), refusing one that changed since. Keeping the DER
	// of every intermediate was 3 MB at 3,334; a parsed certificate would
	// be 4 KB each. ParentCert is the parsed parent, set by Load;
	// intermediates with the same parent share it.
	CertSHA256 string            `yaml:"-"`
	ParentCert *x509.Certificate `yaml:"-"`
}

// Record holds the record's fields, grouped like the API's JSON. The keys
// follow AddUpdateIntermediateCertAPI as documented on 2026-03-20; keys of
// the older API are refused with the key that replaces them.
type Record struct {
	// CertificateName is IntermediateCertificateName; default: subject CN.
	CertificateName    inventory.String `yaml:"certificate_name"`
	CAOwner            inventory.String `yaml:"ca_owner"`
	SubordinateCAOwner inventory.String `yaml:"subordinate_ca_owner"`
	// TechnicallyConstrained is ConsentforTechnicallyConstrainedCert.
	TechnicallyConstrained inventory.Bool `yaml:"technically_constrained"`

	Revocation    Revocation `yaml:"revocation"`
	CAInformation OtherCA    `yaml:"ca_information"`
	CRLs          CRLs       `yaml:"crls"`
	Issuance      *Issuance  `yaml:"issuance,group"` // a pointer, like Audits and Policy
	Auditor       Auditor    `yaml:"auditor"`
	// Audits, Policy and Issuance, the largest groups (four fifths of a
	// Record), are pointers: an intermediate that takes them from
	// ccadb.defaults shares the defaults' group instead of holding a copy
	// (about 9 MB at 3,334 intermediates). Load leaves none of them nil; a
	// group shared with the defaults or another item is never written to.
	// (`group`: written, each must be a mapping, as a struct would.)
	Audits *Audits `yaml:"audits,group"`
	Policy *Policy `yaml:"policy,group"`

	Description    inventory.String `yaml:"description"`
	PublicComments inventory.String `yaml:"public_comments"`
}

// Revocation is RevocationInformation.
type Revocation struct {
	Pos inventory.Pos
	// Status is "" (not revoked) or "Revoked".
	Status inventory.String `yaml:"status"`
	// Date is DateOfRevocation, yyyy-MM-dd.
	Date inventory.String `yaml:"date"`
	// Reason is RevocationReasonCode, spelled as the CCADB spells it,
	// e.g. "(1) keyCompromise".
	Reason       inventory.String `yaml:"reason"`
	AlternateCRL inventory.String `yaml:"alternate_crl"`
}

// OtherCA is OtherCAInformation.
type OtherCA struct {
	RecognizedCAADomains      inventory.String `yaml:"recognized_caa_domains"`
	ProblemReportingMechanism inventory.String `yaml:"problem_reporting_mechanism"`
}

// CRLs are the two CRL lists of PertainingToCertificatesIssued.
type CRLs struct {
	// Full is JSONArrayofAllFullCRLURLs: every full CRL URL. [] resets it.
	Full inventory.Strings `yaml:"full" retired_scalar:"crls.full is now a list of every full CRL URL (the API's JSONArrayofAllFullCRLURLs replaced FullCRLIssuedByThisCA in March 2026); write full: [\"http://crl.example/ca.crl\"]"`
	// Partitioned is JSONArrayofPartitionedCRLs; [] resets it, [""] means
	// "not yet issuing", which the CCADB requires of a CA that issues none.
	Partitioned inventory.Strings `yaml:"partitioned"`
}

// Issuance is the rest of PertainingToCertificatesIssued: the CA/Browser
// Forum policy identifier and, per validation type, the ACME endpoints,
// other automated solutions and automated test certificate websites.
type Issuance struct {
	// CABForumPolicyIdentifier is CABForumCertificatePolicyIdentifier, one of
	// the CCADB's values (e.g. "2.23.140.1.2.1").
	CABForumPolicyIdentifier inventory.String `yaml:"cabf_policy_identifier"`
	// ACMEEndpoints are DV/OV/EV/IVACMEEndpoints.
	ACMEEndpoints PerValidation `yaml:"acme_endpoints"`
	// OtherAutomatedSolutions are OtherDV/OV/EV/IVAutomatedSolutionDescription.
	OtherAutomatedSolutions PerValidation `yaml:"other_automated_solutions"`
	// AutomatedTestWebsites are DV/OV/EV/IVAutomatedTestCertificateWebsite.
	AutomatedTestWebsites PerValidation `yaml:"automated_test_websites"`
}

// PerValidation is one value per validation type.
type PerValidation struct {
	DV inventory.String `yaml:"dv"`
	OV inventory.String `yaml:"ov"`
	EV inventory.String `yaml:"ev"`
	IV inventory.String `yaml:"iv"`
}

// Auditor is AuditorInformation.
type Auditor struct {
	Name     inventory.String `yaml:"name"`
	Location inventory.String `yaml:"location"`
}

// Audits is AuditInformation: the seven audits of today's API.
type Audits struct {
	Pos          inventory.Pos
	SameAsParent inventory.Bool `yaml:"same_as_parent"`
	Standard     Audit          `yaml:"standard"`
	NetSec       Audit          `yaml:"netsec"`
	TLSBR        Audit          `yaml:"tls_br"`
	TLSEVG       Audit          `yaml:"tls_evg"`
	CodeSigning  Audit          `yaml:"code_signing"`
	SMIME        Audit          `yaml:"smime"`
	VMC          Audit          `yaml:"vmc"`

	// Retired in 2024, when the CCADB renamed its audits.
	BR            struct{} `yaml:"br" retired:"the CCADB's BRAudit became TLSBRAudit; use audits.tls_br"`
	EVSSL         struct{} `yaml:"ev_ssl" retired:"the CCADB's EVSSLAudit became TLSEVGAudit; use audits.tls_evg"`
	EVCodeSigning struct{} `yaml:"ev_code_signing" retired:"the CCADB merged EVCodeSigningAudit into CodeSigningAudit; use audits.code_signing"`
}

// Audit is one audit slot; dates are yyyy-MM-dd.
type Audit struct {
	Pos           inventory.Pos
	URL           inventory.String `yaml:"url"`
	Type          inventory.String `yaml:"type"`
	StatementDate inventory.String `yaml:"statement_date"`
	PeriodStart   inventory.String `yaml:"period_start"`
	PeriodEnd     inventory.String `yaml:"period_end"`
}

// Policy is NonAuditDocumentInformation.
type Policy struct {
	// Documentation is PolicyDocumentation (text).
	Documentation inventory.String `yaml:"documentation"`
	// Repository is DocumentRepository.
	Repository inventory.String `yaml:"repository"`
	// CP is the certificate policy.
	CP Document `yaml:"cp"`
	// CPS is the certification practice statement.
	CPS Document `yaml:"cps"`
	// CPCPS is a combined CP/CPS (CertificatePracticeAndPolicyStatement).
	CPCPS Document `yaml:"cp_cps"`
	// MarkdownCPCPS is the Markdown or AsciiDoc CP/CPS.
	MarkdownCPCPS Document `yaml:"markdown_cp_cps"`
	// SelfAssessment is the CA's self-assessment.
	SelfAssessment SelfAssessment `yaml:"self_assessment"`

	// Retired with PolicyInformation in 2024-2025.
	SameAsParent      struct{} `yaml:"same_as_parent" retired:"each document has its own flag now; use policy.cp_cps.same_as_parent (or cp, cps, markdown_cp_cps, self_assessment)"`
	CertificatePolicy struct{} `yaml:"certificate_policy" retired:"use policy.cp.url (with policy.cp.effective_date)"`
	PracticeStatement struct{} `yaml:"practice_statement" retired:"use policy.cps.url (with policy.cps.effective_date)"`
	LastUpdated       struct{} `yaml:"last_updated" retired:"the CCADB's CPCPSLastUpdatedDate became an effective date per document; use policy.cp_cps.effective_date (or cp, cps, markdown_cp_cps)"`
}

// Document is one policy document: its same-as-parent flag, its link and
// its effective date (yyyy-MM-dd). A link needs its date and a date its
// link.
type Document struct {
	Pos           inventory.Pos
	SameAsParent  inventory.Bool   `yaml:"same_as_parent"`
	URL           inventory.String `yaml:"url"`
	EffectiveDate inventory.String `yaml:"effective_date"`
}

// SelfAssessment is the self-assessment document, dated by completion.
type SelfAssessment struct {
	Pos            inventory.Pos
	SameAsParent   inventory.Bool   `yaml:"same_as_parent"`
	URL            inventory.String `yaml:"url"`
	CompletionDate inventory.String `yaml:"completion_date"`
}

// Spec is the section's entry for inventory.Parse.
func Spec() inventory.SectionSpec {
	return inventory.SectionSpec{Key: Name, New: func() inventory.Section { return &Section{} }, Schema: schemaHints()}
}

// SectionOf returns the inventory's ccadb section, or nil.
func SectionOf(inv *inventory.Inventory) *Section {
	s, _ := inv.Section(Name).(*Section)
	return s
}

func schemaHints() inventory.SchemaHints {
	h := inventory.SchemaHints{
		Required: map[string][]string{"ccadb.intermediates[]": {"certificate", "parent"}},
		Docs: map[string]string{
			"ccadb":                                  "Intermediate-certificate records in the CCADB (AddUpdateIntermediateCertAPI as documented on 2026-03-20).",
			"ccadb.defaults":                         "Fields that apply to every intermediate that does not set them itself. Audits and documents an intermediate marks same_as_parent are not inherited.",
			"ccadb.intermediates[].name":             "Key in plans and --target (ccadb/intermediate/NAME). Default: the certificate's subject CN.",
			"ccadb.intermediates[].certificate":      "PEM file (relative to the inventory) or inline PEM; one-line PEM accepted.",
			"ccadb.intermediates[].parent":           "PEM of the certificate that signed it.",
			"ccadb.intermediates[].crls.full":        "JSONArrayofAllFullCRLURLs: every full CRL URL; [] resets it.",
			"ccadb.intermediates[].crls.partitioned": "JSONArrayofPartitionedCRLs: [] resets it, [\"\"] means not yet issuing (required then).",
		},
		Enums: []inventory.Enum{
			{Suffix: ".revocation.status", Values: []string{"", "Revoked"}},
			{Suffix: ".revocation.reason", Values: RevocationReasons},
		},
	}
	return h
}

// each lists the four values with their keys.
func (p PerValidation) each() []struct {
	key string
	s   inventory.String
} {
	return []struct {
		key string
		s   inventory.String
	}{{"dv", p.DV}, {"ov", p.OV}, {"ev", p.EV}, {"iv", p.IV}}
}
