package markmonitor

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/pemutil"
	"github.com/certsync/certsync/internal/sim"
	"github.com/certsync/certsync/internal/vendors/conformance"
	"github.com/certsync/certsync/internal/vendors/markmonitor/mmsim"
)

func TestConformance(t *testing.T) {
	h := newHarness(t, mmsim.Options{})
	inv := h.inventory(orderYAML("www", ""), orderYAML("api", ""))
	p := conformance.Run(t, Name, func() conformance.Vendor { return h.vendor() }, inv)
	want := map[string]diff.Action{
		"markmonitor/organization/Example Inc.": diff.Create,
		"markmonitor/order/www":                 diff.Create,
		"markmonitor/order/api":                 diff.Create,
	}
	if got := actions(p); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("first plan = %v, want %v", got, want)
	}
	// The certificate landed on disk, with the key it was issued for.
	key, err := os.ReadFile(filepath.Join(h.dir, "keys/www.key"))
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(filepath.Join(h.dir, "keys/www.key")); info.Mode().Perm() != 0o600 {
		t.Errorf("key mode %v, want 0600", info.Mode().Perm())
	}
	signer, err := pemutil.PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	leafPEM, _ := os.ReadFile(filepath.Join(h.dir, "out/www.crt"))
	leaf, err := pemutil.Certificate(leafPEM)
	if err != nil {
		t.Fatal(err)
	}
	if keyID(leaf.PublicKey) != keyID(signer.Public()) {
		t.Error("the issued certificate is not for the generated key")
	}
	if got := strings.Join(leaf.DNSNames, ","); got != "www.example.com,www-alt.example.com" && got != "www-alt.example.com,www.example.com" {
		t.Errorf("SANs = %s", got)
	}
	full, _ := os.ReadFile(filepath.Join(h.dir, "out/www.full.pem"))
	chain, _ := pemutil.Certificates(full)
	if len(chain) != 2 || chain[0].CheckSignatureFrom(chain[1]) != nil {
		t.Errorf("full chain: %d certificates, or the leaf is not signed by the next", len(chain))
	}
	root, _ := h.sim.CACertificates()
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM([]byte(root))
	inter := x509.NewCertPool()
	inter.AddCert(chain[1])
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: "www.example.com", CurrentTime: h.clock.Now()}); err != nil {
		t.Errorf("the written chain does not verify to the simulator's root: %v", err)
	}
}

// With the connection dropped after every first POST /order committed, an
// apply of 50 orders ends with exactly 50 orders.
func TestDroppedOrderPostsNeverDuplicate(t *testing.T) {
	h := newHarness(t, mmsim.Options{})
	var items []string
	for i := 0; i < 50; i++ {
		items = append(items, orderYAML(fmt.Sprintf("o%02d", i), ""))
	}
	inv := h.inventory(items...)
	// Every order POST is committed, then its connection is dropped. (The
	// client never sends a second POST for an order, so each is a first.)
	h.sim.Faults().Add(sim.Fault{Method: "POST", Path: "/certs/v1/order", DropAfterCommit: true})
	v := h.vendor()
	rep := run(t, v, plan(t, v, inv))
	mustOK(t, rep)
	if n := len(h.sim.Orders()); n != 50 {
		t.Fatalf("the simulator holds %d orders, want exactly 50", n)
	}
	if posts := h.sim.Faults().Count("POST /certs/v1/order"); posts != 50 {
		t.Errorf("%d order POSTs, want 50 (one each)", posts)
	}
	adopted := 0
	for _, r := range rep.Results {
		for _, m := range r.Messages {
			if strings.Contains(m, "adopted order") {
				adopted++
			}
		}
	}
	if adopted != 50 {
		t.Errorf("%d orders adopted, want 50", adopted)
	}
	h.sim.Faults().Clear()
	if p := plan(t, h.vendor(), inv); !p.Empty() {
		t.Fatalf("plan after apply:\n%s", textOf(p))
	}
}

