package ccadb

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/certsync/certsync/internal/apply"
	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/sim"
	"github.com/certsync/certsync/internal/vendors/ccadb/ccadbsim"
	"github.com/certsync/certsync/internal/vendors/conformance"
)

// allFields sets every field of today's API, so a round trip exercises the
// whole catalogue.
func allFields(i int) string {
	return `      subordinate_ca_owner: Sub Owner
      technically_constrained: false
      revocation:
        status: ""
        date: ""
        reason: ""
        alternate_crl: ""
      ca_information:
        recognized_caa_domains: example.com
        problem_reporting_mechanism: mailto:problems@example.com
      crls:
        full: ["http://crl.example.com/full.crl"]
        partitioned: ["http://crl.example.com/1.crl", "http://crl.example.com/2.crl"]
      issuance:
        cabf_policy_identifier: "2.23.140.1.2.2"
        acme_endpoints: {dv: "https://acme.example.com/dv", ov: "https://acme.example.com/ov", ev: "", iv: ""}
        other_automated_solutions: {dv: "", ov: "EST for OV", ev: "", iv: ""}
        automated_test_websites: {dv: "https://test-dv.example.com", ov: "", ev: "", iv: ""}
      auditor:
        name: Auditor Name
        location: United States
      audits:
        same_as_parent: false
        standard: {url: "https://a.example/s.pdf", type: WebTrust, statement_date: "2025-06-30", period_start: "2024-04-01", period_end: "2025-03-31"}
        netsec: {url: "https://a.example/ns.pdf", type: WebTrust, statement_date: "2025-06-30", period_start: "2024-04-01", period_end: "2025-03-31"}
        tls_br: {url: "https://a.example/br.pdf", type: "ETSI EN 319 411", statement_date: "2025-06-30", period_start: "2024-04-01", period_end: "2025-03-31"}
        tls_evg: {url: "", type: "", statement_date: "", period_start: "", period_end: ""}
        code_signing: {url: "https://a.example/cs.pdf", type: WebTrust, statement_date: "2025-06-30", period_start: "2024-04-01", period_end: "2025-03-31"}
        smime: {url: "https://a.example/smime.pdf", type: WebTrust, statement_date: "2025-06-30", period_start: "2024-04-01", period_end: "2025-03-31"}
        vmc: {url: "https://a.example/vmc.pdf", type: WebTrust, statement_date: "2025-06-30", period_start: "2024-04-01", period_end: "2025-03-31"}
      policy:
        documentation: "See the CPS."
        repository: https://pki.example.com/repo
        cp: {same_as_parent: false, url: "https://pki.example.com/cp.pdf", effective_date: "2025-02-01"}
        cps: {same_as_parent: false, url: "https://pki.example.com/cps.pdf", effective_date: "2025-02-01"}
        cp_cps: {same_as_parent: false, url: "", effective_date: ""}
        markdown_cp_cps: {same_as_parent: false, url: "https://pki.example.com/cps.md", effective_date: "2025-02-01"}
        self_assessment: {same_as_parent: false, url: "https://pki.example.com/self.xlsx", completion_date: "2025-01-15"}
      description: Issuing CA
      public_comments: ""
`
}

