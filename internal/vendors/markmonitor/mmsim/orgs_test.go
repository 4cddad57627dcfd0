package mmsim

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestCreateOrganization(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.IssueDelay = time.Hour })
	var org Organization
	data := f.call(http.MethodPost, api+"/organization", orgBody("Example Inc.", true), http.StatusCreated, &org)
	for _, field := range []string{`"zipcode":"83642"`, `"contactTypes":[{"type":"ORGANIZATION_CONTACT"}`, `"providerId":4068`, `"provider":"DIGICERT"`, `"active":true`} {
		if !strings.Contains(string(data), field) {
			t.Errorf("answer lacks %s: %s", field, data)
		}
	}
	if !isUUID(org.ID) || org.DateCreated.IsZero() {
		t.Errorf("id %q, dateCreated %v", org.ID, org.DateCreated)
	}
	if len(org.Contacts) != 2 {
		t.Fatalf("contacts %+v, want the given one and Markmonitor's technical contact", org.Contacts)
	}
	user, tech := org.Contacts[0], org.Contacts[1]
	if !isUUID(user.ID) || user.OrganizationID != org.ID || user.Email != "ada@example.com" {
		t.Errorf("user contact %+v", user)
	}
	if !tech.HasType(ContactTypeTechnical) || tech.OrganizationID != org.ID {
		t.Errorf("technical contact %+v", tech)
	}
	if len(org.Validations) != 2 {
		t.Fatalf("validations %+v, want OV and EV", org.Validations)
	}
	for _, v := range org.Validations {
		if v.Status != ValidationPending || !v.DateValidatedUntil.IsZero() {
			t.Errorf("new validation %+v, want PENDING", v)
		}
	}
	// Validations complete IssueDelay later, by the clock, for 13 months.
	f.clock.Advance(time.Hour)
	var got Organization
	f.call(http.MethodGet, api+"/organization/"+strings.ToUpper(org.ID), nil, http.StatusOK, &got)
	for _, v := range got.Validations {
		want := f.clock.Now().AddDate(0, 13, 0)
		if v.Status != ValidationValidated || !v.DateValidatedUntil.Equal(want) {
			t.Errorf("validation %+v, want VALIDATED until %v", v, want)
		}
	}
	if len(f.s.Organizations()) != 1 || len(f.s.Contacts()) != 2 {
		t.Errorf("Go API: %d organizations, %d contacts", len(f.s.Organizations()), len(f.s.Contacts()))
	}

	e := f.fail(http.MethodPost, api+"/organization", orgBody("EXAMPLE INC.", false), http.StatusConflict)
	if e.code() != CodeOrgDuplicate {
		t.Errorf("duplicate: %+v", e)
	}
	other := orgBody("Example Inc.", false)
	other.Country = "DE"
	f.call(http.MethodPost, api+"/organization", other, http.StatusCreated, nil)
}

func TestCreateOrganizationValidation(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name   string
		mutate func(*Organization)
		field  string
		code   string
	}{
		{"no name", func(o *Organization) { o.Name = " " }, "name", VCodeRequired},
		{"no zipcode", func(o *Organization) { o.Zipcode = "" }, "zipcode", VCodeRequired},
		{"no city", func(o *Organization) { o.City = "" }, "city", VCodeRequired},
		{"bad country", func(o *Organization) { o.Country = "USA" }, "country", VCodeInvalidFormat},
		{"bad provider", func(o *Organization) { o.Provider = "SECTIGO" }, "provider", VCodeInvalidValue},
		{"no contacts", func(o *Organization) { o.Contacts = nil }, "contacts", VCodeRequired},
		{"contact without email", func(o *Organization) { o.Contacts[0].Email = "" }, "contacts[0].email", VCodeRequired},
		{"contact with a bad email", func(o *Organization) { o.Contacts[0].Email = "ada at example" }, "contacts[0].email", VCodeInvalidEmail},
		{"contact without types", func(o *Organization) { o.Contacts[0].ContactTypes = nil }, "contacts[0].contactTypes", VCodeRequired},
		{"technical contact", func(o *Organization) { o.Contacts[0].ContactTypes = []ContactType{{Type: ContactTypeTechnical}} }, "contacts[0].contactTypes[0].type", VCodeInvalidValue},
		{"unknown contact type", func(o *Organization) { o.Contacts[0].ContactTypes = []ContactType{{Type: "BILLING"}} }, "contacts[0].contactTypes[0].type", VCodeInvalidValue},
		{"contact without job title", func(o *Organization) { o.Contacts[0].JobTitle = "" }, "contacts[0].jobTitle", VCodeRequired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := orgBody("Acme", false)
			tc.mutate(&body)
			e := f.fail(http.MethodPost, api+"/organization", body, http.StatusBadRequest)
			if !e.hasField(tc.field, tc.code) {
				t.Errorf("validations %+v, want %s %s", e.Validations, tc.field, tc.code)
			}
		})
	}
	if e := f.fail(http.MethodPost, api+"/organization", "{", http.StatusBadRequest); e.code() != CodeBadRequest {
		t.Errorf("malformed JSON: %+v", e)
	}
	if n := len(f.s.Organizations()); n != 0 {
		t.Errorf("%d organizations after failures", n)
	}
}

