package markmonitor

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/testfixture"
	"github.com/certsync/certsync/internal/vendors/markmonitor/mmsim"
)

// inventoryText writes text as the harness's inventory and loads it.
func (h *harness) inventoryText(text string) *inventory.Inventory {
	h.t.Helper()
	path := filepath.Join(h.dir, "inventory.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		h.t.Fatal(err)
	}
	return testfixture.Load(h.t, path, Spec())
}

const secondContact = `        - email: ops@example.com
          first_name: Ops
          last_name: Example
          job_title: %s
          phone: "+1 208 555 0102"
          types: [ORGANIZATION_CONTACT]
%s`

// Every kind of change converges: applied once, the next plan is clean.
// A change that repeated on every run (an empty list dropped on the wire,
// a refused request) fails here.
func TestEveryChangeConverges(t *testing.T) {
	h := newHarness(t, mmsim.Options{Validity: 90 * 24 * time.Hour})
	org := orgYAML
	withContact := func(title, state string) string {
		return org + fmt.Sprintf(secondContact, title, state)
	}
	order := func(extra string) string {
		// The order names only pki@ so that ops@ stays deletable.
		return "  orders:\n" + orderYAML("www", "      contacts: [pki@example.com]\n"+extra)
	}
	steps := []struct {
		name  string
		text  string
		setup func()
		want  map[string]diff.Action
	}{
		{name: "organization and order created", text: org + order(""),
			want: map[string]diff.Action{"markmonitor/organization/Example Inc.": diff.Create, "markmonitor/order/www": diff.Create}},
		{name: "contact created", text: withContact("Operator", "") + order(""),
			want: map[string]diff.Action{"markmonitor/contact/Example Inc./ops@example.com": diff.Create}},
		{name: "contact updated", text: withContact("Senior Operator", "") + order(""),
			want: map[string]diff.Action{"markmonitor/contact/Example Inc./ops@example.com": diff.Update}},
		{name: "contact deleted", text: withContact("Senior Operator", "          state: absent\n") + order(""),
			want: map[string]diff.Action{"markmonitor/contact/Example Inc./ops@example.com": diff.Delete}},
		{name: "additional e-mails set", text: org + order("      additional_emails: [a@example.com, b@example.com]\n"),
			want: map[string]diff.Action{"markmonitor/order/www": diff.Update}},
		{name: "additional e-mails cleared with []", text: org + order("      additional_emails: []\n"),
			want: map[string]diff.Action{"markmonitor/order/www": diff.Update}},
		{name: "reissue to no extra names with dns_names: []", text: strings.Replace(org+order(""), "dns_names: [www-alt.example.com]", "dns_names: []", 1),
			want: map[string]diff.Action{"markmonitor/order/www": Reissue}},
		{name: "back to one extra name", text: org + order(""), want: map[string]diff.Action{"markmonitor/order/www": Reissue}},
		{name: "lost file downloaded", text: org + order(""), setup: func() {
			if err := os.Remove(filepath.Join(h.dir, "out/www.crt")); err != nil {
				t.Fatal(err)
			}
		}, want: map[string]diff.Action{"markmonitor/order/www": Download}},
		{name: "renewed", text: org + order(""), setup: func() { h.clock.Advance(80 * 24 * time.Hour) },
			want: map[string]diff.Action{"markmonitor/order/www": Renew}},
		{name: "revoked", text: org + order("      state: revoked\n"),
			want: map[string]diff.Action{"markmonitor/order/www": Revoke}},
	}
	for _, s := range steps {
		if s.setup != nil {
			s.setup()
		}
		inv := h.inventoryText(s.text)
		p := plan(t, h.vendor(), inv)
		got := actions(p)
		for addr, a := range s.want {
			if got[addr] != a {
				t.Fatalf("%s: %s is %q, want %q:\n%s", s.name, addr, got[addr], a, textOf(p))
			}
		}
		if len(got) != len(s.want) {
			t.Fatalf("%s: plan has %v, want %v:\n%s", s.name, got, s.want, textOf(p))
		}
		mustOK(t, run(t, h.vendor(), p))
		if again := plan(t, h.vendor(), inv); !again.Empty() || len(again.Attention) > 0 {
			t.Fatalf("%s: the next plan is not clean:\n%s", s.name, textOf(again))
		}
	}
	if n := len(h.sim.Orders()); n != 2 {
		t.Errorf("%d orders, want 2 (the first and its renewal)", n)
	}
}

