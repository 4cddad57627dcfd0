package ccadbsim

import (
	"fmt"
	"net/http"
	"strings"
)

// Canonical field names: the keys of Record.Fields, spelt exactly as the
// AddUpdateIntermediateCertAPI request keys of the CCADB documentation of
// 2026-03-20 (mozilla/CCADB-Tools, API_AddUpdateIntermediateCert/README.md).
// Keys of earlier versions of the API (FullCRLIssuedByThisCA, the BR, EVSSL
// and EVCodeSigning audits, the PolicyInformation section,
// CPCPSLastUpdatedDate and the other *LastUpdatedDate, the misspellings
// JSONArrayofPartitionedCRLsByCA, DocumentRepositatory and
// IntermediateCertName) are not part of the schema: like Apex's typed JSON
// deserialisation, the API ignores them, reports Success and changes
// nothing.
const (
	FieldConsentTechnicallyConstrained = "ConsentforTechnicallyConstrainedCert" // "true"/"false"
	FieldRevocationStatus              = "RevocationStatus"
	FieldDateOfRevocation              = "DateOfRevocation"
	FieldRevocationReasonCode          = "RevocationReasonCode"
	FieldAlternateCRL                  = "AlternateCRL"
	FieldRecognizedCAADomains          = "RecognizedCAADomains"
	FieldProblemReportingMechanism     = "ProblemReportingMechanism"
	// FieldAllFullCRLURLs and FieldPartitionedCRLs hold compact JSON array
	// text, e.g. ["http://crl.example/1.crl"].
	FieldAllFullCRLURLs      = "JSONArrayofAllFullCRLURLs"
	FieldPartitionedCRLs     = "JSONArrayofPartitionedCRLs"
	FieldCABForumPolicyID    = "CABForumCertificatePolicyIdentifier"
	FieldAuditor             = "Auditor"
	FieldAuditorLocation     = "AuditorLocation"
	FieldAuditSameAsParent   = "AuditSameAsParent" // "true"/"false"
	FieldPolicyDocumentation = "PolicyDocumentation"
	FieldDocumentRepository  = "DocumentRepository"
	FieldDescription         = "Description"
	FieldPublicComments      = "PublicComments"
)

// validationKinds are the kind arguments of ACMEField,
// AutomatedSolutionField and TestWebsiteField, in document order.
var validationKinds = []string{"DV", "OV", "EV", "IV"}

// ACMEField returns the ACME directory field of a validation kind ("DV",
// "OV", "EV" or "IV"), e.g. "DVACMEEndpoints".
func ACMEField(kind string) string { return kind + "ACMEEndpoints" }

// AutomatedSolutionField returns the other-automated-solution description
// field of a validation kind, e.g. "OtherDVAutomatedSolutionDescription".
func AutomatedSolutionField(kind string) string {
	return "Other" + kind + "AutomatedSolutionDescription"
}

// TestWebsiteField returns the automated test certificate website field of a
// validation kind, e.g. "DVAutomatedTestCertificateWebsite".
func TestWebsiteField(kind string) string { return kind + "AutomatedTestCertificateWebsite" }

// AuditKinds returns the seven audits of today's API, in document order. Each
// has the fields AuditField(kind, suffix) for the suffixes "", "Type",
// "StatementDate", "PeriodStartDate" and "PeriodEndDate".
func AuditKinds() []string { return append([]string(nil), auditKinds...) }

var (
	auditKinds    = []string{"Standard", "NetSec", "TLSBR", "TLSEVG", "CodeSigning", "SMIME", "VMC"}
	auditSuffixes = []string{"", "Type", "StatementDate", "PeriodStartDate", "PeriodEndDate"}
)

// AuditField returns the name of one audit field, e.g.
// AuditField("TLSBR", "StatementDate") = "TLSBRAuditStatementDate". kind is
// one of AuditKinds(); suffix one of "", "Type", "StatementDate",
// "PeriodStartDate", "PeriodEndDate".
func AuditField(kind, suffix string) string { return kind + "Audit" + suffix }