// The conformance property of every vendor: apply the plan, plan again,
// expect zero changes.
func TestConformance(t *testing.T) {
	h := newHarness(t, ccadbsim.Options{})
	h.addIntermediates(3)
	inv := h.inventory(allFields)
	p := conformance.Run(t, Name, func() conformance.Vendor { return h.vendor(nil) }, inv)
	if got := p.Count()[diff.Create]; got != 3 || len(p.Changes) != 3 {
		t.Fatalf("want 3 creates, got %s", p.Summary())
	}
	if n := len(h.sim.Records()); n != 4 {
		t.Fatalf("simulator holds %d records, want root + 3", n)
	}
	// What the simulator stored is what the inventory says.
	rec, _ := h.sim.RecordBySHA256(h.certs[1].SHA256())
	for k, want := range map[string]string{
		"RecognizedCAADomains": "example.com", "VMCAudit": "https://a.example/vmc.pdf",
		"JSONArrayofAllFullCRLURLs":  `["http://crl.example.com/full.crl"]`,
		"JSONArrayofPartitionedCRLs": `["http://crl.example.com/1.crl","http://crl.example.com/2.crl"]`,
		"DocumentRepository":         "https://pki.example.com/repo", "PublicComments": "",
		"CABForumCertificatePolicyIdentifier": "2.23.140.1.2.2", "OtherOVAutomatedSolutionDescription": "EST for OV",
		"SelfAssessmentCompletionDate": "2025-01-15", "MarkdownOrAsciiDocCPCPS": "https://pki.example.com/cps.md",
	} {
		if got, ok := rec.Fields[k]; !ok || got != want {
			t.Errorf("record field %s = %q (set %v), want %q", k, got, ok, want)
		}
	}
}

// Changing one field shows exactly that field, old -> new; apply sends it;
// the next plan is clean. Removing a field changes nothing remotely.
func TestOneFieldChangeAndRemoval(t *testing.T) {
	h := newHarness(t, ccadbsim.Options{})
	h.addIntermediates(2)
	v := h.vendor(nil)
	mustOK(t, run(t, v, plan(t, v, h.inventory(allFields))))

	var edits []string // cumulative: each case keeps the earlier edits
	for _, tc := range []struct {
		name, from, to, field string
		old, new              any
	}{
		{"report column", "https://pki.example.com/cps.pdf", "https://pki.example.com/cps-v2.pdf", "policy.cps.url", "https://pki.example.com/cps.pdf", "https://pki.example.com/cps-v2.pdf"},
		{"write-only field", "description: Issuing CA", "description: Retired", "description", "Issuing CA", "Retired"},
	} {
		edits = append(edits, tc.from, tc.to)
		t.Run(tc.name, func(t *testing.T) {
			inv := h.inventory(func(i int) string {
				s := allFields(i)
				if i == 1 {
					s = strings.NewReplacer(edits...).Replace(s)
				}
				return s
			})
			v := h.vendor(nil)
			p := plan(t, v, inv)
			if len(p.Changes) != 1 {
				t.Fatalf("want 1 change, got %s", p.Summary())
			}
			c := p.Changes[0]
			want := []diff.FieldChange{{Field: tc.field, Old: tc.old, New: tc.new}}
			if c.Action != diff.Update || c.Address.Name != "Harness ICA 1" || !cmp.Equal(c.Fields, want) {
				t.Fatalf("change = %s %s %+v; want update of Harness ICA 1 with %+v", c.Action, c.Address, c.Fields, want)
			}
			mustOK(t, run(t, v, p))
			if again := plan(t, h.vendor(nil), inv); !again.Empty() {
				t.Fatalf("plan after apply: %s", again.Summary())
			}
		})
	}

	before := h.sim.Records()
	inv := h.inventory(func(i int) string {
		// Drop description and the whole policy block: unmanaged from now on.
		s := allFields(i)
		s = s[:strings.Index(s, "      policy:")]
		return s
	})
	if p := plan(t, h.vendor(nil), inv); !p.Empty() {
		t.Fatalf("removing fields planned changes: %s", p.Summary())
	}
	if !cmp.Equal(before, h.sim.Records()) {
		t.Fatal("the simulator's records changed")
	}
}

// An access token the simulator expires mid-run is refreshed once and the
// request retried; the run does not fail.
func TestAccessTokenExpiresMidRun(t *testing.T) {
	h := newHarness(t, ccadbsim.Options{})
	h.addIntermediates(6)
	var apex atomic.Int32
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if strings.HasPrefix(r.URL.Path, "/services/apexrest/") && apex.Add(1) == 3 {
			h.sim.ExpireAccessTokens()
		}
		return http.DefaultTransport.RoundTrip(r)
	})}
	v := h.vendor(hc)
	inv := h.inventory(nil)
	p := plan(t, v, inv)
	mustOK(t, run(t, v, p))
	if got := h.sim.Faults().Count("POST " + ccadbsim.TokenPath); got != 2 {
		t.Errorf("token requests = %d, want 2 (first token, one refresh)", got)
	}
	if !plan(t, v, inv).Empty() {
		t.Error("plan after apply is not empty")
	}
}

