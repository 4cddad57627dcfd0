package ccadbsim

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/sim"
	"github.com/certsync/certsync/internal/testpki"
)

func parserError(msg string) string {
	return `[{"message":` + string(mustJSON(msg)) + `,"errorCode":"JSON_PARSER_ERROR"}]`
}

func TestJSONParserErrors(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, path, body, want string
	}{
		{"missing colon", AddUpdatePath, `{"CertificateInformation": {"CAOwner" "x"}}`,
			`Unexpected character ('"' (code 34)): was expecting a colon to separate field name and value at [line:1, column:39]`},
		{"not JSON", GetIDPath, `rubbish`,
			`Unrecognized token 'rubbish': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false') at [line:1, column:1]`},
		{"trailing comma", AddUpdatePath, `{"a":1,}`,
			`Unexpected character ('}' (code 125)): was expecting double-quote to start field name at [line:1, column:8]`},
		{"array without comma", AddUpdatePath, `{"a": [1 2]}`,
			`Unexpected character ('2' (code 50)): was expecting comma to separate Array entries at [line:1, column:10]`},
		{"truncated", AddUpdatePath, `{"a": `,
			`Unexpected end-of-input: expected a valid value (number, String, array, object, 'true', 'false' or 'null') at [line:1, column:7]`},
		{"empty", AddUpdatePath, ``, `No content to map due to end-of-input at [line:1, column:1]`},
		{"raw newline in a string", AddUpdatePath, "{\"a\": \"x\ny\"}",
			`Illegal unquoted character ((CTRL-CHAR, code 10)): has to be escaped using backslash to be included in string value at [line:1, column:9]`},
		{"string for a list", AddUpdatePath, "{\n  \"CertificateInformation\": {\n  },\n  \"PertainingToCertificatesIssued\": {\n    \"FullCRLIssuedByThisCA\": null,\n    \"JSONArrayofPartitionedCRLs\": \"888\"\n  }\n}",
			`Expected List<String> but found "888" at [line:6, column:35]`},
		{"object for a string", AddUpdatePath, `{"CertificateInformation":{"CAOwner":{"x":1}}}`,
			`Expected String but found { at [line:1, column:38]`},
		{"string for a section", AddUpdatePath, `{"AuditInformation": "x"}`,
			`Expected AuditInformation but found "x" at [line:1, column:22]`},
		{"number for a boolean", AddUpdatePath, `{"AuditInformation":{"AuditSameAsParent":1}}`,
			`Expected Boolean but found 1 at [line:1, column:42]`},
		{"word for a boolean", AddUpdatePath, `{"CertificateInformation":{"ConsentforTechnicallyConstrainedCert":"yes"}}`,
			`Expected Boolean but found "yes" at [line:1, column:67]`},
		{"object in a list", AddUpdatePath, `{"PertainingToCertificatesIssued":{"JSONArrayofPartitionedCRLs":[{}]}}`,
			`Expected String but found { at [line:1, column:66]`},
		{"array for the request", AddUpdatePath, `[]`,
			`Expected AddUpdateIntermediateCertAPI but found [ at [line:1, column:1]`},
		{"array for a GetCertificateId field", GetIDPath, `{"sha256": ["x"]}`,
			`Expected String but found [ at [line:1, column:12]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := f.post(tt.path, tt.body)
			if want := parserError(tt.want); status != 400 || body != want {
				t.Errorf("got %d %s\nwant 400 %s", status, body, want)
			}
		})
	}
}

func TestLenientDecoding(t *testing.T) {
	f := newFixture(t)
	c := f.issue("Lenient CA")
	// Keys in any case, unknown keys and sections ignored, scalars coerced to
	// String (PolicyDocumentation false, as the 2025 sample sends), booleans
	// as strings, PEM with line breaks escaped in JSON.
	body := `{"certificateinformation":{"caowner":"Example CA","INTERMEDIATECERTIFICATENAME":"Lenient CA",` +
		`"intermediateCertPem":` + string(mustJSON(c.PEM())) + `,"parentcertpem":"` + f.root.FlatPEM() + `",` +
		`"ConsentForTechnicallyConstrainedCert":"TRUE","Unknown":{"deep":[1,2,{"x":null}]}},` +
		`"nonauditdocumentinformation":{"PolicyDocumentation":false,"cpcpssameasparent":"false"},` +
		`"NoSuchSection":{"Description":"ignored"},"description":12.5e3}`
	status, resp := f.post(AddUpdatePath, body)
	r := decodeAddUpdate(t, resp)
	if status != 200 || r.ProcessingStatus != StatusSuccess {
		t.Fatalf("%d %s", status, resp)
	}
	rec := f.record(r.SalesforceRecordID)
	for k, v := range map[string]string{
		FieldConsentTechnicallyConstrained: "true", FieldPolicyDocumentation: "false",
		"CPCPSSameAsParent": "false", FieldDescription: "12.5e3",
	} {
		if rec.Fields[k] != v {
			t.Errorf("Fields[%s] = %q, want %q", k, rec.Fields[k], v)
		}
	}
	if rec.Name != "Lenient CA" || rec.CAOwner != "Example CA" {
		t.Errorf("record %+v", rec)
	}
}

// TestRetiredKeysIgnored: every key of an earlier version of the API, and
// every misspelling the documents once showed, is ignored like any unknown
// key: the request succeeds and the record does not change.
func TestRetiredKeysIgnored(t *testing.T) {
	retiredAudit := func(kind string) obj {
		return obj{
			kind + "Audit": "https://audit.example/" + kind + ".pdf", kind + "AuditType": "WebTrust",
			kind + "AuditStatementDate": "2025-03-01", kind + "AuditPeriodStartDate": "2024-01-01", kind + "AuditPeriodEndDate": "2024-12-31",
		}
	}
	tests := []struct {
		name     string
		sections obj
		ignored  []string
	}{
		{"FullCRLIssuedByThisCA", obj{"PertainingToCertificatesIssued": obj{"FullCRLIssuedByThisCA": "http://crl.example/full.crl"}},
			[]string{"PertainingToCertificatesIssued.FullCRLIssuedByThisCA"}},
		{"JSONArrayofPartitionedCRLsByCA", obj{"PertainingToCertificatesIssued": obj{"JSONArrayofPartitionedCRLsByCA": []string{"http://a/1.crl"}}},
			[]string{"PertainingToCertificatesIssued.JSONArrayofPartitionedCRLsByCA"}},
		{"BR audit", obj{"AuditInformation": retiredAudit("BR")}, []string{
			"AuditInformation.BRAudit", "AuditInformation.BRAuditPeriodEndDate", "AuditInformation.BRAuditPeriodStartDate",
			"AuditInformation.BRAuditStatementDate", "AuditInformation.BRAuditType"}},
		{"EVSSL audit", obj{"AuditInformation": obj{"EVSSLAudit": "https://a/ev.pdf"}}, []string{"AuditInformation.EVSSLAudit"}},
		{"EVCodeSigning audit", obj{"AuditInformation": obj{"EVCodeSigningAuditType": "WebTrust"}}, []string{"AuditInformation.EVCodeSigningAuditType"}},
		{"PolicyInformation", obj{"PolicyInformation": obj{"CPCPSSameAsParent": true, "CertificatePolicy": "https://a/cp", "DocumentRepositatory": "https://a/repo",
			"CPCPSLastUpdatedDate": "2019-02-01"}}, []string{"PolicyInformation"}},
		{"NonAuditDocumentationInformation (2024-09 name)", obj{"NonAuditDocumentationInformation": obj{"CertificatePolicy": "https://a/cp"}},
			[]string{"NonAuditDocumentationInformation"}},
		{"*LastUpdatedDate and DocumentRepositatory in today's section", obj{"NonAuditDocumentInformation": obj{
			"CPLastUpdatedDate": "2025-01-01", "CPSLastUpdatedDate": "2025-01-01", "CPCPSLastUpdatedDate": "2025-01-01",
			"MarkdownOrAsciiDocCPCPSLastUpdatedDate": "2025-01-01", "DocumentRepositatory": "https://a/repo"}}, []string{
			"NonAuditDocumentInformation.CPCPSLastUpdatedDate", "NonAuditDocumentInformation.CPLastUpdatedDate",
			"NonAuditDocumentInformation.CPSLastUpdatedDate", "NonAuditDocumentInformation.DocumentRepositatory",
			"NonAuditDocumentInformation.MarkdownOrAsciiDocCPCPSLastUpdatedDate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			body := f.addBody(f.issue("Retired Keys CA"), f.root, tt.sections)
			status, resp := f.post(AddUpdatePath, body)
			r := decodeAddUpdate(t, resp)
			if status != 200 || r.ProcessingStatus != StatusSuccess {
				t.Fatalf("%d %s", status, resp)
			}
			if rec := f.record(r.SalesforceRecordID); len(rec.Fields) != 0 {
				t.Errorf("retired keys stored: %v", rec.Fields)
			}
			got, err := IgnoredKeys([]byte(body))
			slices.Sort(got)
			if err != nil || !slices.Equal(got, tt.ignored) {
				t.Errorf("IgnoredKeys = %q, %v; want %q", got, err, tt.ignored)
			}
		})
	}

	t.Run("IntermediateCertName", func(t *testing.T) {
		f := newFixture(t)
		c := f.issue("Old Name Spelling")
		body := encode(t, obj{"CertificateInformation": obj{"CAOwner": "Example CA", "IntermediateCertName": "Old Name Spelling",
			"IntermediateCertPEM": c.FlatPEM(), "ParentCertPEM": f.root.FlatPEM()}})
		status, resp := f.post(AddUpdatePath, body)
		if want := failBody("", fmt.Sprintf(MsgRequired, "IntermediateCertificateName")); status != 400 || resp != want {
			t.Errorf("%d %s, want %s", status, resp, want)
		}
	})

	t.Run("an update with only retired keys changes nothing", func(t *testing.T) {
		f := newFixture(t)
		c := f.issue("Drifting CA")
		id := f.add(c, f.root, obj{"PertainingToCertificatesIssued": obj{"JSONArrayofAllFullCRLURLs": []string{"http://crl.example/old.crl"}}})
		status, resp := f.post(AddUpdatePath, f.updateBody(id, c, obj{"PertainingToCertificatesIssued": obj{"FullCRLIssuedByThisCA": "http://crl.example/new.crl"}}))
		if want := `{"ProcessingStatus":"Success","Errors/Warnings":[],"SalesforceRecordId":"` + id + `"}`; status != 200 || resp != want {
			t.Fatalf("%d %s", status, resp)
		}
		if got := f.record(id).Fields[FieldAllFullCRLURLs]; got != `["http://crl.example/old.crl"]` {
			t.Errorf("full CRLs %s: a retired key must change nothing", got)
		}
	})

	t.Run("today's keys are not reported, in any case", func(t *testing.T) {
		body := `{"certificateinformation":{"SalesforceRecordId":"x"},"PertainingToCertificatesIssued":{"jsonarrayofallfullcrlurls":[]},` +
			`"AuditInformation":{"TLSBRAudit":"","SMIMEAuditType":""},"NonAuditDocumentInformation":{"SelfAssessmentCompletionDate":""},"Description":""}`
		if got, err := IgnoredKeys([]byte(body)); err != nil || len(got) != 0 {
			t.Errorf("IgnoredKeys = %q, %v", got, err)
		}
		if _, err := IgnoredKeys([]byte(`[]`)); err == nil {
			t.Error("IgnoredKeys of an array: no error")
		}
	})
}

func TestUpdateNullBlankAndReset(t *testing.T) {
	f := newFixture(t)
	c := f.issue("Update CA")
	id := f.add(c, f.root, obj{
		"Description":                    "d",
		"RevocationInformation":          obj{"AlternateCRL": "http://alt"},
		"PertainingToCertificatesIssued": obj{"JSONArrayofPartitionedCRLs": []string{"http://a/1.crl"}},
		"AuditInformation":               obj{"AuditSameAsParent": true},
		"CertificateInformation":         obj{"SubordinateCAOwner": "Sub Org"},
	})

	steps := []struct {
		name     string
		sections obj
		want     map[string]string // "<unset>" = absent key
	}{
		{"null and absent leave fields alone", obj{
			"Description":                    nil,
			"RevocationInformation":          obj{"AlternateCRL": nil},
			"PertainingToCertificatesIssued": obj{"JSONArrayofPartitionedCRLs": nil},
		}, map[string]string{FieldDescription: "d", FieldAlternateCRL: "http://alt", FieldPartitionedCRLs: `["http://a/1.crl"]`, FieldPublicComments: "<unset>"}},
		{"blank clears every type", obj{
			"Description":           "",
			"RevocationInformation": obj{"AlternateCRL": ""},
			"AuditInformation":      obj{"AuditSameAsParent": ""},
		}, map[string]string{FieldDescription: "", FieldAlternateCRL: "", FieldAuditSameAsParent: "", FieldPartitionedCRLs: `["http://a/1.crl"]`}},
		{"[] resets the list", obj{"PertainingToCertificatesIssued": obj{"JSONArrayofPartitionedCRLs": []string{}}},
			map[string]string{FieldPartitionedCRLs: `[]`}},
		{"[\"\"] means not yet issuing", obj{"PertainingToCertificatesIssued": obj{"JSONArrayofPartitionedCRLs": []string{""}}},
			map[string]string{FieldPartitionedCRLs: `[""]`}},
		{"blank string resets the list too", obj{"PertainingToCertificatesIssued": obj{"JSONArrayofPartitionedCRLs": ""}},
			map[string]string{FieldPartitionedCRLs: `[]`}},
		{"full CRLs set", obj{"PertainingToCertificatesIssued": obj{"JSONArrayofAllFullCRLURLs": []string{"http://full/1.crl", "http://full/2.crl"}}},
			map[string]string{FieldAllFullCRLURLs: `["http://full/1.crl","http://full/2.crl"]`}},
		{"full CRLs null: untouched", obj{"PertainingToCertificatesIssued": obj{"JSONArrayofAllFullCRLURLs": nil}},
			map[string]string{FieldAllFullCRLURLs: `["http://full/1.crl","http://full/2.crl"]`}},
		{"full CRLs [] resets", obj{"PertainingToCertificatesIssued": obj{"JSONArrayofAllFullCRLURLs": []string{}}},
			map[string]string{FieldAllFullCRLURLs: `[]`}},
	}
	for _, st := range steps {
		status, resp := f.post(AddUpdatePath, f.updateBody(id, c, st.sections))
		if status != 200 {
			t.Fatalf("%s: %d %s", st.name, status, resp)
		}
		rec := f.record(id)
		for k, v := range st.want {
			got, set := rec.Fields[k]
			if v == "<unset>" && set || v != "<unset>" && got != v {
				t.Errorf("%s: Fields[%s] = %q (set %v), want %q", st.name, k, got, set, v)
			}
		}
	}
	rec := f.record(id)
	if rec.SubordinateCAOwner != "Sub Org" {
		t.Errorf("SubordinateCAOwner %q: absent should keep it", rec.SubordinateCAOwner)
	}
	f.post(AddUpdatePath, f.updateBody(id, c, obj{"CertificateInformation": obj{"SubordinateCAOwner": ""}}))
	if rec := f.record(id); rec.SubordinateCAOwner != "" {
		t.Errorf("SubordinateCAOwner %q: blank should clear it", rec.SubordinateCAOwner)
	}
}

// validAudit is a complete, valid audit of kind.
func validAudit(kind string) obj {
	return obj{
		AuditField(kind, ""): "https://audit.example/" + kind + ".pdf", AuditField(kind, "Type"): "WebTrust",
		AuditField(kind, "StatementDate"): "2025-03-01", AuditField(kind, "PeriodStartDate"): "2024-01-01",
		AuditField(kind, "PeriodEndDate"): "2024-12-31",
	}
}

func with(base obj, kv ...any) obj {
	out := obj{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func TestFieldValidation(t *testing.T) {
	// ["…"] is the URL plus 4 characters; the limit counts characters, not
	// bytes ("é" is two bytes).
	crlList := func(chars int) []string {
		u := "http://crl.example/é"
		return []string{u + strings.Repeat("x", chars-4-len([]rune(u)))}
	}
	allAudits := obj{}
	for _, kind := range AuditKinds() {
		allAudits = merge(allAudits, validAudit(kind))
	}
	allDocuments := obj{"PolicyDocumentation": "Policies", "DocumentRepository": "https://repo.example/"}
	for i, d := range Documents() {
		allDocuments[d.SameAsParent] = false
		allDocuments[d.Link] = fmt.Sprintf("https://repo.example/doc%d.pdf", i)
		allDocuments[d.Date] = "2026-01-15"
	}
	pertaining := obj{
		"JSONArrayofAllFullCRLURLs": []string{"http://crl.example/1.crl", "https://crl.example/2.crl"}, "JSONArrayofPartitionedCRLs": []string{""},
		"CABForumCertificatePolicyIdentifier": "2.23.140.1.2.2",
	}
	for _, kind := range []string{"DV", "OV", "EV", "IV"} {
		pertaining[ACMEField(kind)] = "https://acme.example/" + kind + "/directory"
		pertaining[AutomatedSolutionField(kind)] = "Our own " + kind + " tooling, described at length"
		pertaining[TestWebsiteField(kind)] = "https://test-" + strings.ToLower(kind) + ".example/"
	}

	tests := []struct {
		name     string
		sections obj
		want     []string // nil = success
	}{
		{"every audit valid", obj{"AuditInformation": allAudits}, nil},
		{"every document valid", obj{"NonAuditDocumentInformation": allDocuments}, nil},
		{"every PertainingToCertificatesIssued field valid", obj{"PertainingToCertificatesIssued": pertaining}, nil},
		{"http audit URL", obj{"AuditInformation": with(validAudit("TLSBR"), "TLSBRAudit", "http://audit.example/br.pdf")},
			[]string{fmt.Sprintf(MsgInvalidHTTPSURL, "TLSBRAudit", "http://audit.example/br.pdf")}},
		{"not a URL", obj{"AuditInformation": with(validAudit("Standard"), "StandardAudit", "audit report")},
			[]string{fmt.Sprintf(MsgInvalidHTTPSURL, "StandardAudit", "audit report")}},
		{"URL without type and dates", obj{"AuditInformation": obj{"TLSEVGAudit": "https://a/ev.pdf"}}, []string{
			fmt.Sprintf(MsgRequiredWhen, "TLSEVGAuditType", "TLSEVGAudit"),
			fmt.Sprintf(MsgRequiredWhen, "TLSEVGAuditStatementDate", "TLSEVGAudit"),
			fmt.Sprintf(MsgRequiredWhen, "TLSEVGAuditPeriodStartDate", "TLSEVGAudit"),
			fmt.Sprintf(MsgRequiredWhen, "TLSEVGAuditPeriodEndDate", "TLSEVGAudit"),
		}},
		{"type not in the picklist", obj{"AuditInformation": with(validAudit("CodeSigning"), "CodeSigningAuditType", "webtrust")},
			[]string{fmt.Sprintf(MsgInvalidAuditType, "CodeSigningAuditType", "webtrust")}},
		{"type without URL is still a picklist", obj{"AuditInformation": obj{"SMIMEAuditType": "Nope"}},
			[]string{fmt.Sprintf(MsgInvalidAuditType, "SMIMEAuditType", "Nope")}},
		{"date formats", obj{"AuditInformation": with(validAudit("Standard"), "StandardAuditStatementDate", "2025/03/01", "StandardAuditPeriodStartDate", "2024-1-1", "StandardAuditPeriodEndDate", "2024-02-30")}, []string{
			fmt.Sprintf(MsgInvalidDate, "StandardAuditStatementDate", "2025/03/01"),
			fmt.Sprintf(MsgInvalidDate, "StandardAuditPeriodStartDate", "2024-1-1"),
			fmt.Sprintf(MsgInvalidDate, "StandardAuditPeriodEndDate", "2024-02-30"),
		}},
		{"end after statement", obj{"AuditInformation": with(validAudit("NetSec"), "NetSecAuditStatementDate", "2024-12-30")},
			[]string{fmt.Sprintf(MsgEndAfterStatement, "NetSecAuditPeriodEndDate", "NetSecAuditStatementDate")}},
		{"end equal to statement and start", obj{"AuditInformation": with(validAudit("VMC"), "VMCAuditStatementDate", "2024-12-31", "VMCAuditPeriodStartDate", "2024-12-31")}, nil},
		{"end before start", obj{"AuditInformation": with(validAudit("VMC"), "VMCAuditPeriodStartDate", "2025-01-01")},
			[]string{fmt.Sprintf(MsgEndBeforeStart, "VMCAuditPeriodEndDate", "VMCAuditPeriodStartDate")}},
		{"revocation status not in the list", obj{"RevocationInformation": obj{"RevocationStatus": "Not Revoked"}},
			[]string{fmt.Sprintf(MsgInvalidRevocationStatus, "Not Revoked")}},
		{"revoked without date and reason", obj{"RevocationInformation": obj{"RevocationStatus": "Revoked"}}, []string{
			fmt.Sprintf(MsgRequiredWhenRevoked, "DateOfRevocation"),
			fmt.Sprintf(MsgRequiredWhenRevoked, "RevocationReasonCode"),
		}},
		{"revoked with bad date and reason", obj{"RevocationInformation": obj{"RevocationStatus": "Revoked", "DateOfRevocation": "2026-13-01", "RevocationReasonCode": "(7) unused"}}, []string{
			fmt.Sprintf(MsgInvalidDate, "DateOfRevocation", "2026-13-01"),
			fmt.Sprintf(MsgInvalidReasonCode, "(7) unused"),
		}},
		{"reason code spelling is exact", obj{"RevocationInformation": obj{"RevocationReasonCode": "keyCompromise"}},
			[]string{fmt.Sprintf(MsgInvalidReasonCode, "keyCompromise")}},
		{"revoked", obj{"RevocationInformation": obj{"RevocationStatus": "Revoked", "DateOfRevocation": "2026-04-01", "RevocationReasonCode": "(5) cessationOfOperation"}}, nil},
		{"unknown auditor", obj{"AuditorInformation": obj{"Auditor": "Nobody LLP", "AuditorLocation": "Nowhere"}},
			[]string{fmt.Sprintf(MsgUnknownAuditor, "Nobody LLP")}},
		{"auditor location not the auditor's", obj{"AuditorInformation": obj{"Auditor": "Auditor Name", "AuditorLocation": "France"}},
			[]string{fmt.Sprintf(MsgUnknownAuditorLocation, "France", "Auditor Name")}},
		{"location without auditor", obj{"AuditorInformation": obj{"AuditorLocation": "France"}}, []string{MsgLocationWithoutAuditor}},
		{"auditor without location", obj{"AuditorInformation": obj{"Auditor": "LSTI Group"}}, nil},
		{"document link without its date", obj{"NonAuditDocumentInformation": obj{"CertificatePolicy": "https://repo.example/cp.pdf", "SelfAssessment": "https://repo.example/sa.xlsx"}}, []string{
			fmt.Sprintf(MsgRequiredWhen, "CPEffectiveDate", "CertificatePolicy"),
			fmt.Sprintf(MsgRequiredWhen, "SelfAssessmentCompletionDate", "SelfAssessment"),
		}},
		{"document date without its link", obj{"NonAuditDocumentInformation": obj{"MarkdownOrAsciiDocCPCPSEffectiveDate": "2026-01-15"}},
			[]string{fmt.Sprintf(MsgRequiredWhen, "MarkdownOrAsciiDocCPCPS", "MarkdownOrAsciiDocCPCPSEffectiveDate")}},
		{"document date format", obj{"NonAuditDocumentInformation": obj{"CertificationPracticeStatement": "https://repo.example/cps.pdf", "CPSEffectiveDate": "01.02.2019"}},
			[]string{fmt.Sprintf(MsgInvalidDate, "CPSEffectiveDate", "01.02.2019")}},
		{"same as parent alone", obj{"NonAuditDocumentInformation": obj{"CPCPSSameAsParent": true}}, nil},
		{"full CRL not a link", obj{"PertainingToCertificatesIssued": obj{"JSONArrayofAllFullCRLURLs": []string{"crl.example/x.crl"}}},
			[]string{fmt.Sprintf(MsgInvalidListURL, "JSONArrayofAllFullCRLURLs", "crl.example/x.crl")}},
		{"blank full CRL", obj{"PertainingToCertificatesIssued": obj{"JSONArrayofAllFullCRLURLs": []string{""}}},
			[]string{fmt.Sprintf(MsgInvalidListURL, "JSONArrayofAllFullCRLURLs", "")}},
		{"partitioned CRLs, markdown-mangled as in the documentation's sample", obj{"PertainingToCertificatesIssued": obj{"JSONArrayofPartitionedCRLs": []string{"[http://cdn.example/crl-1.crl](http://cdn.example/crl-1.crl)"}}},
			[]string{fmt.Sprintf(MsgInvalidListURL, "JSONArrayofPartitionedCRLs", "[http://cdn.example/crl-1.crl](http://cdn.example/crl-1.crl)")}},
		{"partitioned CRLs: a blank entry among URLs", obj{"PertainingToCertificatesIssued": obj{"JSONArrayofPartitionedCRLs": []string{"http://a/1.crl", ""}}},
			[]string{fmt.Sprintf(MsgBlankCRLEntry, "JSONArrayofPartitionedCRLs")}},
		{"partitioned CRLs [\"\"]: not yet issuing", obj{"PertainingToCertificatesIssued": obj{"JSONArrayofPartitionedCRLs": []string{""}}}, nil},
		{"partitioned CRLs over 100,000 characters", obj{"PertainingToCertificatesIssued": obj{"JSONArrayofPartitionedCRLs": crlList(100_001)}},
			[]string{fmt.Sprintf(MsgListTooLong, "JSONArrayofPartitionedCRLs", 100_001)}},
		{"full CRLs over 100,000 characters", obj{"PertainingToCertificatesIssued": obj{"JSONArrayofAllFullCRLURLs": crlList(100_001)}},
			[]string{fmt.Sprintf(MsgListTooLong, "JSONArrayofAllFullCRLURLs", 100_001)}},
		{"CRL lists at 100,000 characters", obj{"PertainingToCertificatesIssued": obj{"JSONArrayofPartitionedCRLs": crlList(100_000), "JSONArrayofAllFullCRLURLs": crlList(100_000)}}, nil},
		{"CA/B Forum policy not in the picklist", obj{"PertainingToCertificatesIssued": obj{"CABForumCertificatePolicyIdentifier": "OV"}},
			[]string{fmt.Sprintf(MsgInvalidCABForumPolicyID, "OV")}},
		{"ACME endpoints and test websites are links", obj{"PertainingToCertificatesIssued": obj{"DVACMEEndpoints": "acme.example/dir", "IVAutomatedTestCertificateWebsite": "ftp://test.example/"}}, []string{
			fmt.Sprintf(MsgInvalidURL, "DVACMEEndpoints", "acme.example/dir"),
			fmt.Sprintf(MsgInvalidURL, "IVAutomatedTestCertificateWebsite", "ftp://test.example/"),
		}},
		{"errors of every section collected", obj{
			"AuditInformation":            obj{"StandardAudit": "http://a", "StandardAuditType": "WebTrust", "StandardAuditStatementDate": "2025-01-01", "StandardAuditPeriodStartDate": "2024-01-01", "StandardAuditPeriodEndDate": "2024-12-31"},
			"RevocationInformation":       obj{"RevocationReasonCode": "(11) bogus"},
			"AuditorInformation":          obj{"Auditor": "Nobody"},
			"NonAuditDocumentInformation": obj{"CPCPSEffectiveDate": "tomorrow", "CertificatePracticeAndPolicyStatement": "https://a/cpcps"},
		}, []string{
			fmt.Sprintf(MsgInvalidHTTPSURL, "StandardAudit", "http://a"),
			fmt.Sprintf(MsgInvalidReasonCode, "(11) bogus"),
			fmt.Sprintf(MsgUnknownAuditor, "Nobody"),
			fmt.Sprintf(MsgInvalidDate, "CPCPSEffectiveDate", "tomorrow"),
		}},
	}
	f := newFixture(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := f.issue("Validation CA")
			status, resp := f.post(AddUpdatePath, f.addBody(c, f.root, tt.sections))
			if tt.want == nil {
				if r := decodeAddUpdate(t, resp); status != 200 || r.ProcessingStatus != StatusSuccess {
					t.Errorf("got %d %s, want success", status, resp)
				}
				return
			}
			if want := failBody("", tt.want...); status != 400 || resp != want {
				t.Errorf("got %d %s\nwant 400 %s", status, resp, want)
			}
			if _, ok := f.s.RecordBySHA256(c.SHA256()); ok {
				t.Error("a failed add must not create a record")
			}
		})
	}

	// The same rules apply to updates, over the record as it would be saved.
	c := f.issue("Updated CA")
	id := f.add(c, f.root, obj{"AuditInformation": validAudit("Standard")})
	status, resp := f.post(AddUpdatePath, f.updateBody(id, c, obj{"AuditInformation": obj{"StandardAuditStatementDate": ""}}))
	if want := failBody("", fmt.Sprintf(MsgRequiredWhen, "StandardAuditStatementDate", "StandardAudit")); status != 400 || resp != want {
		t.Errorf("update blanking a required date: %d %s", status, resp)
	}
	if f.record(id).Fields["StandardAuditStatementDate"] != "2025-03-01" {
		t.Error("a failed update must not change the record")
	}
}

func TestCustomPicklists(t *testing.T) {
	f := newFixture(t, func(o *Options) {
		o.AuditTypes = []string{"Custom Scheme"}
		o.Auditors = map[string][]string{"Solo Auditor": {"Iceland"}}
	})
	status, resp := f.post(AddUpdatePath, f.addBody(f.issue("Picklist CA"), f.root, obj{
		"AuditInformation":   validAudit("Standard"),
		"AuditorInformation": obj{"Auditor": "Auditor Name", "AuditorLocation": "United States"},
	}))
	if want := failBody("", fmt.Sprintf(MsgInvalidAuditType, "StandardAuditType", "WebTrust"), fmt.Sprintf(MsgUnknownAuditor, "Auditor Name")); status != 400 || resp != want {
		t.Errorf("%d %s", status, resp)
	}
	f.add(f.issue("Picklist CA 2"), f.root, obj{
		"AuditInformation":   with(validAudit("Standard"), "StandardAuditType", "Custom Scheme"),
		"AuditorInformation": obj{"Auditor": "Solo Auditor", "AuditorLocation": "Iceland"},
	})
}

func TestIdentityRules(t *testing.T) {
	f := newFixture(t)
	otherRoot := testpki.Root(testpki.Options{CommonName: "Other Root"})
	if _, err := f.s.AddRoot(otherRoot.FlatPEM(), "Other CA"); err != nil { // flattened PEM accepted
		t.Fatal(err)
	}
	unknownRoot := testpki.Root(testpki.Options{CommonName: "Unknown Root"})
	existing := f.issue("Existing CA")
	existingID := f.add(existing, f.root, nil)
	foreign := testpki.Issue(otherRoot, testpki.Options{CommonName: "Foreign CA"})
	foreignID, err := f.s.Seed(Record{PEM: foreign.PEM(), ParentID: "", ParentSHA256: otherRoot.SHA256(), CAOwner: "Other CA"})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		body   string
		status int
		want   string // exact body; "" = check only status
	}{
		{"mandatory add fields", `{"CertificateInformation":{}}`, 400, failBody("",
			fmt.Sprintf(MsgRequired, "CAOwner"), fmt.Sprintf(MsgRequired, "IntermediateCertificateName"),
			fmt.Sprintf(MsgRequired, "IntermediateCertPEM"), fmt.Sprintf(MsgRequired, "ParentCertPEM"))},
		{"no body sections at all", `{}`, 400, ""},
		{"unparseable PEMs", encode(t, obj{"CertificateInformation": obj{"CAOwner": "Example CA", "IntermediateCertificateName": "x",
			"IntermediateCertPEM": "-----BEGIN CERTIFICATE-----MIIB-----END CERTIFICATE-----", "ParentCertPEM": "MIIB"}}), 400,
			failBody("", fmt.Sprintf(MsgInvalidPEM, "IntermediateCertPEM"), fmt.Sprintf(MsgInvalidPEM, "ParentCertPEM"))},
		{"another CA Owner", f.addBody(f.issue("Mine"), f.root, obj{"CertificateInformation": obj{"CAOwner": "Other CA"}}), 400,
			failBody("", fmt.Sprintf(MsgNotOwnHierarchy, "Other CA"))},
		{"CA Owner in another case", f.addBody(f.issue("Case CA"), f.root, obj{"CertificateInformation": obj{"CAOwner": "EXAMPLE ca"}}), 200, ""},
		{"parent without a record", f.addBody(testpki.Issue(unknownRoot, testpki.Options{CommonName: "Orphan"}), unknownRoot, nil), 400,
			failBody("", MsgParentNotFound)},
		{"parent in another hierarchy", f.addBody(testpki.Issue(otherRoot, testpki.Options{CommonName: "Theirs"}), otherRoot, nil), 400,
			failBody("", fmt.Sprintf(MsgNotOwnHierarchy, "Other CA"))},
		{"not signed by the parent", f.addBody(testpki.Issue(otherRoot, testpki.Options{CommonName: "Wrong Parent"}), f.root, nil), 400,
			failBody("", MsgNotSignedByParent)},
		{"intermediate under an intermediate", f.addBody(testpki.Issue(existing, testpki.Options{CommonName: "Level 2"}), existing, nil), 200, ""},
		// The report's CCADB unique id is not a record id the API takes: the
		// request is an add, and an update's body lacks what an add needs.
		{"the report's A0 id is an add", f.updateBody(f.s.mustCCADBID(t, existingID), existing, obj{"CertificateInformation": obj{"CAOwner": "Example CA"}}), 400,
			failBody("", fmt.Sprintf(MsgRequired, "ParentCertPEM"))},
		{"the report's A0 id without CAOwner", f.updateBody(f.s.mustCCADBID(t, existingID), existing, nil), 400, failBody("",
			fmt.Sprintf(MsgRequired, "CAOwner"), fmt.Sprintf(MsgRequired, "ParentCertPEM"))},
		{"the report's A0 id with a parent: the duplicate answers the 18-character id", f.updateBody(f.s.mustCCADBID(t, existingID), existing,
			obj{"CertificateInformation": obj{"CAOwner": "Example CA", "ParentCertPEM": f.root.FlatPEM()}}), 400, failBody(existingID, MsgAlreadyExists)},
		{"a 15-character id is an add", f.updateBody(existingID[:15], existing, nil), 400, failBody("",
			fmt.Sprintf(MsgRequired, "CAOwner"), fmt.Sprintf(MsgRequired, "ParentCertPEM"))},
		{"unknown id", f.updateBody(CaseSafeID("001000000000000"), existing, nil), 400, failBody("", MsgRecordIDNotFound)},
		{"id in lower case", f.updateBody(strings.ToLower(existingID), existing, nil), 200,
			`{"ProcessingStatus":"Success","Errors/Warnings":[],"SalesforceRecordId":"` + existingID + `"}`},
		{"mandatory update fields", encode(t, obj{"CertificateInformation": obj{"SalesforceRecordId": existingID}}), 400, failBody("",
			fmt.Sprintf(MsgRequired, "IntermediateCertificateName"), fmt.Sprintf(MsgRequired, "IntermediateCertPEM"))},
		{"update a root", f.updateBody(f.rootID, f.root, nil), 400, failBody("", MsgNotIntermediate)},
		{"update with another CA Owner", f.updateBody(existingID, existing, obj{"CertificateInformation": obj{"CAOwner": "Other CA"}}), 400,
			failBody("", fmt.Sprintf(MsgNotOwnHierarchy, "Other CA"))},
		{"update with our CA Owner", f.updateBody(existingID, existing, obj{"CertificateInformation": obj{"CAOwner": "Example CA"}}), 200, ""},
		{"update another CA's record", f.updateBody(foreignID, foreign, nil), 400, failBody("", fmt.Sprintf(MsgNotOwnHierarchy, "Other CA"))},
		{"ParentCertPEM cannot change", f.updateBody(existingID, existing, obj{"CertificateInformation": obj{"ParentCertPEM": otherRoot.FlatPEM()}}), 400,
			failBody("", MsgPEMNotUpdatable)},
		{"same ParentCertPEM is fine", f.updateBody(existingID, existing, obj{"CertificateInformation": obj{"ParentCertPEM": f.root.PEM()}}), 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, resp := f.post(AddUpdatePath, tt.body)
			if status != tt.status || tt.want != "" && resp != tt.want {
				t.Errorf("got %d %s\nwant %d %s", status, resp, tt.status, tt.want)
			}
		})
	}
	if rec := f.record(existingID); rec.PEM != existing.PEM() || rec.ParentID != f.rootID {
		t.Errorf("PEMs changed: %+v", rec)
	}
}

func TestNameWarning(t *testing.T) {
	f := newFixture(t)
	c := f.issue("Subject CN")
	status, resp := f.post(AddUpdatePath, f.addBody(c, f.root, obj{"CertificateInformation": obj{"IntermediateCertificateName": "Friendly Name"}}))
	r := decodeAddUpdate(t, resp)
	want := `{"ProcessingStatus":"SuccessWithWarnings","Errors/Warnings":["` + fmt.Sprintf(MsgNameNotSubjectCN, "Friendly Name", "Subject CN") + `"],"SalesforceRecordId":"` + r.SalesforceRecordID + `"}`
	if status != 200 || resp != want {
		t.Fatalf("add: %d %s", status, resp)
	}
	if rec := f.record(r.SalesforceRecordID); rec.Name != "Friendly Name" {
		t.Errorf("name %q: the record is saved with the name sent", rec.Name)
	}
	// Renaming to the CN on update clears the warning and renames the record.
	status, resp = f.post(AddUpdatePath, f.updateBody(r.SalesforceRecordID, c, nil))
	if status != 200 || decodeAddUpdate(t, resp).ProcessingStatus != StatusSuccess || f.record(r.SalesforceRecordID).Name != "Subject CN" {
		t.Errorf("update: %d %s", status, resp)
	}
}

func TestGetCertificateID(t *testing.T) {
	f := newFixture(t)
	inter := f.issue("Lookup CA")
	interID := f.add(inter, f.root, nil)
	success := func(id string) string {
		return `{"ProcessingStatus":"Success","Errors/Warnings":[],"RecordId":"` + id + `"}`
	}
	fail := func(msgs ...string) string { return string(mustJSON(getIDResponse{StatusFail, msgs, ""})) }
	tests := []struct {
		name   string
		body   obj
		status int
		want   string
	}{
		{"root by lower-case SHA-256", obj{"SHA256": strings.ToLower(f.root.SHA256()), "RecordType": "Root Certificate"}, 200, success(f.rootID)},
		{"root, the doc's typo", obj{"SHA256": f.root.SHA256(), "RecordType": "Root Crtificate"}, 200, success(f.rootID)},
		{"record type in another case", obj{"SHA256": f.root.SHA256(), "RecordType": "root certificate"}, 200, success(f.rootID)},
		{"intermediate by PEM with line breaks", obj{"PEM": inter.PEM(), "RecordType": "Intermediate Certificate"}, 200, success(interID)},
		{"intermediate by flat PEM and SHA-256", obj{"PEM": inter.FlatPEM(), "SHA256": inter.SHA256(), "RecordType": "Intermediate Certificate"}, 200, success(interID)},
		{"wrong record type", obj{"SHA256": f.root.SHA256(), "RecordType": "Intermediate Certificate"}, 400, fail(MsgCertificateNotFound)},
		{"PEM and SHA-256 differ", obj{"PEM": inter.FlatPEM(), "SHA256": f.root.SHA256(), "RecordType": "Intermediate Certificate"}, 400, fail(MsgCertificateNotFound)},
		{"unknown", obj{"SHA256": strings.Repeat("0", 64), "RecordType": "Intermediate Certificate"}, 400, fail(MsgCertificateNotFound)},
		{"nothing given", obj{}, 400, fail(MsgInvalidRecordType, MsgPEMOrSHA256Required)},
		{"bad PEM", obj{"PEM": "garbage", "RecordType": "Intermediate Certificate"}, 400, fail(fmt.Sprintf(MsgInvalidPEM, "PEM"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, resp := f.post(GetIDPath, encode(t, tt.body))
			if status != tt.status || resp != tt.want {
				t.Errorf("got %d %s\nwant %d %s", status, resp, tt.status, tt.want)
			}
		})
	}
	if n := len(f.s.APILog()); n != 1 {
		t.Errorf("API log has %d entries; GetCertificateId calls are not logged", n)
	}
}

func TestRESTErrors(t *testing.T) {
	f := newFixture(t)
	req, _ := http.NewRequest(http.MethodGet, f.ts.URL+AddUpdatePath, nil)
	req.Header.Set("Authorization", "Bearer "+f.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", resp.StatusCode)
	}
	if status, body := f.post("/services/apexrest/create/intermediatecert/", "{}"); status != 404 ||
		body != `[{"message":"Could not find a match for URL","errorCode":"NOT_FOUND"}]` {
		t.Errorf("unknown Apex path: %d %s", status, body)
	}
}

func TestDuplicateWindow(t *testing.T) {
	f := newFixture(t) // the default window: a minute, as the CCADB's
	c := f.issue("Throttled CA")
	id := f.add(c, f.root, nil)
	body := f.updateBody(id, c, obj{"Description": "same"})
	if status, resp := f.post(AddUpdatePath, body); status != 200 {
		t.Fatalf("first: %d %s", status, resp)
	}
	const refused = `[{"message":"The same API request was made more than once within 1m0s; try again later.","errorCode":"TOO_MANY_REQUESTS"}]`
	f.clock.Advance(59 * time.Second)
	if status, resp := f.post(AddUpdatePath, body); status != 429 || resp != refused {
		t.Errorf("repeat within the window: %d %s", status, resp)
	}
	if status, _ := f.post(AddUpdatePath, f.updateBody(id, c, obj{"Description": "different"})); status != 200 {
		t.Errorf("a different body: %d", status)
	}
	f.clock.Advance(time.Second) // a minute after the first, processed one
	if status, resp := f.post(AddUpdatePath, body); status != 200 {
		t.Errorf("repeat after the window: %d %s", status, resp)
	}
	if log := f.s.APILog(); len(log) != 5 || log[2].Status != 429 {
		t.Errorf("API log: %+v", log)
	}

	// GetCertificateIdAPI too: "the same API call request".
	lookup := encode(t, obj{"SHA256": c.SHA256(), "RecordType": "Intermediate Certificate"})
	if status, _ := f.post(GetIDPath, lookup); status != 200 {
		t.Errorf("first lookup: %d", status)
	}
	if status, resp := f.post(GetIDPath, lookup); status != 429 || resp != refused {
		t.Errorf("repeated lookup: %d %s", status, resp)
	}
	// The same body on the other route is another request.
	if status, resp := f.post(AddUpdatePath, lookup); status != 400 || !strings.Contains(resp, "is required") {
		t.Errorf("the lookup's body as an add: %d %s", status, resp)
	}

	off := newFixture(t, func(o *Options) { o.DuplicateWindow = -1 })
	for i := range 2 {
		if status, resp := off.post(GetIDPath, encode(t, obj{"SHA256": off.root.SHA256(), "RecordType": "Root Certificate"})); status != 200 {
			t.Errorf("window off, request %d: %d %s", i+1, status, resp)
		}
	}
}

func TestContentType(t *testing.T) {
	f := newFixture(t)
	send := func(path, ct, body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, f.ts.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+f.token)
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	lookup := func(i int) string {
		return encode(t, obj{"SHA256": f.root.SHA256(), "RecordType": "Root Certificate", "Nonce": i}) // distinct bodies
	}
	for i, tt := range []struct {
		ct     string
		status int
	}{
		{"", 415},
		{"text/plain", 415},
		{"application/x-www-form-urlencoded", 415}, // curl -d without -H
		{"application/xml", 415},
		{"text/json", 415},
		{"application/json", 200},
		{"application/json; charset=UTF-8", 200},
		{"Application/JSON", 200},
	} {
		for _, path := range []string{GetIDPath, AddUpdatePath} {
			status, resp := send(path, tt.ct, lookup(i))
			if tt.status == 415 {
				want := `[{"message":"Content-Type header specified in HTTP request is not supported: ` + tt.ct + `","errorCode":"UNSUPPORTED_MEDIA_TYPE"}]`
				if status != 415 || resp != want {
					t.Errorf("%s %q: %d %s", path, tt.ct, status, resp)
				}
			} else if status == 415 {
				t.Errorf("%s %q refused: %s", path, tt.ct, resp)
			}
		}
	}
	if n := len(f.s.APILog()); n != 3 {
		t.Errorf("API log has %d entries: refused media types never reach the controller", n)
	}
}

func TestRequests(t *testing.T) {
	f := newFixture(t)
	c := f.issue("Raw CA")
	add := f.addBody(c, f.root, obj{"PertainingToCertificatesIssued": obj{"FullCRLIssuedByThisCA": "http://old"}})
	f.post(AddUpdatePath, add)
	f.postToken(GetIDPath, `{"SHA256":"00"}`, "bad token")
	reqs := f.s.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	if r := reqs[0]; r.Method != http.MethodPost || r.Path != AddUpdatePath || r.ContentType != "application/json" || r.Body != add || r.At.IsZero() {
		t.Errorf("first request %+v", r)
	}
	if r := reqs[1]; r.Path != GetIDPath || r.Body != `{"SHA256":"00"}` {
		t.Errorf("a refused request is kept too: %+v", r)
	}
	if got, err := IgnoredKeys([]byte(reqs[0].Body)); err != nil || !slices.Equal(got, []string{"PertainingToCertificatesIssued.FullCRLIssuedByThisCA"}) {
		t.Errorf("IgnoredKeys = %q, %v", got, err)
	}
}

func TestRequestLimit(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.RequestLimit = 2; o.DuplicateWindow = -1 })
	body := `{"SHA256":"` + f.root.SHA256() + `","RecordType":"Root Certificate"}`
	for i := range 2 {
		if status, _ := f.post(GetIDPath, body); status != 200 {
			t.Fatalf("request %d: %d", i+1, status)
		}
	}
	const want = `[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]`
	for _, path := range []string{GetIDPath, AddUpdatePath} {
		if status, resp := f.post(path, body); status != 403 || resp != want {
			t.Errorf("%s over the limit: %d %s", path, status, resp)
		}
	}
	// The token endpoint is not an API request.
	f.accessToken()
}

func TestDropAfterCommit(t *testing.T) {
	f := newFixture(t)
	f.s.Faults().Add(sim.Fault{Method: http.MethodPost, Path: AddUpdatePath, DropAfterCommit: true, Times: 1})
	c := f.issue("Dropped CA")
	body := f.addBody(c, f.root, nil)
	req, _ := http.NewRequest(http.MethodPost, f.ts.URL+AddUpdatePath, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+f.token)
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the connection should drop, got %d", resp.StatusCode)
	}
	rec, ok := f.s.RecordBySHA256(strings.ToLower(c.SHA256()))
	if !ok {
		t.Fatal("the add was committed before the drop")
	}
	// A client that blindly retries at once is refused as a repeated
	// request; a minute later it learns the id from the duplicate answer.
	if status, _ := f.post(AddUpdatePath, body); status != 429 {
		t.Errorf("retry at once: %d, want 429", status)
	}
	f.clock.Advance(time.Minute)
	status, resp := f.post(AddUpdatePath, body)
	if want := failBody(rec.ID, MsgAlreadyExists); status != 400 || resp != want {
		t.Errorf("retry: %d %s", status, resp)
	}
	if n := f.s.Faults().Count("POST " + AddUpdatePath); n != 3 {
		t.Errorf("request count %d", n)
	}
}

func TestConcurrentAdds(t *testing.T) {
	f := newFixture(t)
	var wg sync.WaitGroup
	ids := make([]string, 20)
	for i := range ids {
		c := f.issue(fmt.Sprintf("Concurrent CA %d", i))
		wg.Go(func() {
			status, resp := f.postToken(AddUpdatePath, f.addBody(c, f.root, nil), f.token)
			if status != 200 {
				t.Errorf("add %d: %d %s", i, status, resp)
			}
			ids[i] = decodeAddUpdate(t, resp).SalesforceRecordID
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] || !ValidID(id) {
			t.Errorf("id %q repeated or invalid", id)
		}
		seen[id] = true
	}
	if n := len(f.s.Records()); n != 21 {
		t.Errorf("%d records, want 21", n)
	}
}

func TestSeedPreload(t *testing.T) {
	f := newFixture(t)
	var recs []Record
	var certs []*testpki.Cert
	for i := range 1000 {
		c := f.issue(fmt.Sprintf("Preloaded CA %d", i))
		certs = append(certs, c)
		recs = append(recs, Record{PEM: c.FlatPEM(), ParentID: f.rootID, Fields: map[string]string{FieldAllFullCRLURLs: `["http://crl.example/` + fmt.Sprint(i) + `"]`}})
	}
	start := time.Now()
	for _, r := range recs {
		if _, err := f.s.Seed(r); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("seeding 1,000 records took %v", d)
	}
	last := certs[len(certs)-1]
	rec, ok := f.s.RecordBySHA256(last.SHA256())
	if !ok || rec.RecordType != IntermediateCertificate || rec.ParentSHA256 != f.root.SHA256() || rec.Name != "Preloaded CA 999" ||
		!rec.ValidFrom.Equal(last.Cert.NotBefore) || rec.TechnicallyConstrained {
		t.Errorf("seeded record %+v", rec)
	}
	status, resp := f.post(GetIDPath, encode(t, obj{"SHA256": last.SHA256(), "RecordType": "Intermediate Certificate"}))
	if status != 200 || !strings.Contains(resp, rec.ID) {
		t.Errorf("lookup: %d %s", status, resp)
	}

	for name, bad := range map[string]Record{
		"no PEM or SHA256": {},
		"bad PEM":          {PEM: "junk"},
		"unknown parent":   {SHA256: "AA", ParentID: CaseSafeID("001000000000000")},
		"bad id":           {SHA256: "AA", ID: "0010r00000damffXXX"},
		"used id":          {SHA256: "AA", ID: f.rootID},
		"bad record type":  {SHA256: "AA", RecordType: "Leaf"},
	} {
		if _, err := f.s.Seed(bad); err == nil {
			t.Errorf("Seed with %s: no error", name)
		}
	}
}

func TestRevocationReasonCodes(t *testing.T) {
	f := newFixture(t)
	codes := RevocationReasonCodes()
	if len(codes) != 10 || codes[0] != "(0) unspecified" || codes[7] != "(8) removeFromCRL" || codes[9] != "(10) aACompromise" {
		t.Errorf("codes %q", codes)
	}
	for _, code := range codes {
		fields := map[string]string{FieldRevocationStatus: "Revoked", FieldDateOfRevocation: "2026-01-31", FieldRevocationReasonCode: code}
		if errs := f.s.validateFields(fields); len(errs) != 0 {
			t.Errorf("%s: %v", code, errs)
		}
	}
	codes[0] = "changed"
	if RevocationReasonCodes()[0] != "(0) unspecified" {
		t.Error("RevocationReasonCodes must return a copy")
	}
}