// A cancel converges too (it needs an order that is not issued yet).
func TestCancelConverges(t *testing.T) {
	h := newHarness(t, mmsim.Options{IssueDelay: 24 * time.Hour})
	v := h.vendor()
	inv := h.inventory(orderYAML("www", ""))
	mustOK(t, run(t, v, plan(t, v, inv)))
	inv = h.inventory(orderYAML("www", "      state: cancelled\n"))
	p := plan(t, h.vendor(), inv)
	if got := actions(p)["markmonitor/order/www"]; got != Cancel {
		t.Fatalf("action %q, want cancel:\n%s", got, textOf(p))
	}
	mustOK(t, run(t, h.vendor(), p))
	if again := plan(t, h.vendor(), inv); !again.Empty() || len(again.Attention) > 0 {
		t.Fatalf("the plan after the cancel is not clean:\n%s", textOf(again))
	}
}

// Deleting a contact the API is known to refuse (on an active order, the
// last contact, the last EV approver) needs attention and sends nothing.
func TestUndeletableContactNeedsAttention(t *testing.T) {
	h := newHarness(t, mmsim.Options{})
	both := orgYAML + fmt.Sprintf(secondContact, "Operator", "") + "  orders:\n" + orderYAML("www", "")
	v := h.vendor()
	mustOK(t, run(t, v, plan(t, v, h.inventoryText(both))))
	for _, tc := range []struct{ name, text, want string }{
		{"on an active order", orgYAML + fmt.Sprintf(secondContact, "Operator", "          state: absent\n") + "  orders:\n" + orderYAML("www", ""), "active order"},
		{"last EV approver loses the type", strings.Replace(orgYAML, "types: [ORGANIZATION_CONTACT, EXTENDED_VALIDATION_APPROVER]", "types: [ORGANIZATION_CONTACT]", 1) + fmt.Sprintf(secondContact, "Operator", ""), "refuses to take that type away"},
		{"last EV approver", strings.Replace(orgYAML, "          types: [", "          state: absent\n          types: [", 1) + fmt.Sprintf(secondContact, "Operator", ""), "last EV approver"},
	} {
		h.sim.Faults().ResetCounts()
		p := plan(t, h.vendor(), h.inventoryText(tc.text))
		if len(p.Attention) != 1 || !strings.Contains(p.Attention[0].Message, tc.want) {
			t.Fatalf("%s: attention %+v, want one saying %q:\n%s", tc.name, p.Attention, tc.want, textOf(p))
		}
		for _, c := range p.Changes {
			if c.Action == diff.Delete || c.Address.Kind == KindContact {
				t.Fatalf("%s: a delete the API refuses is planned", tc.name)
			}
		}
	}
}

// A missing key is never replaced silently: the order needs attention until
// the key is restored or rekey: true asks for a new one, which reissues once
// and then leaves the plan clean although rekey stays set.
func TestMissingKeyNeedsRekey(t *testing.T) {
	h := newHarness(t, mmsim.Options{})
	v := h.vendor()
	inv := h.inventory(orderYAML("www", ""))
	mustOK(t, run(t, v, plan(t, v, inv)))
	keyFile := filepath.Join(h.dir, "keys/www.key")
	saved, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}
	p := plan(t, h.vendor(), h.inventory(orderYAML("www", "")))
	if len(p.Changes) != 0 || len(p.Attention) != 1 || !strings.Contains(p.Attention[0].Message, "rekey: true") {
		t.Fatalf("missing key: want attention and no change:\n%s", textOf(p))
	}
	// Restoring the key is enough.
	if err := os.WriteFile(keyFile, saved, 0o600); err != nil {
		t.Fatal(err)
	}
	if p := plan(t, h.vendor(), h.inventory(orderYAML("www", ""))); !p.Empty() || len(p.Attention) > 0 {
		t.Fatalf("restored key: plan not clean:\n%s", textOf(p))
	}
	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}
	rekey := h.inventory(orderYAML("www", "      rekey: true\n"))
	p = plan(t, h.vendor(), rekey)
	if got := actions(p)["markmonitor/order/www"]; got != Reissue || len(p.Attention) > 0 {
		t.Fatalf("rekey: action %q, want reissue:\n%s", got, textOf(p))
	}
	mustOK(t, run(t, h.vendor(), p))
	for i := 0; i < 2; i++ {
		if p := plan(t, h.vendor(), rekey); !p.Empty() || len(p.Attention) > 0 {
			t.Fatalf("run %d after the rekey (rekey still set): plan not clean:\n%s", i+1, textOf(p))
		}
	}
	if n := len(h.sim.Orders()); n != 1 {
		t.Errorf("%d orders, want 1 (a reissue buys nothing new)", n)
	}
}