func TestListOrganizations(t *testing.T) {
	f := newFixture(t)
	names := []string{"Alpha Widgets", "Beta Widgets LLC", "Gamma Tools", "Delta widgets"}
	var orgs []Organization
	for _, n := range names {
		orgs = append(orgs, f.newOrg(n, false))
	}
	list := func(q url.Values) PagedList[Organization] {
		t.Helper()
		var p PagedList[Organization]
		f.call(http.MethodGet, api+"/organization?"+q.Encode(), nil, http.StatusOK, &p)
		return p
	}
	namesOf := func(p PagedList[Organization]) string {
		var out []string
		for _, o := range p.Content {
			out = append(out, o.Name)
		}
		return strings.Join(out, "|")
	}
	for _, tc := range []struct {
		name  string
		q     url.Values
		want  string
		total int
		page  Page
	}{
		{"all", url.Values{}, strings.Join(names, "|"), 4, Page{Size: 20, TotalElements: 4, TotalPages: 1, Number: 0}},
		{"fuzzy name", url.Values{"name": {"WIDGET"}}, "Alpha Widgets|Beta Widgets LLC|Delta widgets", 3, Page{20, 3, 1, 0}},
		{"providerId", url.Values{"providerId": {"4070"}}, "Gamma Tools", 1, Page{20, 1, 1, 0}},
		{"page 1 of size 3", url.Values{"size": {"3"}, "page": {"1"}}, "Delta widgets", 4, Page{3, 4, 2, 1}},
		{"page past the end", url.Values{"size": {"3"}, "page": {"6"}}, "", 4, Page{3, 4, 2, 6}},
		{"size clamped", url.Values{"size": {"100000"}}, strings.Join(names, "|"), 4, Page{2000, 4, 1, 0}},
		{"bad paging falls back", url.Values{"size": {"x"}, "page": {"-3"}}, strings.Join(names, "|"), 4, Page{20, 4, 1, 0}},
		{"sort by name desc", url.Values{"sort": {"name,desc"}}, "Gamma Tools|Delta widgets|Beta Widgets LLC|Alpha Widgets", 4, Page{20, 4, 1, 0}},
		{"no match", url.Values{"name": {"zzz"}}, "", 0, Page{20, 0, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := list(tc.q)
			if got := namesOf(p); got != tc.want {
				t.Errorf("names %q, want %q", got, tc.want)
			}
			if p.Page != tc.page {
				t.Errorf("page %+v, want %+v", p.Page, tc.page)
			}
			if p.Content == nil {
				t.Error("content is null, want []")
			}
		})
	}
	if orgs[2].ProviderID != 4070 {
		t.Errorf("providerIds are not sequential: %d", orgs[2].ProviderID)
	}
	if e := f.fail(http.MethodGet, api+"/organization?providerId=abc", nil, http.StatusBadRequest); !e.hasField("providerId", VCodeInvalidFormat) {
		t.Errorf("bad providerId: %+v", e)
	}
	// Lists embed contacts.
	if p := list(url.Values{"name": {"gamma"}}); len(p.Content[0].Contacts) != 2 {
		t.Errorf("list entry contacts %+v", p.Content[0].Contacts)
	}
}

