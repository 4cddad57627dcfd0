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

// every field of the inventory, so a round trip exercises the whole catalogue.
func allFields(i int) string {
	return `      subordinate_ca_owner: Sub Owner
      technically_constrained: false
      revocation:
        status: ""
        alternate_crl: ""
      ca_information:
        recognized_caa_domains: example.com
        problem_reporting_mechanism: mailto:problems@example.com
      crls:
        full: http://crl.example.com/full.crl
        partitioned: ["http://crl.example.com/1.crl", "http://crl.example.com/2.crl"]
      auditor:
        name: Auditor Name
        location: United States
      audits:
        same_as_parent: false
        standard: {url: "https://a.example/s.pdf", type: WebTrust, statement_date: "2025-06-30", period_start: "2024-04-01", period_end: "2025-03-31"}
        code_signing: {url: "https://a.example/cs.pdf", type: WebTrust, statement_date: "2025-06-30", period_start: "2024-04-01", period_end: "2025-03-31"}
        br: {url: "https://a.example/br.pdf", type: "ETSI EN 319 411", statement_date: "2025-06-30", period_start: "2024-04-01", period_end: "2025-03-31"}
        ev_ssl: {url: "", type: "", statement_date: "", period_start: "", period_end: ""}
        ev_code_signing: {url: "https://a.example/evcs.pdf", type: WebTrust, statement_date: "2025-06-30", period_start: "2024-04-01", period_end: "2025-03-31"}
      policy:
        same_as_parent: false
        documentation: "See the CPS."
        repository: https://pki.example.com/repo
        certificate_policy: https://pki.example.com/cp.pdf
        practice_statement: https://pki.example.com/cps.pdf
        last_updated: "2025-02-01"
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
		"RecognizedCAADomains": "example.com", "EVCodeSigningAudit": "https://a.example/evcs.pdf",
		"JSONArrayofPartitionedCRLs": `["http://crl.example.com/1.crl","http://crl.example.com/2.crl"]`,
		"DocumentRepository":         "https://pki.example.com/repo", "PublicComments": "",
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
		{"report column", "https://pki.example.com/cps.pdf", "https://pki.example.com/cps-v2.pdf", "policy.practice_statement", "https://pki.example.com/cps.pdf", "https://pki.example.com/cps-v2.pdf"},
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
			p := plan(t, h.vendor(nil), inv)
			if len(p.Changes) != 1 {
				t.Fatalf("want 1 change, got %s", p.Summary())
			}
			c := p.Changes[0]
			want := []diff.FieldChange{{Field: tc.field, Old: tc.old, New: tc.new}}
			if c.Action != diff.Update || c.Address.Name != "Harness ICA 1" || !cmp.Equal(c.Fields, want) {
				t.Fatalf("change = %s %s %+v; want update of Harness ICA 1 with %+v", c.Action, c.Address, c.Fields, want)
			}
			mustOK(t, run(t, h.vendor(nil), p))
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
	_, err := h.vendor(nil).Observe(context.Background(), h.inventory(nil))
	if !errors.Is(err, ErrLogin) || !strings.Contains(err.Error(), "certsync ccadb-login") {
		t.Fatalf("err = %v, want ErrLogin naming ccadb-login", err)
	}
	if got := h.sim.Faults().Count("POST " + ccadbsim.TokenPath); got != 1 {
		t.Errorf("token requests = %d, want 1", got)
	}
}

// A record that exists but is not in the report yet (the report lags) is
// planned as an update that says its fields cannot be read.
func TestRecordNotInReportYet(t *testing.T) {
	h := newHarness(t, ccadbsim.Options{ReportDelay: time.Hour})
	h.addIntermediates(1)
	inv := h.inventory(allFields)
	v := h.vendor(nil)
	mustOK(t, run(t, v, plan(t, v, inv)))

	h.stateDir = t.TempDir() // and certsync has no record of its own
	p := plan(t, h.vendor(nil), inv)
	if len(p.Changes) != 1 || p.Changes[0].Action != diff.Update {
		t.Fatalf("want one update, got %s", p.Summary())
	}
	c := p.Changes[0]
	if len(c.Notes) == 0 || !strings.Contains(c.Notes[0], "not in the CCADB report yet") {
		t.Errorf("notes = %q", c.Notes)
	}
	for _, f := range c.Fields {
		if f.Unknown == "" {
			t.Errorf("field %s has a known old value %v; nothing can be read", f.Field, f.Old)
		}
	}
	if c.LiveID == "" {
		t.Error("the update has no record id")
	}
	mustOK(t, run(t, h.vendor(nil), p))
	if n := len(h.sim.Records()); n != 2 {
		t.Errorf("records = %d, want 2 (an update must not add)", n)
	}
}

// A connection dropped after the simulator committed the add is retried; the
// CCADB refuses the duplicate and names the record, which is adopted.
func TestAddCommittedThenConnectionDropped(t *testing.T) {
	h := newHarness(t, ccadbsim.Options{})
	h.addIntermediates(3)
	h.sim.Faults().Add(sim.Fault{Method: "POST", Path: ccadbsim.AddUpdatePath, DropAfterCommit: true, Times: 3})
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
	// Which attempts the three drops hit depends on scheduling (a retry
	// may be dropped again); at least the first add was adopted.
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
