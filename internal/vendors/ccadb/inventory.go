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

	// Cert and ParentCert are the parsed certificates, set by Load.
	Cert       *x509.Certificate `yaml:"-"`
	ParentCert *x509.Certificate `yaml:"-"`
}

// Record holds the record's fields, grouped like the API's JSON.
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
	Auditor       Auditor    `yaml:"auditor"`
	Audits        Audits     `yaml:"audits"`
	Policy        Policy     `yaml:"policy"`

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

// CRLs is PertainingToCertificatesIssued.
type CRLs struct {
	// Full is FullCRLIssuedByThisCA: one URL, or "" to clear.
	Full inventory.String `yaml:"full"`
	// Partitioned is JSONArrayofPartitionedCRLs; [] resets it, [""] means
	// "not yet issuing".
	Partitioned inventory.Strings `yaml:"partitioned"`
}

// Auditor is AuditorInformation.
type Auditor struct {
	Name     inventory.String `yaml:"name"`
	Location inventory.String `yaml:"location"`
}

// Audits is AuditInformation: five audit slots.
type Audits struct {
	SameAsParent  inventory.Bool `yaml:"same_as_parent"`
	Standard      Audit          `yaml:"standard"`
	CodeSigning   Audit          `yaml:"code_signing"`
	BR            Audit          `yaml:"br"`
	EVSSL         Audit          `yaml:"ev_ssl"`
	EVCodeSigning Audit          `yaml:"ev_code_signing"`
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

// Policy is PolicyInformation.
type Policy struct {
	SameAsParent      inventory.Bool   `yaml:"same_as_parent"`
	Documentation     inventory.String `yaml:"documentation"`
	Repository        inventory.String `yaml:"repository"`
	CertificatePolicy inventory.String `yaml:"certificate_policy"`
	PracticeStatement inventory.String `yaml:"practice_statement"`
	LastUpdated       inventory.String `yaml:"last_updated"`
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
			"ccadb":                                  "Intermediate-certificate records in the CCADB (AddUpdateIntermediateCertAPI).",
			"ccadb.defaults":                         "Fields that apply to every intermediate that does not set them itself.",
			"ccadb.intermediates[].name":             "Key in plans and --target (ccadb/intermediate/NAME). Default: the certificate's subject CN.",
			"ccadb.intermediates[].certificate":      "PEM file (relative to the inventory) or inline PEM; one-line PEM accepted.",
			"ccadb.intermediates[].parent":           "PEM of the certificate that signed it.",
			"ccadb.intermediates[].crls.partitioned": "JSONArrayofPartitionedCRLs: [] resets it, [\"\"] means not yet issuing.",
		},
		Enums: []inventory.Enum{
			{Suffix: ".revocation.status", Values: []string{"", "Revoked"}},
			{Suffix: ".revocation.reason", Values: RevocationReasons},
		},
	}
	for _, slot := range []string{"standard", "code_signing", "br", "ev_ssl", "ev_code_signing"} {
		h.Enums = append(h.Enums, inventory.Enum{Suffix: ".audits." + slot + ".type", Values: AuditTypes})
	}
	return h
}