// Document is one document of NonAuditDocumentInformation: its same-as-parent
// flag, its link and the date that must accompany the link.
type Document struct {
	SameAsParent, Link, Date string
}

// Documents returns the five documents of NonAuditDocumentInformation, in
// document order: CP, CPS, combined CP/CPS, Markdown-or-AsciiDoc CP/CPS and
// the self-assessment (whose date is a completion date).
func Documents() []Document { return append([]Document(nil), documents...) }

var documents = []Document{
	{"CPSameAsParent", "CertificatePolicy", "CPEffectiveDate"},
	{"CPSSameAsParent", "CertificationPracticeStatement", "CPSEffectiveDate"},
	{"CPCPSSameAsParent", "CertificatePracticeAndPolicyStatement", "CPCPSEffectiveDate"},
	{"MarkdownOrAsciiDocCPCPSSameAsParent", "MarkdownOrAsciiDocCPCPS", "MarkdownOrAsciiDocCPCPSEffectiveDate"},
	{"SelfAssessmentSameAsParent", "SelfAssessment", "SelfAssessmentCompletionDate"},
}

// Pseudo-fields of a request that are not kept in Record.Fields.
const (
	reqRecordID      = "SalesforceRecordId"
	reqCAOwner       = "CAOwner"
	reqSubordinate   = "SubordinateCAOwner"
	reqName          = "IntermediateCertificateName"
	reqPEM           = "IntermediateCertPEM"
	reqParentPEM     = "ParentCertPEM"
	reqGetPEM        = "PEM"
	reqGetSHA256     = "SHA256"
	reqGetRecordType = "RecordType"
	// maxCRLList is the limit of each CRL array, in characters of compact
	// JSON (README 2026-01-28 onwards).
	maxCRLList = 100_000
)

type fieldKind int

const (
	kindString fieldKind = iota
	kindBool
	kindList
)

func (k fieldKind) apexType() string {
	switch k {
	case kindBool:
		return "Boolean"
	case kindList:
		return "List<String>"
	}
	return "String"
}

// fieldSpec is one request field: the canonical name it decodes to and every
// key spelling a document shows for it (matched case-insensitively).
type fieldSpec struct {
	name string
	keys []string
	kind fieldKind
}

// sectionSpec is a nested object of the request (or, with no keys, the top
// level) and the fields it holds.
type sectionSpec struct {
	name   string   // canonical class name, for type-mismatch messages
	keys   []string // accepted spellings; nil = top level
	fields []fieldSpec
}

func str(name string) fieldSpec { return fieldSpec{name: name, keys: []string{name}} }

func boolean(name string) fieldSpec {
	return fieldSpec{name: name, keys: []string{name}, kind: kindBool}
}

func list(name string) fieldSpec {
	return fieldSpec{name: name, keys: []string{name}, kind: kindList}
}

// addUpdateSchema is the AddUpdateIntermediateCertAPI request of the
// documentation of 2026-03-20, every field, in document order. The
// SalesforceRecordId key is that version's (a later one renames it).
var addUpdateSchema = []sectionSpec{
	{name: "CertificateInformation", keys: []string{"CertificateInformation"}, fields: []fieldSpec{
		str(reqRecordID),
		str(reqCAOwner),
		str(reqSubordinate),
		str(reqName),
		str(reqPEM),
		str(reqParentPEM),
		boolean(FieldConsentTechnicallyConstrained),
	}},
	{name: "RevocationInformation", keys: []string{"RevocationInformation"}, fields: []fieldSpec{
		str(FieldRevocationStatus),
		str(FieldDateOfRevocation),
		str(FieldRevocationReasonCode),
		str(FieldAlternateCRL),
	}},
	{name: "OtherCAInformation", keys: []string{"OtherCAInformation"}, fields: []fieldSpec{
		str(FieldRecognizedCAADomains),
		str(FieldProblemReportingMechanism),
	}},
	{name: "PertainingToCertificatesIssued", keys: []string{"PertainingToCertificatesIssued"}, fields: pertainingFieldSpecs()},
	{name: "AuditorInformation", keys: []string{"AuditorInformation"}, fields: []fieldSpec{
		str(FieldAuditor),
		str(FieldAuditorLocation),
	}},
	{name: "AuditInformation", keys: []string{"AuditInformation"}, fields: auditFieldSpecs()},
	{name: "NonAuditDocumentInformation", keys: []string{"NonAuditDocumentInformation"}, fields: documentFieldSpecs()},
	{name: "AddUpdateIntermediateCertAPI", fields: []fieldSpec{
		str(FieldDescription),
		str(FieldPublicComments),
	}},
}