// A JWT that expires mid-run and a burst of 429s do not fail the run, and
// over 300+ requests the client never sends more than 100 in a minute.
func TestPacingTokenExpiryAnd429s(t *testing.T) {
	h := newHarness(t, mmsim.Options{})
	var n atomic.Int32
	h.hc = &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
		switch n.Add(1) {
		case 40, 160:
			h.sim.ExpireTokens()
		}
		return http.DefaultTransport.RoundTrip(r)
	})}
	var items []string
	// New orders cost one request each (no read-back in a bulk run).
	for i := 0; i < 300; i++ {
		items = append(items, orderYAML(fmt.Sprintf("o%03d", i), ""))
	}
	inv := h.inventory(items...)
	h.sim.Faults().Add(sim.Fault{Path: "/certs/v1/", Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"3"}},
		Body: `{"errors":[{"code":"request.tooManyRequests","message":"slow down"}]}`, Skip: 100, Times: 12})
	v := h.vendor()
	mustOK(t, run(t, v, plan(t, v, inv)))
	total := h.sim.Faults().Count("")
	if total < 300 {
		t.Fatalf("only %d requests; the test wants a run of at least 300", total)
	}
	if m := h.sim.MaxPerMinute(); m > 100 {
		t.Fatalf("the client sent %d requests in one minute; the limit is 100", m)
	}
	if got := h.sim.Faults().Count("POST /auth/v1/auth/authenticate"); got < 3 {
		t.Errorf("%d authentications; the expired tokens should have forced 2 more", got)
	}
	t.Logf("%d requests, at most %d in a minute, %d authentications, simulated time %s",
		total, h.sim.MaxPerMinute(), h.sim.Faults().Count("POST /auth/v1/auth/authenticate"), h.clock.Now().Sub(newFakeClock().Now()))
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// An issued certificate inside its renewal window is renewed by exactly one
// new order; a changed SAN list is a reissue; cancel and revoke appear only
// when the inventory asks.
func TestRenewReissueCancelRevoke(t *testing.T) {
	h := newHarness(t, mmsim.Options{Validity: 90 * 24 * time.Hour})
	inv := h.inventory(orderYAML("www", ""))
	v := h.vendor()
	mustOK(t, run(t, v, plan(t, v, inv)))

	// 59 days later: outside a 30-day window (+ at most 7.5 days of spread).
	h.clock.Advance(50 * 24 * time.Hour)
	if p := plan(t, h.vendor(), inv); !p.Empty() {
		t.Fatalf("renewal too early:\n%s", textOf(p))
	}
	h.clock.Advance(30 * 24 * time.Hour) // 10 days before expiry
	p := plan(t, h.vendor(), inv)
	if got := actions(p)["markmonitor/order/www"]; got != Renew {
		t.Fatalf("action = %q, want renew:\n%s", got, textOf(p))
	}
	oldCert, _ := os.ReadFile(filepath.Join(h.dir, "out/www.crt"))
	mustOK(t, run(t, h.vendor(), p))
	if n := len(h.sim.Orders()); n != 2 {
		t.Fatalf("%d orders after the renewal, want 2", n)
	}
	newCert, _ := os.ReadFile(filepath.Join(h.dir, "out/www.crt"))
	if string(newCert) == string(oldCert) {
		t.Error("the renewed certificate was not written")
	}
	if p := plan(t, h.vendor(), inv); !p.Empty() {
		t.Fatalf("plan after renewal:\n%s", textOf(p))
	}

	// A changed SAN list on an issued order is a reissue of that order.
	inv = h.inventory(strings.Replace(orderYAML("www", ""), "dns_names: [www-alt.example.com]", "dns_names: [www-alt.example.com, www2.example.com]", 1))
	p = plan(t, h.vendor(), inv)
	if got := actions(p)["markmonitor/order/www"]; got != Reissue {
		t.Fatalf("action = %q, want reissue:\n%s", got, textOf(p))
	}
	if f := p.Changes[0].Fields; len(f) != 1 || f[0].Field != "dns_names" {
		t.Errorf("reissue fields = %+v, want only dns_names", f)
	}
	mustOK(t, run(t, h.vendor(), p))
	if n := len(h.sim.Orders()); n != 2 {
		t.Fatalf("%d orders after the reissue, want still 2", n)
	}
	if p := plan(t, h.vendor(), inv); !p.Empty() {
		t.Fatalf("plan after reissue:\n%s", textOf(p))
	}
	for _, c := range p.Changes {
		if c.Action == Cancel || c.Action == Revoke {
			t.Fatal("cancel or revoke planned without being asked")
		}
	}

	// Revoke only when asked; issued orders cannot be cancelled.
	cancelled := h.inventory(strings.Replace(orderYAML("www", "      state: cancelled\n"), "dns_names: [www-alt.example.com]", "dns_names: [www-alt.example.com, www2.example.com]", 1))
	p = plan(t, h.vendor(), cancelled)
	if !p.Empty() || len(p.Attention) == 0 || !strings.Contains(p.Attention[0].Message, "cannot be cancelled") {
		t.Fatalf("cancel of an issued order: %s %+v", p.Summary(), p.Attention)
	}
	revoked := h.inventory(strings.Replace(orderYAML("www", "      state: revoked\n"), "dns_names: [www-alt.example.com]", "dns_names: [www-alt.example.com, www2.example.com]", 1))
	p = plan(t, h.vendor(), revoked)
	if got := actions(p)["markmonitor/order/www"]; got != Revoke {
		t.Fatalf("action = %q, want revoke", got)
	}
	mustOK(t, run(t, h.vendor(), p))
	h.clock.Advance(time.Minute)
	if p := plan(t, h.vendor(), revoked); !p.Empty() {
		t.Fatalf("plan after revoke:\n%s", textOf(p))
	}
}