// A refused refresh token is permanent: the error says to run ccadb-login,
// and it is not retried.
func TestRefreshTokenRefused(t *testing.T) {
	h := newHarness(t, ccadbsim.Options{})
	h.addIntermediates(1)
	h.sim.RevokeRefreshTokens()
	v := h.vendor(nil)
	p := plan(t, v, h.inventory(nil)) // the report needs no token
	_, err := v.Apply(context.Background(), p.Changes[0])
	if !errors.Is(err, ErrLogin) || !strings.Contains(err.Error(), "certsync ccadb-login") {
		t.Fatalf("err = %v, want ErrLogin naming ccadb-login", err)
	}
	if got := h.sim.Faults().Count("POST " + ccadbsim.TokenPath); got != 1 {
		t.Errorf("token requests = %d, want 1", got)
	}
}

// A record certsync added that the lagging report does not list yet is
// compared with what certsync sent: the next plan is empty, with no lookup.
func TestAddedRecordNotInReportYet(t *testing.T) {
	h := newHarness(t, ccadbsim.Options{ReportDelay: time.Hour})
	h.addIntermediates(1)
	inv := h.inventory(allFields)
	v := h.vendor(nil)
	mustOK(t, run(t, v, plan(t, v, inv)))
	h.sim.Faults().ResetCounts()
	p, pairs := planPairs(t, h.vendor(nil), inv)
	if !p.Empty() {
		t.Fatalf("plan after apply, report lagging: %s", p.Summary())
	}
	if got := h.sim.Faults().Count(""); got != 1 {
		t.Errorf("%d requests, want 1 (the report)", got)
	}
	if id := pairs[0].Live.ID; len(id) != 18 {
		t.Errorf("live id %q, want the 18-character id certsync kept", id)
	}
}

// A record that exists but that neither the lagging report nor certsync's
// state knows (a fresh CI runner) is planned as an add without a lookup;
// apply finds it exists and updates it instead of adding a second one.
func TestUnknownRecordNotInReportYet(t *testing.T) {
	h := newHarness(t, ccadbsim.Options{ReportDelay: time.Hour})
	h.addIntermediates(1)
	inv := h.inventory(allFields)
	v := h.vendor(nil)
	mustOK(t, run(t, v, plan(t, v, inv)))

	h.stateDir = t.TempDir() // certsync has no record of its own
	h.clock.Advance(2 * time.Minute)
	h.sim.Faults().ResetCounts()
	v = h.vendor(nil)
	p := plan(t, v, inv)
	if len(p.Changes) != 1 || p.Changes[0].Action != diff.Create {
		t.Fatalf("want one add, got %s", p.Summary())
	}
	if got := h.sim.Faults().Count("POST " + ccadbsim.GetIDPath); got != 0 {
		t.Errorf("planning made %d lookups, want 0", got)
	}
	rep := run(t, v, p)
	mustOK(t, rep)
	if n := len(h.sim.Records()); n != 2 {
		t.Errorf("records = %d, want 2 (an existing record must not be added again)", n)
	}
	if m := rep.Results[0].Messages; len(m) == 0 || !strings.Contains(m[0], "already existed") {
		t.Errorf("messages = %q, want the add turned into an update", m)
	}
	if again := plan(t, h.vendor(nil), inv); !again.Empty() {
		t.Errorf("plan after apply: %s", again.Summary())
	}
}

