package mmsim

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/pemutil"
)

func TestPersistence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "markmonitor.json")
	f := newFixture(t, func(o *Options) { o.StatePath, o.IssueDelay = path, time.Hour })
	org := f.newOrg("Persist Inc.", false)
	pending := f.newOrder(orderReq(org, userContact(t, org).ID, "www.example.com", ecCSR()))
	f.getOrder(pending.ID) // submitted: DIGI_PENDING
	root, inter := f.s.CACertificates()
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", fi, err)
	}

	// A restarted simulator has the same CA, records, ids and secret.
	s2, err := New(f.opt)
	if err != nil {
		t.Fatal(err)
	}
	ts2 := httptest.NewServer(s2)
	defer ts2.Close()
	f2 := &fixture{t: t, s: s2, ts: ts2, clock: f.clock, opt: f.opt, token: f.token} // the old token still works
	if r2, i2 := s2.CACertificates(); r2 != root || i2 != inter {
		t.Error("the CA changed across a restart")
	}
	got := f2.getOrder(pending.ID)
	if got.Status != StatusDigiPending || got.ProviderID == 0 {
		t.Fatalf("restored order: %s", got.Status)
	}
	f.clock.Advance(time.Hour)
	got = f2.getOrder(pending.ID)
	if got.Status != StatusDigiIssued {
		t.Fatalf("restored order does not advance: %s", got.Status)
	}
	// The restarted CA still signs certificates that chain to the old root.
	leaf, err := pemutil.Certificate([]byte(got.Cert.EndEntityCert))
	if err != nil {
		t.Fatal(err)
	}
	roots, inters := x509.NewCertPool(), x509.NewCertPool()
	roots.AppendCertsFromPEM([]byte(root))
	inters.AppendCertsFromPEM([]byte(inter))
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inters, CurrentTime: f.clock.Now()}); err != nil {
		t.Errorf("certificate after restart: %v", err)
	}
	// New providerIds continue, not restart.
	org2 := f2.newOrg("Persist Two", false)
	if org2.ProviderID != org.ProviderID+1 {
		t.Errorf("providerId after restart %d, want %d", org2.ProviderID, org.ProviderID+1)
	}
	// ExpireTokens survives a restart too.
	s2.ExpireTokens()
	s3, err := New(f.opt)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s3.verifyTokenLocked(f.token, f.clock.Now()); err == nil {
		t.Error("a token expired by ExpireTokens is valid after a restart")
	}
	if n := len(s3.Orders()); n != 1 {
		t.Errorf("%d orders after the second restart", n)
	}
	if len(s3.Contacts()) != 4 || len(s3.Organizations()) != 2 {
		t.Errorf("restored %d contacts, %d organizations", len(s3.Contacts()), len(s3.Organizations()))
	}

	// A file in the layout from before records, of another version.
	if err := os.Remove(path + ".journal"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(`{"version":99}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(f.opt); err == nil {
		t.Error("New accepted a state file of an unknown version")
	}
	f.opt.StatePath = "" // broken on purpose: no restart check at the end
}

func TestNewRequiresCredentials(t *testing.T) {
	for _, o := range []Options{{}, {APIKey: "k", Username: "u"}, {Username: "u", Password: "p"}} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) succeeded", o)
		}
	}
}

func TestSeedOrganization(t *testing.T) {
	f := newFixture(t)
	body := orgBody("Seeded Inc.", true)
	body.ID = "3FA85F64-5717-4562-B3FC-2C963F66AFA6"
	org, err := f.s.SeedOrganization(body)
	if err != nil {
		t.Fatal(err)
	}
	if org.ID != "3fa85f64-5717-4562-b3fc-2c963f66afa6" || len(org.Contacts) != 2 || org.ProviderID == 0 {
		t.Errorf("seeded %+v", org)
	}
	if len(org.Validations) != 2 || org.Validations[0].Status != ValidationValidated || org.Validations[1].Status != ValidationValidated {
		t.Errorf("seeded validations %+v, want OV and EV validated", org.Validations)
	}
	var viaAPI Organization
	f.call(http.MethodGet, api+"/organization/"+org.ID, nil, http.StatusOK, &viaAPI)
	if !equalJSON(viaAPI, org) {
		t.Errorf("API shows %+v, seed returned %+v", viaAPI, org)
	}
	for _, bad := range []Organization{{}, body, {Name: "X", ID: "nope"}} {
		if _, err := f.s.SeedOrganization(bad); err == nil {
			t.Errorf("SeedOrganization(%+v) succeeded", bad)
		}
	}
}

func TestSeedIssuedOrders(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	f := newFixture(t, func(o *Options) { o.StatePath = path })
	org, err := f.s.SeedOrganization(orgBody("Bulk Inc.", false))
	if err != nil {
		t.Fatal(err)
	}
	contact := userContact(t, org).ID
	one, err := f.s.SeedIssuedOrder(orderReq(org, contact, "single.example.com", noCNCSR()))
	if err != nil || one.Status != StatusDigiIssued || one.Cert.EndEntityCert == "" {
		t.Fatalf("SeedIssuedOrder: %v %+v", err, one)
	}
	reqs := make([]OrderRequest, 500)
	for i := range reqs {
		reqs[i] = orderReq(org, contact, fmt.Sprintf("host%03d.example.com", i), noCNCSR())
	}
	// How fast bulk seeding is, is a benchmark's business, not this test's.
	orders, err := f.s.SeedIssuedOrders(reqs)
	if err != nil || len(orders) != 500 {
		t.Fatalf("SeedIssuedOrders: %v, %d orders", err, len(orders))
	}
	var p PagedList[Order]
	f.call(http.MethodGet, api+"/order?statuses=DIGI_ISSUED&size=1000", nil, http.StatusOK, &p)
	if p.Page.TotalElements != 501 || p.Content[500].Cert.CommonName != "host499.example.com" {
		t.Errorf("listed %d issued orders", p.Page.TotalElements)
	}
	s2, err := New(f.opt)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(s2.Orders()); n != 501 {
		t.Errorf("%d orders after a restart, want 501", n)
	}
	if _, err := f.s.SeedIssuedOrder(orderReq(org, newUUID(), "bad.example.com", noCNCSR())); err == nil {
		t.Error("SeedIssuedOrder accepted an unknown contact")
	}
}

// TestConcurrentClients runs creates, reads, lists and actions from several
// goroutines at once; -race checks the locking. (In memory: with a
// StatePath every change is an fsync, which only makes this slow.)
func TestConcurrentClients(t *testing.T) {
	f := newFixture(t)
	org := f.newOrg("Concurrent Inc.", false)
	contact := userContact(t, org).ID
	body := mustJSONString(orderReq(org, contact, "www.example.com", ecCSR()))
	var send func(method, path, body string) (int, error)
	send = func(method, path, body string) (int, error) {
		req, err := http.NewRequest(method, f.ts.URL+path, strings.NewReader(body))
		if err != nil {
			return 0, err
		}
		req.Header.Set("X-API-KEY", testAPIKey)
		req.Header.Set("Authorization", "Bearer "+f.token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := f.ts.Client().Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		var o Order
		if method == http.MethodPost {
			if err := json.NewDecoder(resp.Body).Decode(&o); err != nil {
				return 0, err
			}
			if _, err := send(http.MethodPatch, api+"/order/"+o.ID+"/revoke", "{}"); err != nil {
				return 0, err
			}
		}
		return resp.StatusCode, nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				for _, r := range [][2]string{{http.MethodPost, api + "/order"}, {http.MethodGet, api + "/order?size=5"}, {http.MethodGet, api + "/organization"}} {
					b := ""
					if r[0] == http.MethodPost {
						b = body
					}
					if code, err := send(r[0], r[1], b); err != nil || code >= 300 {
						errs <- fmt.Errorf("%s %s: %d %v", r[0], r[1], code, err)
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	orders := f.s.Orders()
	if len(orders) != 40 {
		t.Fatalf("%d orders, want 40", len(orders))
	}
	for _, o := range orders {
		if o.Status != StatusDigiRevoked {
			t.Errorf("order %s: %s", o.ID, o.Status)
		}
	}
}
