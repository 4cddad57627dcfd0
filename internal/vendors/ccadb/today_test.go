package ccadb

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/testfixture"
	"github.com/certsync/certsync/internal/vendors/ccadb/ccadbsim"
)

// Done when: after an apply, a changed field (a second full CRL URL, a TLS
// BR audit) applies and plans clean against a CCADB whose report carries
// A0… ids; the A0… id is shown and never sent.
func TestChangedFieldAppliesWithA0IDs(t *testing.T) {
	h := newHarness(t, ccadbsim.Options{})
	h.addIntermediates(2)
	base := func(int) string {
		return "      crls:\n        full: [http://crl.example.com/a.crl]\n        partitioned: [\"\"]\n"
	}
	v := h.vendor(nil)
	mustOK(t, run(t, v, plan(t, v, h.inventory(base))))
	h.clock.Advance(2 * time.Minute)

	changed := h.inventory(func(i int) string {
		if i == 0 {
			return base(i)
		}
		return "      crls:\n        full: [http://crl.example.com/a.crl, http://crl.example.com/b.crl]\n        partitioned: [\"\"]\n" +
			"      audits:\n        tls_br: {url: \"https://a.example/br.pdf\", type: WebTrust, statement_date: \"2025-06-30\", period_start: \"2024-04-01\", period_end: \"2025-03-31\"}\n"
	})
	v = h.vendor(nil)
	p := plan(t, v, changed)
	if len(p.Changes) != 1 || p.Changes[0].Action != diff.Update {
		t.Fatalf("want one update, got %s", p.Summary())
	}
	c := p.Changes[0]
	if !ccadbsim.ValidCCADBID(c.LiveID) {
		t.Errorf("plan shows id %q, want the report's A0… id", c.LiveID)
	}
	if !strings.Contains(testfixture.Text(p), "crls.full") || !strings.Contains(testfixture.Text(p), "audits.tls_br.url") {
		t.Errorf("plan does not show the changed fields:\n%s", testfixture.Text(p))
	}
	mustOK(t, run(t, v, p))
	h.clock.Advance(2 * time.Minute)
	if again := plan(t, h.vendor(nil), changed); !again.Empty() {
		t.Fatalf("plan after apply: %s", again.Summary())
	}
	rec, _ := h.sim.RecordBySHA256(h.certs[1].SHA256())
	if got := rec.Fields["JSONArrayofAllFullCRLURLs"]; got != `["http://crl.example.com/a.crl","http://crl.example.com/b.crl"]` {
		t.Errorf("stored full CRLs %s", got)
	}
	if got := rec.Fields["TLSBRAuditType"]; got != "WebTrust" {
		t.Errorf("stored TLS BR audit type %q", got)
	}
	assertNothingRetiredSent(t, h)
}

// assertNothingRetiredSent reads every request the simulator received, raw:
// no key today's API ignores, and never a report id as SalesforceRecordId.
func assertNothingRetiredSent(t *testing.T, h *harness) {
	t.Helper()
	writes := 0
	for _, r := range h.sim.Requests() {
		if r.Path != ccadbsim.AddUpdatePath {
			continue
		}
		writes++
		ignored, err := ccadbsim.IgnoredKeys([]byte(r.Body))
		if err != nil {
			t.Fatal(err)
		}
		if len(ignored) > 0 {
			t.Errorf("request sent keys today's API ignores: %q", ignored)
		}
		var body struct {
			CertificateInformation map[string]any
		}
		if err := json.Unmarshal([]byte(r.Body), &body); err != nil {
			t.Fatal(err)
		}
		if id, ok := body.CertificateInformation[keyRecordID].(string); ok && !isRecordID(id) {
			t.Errorf("sent %s %q, not an 18-character record id", keyRecordID, id)
		}
	}
	if writes == 0 {
		t.Error("no write reached the simulator")
	}
}

