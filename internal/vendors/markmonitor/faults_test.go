package markmonitor

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/sim"
	"github.com/certsync/certsync/internal/vendors/markmonitor/mmsim"
)

// converge plans and applies inv until the plan is empty, at most maxRuns
// applies, whatever each apply reports; it returns the applies it took.
func converge(t *testing.T, h *harness, inv *inventory.Inventory, maxRuns int) int {
	t.Helper()
	for runs := 0; ; runs++ {
		p := plan(t, h.vendor(), inv)
		if p.Empty() {
			return runs
		}
		if runs == maxRuns {
			t.Fatalf("not converged after %d applies:\n%s", maxRuns, textOf(p))
		}
		run(t, h.vendor(), p)
	}
}

// writeInventory replaces the harness's inventory with text and loads it.
func writeInventory(t *testing.T, h *harness, text string) *inventory.Inventory {
	t.Helper()
	if err := os.WriteFile(filepath.Join(h.dir, "inventory.yaml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return reload(t, h)
}

// opsContact is a second organization contact, added by withContact.
const opsContact = `        - email: ops@example.com
          first_name: Ops
          last_name: Team
          job_title: Operations
          phone: "+1 208 555 0102"
          types: [ORGANIZATION_CONTACT]
`

func withContact(extra string) string {
	return strings.Replace(orgYAML, "      contacts:\n", "      contacts:\n"+opsContact+extra, 1)
}

// count returns how many of the simulator's contacts have the e-mail.
func contactsWith(s *mmsim.Server, email string) []mmsim.Contact {
	var out []mmsim.Contact
	for _, c := range s.Contacts() {
		if c.Email == email {
			out = append(out, c)
		}
	}
	return out
}

// Every answer of a change that the simulator committed and then lost (the
// connection dropped after commit) ends the same way: the next runs converge
// and the vendor holds the change once. Requests that are not idempotent
// (reissue, cancel, revoke, creating an organization or a contact) are sent
// exactly once: nothing is repeated blindly.
func TestLostAnswersNeverDuplicate(t *testing.T) {
	sans := func(extra string) string {
		return strings.Replace(orderYAML("www", extra), "dns_names: [www-alt.example.com]", "dns_names: [www-alt.example.com, www2.example.com]", 1)
	}
	for _, tc := range []struct {
		name   string
		opts   mmsim.Options
		before string // applied without faults first ("" for nothing)
		after  string // applied under the fault
		fault  sim.Fault
		sends  string // "METHOD PATH" prefix of the requests that must be sent once
		once   bool
		check  func(t *testing.T, s *mmsim.Server)
	}{
		{
			name: "organization", after: orgYAML,
			fault: sim.Fault{Method: "POST", Path: "/certs/v1/organization"}, sends: "POST /certs/v1/organization", once: true,
			check: func(t *testing.T, s *mmsim.Server) {
				if n := len(s.Organizations()); n != 1 {
					t.Errorf("%d organizations, want 1", n)
				}
			},
		},
		{
			name: "contact create", before: orgYAML, after: withContact(""),
			fault: sim.Fault{Method: "POST", Path: "/certs/v1/contact"}, sends: "POST /certs/v1/contact", once: true,
			check: func(t *testing.T, s *mmsim.Server) {
				if n := len(contactsWith(s, "ops@example.com")); n != 1 {
					t.Errorf("%d contacts ops@example.com, want 1", n)
				}
			},
		},
		{
			name: "contact update", before: withContact(""), after: strings.Replace(withContact(""), "job_title: Operations", "job_title: Operations Lead", 1),
			fault: sim.Fault{Method: "PATCH", Path: "/certs/v1/contact/"},
			check: func(t *testing.T, s *mmsim.Server) {
				if cs := contactsWith(s, "ops@example.com"); len(cs) != 1 || cs[0].JobTitle != "Operations Lead" {
					t.Errorf("contacts ops@example.com: %+v, want one, Operations Lead", cs)
				}
			},
		},
		{
			name: "contact delete", before: withContact(""), after: withContact("          state: absent\n"),
			fault: sim.Fault{Method: "DELETE", Path: "/certs/v1/contact/"},
			check: func(t *testing.T, s *mmsim.Server) {
				if n := len(contactsWith(s, "ops@example.com")); n != 0 {
					t.Errorf("%d contacts ops@example.com after the delete", n)
				}
			},
		},
		{
			name: "reissue", before: orgYAML + "  orders:\n" + orderYAML("www", ""), after: orgYAML + "  orders:\n" + sans(""),
			fault: sim.Fault{Method: "PATCH", Path: "/certs/v1/order/"}, sends: "PATCH /certs/v1/order/", once: true,
			check: func(t *testing.T, s *mmsim.Server) {
				got := s.Orders()
				if len(got) != 1 || got[0].Cert == nil || !slices.Contains(got[0].Cert.DNSNames, "www2.example.com") {
					t.Errorf("orders after the reissue: %d, want 1 with www2.example.com", len(got))
				}
			},
		},
		{
			name: "cancel", opts: mmsim.Options{HoldPending: true},
			before: orgYAML + "  orders:\n" + orderYAML("www", ""), after: orgYAML + "  orders:\n" + orderYAML("www", "      state: cancelled\n"),
			fault: sim.Fault{Method: "PATCH", Path: "/certs/v1/order/"}, sends: "PATCH /certs/v1/order/", once: true,
			check: func(t *testing.T, s *mmsim.Server) {
				if got := s.Orders(); len(got) != 1 || got[0].Status != mmsim.StatusDigiCanceled {
					t.Errorf("orders after the cancel: %+v", got)
				}
			},
		},
		{
			name: "revoke", before: orgYAML + "  orders:\n" + orderYAML("www", ""), after: orgYAML + "  orders:\n" + orderYAML("www", "      state: revoked\n"),
			fault: sim.Fault{Method: "PATCH", Path: "/certs/v1/order/"}, sends: "PATCH /certs/v1/order/", once: true,
			check: func(t *testing.T, s *mmsim.Server) {
				if got := s.Orders(); len(got) != 1 || got[0].Cert == nil || got[0].Cert.RevokeStatus == "" {
					t.Errorf("orders after the revoke: %d, want 1, revoked", len(got))
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.opts)
			if tc.before != "" {
				mustOK(t, run(t, h.vendor(), plan(t, h.vendor(), writeInventory(t, h, tc.before))))
			}
			orders := len(h.sim.Orders())
			inv := writeInventory(t, h, tc.after)
			p := plan(t, h.vendor(), inv)
			if p.Empty() {
				t.Fatal("nothing planned: the test changes nothing")
			}
			f := tc.fault
			f.DropAfterCommit, f.Times = true, 1
			h.sim.Faults().Add(f)
			h.sim.Faults().ResetCounts()
			rep := run(t, h.vendor(), p)
			if got := h.sim.Faults().Count(f.Method + " " + f.Path); got == 0 {
				t.Fatal("the fault's request was never sent")
			}
			failed := false
			for _, r := range rep.Results {
				failed = failed || r.Status != "ok"
			}
			t.Logf("apply with the answer lost: failed=%v", failed)
			runs := converge(t, h, inv, 2)
			tc.check(t, h.sim)
			if tc.once {
				if got := h.sim.Faults().Count(tc.sends); got != 1 {
					t.Errorf("%d requests %s, want exactly 1 (never repeated blindly)", got, tc.sends)
				}
			}
			if n := len(h.sim.Orders()); n != max(orders, 1) && strings.Contains(tc.after, "orders:") {
				t.Errorf("%d orders, want %d: a lost answer placed another", n, max(orders, 1))
			}
			t.Logf("converged after %d more applies", runs)
		})
	}
}

// A connection dropped before the simulator saw the request: the change is
// either retried (when repeating it is safe) or reported as failed, and the
// next run converges with nothing done twice.
func TestDroppedBeforeCommit(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault sim.Fault
	}{
		{"order create", sim.Fault{Method: "POST", Path: "/certs/v1/order"}},
		{"organization create", sim.Fault{Method: "POST", Path: "/certs/v1/organization"}},
		{"order list", sim.Fault{Method: "GET", Path: "/certs/v1/order"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, mmsim.Options{})
			inv := writeInventory(t, h, orgYAML+"  orders:\n"+orderYAML("www", ""))
			p := plan(t, h.vendor(), inv)
			f := tc.fault
			f.Drop, f.Times = true, 1
			h.sim.Faults().Add(f)
			rep := run(t, h.vendor(), p)
			for _, r := range rep.Results {
				if r.Status != "ok" && r.Error == "" {
					t.Errorf("%s %s: %s without an error", r.Action, r.Address, r.Status)
				}
			}
			converge(t, h, inv, 2)
			if n := len(h.sim.Orders()); n != 1 {
				t.Errorf("%d orders, want 1", n)
			}
			if n := len(h.sim.Organizations()); n != 1 {
				t.Errorf("%d organizations, want 1", n)
			}
		})
	}
}

// A 5xx on a change that is not idempotent (an order) is ambiguous: the
// order is looked for by its marker before anything is sent again; a 429 is
// refused before processing and waited out.
func TestOrderCreateUnder5xxAnd429(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault sim.Fault
	}{
		{"503", sim.Fault{Status: http.StatusServiceUnavailable, Body: `{"errors":[{"code":"request.genericError","message":"An unexpected error occurred."}]}`}},
		{"429", sim.Fault{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"2"}}, Body: `{"errors":[{"code":"request.tooManyRequests","message":"slow down"}]}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, mmsim.Options{})
			inv := writeInventory(t, h, orgYAML+"  orders:\n"+orderYAML("www", "")+orderYAML("api", ""))
			p := plan(t, h.vendor(), inv)
			f := tc.fault
			f.Method, f.Path, f.Times = "POST", "/certs/v1/order", 2
			h.sim.Faults().Add(f)
			run(t, h.vendor(), p)
			converge(t, h, inv, 2)
			if n := len(h.sim.Orders()); n != 2 {
				t.Errorf("%d orders, want 2", n)
			}
		})
	}
}