func pertainingFieldSpecs() []fieldSpec {
	specs := []fieldSpec{list(FieldAllFullCRLURLs), list(FieldPartitionedCRLs), str(FieldCABForumPolicyID)}
	for _, field := range []func(string) string{ACMEField, AutomatedSolutionField, TestWebsiteField} {
		for _, kind := range validationKinds {
			specs = append(specs, str(field(kind)))
		}
	}
	return specs
}

func auditFieldSpecs() []fieldSpec {
	specs := []fieldSpec{boolean(FieldAuditSameAsParent)}
	for _, kind := range auditKinds {
		for _, suf := range auditSuffixes {
			specs = append(specs, str(AuditField(kind, suf)))
		}
	}
	return specs
}

func documentFieldSpecs() []fieldSpec {
	specs := []fieldSpec{str(FieldPolicyDocumentation), str(FieldDocumentRepository)}
	for _, d := range documents {
		specs = append(specs, boolean(d.SameAsParent), str(d.Link), str(d.Date))
	}
	return specs
}

// getIDSchema is the GetCertificateIdAPI request.
var getIDSchema = []sectionSpec{
	{name: "GetCertificateIdAPI", fields: []fieldSpec{str(reqGetPEM), str(reqGetSHA256), str(reqGetRecordType)}},
}

// requestOnly are the request fields that are record attributes, not
// entries of Record.Fields.
var requestOnly = map[string]bool{
	reqRecordID: true, reqCAOwner: true, reqSubordinate: true, reqName: true,
	reqPEM: true, reqParentPEM: true,
}

// listFields are the Record.Fields keys that hold JSON array text.
var listFields = map[string]bool{FieldAllFullCRLURLs: true, FieldPartitionedCRLs: true}

// storedFields are the canonical Record.Fields keys, in request order.
var storedFields = FieldNames()

// FieldNames returns every canonical Record.Fields key, in request order:
// every field of today's AddUpdateIntermediateCertAPI except the record's
// identity (SalesforceRecordId, CAOwner, SubordinateCAOwner,
// IntermediateCertificateName and the two PEMs), which are Record attributes.
func FieldNames() []string {
	var out []string
	for _, sec := range addUpdateSchema {
		for _, f := range sec.fields {
			if !requestOnly[f.name] {
				out = append(out, f.name)
			}
		}
	}
	return out
}

// IgnoredKeys returns the key paths of an AddUpdateIntermediateCertAPI
// request body that today's API does not read, such as
// "PertainingToCertificatesIssued.FullCRLIssuedByThisCA" or "PolicyInformation":
// retired and misspelt keys, which the CCADB silently ignores. Keys are
// matched case-insensitively, like Apex; a section it ignores is reported
// once, not key by key. A body that is not a JSON object is an error. Tests
// use it on Server.Requests to prove a client sends no retired key.
func IgnoredKeys(body []byte) ([]string, error) {
	root, err := parseJSON(body)
	if err != nil {
		return nil, err
	}
	if root.kind != jsonObject {
		return nil, fmt.Errorf("request body is a %s, not a JSON object", root.describe())
	}
	var out []string
	known := func(specs []fieldSpec, key string) bool {
		for _, f := range specs {
			if strings.EqualFold(f.name, key) {
				return true
			}
		}
		return false
	}
	top := addUpdateSchema[len(addUpdateSchema)-1]
keys:
	for i, key := range root.keys {
		if known(top.fields, key) {
			continue
		}
		for _, sec := range addUpdateSchema[:len(addUpdateSchema)-1] {
			if !strings.EqualFold(sec.name, key) {
				continue
			}
			if obj := root.vals[i]; obj.kind == jsonObject {
				for _, k := range obj.keys {
					if !known(sec.fields, k) {
						out = append(out, key+"."+k)
					}
				}
			}
			continue keys
		}
		out = append(out, key)
	}
	return out, nil
}