// Done when: every current field is sent through the client and read back,
// from the report where it shows the field, else from certsync's state; no
// retired key is ever sent.
func TestEveryFieldSentAndReadBack(t *testing.T) {
	h := newHarness(t, ccadbsim.Options{})
	h.addIntermediates(1)
	inv := h.inventory(allFields)
	v := h.vendor(nil)
	p := plan(t, v, inv)
	desired := p.Changes[0].Desired
	if len(desired) != len(fields) {
		t.Fatalf("allFields manages %d fields; the catalogue has %d: the test must set every one", len(desired), len(fields))
	}
	mustOK(t, run(t, v, p))
	assertNothingRetiredSent(t, h)

	// With certsync's state: every field known and equal.
	_, pairs := planPairs(t, h.vendor(nil), inv)
	for _, f := range pairs[0].Live.Fields {
		if f.Name == "expires" {
			continue
		}
		if f.Unknown != "" || !cmp.Equal(diff.Normalize(f.Value), diff.Normalize(desired[f.Name])) {
			t.Errorf("%s read back as %#v (unknown %q), sent %#v", f.Name, f.Value, f.Unknown, desired[f.Name])
		}
	}
	// Without it (a fresh runner): the report's fields are still read back,
	// and only the fields the report lacks are unknown.
	h.stateDir = t.TempDir()
	_, pairs = planPairs(t, h.vendor(nil), inv)
	for _, f := range pairs[0].Live.Fields {
		if f.Name == "expires" {
			continue
		}
		inReport := catalogue[f.Name].column != ""
		if inReport && (f.Unknown != "" || !cmp.Equal(diff.Normalize(f.Value), diff.Normalize(desired[f.Name]))) {
			t.Errorf("report column of %s read back as %#v (unknown %q), sent %#v", f.Name, f.Value, f.Unknown, desired[f.Name])
		}
		if !inReport && f.Unknown == "" {
			t.Errorf("%s is not in the report but was read as %#v without certsync's state", f.Name, f.Value)
		}
	}
}

// Done when: a plan of 1,000 intermediates the report does not list makes
// one CCADB request (the report): no token, no lookup.
func TestUnlisted1000OneRequest(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 1,000 certificates")
	}
	h := newHarness(t, ccadbsim.Options{})
	h.addIntermediates(1000)
	inv := h.inventory(nil)
	h.sim.Faults().ResetCounts()
	p := plan(t, h.vendor(nil), inv)
	if got := p.Count()[diff.Create]; got != 1000 {
		t.Fatalf("want 1,000 adds, got %s", p.Summary())
	}
	if got := h.sim.Faults().Count(""); got != 1 {
		t.Fatalf("a plan of 1,000 unlisted intermediates made %d requests, want 1", got)
	}
}

// The report lists a certificate under several CA Owners: the row of the
// item's ca_owner is read, not another owner's.
func TestReportRowOfTheItemsOwner(t *testing.T) {
	h := newHarness(t, ccadbsim.Options{})
	h.addIntermediates(1)
	root, _ := h.sim.RecordBySHA256(h.root.SHA256())
	other := ccadbsim.Record{RecordType: ccadbsim.IntermediateCertificate, CAOwner: "Other CA", PEM: h.certs[0].PEM(),
		ParentID: root.ID, Fields: map[string]string{"Auditor": "LSTI Group"}}
	if _, err := h.sim.Seed(other); err != nil { // listed first
		t.Fatal(err)
	}
	inv := h.inventory(func(int) string { return "      auditor:\n        name: Auditor Name\n" })
	v := h.vendor(nil)
	p := plan(t, v, inv)
	if len(p.Changes) != 1 || p.Changes[0].Action != diff.Create {
		t.Fatalf("another owner's record was taken as ours: %s", p.Summary())
	}
	mustOK(t, run(t, v, p))
	p = plan(t, h.vendor(nil), inv)
	if !p.Empty() {
		t.Fatalf("plan after apply (the other owner's row differs): %s", p.Summary())
	}
	_, pairs := planPairs(t, h.vendor(nil), inv)
	ours, _ := h.sim.RecordBySHA256(h.certs[0].SHA256())
	for _, rec := range h.sim.Records() {
		if rec.SHA256 == ours.SHA256 && rec.CAOwner == testOwner && pairs[0].Live.ID != rec.CCADBID {
			t.Errorf("live id %s, want our row's %s", pairs[0].Live.ID, rec.CCADBID)
		}
	}
}

