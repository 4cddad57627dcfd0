package markmonitor

import (
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

// portalOrder creates the organization through certsync, then places an
// issued order the way the portal would (no marker) for cn, with a key
// written to keys/<name>.key; it returns the order.
func portalOrder(t *testing.T, h *harness, name, cn, certType string, sans ...string) mmsim.Order {
	t.Helper()
	v := h.vendor()
	if p := plan(t, v, h.inventory()); !p.Empty() {
		mustOK(t, run(t, v, p))
	}
	orgs, err := v.client.Organizations(t.Context())
	if err != nil || len(orgs) != 1 {
		t.Fatalf("organizations %v %v", orgs, err)
	}
	key, err := generateKey(filepath.Join(h.dir, "keys", name+".key"), "ecdsa-p256")
	if err != nil {
		t.Fatal(err)
	}
	csr, err := makeCSR(key, cn, sans)
	if err != nil {
		t.Fatal(err)
	}
	o, err := h.sim.SeedIssuedOrder(mmsim.OrderRequest{
		OrganizationID: orgs[0].ID, CertType: certType, Locale: "en", Provider: "DIGICERT", Comments: "ordered in the portal",
		Contacts: []mmsim.ContactRef{{ID: orgs[0].Contacts[0].ID, ContactTypes: []mmsim.ContactType{{Type: "ORGANIZATION_CONTACT"}}}},
		Cert:     mmsim.CertRequest{CommonName: cn, DNSNames: sans, CSR: csr, DcvMethod: "DNS_TXT_TOKEN"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// An adopted order is followed, never ordered again; the link is kept in
// the state (the API cannot change an order's comments), so it holds after
// adopt: leaves the inventory.
func TestAdoptExistingOrder(t *testing.T) {
	h := newHarness(t, mmsim.Options{})
	st := h.state()
	o := portalOrder(t, h, "www", "www.example.com", "SSL_OV_BASIC", "www-alt.example.com")
	inv := h.inventory(orderYAML("www", "      adopt: "+strings.ToUpper(o.ID)+"\n"))

	// The certificate is not on disk yet: the download carries the adoption.
	p := plan(t, h.vendorWith(st), inv)
	c := p.Changes[0]
	if len(p.Changes) != 1 || c.Action != Download || c.Keys[kAdopt] != o.ID || !strings.Contains(strings.Join(c.Notes, "\n"), "cannot change an order's comments") {
		t.Fatalf("plan:\n%s", textOf(p))
	}
	mustOK(t, run(t, h.vendorWith(st), p))
	if n := len(h.sim.Orders()); n != 1 {
		t.Fatalf("%d orders after adopting; nothing may be ordered", n)
	}
	if p := plan(t, h.vendorWith(st), inv); !p.Empty() {
		t.Fatalf("plan after adopting:\n%s", textOf(p))
	}
	// The link is in the state: without adopt: the order is still the item's.
	if p := plan(t, h.vendorWith(st), h.inventory(orderYAML("www", ""))); !p.Empty() {
		t.Fatalf("plan without adopt: after the adoption:\n%s", textOf(p))
	}
	// Without the state, the item would be ordered again: the link is what
	// prevents it.
	if got := actions(plan(t, h.vendor(), h.inventory(orderYAML("www", ""))))["markmonitor/order/www"]; got != diff.Create {
		t.Errorf("without the link: %q", got)
	}

	// Due for renewal: the adopted order is renewed (a new order with the
	// marker), not replaced as if it did not exist.
	h.clock.Advance(380 * 24 * time.Hour)
	p = plan(t, h.vendorWith(st), inv)
	if got := actions(p)["markmonitor/order/www"]; got != Renew || p.Changes[0].Price == nil {
		t.Fatalf("plan near expiry:\n%s", textOf(p))
	}
	mustOK(t, run(t, h.vendorWith(st), p))
	orders := h.sim.Orders()
	if len(orders) != 2 || !strings.Contains(orders[1].Comments, "prev="+o.ID[:8]) {
		t.Fatalf("after renewal: %d orders, comments %q", len(orders), orders[len(orders)-1].Comments)
	}
	if p := plan(t, h.vendorWith(st), inv); !p.Empty() {
		t.Fatalf("plan after renewing:\n%s", textOf(p))
	}
}

// With nothing else to do, the adoption is its own change.
func TestAdoptAlone(t *testing.T) {
	h := newHarness(t, mmsim.Options{})
	st := h.state()
	o := portalOrder(t, h, "www", "www.example.com", "SSL_OV_BASIC", "www-alt.example.com")
	noFiles := strings.Split(orderYAML("www", ""), "      output:")[0] + "      adopt: " + o.ID + "\n"
	inv := h.inventory(noFiles)
	p := plan(t, h.vendorWith(st), inv)
	if got := actions(p)["markmonitor/order/www"]; got != Adopt || p.Changes[0].Reason == "" {
		t.Fatalf("plan:\n%s", textOf(p))
	}
	if spec := p.SpecOf(p.Changes[0].Address, Adopt); spec.Paid || spec.Destructive {
		t.Errorf("adopt is declared %+v", spec)
	}
	mustOK(t, run(t, h.vendorWith(st), p))
	var e adoptedEntry
	if ok, err := st.Get(adoptedKey("www"), &e); !ok || err != nil || e.OrderID != o.ID {
		t.Fatalf("state %+v %v %v", e, ok, err)
	}
	if p := plan(t, h.vendorWith(st), inv); !p.Empty() {
		t.Fatalf("plan after adopting:\n%s", textOf(p))
	}
}

// An order that is not the item's is not adopted: the plan says why and
// orders nothing.
func TestAdoptMismatch(t *testing.T) {
	h := newHarness(t, mmsim.Options{})
	other := portalOrder(t, h, "other", "other.example.com", "SSL_EV_BASIC")
	for _, tc := range []struct{ name, id, want string }{
		{"another name and type", other.ID, `common name is "other.example.com"`},
		{"unknown", "3fa85f64-5717-4562-b3fc-2c963f66afa6", "does not exist at Markmonitor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := plan(t, h.vendor(), h.inventory(orderYAML("www", "      adopt: "+tc.id+"\n")))
			if len(p.Attention) != 1 || !strings.Contains(p.Attention[0].Message, tc.want) || actions(p)["markmonitor/order/www"] != "" {
				t.Fatalf("plan:\n%s", textOf(p))
			}
		})
	}
	p := plan(t, h.vendor(), h.inventory(orderYAML("www", "      adopt: "+other.ID+"\n")))
	if msg := p.Attention[0].Message; !strings.Contains(msg, "certificate type is SSL_EV_BASIC") {
		t.Errorf("attention %q", msg)
	}
}

func TestAdoptInventoryChecks(t *testing.T) {
	dir := t.TempDir()
	const id = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
	src := orgYAML + "  orders:\n" + orderYAML("a", "      adopt: "+id+"\n") + orderYAML("b", "      adopt: "+strings.ToUpper(id)+"\n") +
		orderYAML("c", "      adopt: 42\n") + orderYAML("d", "      validate: maybe\n")
	path := filepath.Join(dir, "inventory.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := inventory.Load(path, []inventory.SectionSpec{Spec()})
	// at is the line and column of the n-th occurrence of s in src.
	at := func(s string, n int) (int, int) {
		i := -1
		for ; n > 0; n-- {
			i += 1 + strings.Index(src[i+1:], s)
		}
		line := strings.Count(src[:i], "\n") + 1
		return line, i - strings.LastIndex(src[:i], "\n")
	}
	l1, c1 := at(strings.ToUpper(id), 1)
	l2, c2 := at("42", 1)
	l3, c3 := at("maybe", 1)
	testfixture.CheckProblems(t, path, err, []testfixture.Want{
		{Line: l1, Col: c1, Path: "markmonitor.orders[1].adopt", Msg: "already adopted by markmonitor.orders[0]"},
		{Line: l2, Col: c2, Path: "markmonitor.orders[2].adopt", Msg: "is not a Markmonitor order id"},
		{Line: l3, Col: c3, Path: "markmonitor.orders[3].validate", Msg: "must be true or false"},
	})
}