func TestOrganizationHistory(t *testing.T) {
	f := newFixture(t)
	org := f.newOrg("Hist Inc.", false)
	var p PagedList[History]
	f.call(http.MethodGet, api+"/organization/"+org.ID+"/history", nil, http.StatusOK, &p)
	if p.Page.TotalElements < 4 || p.Content[0].Text != "Organization created" || p.Content[0].UserName != testUser {
		t.Fatalf("history %+v", p)
	}
	var sys PagedList[History]
	f.call(http.MethodGet, api+"/organization/"+org.ID+"/history?text=TECHNICAL", nil, http.StatusOK, &sys)
	if len(sys.Content) != 1 || sys.Content[0].UserName != "" {
		t.Errorf("system line %+v: want one line, no userName", sys.Content)
	}
	raw := f.call(http.MethodGet, api+"/organization/"+org.ID+"/history?text=technical", nil, http.StatusOK, nil)
	if strings.Contains(string(raw), "userName") {
		t.Errorf("a system line carries userName: %s", raw)
	}
	var mine PagedList[History]
	f.call(http.MethodGet, api+"/organization/"+org.ID+"/history?userId="+testUser, nil, http.StatusOK, &mine)
	if len(mine.Content) == 0 || len(mine.Content) >= p.Page.TotalElements {
		t.Errorf("userId filter: %d of %d", len(mine.Content), p.Page.TotalElements)
	}
	var one History
	f.call(http.MethodGet, api+"/organization/"+org.ID+"/history/"+p.Content[1].ID, nil, http.StatusOK, &one)
	if one != p.Content[1] {
		t.Errorf("single history %+v, want %+v", one, p.Content[1])
	}
	if e := f.fail(http.MethodGet, api+"/organization/"+org.ID+"/history/"+newUUID(), nil, http.StatusNotFound); e.code() != CodeHistoryNotFound {
		t.Errorf("unknown history: %+v", e)
	}
	if e := f.fail(http.MethodGet, api+"/organization/"+org.ID+"/history/x", nil, http.StatusBadRequest); e.code() != CodeInvalidID {
		t.Errorf("bad history id: %+v", e)
	}
}

func TestContacts(t *testing.T) {
	f := newFixture(t)
	org := f.newOrg("Contacts Inc.", false)
	body := Contact{
		OrganizationID: org.ID, FirstName: "Grace", LastName: "Hopper", JobTitle: "Admiral",
		Email: "grace@example.com", Phone: "+1.5550100", Provider: ProviderDigiCert,
		ContactTypes: []ContactType{{Type: ContactTypeEVApprover}},
	}
	var ct Contact
	f.call(http.MethodPost, api+"/contact", body, http.StatusCreated, &ct)
	if !isUUID(ct.ID) || ct.OrganizationID != org.ID || ct.Provider != ProviderDigiCert {
		t.Errorf("created %+v", ct)
	}
	// Adding an EV approver submits the organization for EV validation.
	var got Organization
	f.call(http.MethodGet, api+"/organization/"+org.ID, nil, http.StatusOK, &got)
	if len(got.Validations) != 2 || len(got.Contacts) != 3 {
		t.Errorf("after adding an EV approver: validations %+v, %d contacts", got.Validations, len(got.Contacts))
	}

	bad := body
	bad.OrganizationID = newUUID()
	if e := f.fail(http.MethodPost, api+"/contact", bad, http.StatusBadRequest); !e.hasField("organizationId", VCodeOrgNotFound) {
		t.Errorf("unknown organization: %+v", e)
	}

	var withHist Contact
	f.call(http.MethodGet, api+"/contact/"+ct.ID, nil, http.StatusOK, &withHist)
	if len(withHist.History) != 1 {
		t.Errorf("GET contact history %+v", withHist.History)
	}

	var byEmail PagedList[Contact]
	f.call(http.MethodGet, api+"/contact?email=GRACE@example.com", nil, http.StatusOK, &byEmail)
	if byEmail.Page.TotalElements != 1 || byEmail.Content[0].ID != ct.ID || byEmail.Content[0].History != nil {
		t.Errorf("list by email %+v", byEmail)
	}
	var all PagedList[Contact]
	f.call(http.MethodGet, api+"/contact", nil, http.StatusOK, &all)
	if all.Page.TotalElements != 3 {
		t.Errorf("all contacts: %d, want 3", all.Page.TotalElements)
	}

	// PATCH merges; modifying an EV approver re-submits EV validation.
	var patched Contact
	f.call(http.MethodPatch, api+"/contact/"+ct.ID, map[string]any{"jobTitle": "Rear Admiral", "phoneExtension": "42"}, http.StatusOK, &patched)
	if patched.JobTitle != "Rear Admiral" || patched.PhoneExtension != "42" || patched.Email != body.Email || patched.FirstName != "Grace" {
		t.Errorf("patched %+v", patched)
	}
	var hist PagedList[History]
	f.call(http.MethodGet, api+"/organization/"+org.ID+"/history?text=modified", nil, http.StatusOK, &hist)
	if len(hist.Content) != 1 || !strings.Contains(hist.Content[0].Text, "EV validation") {
		t.Errorf("organization history after EV approver change: %+v", hist.Content)
	}
	for _, tc := range []struct {
		name string
		body any
		want int
		code string
	}{
		{"bad email", map[string]any{"email": "nope"}, http.StatusBadRequest, VCodeInvalidEmail},
		{"empty types", map[string]any{"contactTypes": []ContactType{}}, http.StatusBadRequest, VCodeRequired},
		{"other organization", map[string]any{"organizationId": newUUID()}, http.StatusBadRequest, VCodeOrgChange},
		{"drop the last EV type", map[string]any{"contactTypes": []ContactType{{Type: ContactTypeOrganization}}}, http.StatusConflict, CodeContactLastEV},
	} {
		if e := f.fail(http.MethodPatch, api+"/contact/"+ct.ID, tc.body, tc.want); e.code() != tc.code {
			t.Errorf("PATCH %s: %+v, want %s", tc.name, e, tc.code)
		}
	}
	tech := got.Contacts[1]
	if !tech.HasType(ContactTypeTechnical) {
		t.Fatalf("contact 1 is not technical: %+v", tech)
	}
	if e := f.fail(http.MethodPatch, api+"/contact/"+tech.ID, map[string]any{"email": "x@example.com"}, http.StatusConflict); e.code() != CodeContactTechnical {
		t.Errorf("PATCH technical: %+v", e)
	}
}