// A record whose audits (or a document) are its parent's does not inherit
// the defaults' audits (or that document), so none of them is sent.
func TestSameAsParentInheritsNothing(t *testing.T) {
	h := newHarness(t, ccadbsim.Options{})
	h.addIntermediates(1)
	h.write("inventory.yaml", `ccadb:
  defaults:
    ca_owner: Example CA
    audits:
      standard: {url: "https://a.example/s.pdf", type: WebTrust, statement_date: "2025-06-30", period_start: "2024-04-01", period_end: "2025-03-31"}
    policy:
      cps: {url: "https://pki.example.com/cps.pdf", effective_date: "2025-02-01"}
      cp: {url: "https://pki.example.com/cp.pdf", effective_date: "2025-02-01"}
  intermediates:
    - certificate: ica0.pem
      parent: root.pem
      audits: {same_as_parent: true}
      policy:
        cps: {same_as_parent: true}
`)
	inv := reload(t, h)
	v := h.vendor(nil)
	p := plan(t, v, inv)
	d := p.Changes[0].Desired
	for k := range d {
		if strings.HasPrefix(k, "audits.standard") || strings.HasPrefix(k, "policy.cps.url") || strings.HasPrefix(k, "policy.cps.effective") {
			t.Errorf("inherited %s although the record says it is its parent's", k)
		}
	}
	if d["policy.cp.url"] != "https://pki.example.com/cp.pdf" || d["audits.same_as_parent"] != true {
		t.Errorf("desired = %v, want the CP inherited and audits.same_as_parent", d)
	}
	mustOK(t, run(t, v, p))
	for _, r := range h.sim.Requests() {
		if strings.Contains(r.Body, "StandardAudit") || strings.Contains(r.Body, "CertificationPracticeStatement") {
			t.Errorf("sent an inherited field: %s", r.Body)
		}
	}
}

// Intermediates that take a group (audits, policy) from the defaults share
// the defaults' copy: one that says its audits or a document are its
// parent's, or overrides one field, must change only its own record.
func TestDefaultsGroupsSharedNotChanged(t *testing.T) {
	h := newHarness(t, ccadbsim.Options{})
	h.addIntermediates(3)
	h.write("inventory.yaml", `ccadb:
  defaults:
    ca_owner: Example CA
    audits:
      standard: {url: "https://a.example/s.pdf", type: WebTrust, statement_date: "2025-06-30", period_start: "2024-04-01", period_end: "2025-03-31"}
    policy:
      cps: {url: "https://pki.example.com/cps.pdf", effective_date: "2025-02-01"}
  intermediates:
    - certificate: ica0.pem
      parent: root.pem
      audits: {same_as_parent: true}
      policy:
        cps: {same_as_parent: true}
    - certificate: ica1.pem
      parent: root.pem
    - certificate: ica2.pem
      parent: root.pem
      audits:
        standard: {url: "https://a.example/own.pdf"}
`)
	inv := reload(t, h)
	p := plan(t, h.vendor(nil), inv)
	if len(p.Changes) != 3 {
		t.Fatalf("%d changes, want 3: %s", len(p.Changes), p.Summary())
	}
	want := []map[string]any{
		{"audits.standard.url": nil, "audits.standard.type": nil, "policy.cps.url": nil, "audits.same_as_parent": true},
		{"audits.standard.url": "https://a.example/s.pdf", "audits.standard.type": "WebTrust", "policy.cps.url": "https://pki.example.com/cps.pdf", "audits.same_as_parent": nil},
		{"audits.standard.url": "https://a.example/own.pdf", "audits.standard.type": "WebTrust", "policy.cps.url": "https://pki.example.com/cps.pdf", "audits.same_as_parent": nil},
	}
	for i, c := range p.Changes {
		for k, w := range want[i] {
			if got := c.Desired[k]; got != w {
				t.Errorf("%s: %s = %v, want %v", c.Address, k, got, w)
			}
		}
	}
	d := SectionOf(inv).Defaults
	if d.Audits.SameAsParent.Set || d.Audits.Standard.URL.Value != "https://a.example/s.pdf" || d.Policy.CPS.URL.Value == "" {
		t.Errorf("the defaults were changed through an intermediate: %+v %+v", d.Audits, d.Policy)
	}
}

