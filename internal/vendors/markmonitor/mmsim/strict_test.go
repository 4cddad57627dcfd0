package mmsim

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// orderJSON returns an order body as a generic map, so a test can miscase,
// drop or add keys.
func orderJSON(t *testing.T, req OrderRequest) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(mustJSONString(req)), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func rename(m map[string]any, from, to string) map[string]any {
	m[to] = m[from]
	delete(m, from)
	return m
}

// TestJSONKeysAreCaseSensitive: Jackson matches property names exactly and
// ignores unknown ones, so a miscased mandatory key is a missing field (400
// validations naming it) and a miscased optional key is silently dropped.
func TestJSONKeysAreCaseSensitive(t *testing.T) {
	f := newFixture(t)
	org := f.newOrg("Case Inc.", false)
	base := func() OrderRequest { return orderReq(org, userContact(t, org).ID, "www.example.com", ecCSR()) }
	for _, tc := range []struct {
		name  string
		edit  func(map[string]any) map[string]any
		field string
	}{
		{"Locale", func(m map[string]any) map[string]any { return rename(m, "locale", "Locale") }, "locale"},
		{"PROVIDER", func(m map[string]any) map[string]any { return rename(m, "provider", "PROVIDER") }, "provider"},
		{"organizationID", func(m map[string]any) map[string]any { return rename(m, "organizationId", "organizationID") }, "organizationId"},
		{"CertType", func(m map[string]any) map[string]any { return rename(m, "certType", "CertType") }, "certType"},
		{"cert.CSR", func(m map[string]any) map[string]any {
			rename(m["cert"].(map[string]any), "csr", "CSR")
			return m
		}, "cert.csr"},
		{"cert.dcvmethod", func(m map[string]any) map[string]any {
			rename(m["cert"].(map[string]any), "dcvMethod", "dcvmethod")
			return m
		}, "cert.dcvMethod"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := f.fail(http.MethodPost, api+"/order", tc.edit(orderJSON(t, base())), http.StatusBadRequest)
			if !e.hasField(tc.field, VCodeRequired) {
				t.Errorf("miscased key: %+v, want %s %s", e, tc.field, VCodeRequired)
			}
		})
	}
	if n := len(f.s.Orders()); n != 0 {
		t.Fatalf("%d orders created by refused bodies", n)
	}

	// Optional keys miscased, and unknown keys, are ignored, not errors.
	m := orderJSON(t, base())
	rename(m, "comments", "Comments")
	rename(m, "additionalEmails", "AdditionalEmails")
	m["additionalEmails"] = nil
	m["AdditionalEmails"] = []string{"ops@example.com"}
	m["unknownProperty"] = 1
	var o Order
	f.call(http.MethodPost, api+"/order", m, http.StatusAccepted, &o)
	if o.Comments != "" || len(o.AdditionalEmails) != 0 {
		t.Errorf("miscased optional keys were read: comments %q, additionalEmails %v", o.Comments, o.AdditionalEmails)
	}

	// Organization and contact bodies, and action bodies, the same way.
	ob := orgBody("Case Org", false)
	var orgMap map[string]any
	_ = json.Unmarshal([]byte(mustJSONString(ob)), &orgMap)
	rename(orgMap, "zipcode", "zipCode")
	if e := f.fail(http.MethodPost, api+"/organization", orgMap, http.StatusBadRequest); !e.hasField("zipcode", VCodeRequired) {
		t.Errorf("organization zipCode: %+v", e)
	}
	_, issued := f.issuedOrder("Case Two Inc.")
	if e := f.fail(http.MethodPatch, api+"/order/"+issued.ID+"/"+ActionUpdateAdditionalEmails, `{"AdditionalEmails":["a@example.com"]}`, http.StatusBadRequest); !e.hasField("additionalEmails", VCodeRequired) {
		t.Errorf("updateAdditionalEmails with a miscased key: %+v", e)
	}
	if got := f.getOrder(issued.ID); len(got.AdditionalEmails) != 0 {
		t.Errorf("additional e-mails changed by a refused request: %v", got.AdditionalEmails)
	}
}

