package ccadbsim

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/testpki"
)

// doc2022AddSample is the 2022-02-15 API documentation's "JSON Definition
// Sample to Add Intermediate Cert" verbatim, except for the PEMs (the sample's are truncated) and the
// StandardAudit URL, which is a placeholder: the sample's own
// "http://URL/StandardAudit04FINAL.PDF" contradicts "valid https url".
const doc2022AddSample = `{
    "CertificateInformation": {
        "SalesforceRecordId": "",
        "CAOwner": "Digicert",
        "SubordinateCAOwner": "Digicert",
        "IntermediateCertificateName": "Test Intermediate Cert",
        "IntermediateCertPEM": "{{PEM}}",
        "ParentCertPEM": "{{PARENT}}",
        "ConsentforTechnicallyConstrainedCert": true
    },
    "RevocationInformation": {
        "RevocationStatus": "",
        "DateOfRevocation": null,
        "RevocationReasonCode": "",
        "AlternateCRL": ""
    },
    "OtherCAInformation": {
        "RecognizedCAADomains": "",
        "ProblemReportingMechanism": ""
    },
   "PertainingToCertificatesIssued": {  
      "FullCRLIssuedByThisCA": "" ,
      "JSONArrayofPartitionedCRLsByCA":
           [  
           "[http://cdn.example/crl-1.crl](http://cdn.example/crl-1.crl)",  
           "[http://cdn.example/crl-2.crl](http://cdn.example/crl-2.crl)"  
           ]        
  },
    "AuditorInformation": {
        "Auditor": "Auditor Name",
        "AuditorLocation": "United States"
    },
    "AuditInformation": {
        "AuditSameAsParent": false,
        "StandardAudit": "{{AUDIT}}",
        "StandardAuditType": "ETSI EN 319 411",
        "StandardAuditStatementDate": "2018-10-10",
        "StandardAuditPeriodStartDate": "2018-10-10",
        "StandardAuditPeriodEndDate": "2018-10-10",
        "CodeSigningAudit": "",
        "CodeSigningAuditType": "",
        "CodeSigningAuditStatementDate": "",
        "CodeSigningAuditPeriodStartDate": "",
        "CodeSigningAuditPeriodEndDate": "",
        "BRAudit": "",
        "BRAuditType": "",
        "BRAuditStatementDate": "",
        "BRAuditPeriodStartDate": "",
        "BRAuditPeriodEndDate": "",
        "EVSSLAudit": "",
        "EVSSLAuditType": "",
        "EVSSLAuditStatementDate": "",
        "EVSSLAuditPeriodStartDate": "",
        "EVSSLAuditPeriodEndDate": "",
        "EVCodeSigningAudit": "",
        "EVCodeSigningAuditType": "",
        "EVCodeSigningAuditStatementDate": "",
        "EVCodeSigningAuditPeriodStartDate": "",
        "EVCodeSigningAuditPeriodEndDate": ""
    },
    "PolicyInformation": {
        "CPCPSSameAsParent": false,
        "PolicyDocumentation": "",
        "DocumentRepositatory": "https://URL/repository/CA#CPS",
        "CertificatePolicy": "",
        "CertificationPracticeStatement": "https://URL/cps.pdf",
        "CPCPSLastUpdatedDate": "2019-02-01"
    },
    "Description": "",
    "PublicComments": ""
}`

// doc2022UpdateSample is the 2022-02-15 API documentation's "JSON Definition
// Sample to Update Existing Intermediate Cert", with a real id and PEM.
const doc2022UpdateSample = `{
    "CertificateInformation": {
        "SalesforceRecordId": "{{ID}}",
        "CAOwner": "Digicert",
        "SubordinateCAOwner": "Digicert",
        "IntermediateCertificateName": "Test Intermediate Cert",
        "IntermediateCertPEM": "{{PEM}}"
    },
    "AuditorInformation": {
        "Auditor": "",
        "AuditorLocation": ""
    },
    "AuditInformation": {
        "AuditSameAsParent": true
    },
    "PolicyInformation": {
        "CPCPSSameAsParent": true
    },
    "Description": "This is the description",
    "PublicComments": "This is the public comment"
}`

func fill(tmpl string, kv ...string) string {
	return strings.NewReplacer(kv...).Replace(tmpl)
}