func loadCCADB(t *testing.T, src string) (*inventory.Inventory, error) {
	t.Helper()
	return inventory.Load(testfixture.WriteInventory(t, src, nil), []inventory.SectionSpec{Spec()})
}

const retiredHead = "ccadb:\n  defaults:\n    ca_owner: X\n"

// Retired keys are refused before anything is sent, naming the key that
// replaces each.
func TestRetiredKeysRefused(t *testing.T) {
	for _, tc := range []struct{ yaml, path, replacement string }{
		{"    audits:\n      br: {url: https://a/br.pdf}\n", "ccadb.defaults.audits.br", "audits.tls_br"},
		{"    audits:\n      ev_ssl: {url: https://a/ev.pdf}\n", "ccadb.defaults.audits.ev_ssl", "audits.tls_evg"},
		{"    audits:\n      ev_code_signing: {url: https://a/ev.pdf}\n", "ccadb.defaults.audits.ev_code_signing", "audits.code_signing"},
		{"    policy:\n      last_updated: \"2025-01-01\"\n", "ccadb.defaults.policy.last_updated", "policy.cp_cps.effective_date"},
		{"    policy:\n      practice_statement: https://p/cps.pdf\n", "ccadb.defaults.policy.practice_statement", "policy.cps.url"},
		{"    policy:\n      certificate_policy: https://p/cp.pdf\n", "ccadb.defaults.policy.certificate_policy", "policy.cp.url"},
		{"    policy:\n      same_as_parent: true\n", "ccadb.defaults.policy.same_as_parent", "policy.cp_cps.same_as_parent"},
		{"    crls:\n      full: http://crl.example.com/x.crl\n", "ccadb.defaults.crls.full", `full: ["http://`},
	} {
		t.Run(tc.path, func(t *testing.T) {
			_, err := loadCCADB(t, retiredHead+tc.yaml)
			var ps inventory.Problems
			if err == nil || !errorsAs(err, &ps) || len(ps) != 1 {
				t.Fatalf("err = %v, want one problem", err)
			}
			if ps[0].Path != tc.path || !strings.Contains(ps[0].Msg, tc.replacement) || ps[0].Pos.Line != 5 {
				t.Errorf("problem = %v; want it at line 5 on %s naming %s", ps[0], tc.path, tc.replacement)
			}
		})
	}
}

