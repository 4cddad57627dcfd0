package ccadbsim

import (
	"fmt"
	"net/http"
	"strings"
)

// Canonical field names: the keys of Record.Fields. They are seed 001's
// class-definition names with the vendor-notes corrections.
const (
	FieldConsentTechnicallyConstrained = "ConsentforTechnicallyConstrainedCert" // "true"/"false"
	FieldRevocationStatus              = "RevocationStatus"
	FieldDateOfRevocation              = "DateOfRevocation"
	FieldRevocationReasonCode          = "RevocationReasonCode"
	FieldAlternateCRL                  = "AlternateCRL"
	FieldRecognizedCAADomains          = "RecognizedCAADomains"
	FieldProblemReportingMechanism     = "ProblemReportingMechanism"
	FieldFullCRL                       = "FullCRLIssuedByThisCA"
	FieldPartitionedCRLs               = "JSONArrayofPartitionedCRLs" // compact JSON array text
	FieldAuditor                       = "Auditor"
	FieldAuditorLocation               = "AuditorLocation"
	FieldAuditSameAsParent             = "AuditSameAsParent" // "true"/"false"
	FieldCPCPSSameAsParent             = "CPCPSSameAsParent" // "true"/"false"
	FieldPolicyDocumentation           = "PolicyDocumentation"
	FieldDocumentRepository            = "DocumentRepository"
	FieldCertificatePolicy             = "CertificatePolicy"
	FieldCertificationPracticeStmt     = "CertificationPracticeStatement"
	FieldCPCPSLastUpdatedDate          = "CPCPSLastUpdatedDate"
	FieldDescription                   = "Description"
	FieldPublicComments                = "PublicComments"
)

// auditKinds are the five audits of the API, in document order; each has
// the fields AuditField(kind, suffix) for every suffix in auditSuffixes.
var (
	auditKinds    = []string{"Standard", "CodeSigning", "BR", "EVSSL", "EVCodeSigning"}
	auditSuffixes = []string{"", "Type", "StatementDate", "PeriodStartDate", "PeriodEndDate"}
)

// AuditField returns the canonical name of one audit field, e.g.
// AuditField("BR", "StatementDate") = "BRAuditStatementDate". kind is one of
// "Standard", "CodeSigning", "BR", "EVSSL", "EVCodeSigning"; suffix one of "",
// "Type", "StatementDate", "PeriodStartDate", "PeriodEndDate".
func AuditField(kind, suffix string) string { return kind + "Audit" + suffix }

// auditAliases are the 2024 names of two audit kinds (vendor notes §2.2).
var auditAliases = map[string]string{"BR": "TLSBR", "EVSSL": "TLSEVG"}

// Pseudo-fields of a request that are not kept in Record.Fields.
const (
	reqRecordID        = "SalesforceRecordId"
	reqCAOwner         = "CAOwner"
	reqSubordinate     = "SubordinateCAOwner"
	reqName            = "IntermediateCertificateName"
	reqPEM             = "IntermediateCertPEM"
	reqParentPEM       = "ParentCertPEM"
	reqAllFullCRLURLs  = "JSONArrayofAllFullCRLURLs" // 2026: its first URL becomes FullCRLIssuedByThisCA
	reqGetPEM          = "PEM"
	reqGetSHA256       = "SHA256"
	reqGetRecordType   = "RecordType"
	maxPartitionedCRLs = 20000 // characters of compact JSON
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

func str(name string, alias ...string) fieldSpec {
	return fieldSpec{name: name, keys: append([]string{name}, alias...)}
}

func boolean(name string) fieldSpec {
	return fieldSpec{name: name, keys: []string{name}, kind: kindBool}
}

func list(name string, alias ...string) fieldSpec {
	return fieldSpec{name: name, keys: append([]string{name}, alias...), kind: kindList}
}

// addUpdateSchema is the AddUpdateIntermediateCertAPI request, with every
// spelling from seed 000, seed 001 and the later README versions the vendor
// notes trace (§2.2): misspellings, the 2024 audit and section names, the
// 2025 "EffectiveDate" and the 2026 full-CRL array.
var addUpdateSchema = []sectionSpec{
	{name: "CertificateInformation", keys: []string{"CertificateInformation"}, fields: []fieldSpec{
		str(reqRecordID),
		str(reqCAOwner),
		str(reqSubordinate),
		str(reqName, "IntermediateCertName"),
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
	{name: "PertainingToCertificatesIssued", keys: []string{"PertainingToCertificatesIssued"}, fields: []fieldSpec{
		str(FieldFullCRL),
		list(FieldPartitionedCRLs, "JSONArrayofPartitionedCRLsByCA"),
		list(reqAllFullCRLURLs),
	}},
	{name: "AuditorInformation", keys: []string{"AuditorInformation"}, fields: []fieldSpec{
		str(FieldAuditor),
		str(FieldAuditorLocation),
	}},
	{name: "AuditInformation", keys: []string{"AuditInformation"}, fields: auditFieldSpecs()},
	{name: "PolicyInformation", keys: []string{"PolicyInformation", "NonAuditDocumentInformation", "NonAuditDocumentationInformation"}, fields: []fieldSpec{
		boolean(FieldCPCPSSameAsParent),
		str(FieldPolicyDocumentation),
		str(FieldDocumentRepository, "DocumentRepositatory"),
		str(FieldCertificatePolicy),
		str(FieldCertificationPracticeStmt),
		str(FieldCPCPSLastUpdatedDate, "CPCPSEffectiveDate"),
	}},
	{name: "AddUpdateIntermediateCertAPI", fields: []fieldSpec{
		str(FieldDescription),
		str(FieldPublicComments),
	}},
}

func auditFieldSpecs() []fieldSpec {
	specs := []fieldSpec{boolean(FieldAuditSameAsParent)}
	for _, kind := range auditKinds {
		for _, suf := range auditSuffixes {
			f := str(AuditField(kind, suf))
			if alias, ok := auditAliases[kind]; ok {
				f.keys = append(f.keys, AuditField(alias, suf))
			}
			specs = append(specs, f)
		}
	}
	return specs
}

// getIDSchema is the GetCertificateIdAPI request.
var getIDSchema = []sectionSpec{
	{name: "GetCertificateIdAPI", fields: []fieldSpec{str(reqGetPEM), str(reqGetSHA256), str(reqGetRecordType)}},
}

// requestOnly are the request fields that are record attributes or feed
// another field, not entries of Record.Fields.
var requestOnly = map[string]bool{
	reqRecordID: true, reqCAOwner: true, reqSubordinate: true, reqName: true,
	reqPEM: true, reqParentPEM: true, reqAllFullCRLURLs: true,
}

// storedFields are the canonical Record.Fields keys, in request order.
var storedFields = FieldNames()

// FieldNames returns every canonical Record.Fields key, in request order.
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
// type is a JSON_PARSER_ERROR. When a field is sent under several spellings,
// a later non-null value wins and null never overrides a value.
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