// A pending order shows its status and what domain validation needs, and is
// cancelled only when the inventory asks.
func TestPendingOrderAndCancel(t *testing.T) {
	h := newHarness(t, mmsim.Options{HoldPending: true})
	inv := h.inventory(orderYAML("www", ""))
	v := h.vendor()
	mustOK(t, run(t, v, plan(t, v, inv)))
	p := plan(t, h.vendor(), inv)
	if !p.Empty() || len(p.Info) != 1 || !strings.Contains(p.Info[0].Message, "DIGI_PENDING") || !strings.Contains(p.Info[0].Message, "TXT") {
		t.Fatalf("pending order: %s %+v", p.Summary(), p.Info)
	}
	cancelled := h.inventory(orderYAML("www", "      state: cancelled\n"))
	p = plan(t, h.vendor(), cancelled)
	if got := actions(p)["markmonitor/order/www"]; got != Cancel {
		t.Fatalf("action = %q, want cancel", got)
	}
	mustOK(t, run(t, h.vendor(), p))
	if st := h.sim.Orders()[0].Status; st != "DIGI_CANCELED" {
		t.Fatalf("status %s after cancel", st)
	}
	if p := plan(t, h.vendor(), cancelled); !p.Empty() {
		t.Fatalf("plan after cancel:\n%s", textOf(p))
	}
}