// reqValue is one decoded request field. A field absent from the request has
// no reqValue at all.
type reqValue struct {
	null bool     // JSON null: "no action"
	s    string   // string, or "true"/"false"/"" for booleans
	list []string // list fields; nil with null
}

// request maps canonical field names to the values the request carries.
type request map[string]reqValue

// given reports whether name was sent with a non-null value.
func (r request) given(name string) bool {
	v, ok := r[name]
	return ok && !v.null
}

// text returns the string value of name ("" when absent or null).
func (r request) text(name string) string { return r[name].s }

// jsonParserError is a 400 JSON_PARSER_ERROR at a byte offset of body.
func jsonParserError(body []byte, off int, msg string) *apexError {
	line, col := position(body, off)
	return &apexError{status: http.StatusBadRequest, code: "JSON_PARSER_ERROR", message: fmt.Sprintf("%s at [line:%d, column:%d]", msg, line, col)}
}

func typeMismatch(body []byte, want string, n *jsonNode) *apexError {
	return jsonParserError(body, n.off, fmt.Sprintf("Expected %s but found %s", want, n.describe()))
}

// decodeRequest parses body against schema the way Apex's typed JSON
// deserialisation does: keys match case-insensitively, unknown keys are
// ignored, scalars are coerced to String, and anything else of the wrong
// type is a JSON_PARSER_ERROR. When a key is sent twice (in two cases), a
// later non-null value wins and null never overrides a value.
func decodeRequest(body []byte, schema []sectionSpec) (request, *apexError) {
	root, err := parseJSON(body)
	if err != nil {
		se := err.(*jsonSyntaxError)
		return nil, jsonParserError(body, se.off, se.msg)
	}
	if root.kind != jsonObject {
		return nil, typeMismatch(body, schema[len(schema)-1].name, root)
	}
	req := request{}
	for _, sec := range schema {
		objs := []*jsonNode{root}
		if sec.keys != nil {
			objs = root.field(sec.keys...)
		}
		for _, obj := range objs {
			if obj.kind == jsonNull {
				continue
			}
			if obj.kind != jsonObject {
				return nil, typeMismatch(body, sec.name, obj)
			}
			for _, f := range sec.fields {
				for _, n := range obj.field(f.keys...) {
					v, aerr := decodeValue(body, f.kind, n)
					if aerr != nil {
						return nil, aerr
					}
					if old, ok := req[f.name]; ok && v.null && !old.null {
						continue
					}
					req[f.name] = v
				}
			}
		}
	}
	return req, nil
}

func decodeValue(body []byte, kind fieldKind, n *jsonNode) (reqValue, *apexError) {
	if n.kind == jsonNull {
		return reqValue{null: true}, nil
	}
	switch kind {
	case kindBool:
		switch {
		case n.kind == jsonBool:
			return reqValue{s: n.text}, nil
		case n.kind == jsonString && n.text == "":
			return reqValue{s: ""}, nil
		case n.kind == jsonString && (strings.EqualFold(n.text, "true") || strings.EqualFold(n.text, "false")):
			return reqValue{s: strings.ToLower(n.text)}, nil
		}
	case kindList:
		switch n.kind {
		case jsonString:
			if n.text == "" { // blank clears, for every field type
				return reqValue{list: []string{}}, nil
			}
		case jsonArray:
			items := make([]string, 0, len(n.items))
			for _, it := range n.items {
				switch it.kind {
				case jsonObject, jsonArray:
					return reqValue{}, typeMismatch(body, "String", it)
				case jsonNull:
					items = append(items, "")
				default:
					items = append(items, it.text)
				}
			}
			return reqValue{list: items}, nil
		}
	default:
		if n.kind != jsonObject && n.kind != jsonArray {
			return reqValue{s: n.text}, nil
		}
	}
	return reqValue{}, typeMismatch(body, kind.apexType(), n)
}