// TestMandatoryFieldsAreNotFilledIn: locale and provider on an order, and
// provider on an organization and a contact, are mandatory: a missing one is
// refused with a validation error, never defaulted.
func TestMandatoryFieldsAreNotFilledIn(t *testing.T) {
	f := newFixture(t)
	org := f.newOrg("Mandatory Inc.", false)
	req := orderReq(org, userContact(t, org).ID, "m.example.com", ecCSR())
	req.Locale, req.Provider = "", ""
	e := f.fail(http.MethodPost, api+"/order", req, http.StatusBadRequest)
	if !e.hasField("locale", VCodeRequired) || !e.hasField("provider", VCodeRequired) {
		t.Errorf("order without locale and provider: %+v", e)
	}
	req.Locale, req.Provider = "en", "SECTIGO"
	if e := f.fail(http.MethodPost, api+"/order", req, http.StatusBadRequest); !e.hasField("provider", VCodeInvalidValue) {
		t.Errorf("order with provider SECTIGO: %+v", e)
	}

	ob := orgBody("No Provider Inc.", false)
	ob.Provider = ""
	if e := f.fail(http.MethodPost, api+"/organization", ob, http.StatusBadRequest); !e.hasField("provider", VCodeRequired) {
		t.Errorf("organization without provider: %+v", e)
	}
	ct := Contact{OrganizationID: org.ID, FirstName: "No", LastName: "Provider", JobTitle: "Ops",
		Email: "np@example.com", Phone: "+1.5550100", ContactTypes: []ContactType{{Type: ContactTypeOrganization}}}
	if e := f.fail(http.MethodPost, api+"/contact", ct, http.StatusBadRequest); !e.hasField("provider", VCodeRequired) {
		t.Errorf("contact without provider: %+v", e)
	}
	if n := len(f.s.Orders()); n != 0 {
		t.Errorf("%d orders created", n)
	}
}

// TestBodyContentType: every JSON body must say so; anything else (no
// Content-Type included, which Spring reads as application/octet-stream) is
// Spring's 415, whatever the body holds.
func TestBodyContentType(t *testing.T) {
	f := newFixture(t)
	org := f.newOrg("Media Inc.", false)
	_, issued := f.issuedOrder("Media Issued Inc.")
	body := mustJSONString(orderReq(org, userContact(t, org).ID, "media.example.com", ecCSR()))
	for _, tc := range []struct{ method, path, body string }{
		{http.MethodPost, api + "/order", body},
		{http.MethodPost, api + "/organization", mustJSONString(orgBody("Media Two", false))},
		{http.MethodPost, api + "/contact", `{}`},
		{http.MethodPatch, api + "/contact/" + userContact(t, org).ID, `{"jobTitle":"x"}`},
		{http.MethodPost, api + "/cert/parse", `[]`},
		{http.MethodPatch, api + "/order/" + issued.ID + "/" + ActionUpdateAdditionalEmails, `{"additionalEmails":["a@example.com"]}`},
		{http.MethodPost, AuthenticatePath, mustJSONString(Credentials{Username: testUser, Password: testPassword})},
	} {
		for _, ctype := range []string{"", "text/plain", "application/xml", "application/x-www-form-urlencoded", "json"} {
			hdr := []string{"Content-Type", ctype}
			resp, data := f.request(tc.method, tc.path, tc.body, hdr...)
			var se SpringError
			_ = json.Unmarshal(data, &se)
			if resp.StatusCode != http.StatusUnsupportedMediaType || se.Status != 415 || se.Error != "Unsupported Media Type" ||
				se.Path != tc.path || !strings.Contains(resp.Header.Get("Accept"), "application/json") {
				t.Errorf("%s %s with Content-Type %q: %d %s", tc.method, tc.path, ctype, resp.StatusCode, data)
			}
		}
		// The JSON types Spring's Jackson converter reads are accepted.
		for _, ctype := range []string{"application/json", "application/json; charset=UTF-8", "application/merge-patch+json"} {
			if resp, data := f.request(tc.method, tc.path, tc.body, "Content-Type", ctype); resp.StatusCode == http.StatusUnsupportedMediaType {
				t.Errorf("%s %s with Content-Type %q: %d %s", tc.method, tc.path, ctype, resp.StatusCode, data)
			}
		}
	}
	if got := f.getOrder(issued.ID); len(got.AdditionalEmails) != 1 {
		t.Errorf("additional e-mails %v after one accepted update", got.AdditionalEmails)
	}
}