// A certificate file that differs from the issued one is downloaded again;
// the steady state reads nothing per order.
func TestDownloadWhenFileDiffers(t *testing.T) {
	h := newHarness(t, mmsim.Options{})
	inv := h.inventory(orderYAML("www", ""))
	v := h.vendor()
	mustOK(t, run(t, v, plan(t, v, inv)))
	if err := os.WriteFile(filepath.Join(h.dir, "out/www.crt"), []byte("stale"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := plan(t, h.vendor(), inv)
	if got := actions(p)["markmonitor/order/www"]; got != Download {
		t.Fatalf("action = %q, want download:\n%s", got, textOf(p))
	}
	h.sim.Faults().ResetCounts()
	mustOK(t, run(t, h.vendor(), p))
	if n := h.sim.Faults().Count(""); n != 0 {
		t.Errorf("download made %d requests; the certificate was in the order JSON", n)
	}
	if p := plan(t, h.vendor(), inv); !p.Empty() {
		t.Fatalf("plan after download:\n%s", textOf(p))
	}
}

// Contacts: added to an existing organization, modified, deleted only when
// asked; organization drift is reported, never hidden.
func TestContactsAndOrganizationDrift(t *testing.T) {
	h := newHarness(t, mmsim.Options{})
	v := h.vendor()
	mustOK(t, run(t, v, plan(t, v, h.inventory())))

	withSecond := strings.Replace(orgYAML, "      contacts:\n", `      contacts:
        - email: ops@example.com
          first_name: Ops
          last_name: Team
          job_title: Operations
          phone: "+1 208 555 0102"
          types: [ORGANIZATION_CONTACT]
`, 1)
	write := func(text string) {
		if err := os.WriteFile(filepath.Join(h.dir, "inventory.yaml"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(withSecond)
	inv := reload(t, h)
	p := plan(t, h.vendor(), inv)
	if got := actions(p)["markmonitor/contact/Example Inc./ops@example.com"]; got != diff.Create {
		t.Fatalf("new contact: %q\n%s", got, textOf(p))
	}
	mustOK(t, run(t, h.vendor(), p))

	write(strings.Replace(withSecond, "job_title: Operations", "job_title: Operations Lead", 1))
	p = plan(t, h.vendor(), reload(t, h))
	if got := actions(p)["markmonitor/contact/Example Inc./ops@example.com"]; got != diff.Update || len(p.Changes[0].Fields) != 1 {
		t.Fatalf("modified contact: %q\n%s", got, textOf(p))
	}
	mustOK(t, run(t, h.vendor(), p))

	write(strings.Replace(withSecond, "          types: [ORGANIZATION_CONTACT]\n", "          types: [ORGANIZATION_CONTACT]\n          state: absent\n", 1))
	p = plan(t, h.vendor(), reload(t, h))
	if got := actions(p)["markmonitor/contact/Example Inc./ops@example.com"]; got != diff.Delete {
		t.Fatalf("absent contact: %q\n%s", got, textOf(p))
	}
	mustOK(t, run(t, h.vendor(), p))
	if p := plan(t, h.vendor(), reload(t, h)); !p.Empty() {
		t.Fatalf("plan after delete:\n%s", textOf(p))
	}

	// Drift in a field the API cannot change is shown as needing a person.
	write(strings.Replace(orgYAML, "city: Boise", "city: Meridian", 1))
	p = plan(t, h.vendor(), reload(t, h))
	if !p.Empty() || len(p.Info) != 1 || !strings.Contains(p.Info[0].Message, "city") || !strings.Contains(p.Info[0].Message, "portal") {
		t.Fatalf("org drift: %s %+v", p.Summary(), p.Info)
	}
}

func TestBadCredentials(t *testing.T) {
	h := newHarness(t, mmsim.Options{})
	v, err := New(Config{URL: h.srv.URL + "/certs/v1", AuthURL: h.srv.URL + "/auth/v1", APIKey: testKey, Username: testUser, Password: "wrong"}, Deps{Clock: h.clock})
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Observe(t.Context(), h.inventory())
	if !errors.Is(err, ErrAuth) {
		t.Fatalf("err = %v, want ErrAuth", err)
	}
	if _, err := New(Config{URL: "x"}, Deps{}); !errors.Is(err, ErrConfig) {
		t.Fatalf("missing settings: %v", err)
	}
}

// An order can read DIGI_ISSUED a moment before its PEM is filled in:
// nothing is written then, and the next run downloads the certificate.
func TestIssuedBeforeCertificateIsFilledIn(t *testing.T) {
	h := newHarness(t, mmsim.Options{CertLag: time.Hour})
	inv := h.inventory(orderYAML("www", ""))
	v := h.vendor()
	rep := run(t, v, plan(t, v, inv))
	mustOK(t, rep)
	if _, err := os.Stat(filepath.Join(h.dir, "out/www.crt")); err == nil {
		t.Fatal("a certificate was written before the API had one")
	}
	h.clock.Advance(2 * time.Hour)
	p := plan(t, h.vendor(), inv)
	if got := actions(p)["markmonitor/order/www"]; got != Download {
		t.Fatalf("action = %q, want download:\n%s", got, textOf(p))
	}
	mustOK(t, run(t, h.vendor(), p))
	if p := plan(t, h.vendor(), inv); !p.Empty() {
		t.Fatalf("plan after download:\n%s", textOf(p))
	}
}

// A renewal the CA rejects is not placed again by the next runs.
func TestRejectedRenewalIsNotRepeated(t *testing.T) {
	h := newHarness(t, mmsim.Options{Validity: 90 * 24 * time.Hour})
	inv := h.inventory(orderYAML("www", ""))
	mustOK(t, run(t, h.vendor(), plan(t, h.vendor(), inv)))
	h.clock.Advance(80 * 24 * time.Hour)
	p := plan(t, h.vendor(), inv)
	if got := actions(p)["markmonitor/order/www"]; got != Renew {
		t.Fatalf("want a renewal, got %q", got)
	}
	mustOK(t, run(t, h.vendor(), p))
	orders := h.sim.Orders()
	if len(orders) != 2 {
		t.Fatalf("%d orders", len(orders))
	}
	newest := orders[1].ID
	if err := h.sim.SetStatus(newest, "DIGI_REJECTED"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		p := plan(t, h.vendor(), inv)
		if got := actions(p)["markmonitor/order/www"]; got == Renew || got == diff.Create {
			t.Fatalf("run %d plans %s again after the renewal was rejected", i+1, got)
		}
		if len(p.Info) == 0 || !strings.Contains(p.Info[0].Message, "DIGI_REJECTED") {
			t.Fatalf("run %d: the rejection is not shown: %+v", i+1, p.Info)
		}
		mustOK(t, run(t, h.vendor(), p))
	}
	if n := len(h.sim.Orders()); n != 2 {
		t.Fatalf("%d orders after three runs, want still 2", n)
	}
}

// An order POST that fails before the simulator stores it (503) is not
// sent again in that run; the next run plans the create again.
func TestOrderPostThatDidNotLand(t *testing.T) {
	h := newHarness(t, mmsim.Options{})
	inv := h.inventory(orderYAML("www", ""))
	mustOK(t, run(t, h.vendor(), plan(t, h.vendor(), h.inventory())))
	h.sim.Faults().Add(sim.Fault{Method: "POST", Path: "/certs/v1/order", Status: 503, Body: `{"errors":[{"code":"request.genericError","message":"An unexpected error occurred."}]}`, Times: 1})
	rep := run(t, h.vendor(), plan(t, h.vendor(), inv))
	if r := rep.Results[0]; r.Status != "failed" || !strings.Contains(r.Error, "no order carries its marker") {
		t.Fatalf("result = %s %q", r.Status, r.Error)
	}
	if n := len(h.sim.Orders()); n != 0 {
		t.Fatalf("%d orders after a 503, want 0", n)
	}
	if n := h.sim.Faults().Count("POST /certs/v1/order"); n != 1 {
		t.Fatalf("%d order POSTs, want 1 (never re-sent in the same run)", n)
	}
	p := plan(t, h.vendor(), inv)
	if got := actions(p)["markmonitor/order/www"]; got != diff.Create {
		t.Fatalf("next plan: %q, want create", got)
	}
	mustOK(t, run(t, h.vendor(), p))
	if n := len(h.sim.Orders()); n != 1 {
		t.Fatalf("%d orders, want 1", n)
	}
}

// An order that names a contact created in the same run waits for it.
func TestOrderUsesContactCreatedInTheSameRun(t *testing.T) {
	h := newHarness(t, mmsim.Options{})
	mustOK(t, run(t, h.vendor(), plan(t, h.vendor(), h.inventory())))
	text := strings.Replace(orgYAML, "      contacts:\n", `      contacts:
        - email: ops@example.com
          first_name: Ops
          last_name: Team
          job_title: Operations
          phone: "+1 208 555 0102"
          types: [ORGANIZATION_CONTACT]
`, 1) + "  orders:\n" + orderYAML("www", "      contacts: [ops@example.com]\n")
	if err := os.WriteFile(filepath.Join(h.dir, "inventory.yaml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	inv := reload(t, h)
	v := h.vendor()
	p := plan(t, v, inv)
	mustOK(t, run(t, v, p))
	o := h.sim.Orders()[0]
	ids := map[string]string{}
	for _, c := range h.sim.Contacts() {
		ids[c.Email] = c.ID
	}
	// Markmonitor adds its technical contact to every order; of ours, only
	// the one the order names is on it.
	if !slices.Contains(o.Contacts, ids["ops@example.com"]) || slices.Contains(o.Contacts, ids["pki@example.com"]) {
		t.Fatalf("order contacts %v; ops is %s, pki is %s", o.Contacts, ids["ops@example.com"], ids["pki@example.com"])
	}
}