func TestDocumentedResponses(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.CAOwner = "Digicert" })
	inter := testpki.Issue(f.root, testpki.Options{CommonName: "Test Intermediate Cert"})
	other := f.issue("Another Intermediate")
	addBody := func(audit string) string {
		return fill(doc2022AddSample, "{{PEM}}", inter.FlatPEM(), "{{PARENT}}", f.root.FlatPEM(), "{{AUDIT}}", audit)
	}

	// The sample as printed fails on its http:// audit URL.
	status, body := f.post(AddUpdatePath, addBody("http://URL/StandardAudit04FINAL.PDF"))
	if want := failBody("", fmt.Sprintf(MsgInvalidHTTPSURL, "StandardAudit", "http://URL/StandardAudit04FINAL.PDF")); status != 400 || body != want {
		t.Fatalf("http audit URL: %d %s, want %s", status, body, want)
	}

	// Success Response Body.
	status, body = f.post(AddUpdatePath, addBody("https://URL/StandardAudit04FINAL.PDF"))
	id := decodeAddUpdate(t, body).SalesforceRecordID
	if want := `{"ProcessingStatus":"Success","Errors/Warnings":[],"SalesforceRecordId":"` + id + `"}`; status != 200 || body != want || !ValidID(id) {
		t.Fatalf("add: %d %s", status, body)
	}

	// Failed Response Body: the duplicate, with the existing record's id
	// (once the same request may be repeated).
	f.clock.Advance(time.Minute)
	status, body = f.post(AddUpdatePath, addBody("https://URL/StandardAudit04FINAL.PDF"))
	if want := `{"ProcessingStatus":"Fail","Errors/Warnings":["This Intermediate Certificate already exists in CCADB."],"SalesforceRecordId":"` + id + `"}`; status != 400 || body != want {
		t.Fatalf("duplicate add: %d %s, want %s", status, body, want)
	}

	// The sample's retired keys (FullCRLIssuedByThisCA,
	// JSONArrayofPartitionedCRLsByCA, the BR/EVSSL/EVCodeSigning audits and
	// the whole PolicyInformation section) are ignored: nothing of them is
	// stored.
	rec := f.record(id)
	for _, k := range []string{FieldAllFullCRLURLs, FieldPartitionedCRLs, FieldDocumentRepository, "CertificationPracticeStatement", "CPCPSSameAsParent", "CPCPSEffectiveDate"} {
		if v, set := rec.Fields[k]; set {
			t.Errorf("Fields[%s] = %q, from a retired key", k, v)
		}
	}
	wantFields := map[string]string{
		FieldConsentTechnicallyConstrained: "true",
		FieldAuditSameAsParent:             "false",
		FieldRevocationStatus:              "",
		FieldAuditor:                       "Auditor Name",
	}
	for k, v := range wantFields {
		if rec.Fields[k] != v {
			t.Errorf("Fields[%s] = %q, want %q", k, rec.Fields[k], v)
		}
	}
	if _, set := rec.Fields[FieldDateOfRevocation]; set {
		t.Error("DateOfRevocation was null and should be unset")
	}
	if rec.CAOwner != "Digicert" || rec.SubordinateCAOwner != "Digicert" || rec.ParentID != f.rootID || rec.SHA256 != inter.SHA256() {
		t.Errorf("record %+v", rec)
	}

	// Update: Success Response Body.
	status, body = f.post(AddUpdatePath, fill(doc2022UpdateSample, "{{ID}}", id, "{{PEM}}", inter.FlatPEM()))
	if want := `{"ProcessingStatus":"Success","Errors/Warnings":[],"SalesforceRecordId":"` + id + `"}`; status != 200 || body != want {
		t.Fatalf("update: %d %s", status, body)
	}
	rec = f.record(id)
	for k, v := range map[string]string{
		FieldAuditor: "", FieldAuditorLocation: "", FieldAuditSameAsParent: "true", "CPCPSSameAsParent": "", // PolicyInformation is ignored
		FieldDescription: "This is the description", FieldPublicComments: "This is the public comment",
		AuditField("Standard", ""): "https://URL/StandardAudit04FINAL.PDF", // absent: untouched
	} {
		if rec.Fields[k] != v {
			t.Errorf("after update Fields[%s] = %q, want %q", k, rec.Fields[k], v)
		}
	}

	// Update: Failed Response Body, the PEM of another certificate.
	status, body = f.post(AddUpdatePath, fill(doc2022UpdateSample, "{{ID}}", id, "{{PEM}}", other.FlatPEM()))
	if want := `{"ProcessingStatus":"Fail","Errors/Warnings":["The provided Salesforce Record ID and SHA-256 of the provided Intermediate Certificate does not match."],"SalesforceRecordId":""}`; status != 400 || body != want {
		t.Fatalf("mismatched update: %d %s", status, body)
	}

	// GetCertificateIdAPI [SUCCESS] and [FAILURE] samples.
	getBody := func(sha string) string {
		return `{
    "PEM":"` + inter.FlatPEM() + `",
    "SHA256":"` + sha + `",
    "RecordType": "Intermediate Certificate"
}`
	}
	status, body = f.post(GetIDPath, getBody(inter.SHA256()))
	if want := `{"ProcessingStatus":"Success","Errors/Warnings":[],"RecordId":"` + id + `"}`; status != 200 || body != want {
		t.Errorf("GetCertificateId success: %d %s", status, body)
	}
	status, body = f.post(GetIDPath, getBody(inter.SHA256()+"x"))
	if want := `{"ProcessingStatus":"Fail","Errors/Warnings":["Certificate not found in CCADB."],"RecordId":""}`; status != 400 || body != want {
		t.Errorf("GetCertificateId failure: %d %s", status, body)
	}

	// Every add/update is in the API Log; GetCertificateId calls are not.
	log := f.s.APILog()
	wantStatus := []int{400, 200, 400, 200, 400}
	if len(log) != len(wantStatus) {
		t.Fatalf("API log has %d entries, want %d", len(log), len(wantStatus))
	}
	for i, e := range log {
		if e.Status != wantStatus[i] || e.Route != AddUpdatePath || e.Request == "" || e.Response == "" || e.At.IsZero() {
			t.Errorf("log[%d] = %+v", i, e)
		}
	}
}