// A connection dropped after the simulator committed the add is retried; the
// CCADB refuses the duplicate and names the record, which is adopted.
func TestAddCommittedThenConnectionDropped(t *testing.T) {
	h := newHarness(t, ccadbsim.Options{})
	h.addIntermediates(3)
	// Two drops: fewer than a write's three attempts, so even when both hit
	// the same change (scheduling decides) it still succeeds.
	h.sim.Faults().Add(sim.Fault{Method: "POST", Path: ccadbsim.AddUpdatePath, DropAfterCommit: true, Times: 2})
	v := h.vendor(nil)
	inv := h.inventory(allFields)
	rep := run(t, v, plan(t, v, inv))
	mustOK(t, rep)
	if n := len(h.sim.Records()); n != 4 {
		t.Fatalf("records = %d, want root + 3 (no duplicates)", n)
	}
	adopted := 0
	for _, r := range rep.Results {
		for _, m := range r.Messages {
			if strings.Contains(m, "already existed") {
				adopted++
			}
		}
	}
	// Which attempts the drops hit depends on scheduling (a retry may be
	// dropped again); at least the first add was adopted.
	if adopted == 0 {
		t.Error("no record was adopted after a dropped add")
	}
	if !plan(t, h.vendor(nil), inv).Empty() {
		t.Error("plan after apply is not empty")
	}
}

// The CCADB's warnings and errors reach the user; one rejected change does
// not stop the others.
func TestWarningsAndRejectionsSurface(t *testing.T) {
	h := newHarness(t, ccadbsim.Options{})
	h.addIntermediates(3)
	inv := h.inventory(func(i int) string {
		switch i {
		case 0:
			return "      certificate_name: Not The CN\n"
		case 1:
			return "      auditor:\n        name: Nobody Audits\n"
		}
		return ""
	})
	v := h.vendor(nil)
	rep := run(t, v, plan(t, v, inv))
	byName := map[string]apply.Result{}
	for _, r := range rep.Results {
		byName[r.Address.Name] = r
	}
	if r := byName["Harness ICA 0"]; r.Status != apply.OK || len(r.Messages) == 0 || !strings.Contains(r.Messages[0], "CCADB warning") {
		t.Errorf("ICA 0: %s %q, want ok with a CCADB warning", r.Status, r.Messages)
	}
	if r := byName["Harness ICA 1"]; r.Status != apply.Failed || !strings.Contains(r.Error, "Nobody Audits") && !strings.Contains(r.Error, "Auditor") {
		t.Errorf("ICA 1: %s %q, want failed with the CCADB's message about the auditor", r.Status, r.Error)
	}
	if r := byName["Harness ICA 2"]; r.Status != apply.OK {
		t.Errorf("ICA 2: %s %s, want ok", r.Status, r.Error)
	}
}

// A parent in the same inventory is added first.
func TestParentAddedBeforeChild(t *testing.T) {
	h := newHarness(t, ccadbsim.Options{})
	h.addIntermediates(1)
	sub := testpkiIssue(h)
	h.write("sub.pem", sub.PEM())
	// The sub-CA, signed by ica0, is listed before it.
	invText := "ccadb:\n  defaults:\n    ca_owner: Example CA\n  intermediates:\n" +
		"    - name: sub\n      certificate: sub.pem\n      parent: ica0.pem\n" +
		"    - certificate: ica0.pem\n      parent: root.pem\n"
	h.write("inventory.yaml", invText)
	inv := reload(t, h)
	v := h.vendor(nil)
	p := plan(t, v, inv)
	if got := p.Changes[0].DependsOn; len(got) != 1 || got[0].Name != "Harness ICA 0" {
		t.Fatalf("sub depends on %v", got)
	}
	mustOK(t, run(t, v, p))
	rec, ok := h.sim.RecordBySHA256(sub.SHA256())
	parent, _ := h.sim.RecordBySHA256(h.certs[0].SHA256())
	if !ok || rec.ParentID != parent.ID {
		t.Fatalf("sub record %+v not linked to its parent %s", rec, parent.ID)
	}
}