// Today's offline rules: refusals, and warnings that print but load.
func TestTodaysOfflineRules(t *testing.T) {
	long := "http://crl.example.com/" + strings.Repeat("a", CRLListLimit)
	for _, tc := range []struct {
		name, yaml string
		problem    string // "" when the file loads
		warning    string
	}{
		{"full CRL list over the limit", "    crls:\n      full: [" + long + "]\n", "the CCADB allows at most 100000", ""},
		{"partitioned over the limit", "    crls:\n      partitioned: [" + long + "]\n", "the CCADB allows at most 100000", ""},
		{"blank full CRL", "    crls:\n      full: [\"\"]\n", "must be a CRL URL", ""},
		{"not yet issuing", "    crls:\n      partitioned: [\"\"]\n", "", ""},
		{"partitioned cleared", "    crls:\n      partitioned: []\n", "", `requires [""]`},
		{"document link without date", "    policy:\n      cps: {url: https://p/cps.pdf}\n", "policy.cps.effective_date: is required when", ""},
		{"document date without link", "    policy:\n      cp: {effective_date: \"2025-01-01\"}\n", "policy.cp.url: is required when", ""},
		{"self-assessment without its date", "    policy:\n      self_assessment: {url: https://p/sa.pdf}\n", "self_assessment.completion_date: is required", ""},
		{"both cleared", "    policy:\n      cps: {url: \"\", effective_date: \"\"}\n", "", ""},
		{"unknown audit type", "    audits:\n      netsec: {url: https://a/n.pdf, type: SOC 2, statement_date: \"2025-06-30\", period_start: \"2024-04-01\", period_end: \"2025-03-31\"}\n", "", `"SOC 2" is not an audit type certsync has seen`},
		{"unknown CA/B Forum policy id", "    issuance:\n      cabf_policy_identifier: 1.2.3\n", "", "not one of the CA/Browser Forum policy identifiers"},
		{"ACME endpoint not a URL", "    issuance:\n      acme_endpoints: {dv: acme.example.com}\n", "issuance.acme_endpoints.dv", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv, err := loadCCADB(t, retiredHead+tc.yaml)
			if tc.problem != "" {
				if err == nil || !strings.Contains(err.Error(), tc.problem) {
					t.Fatalf("err = %v, want %q", err, tc.problem)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			w := inv.Warnings()
			switch {
			case tc.warning == "" && len(w) > 0:
				t.Errorf("unexpected warnings: %v", w)
			case tc.warning != "" && (len(w) != 1 || !strings.Contains(w[0].Msg, tc.warning) || !strings.HasPrefix(w[0].Msg, "warning: ")):
				t.Errorf("warnings = %v, want one containing %q", w, tc.warning)
			}
		})
	}
}

// On a fresh runner, the look-up of a record listed under two CA owners can
// answer the other owner's id (GetCertificateIdAPI takes the first record);
// the update is refused, and an add then names our own record, which is
// updated.
func TestLookupAnswersAnotherOwnersRecord(t *testing.T) {
	h := newHarness(t, ccadbsim.Options{})
	h.addIntermediates(1)
	root, _ := h.sim.RecordBySHA256(h.root.SHA256())
	if _, err := h.sim.Seed(ccadbsim.Record{RecordType: ccadbsim.IntermediateCertificate, CAOwner: "Other CA", PEM: h.certs[0].PEM(), ParentID: root.ID}); err != nil {
		t.Fatal(err)
	}
	v := h.vendor(nil)
	mustOK(t, run(t, v, plan(t, v, h.inventory(nil))))
	h.stateDir = t.TempDir()
	h.clock.Advance(2 * time.Minute)
	inv := h.inventory(func(int) string { return "      description: changed\n" })
	v = h.vendor(nil)
	p := plan(t, v, inv)
	if len(p.Changes) != 1 || p.Changes[0].Action != diff.Update {
		t.Fatalf("want one update, got %s", p.Summary())
	}
	h.sim.Faults().ResetCounts()
	mustOK(t, run(t, v, p))
	if got := h.sim.Faults().Count("POST " + ccadbsim.AddUpdatePath); got != 3 {
		t.Errorf("%d writes, want 3 (the refused update, the add naming our record, the update)", got)
	}
	for _, rec := range h.sim.Records() {
		if rec.SHA256 == h.certs[0].SHA256() && rec.CAOwner == testOwner && rec.Fields["Description"] != "changed" {
			t.Errorf("our record was not updated: %+v", rec.Fields)
		}
		if rec.CAOwner == "Other CA" && rec.Fields["Description"] != "" {
			t.Error("the other owner's record changed")
		}
	}
}

// Apply reads an intermediate's certificate again when it sends it: a file
// that changed since the plan fails its change and nothing is sent; the
// other intermediates are applied.
func TestCertificateChangedSincePlan(t *testing.T) {
	h := newHarness(t, ccadbsim.Options{})
	h.addIntermediates(3)
	inv := h.inventory(nil)
	v := h.vendor(nil)
	p := plan(t, v, inv)
	if len(p.Changes) != 3 {
		t.Fatalf("%d changes, want 3: %s", len(p.Changes), p.Summary())
	}
	h.write("ica0.pem", h.certs[2].PEM()) // swapped after the plan was shown
	rep := run(t, v, p)
	var failed []string
	for _, r := range rep.Results {
		if r.Status == "failed" {
			failed = append(failed, r.Address.Name)
			if !strings.Contains(r.Error, "changed since the plan") || !strings.Contains(r.Error, h.certs[2].SHA256()) {
				t.Errorf("%s failed with %q, want the changed certificate named", r.Address, r.Error)
			}
		}
	}
	if len(failed) != 1 || failed[0] != "Harness ICA 0" {
		t.Fatalf("failed changes %v, want only Harness ICA 0's", failed)
	}
	if _, ok := h.sim.RecordBySHA256(h.certs[0].SHA256()); ok {
		t.Error("the certificate the plan showed was added although its file changed")
	}
	for _, c := range h.certs[1:] {
		if _, ok := h.sim.RecordBySHA256(c.SHA256()); !ok {
			t.Errorf("%s was not added", c.Cert.Subject.CommonName)
		}
	}
}