func TestDeleteContactRules(t *testing.T) {
	f := newFixture(t)
	org := f.newOrg("Delete Inc.", true) // Ada: organization contact + EV approver
	ada := userContact(t, org)
	tech := org.Contacts[1]
	add := func(types ...string) Contact {
		t.Helper()
		var cts []ContactType
		for _, ty := range types {
			cts = append(cts, ContactType{Type: ty})
		}
		var ct Contact
		f.call(http.MethodPost, api+"/contact", Contact{
			OrganizationID: org.ID, FirstName: "Bob", LastName: "Smith", JobTitle: "Ops",
			Email: "bob" + newUUID()[:4] + "@example.com", Phone: "+1.5550199", ContactTypes: cts, Provider: ProviderDigiCert,
		}, http.StatusCreated, &ct)
		return ct
	}
	del := func(id string, want int) ErrorResponse {
		t.Helper()
		resp, data := f.request(http.MethodDelete, api+"/contact/"+id, nil)
		if resp.StatusCode != want {
			t.Fatalf("DELETE %s: %d, want %d: %s", id, resp.StatusCode, want, data)
		}
		var e ErrorResponse
		_ = json.Unmarshal(data, &e)
		return e
	}

	if e := del(ada.ID, http.StatusConflict); e.code() != CodeContactLast {
		t.Errorf("last contact: %+v", e)
	}
	if e := del(tech.ID, http.StatusConflict); e.code() != CodeContactTechnical {
		t.Errorf("technical contact: %+v", e)
	}
	bob := add(ContactTypeOrganization)
	if e := del(ada.ID, http.StatusConflict); e.code() != CodeContactLastEV {
		t.Errorf("last EV contact: %+v", e)
	}
	// On an active order: refused; once the order is over (revoked): allowed.
	o := f.newOrder(orderReq(org, bob.ID, "www.example.com", ecCSR()))
	if e := del(bob.ID, http.StatusConflict); e.code() != CodeContactActiveOrder {
		t.Errorf("contact on an active order: %+v", e)
	}
	f.action(o.ID, ActionRevoke, "{}", http.StatusOK)
	del(bob.ID, http.StatusOK)
	if _, ok := f.s.contacts[bob.ID]; ok {
		t.Error("deleted contact still stored")
	}
	// A second EV approver makes the first deletable, and re-submits EV
	// validation.
	carol := add(ContactTypeEVApprover)
	_ = carol
	del(ada.ID, http.StatusOK)
	var hist PagedList[History]
	f.call(http.MethodGet, api+"/organization/"+org.ID+"/history?text=deleted", nil, http.StatusOK, &hist)
	if hist.Page.TotalElements != 3 { // Bob's deletion, Ada's deletion, EV re-validation
		t.Errorf("history %+v", hist.Content)
	}
	if e := del(newUUID(), http.StatusNotFound); e.code() != CodeContactNotFound {
		t.Errorf("unknown contact: %+v", e)
	}
}
