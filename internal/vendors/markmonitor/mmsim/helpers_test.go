package mmsim

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"github.com/certsync/certsync/internal/sim"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testAPIKey   = "test-api-key"
	testUser     = "api-user"
	testPassword = "s3cret"
)

type testClock = sim.Clock

// fixture is a simulator behind an httptest server with a valid token. The
// rate limit is off unless a test turns it on: tests send many requests at
// one instant of the fake clock.
type fixture struct {
	t     *testing.T
	s     *Server
	ts    *httptest.Server
	clock *testClock
	opt   Options
	token string
}

func testOptions(clock *testClock) Options {
	return Options{APIKey: testAPIKey, Username: testUser, Password: testPassword, Now: clock.Now, RateLimit: -1}
}

func newFixture(t *testing.T, mods ...func(*Options)) *fixture {
	t.Helper()
	clock := sim.NewClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	o := testOptions(clock)
	// Every test runs with a state file and, at its end, checks that a
	// simulator restarted from it holds the same state: each change saves
	// only the records it touched, and this catches one that was missed.
	o.StatePath = filepath.Join(t.TempDir(), "markmonitor.json")
	for _, m := range mods {
		m(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	f := &fixture{t: t, s: s, ts: ts, clock: clock, opt: o}
	t.Cleanup(func() { f.checkRestart() })
	f.token = f.authenticate()
	return f
}

// checkRestart fails the test unless a simulator started from the state file
// shows the same organizations, contacts and orders as the running one.
func (f *fixture) checkRestart() {
	if f.opt.StatePath == "" || f.t.Failed() {
		return
	}
	// Reading applies the transitions due by now (with random ids); save
	// them, as the next change would, so that the restarted simulator does
	// not compute them again differently.
	orgs, contacts, orders := f.s.Organizations(), f.s.Contacts(), f.s.Orders()
	f.s.mu.Lock()
	err := f.s.saveLocked()
	f.s.mu.Unlock()
	if err != nil {
		f.t.Errorf("save: %v", err)
		return
	}
	s2, err := New(f.opt)
	if err != nil {
		f.t.Errorf("restart from %s: %v", f.opt.StatePath, err)
		return
	}
	diff := func(kind string, live, restarted []any) {
		if len(live) != len(restarted) {
			f.t.Errorf("%d %s after a restart from the state file, want %d", len(restarted), kind, len(live))
			return
		}
		for i := range live {
			a, _ := json.Marshal(live[i])
			b, _ := json.Marshal(restarted[i])
			if string(a) != string(b) {
				at := 0
				for at < min(len(a), len(b)) && a[at] == b[at] {
					at++
				}
				from := max(0, at-120)
				f.t.Errorf("%s[%d] differs after a restart from the state file, from byte %d:\nlive      …%.300s\nrestarted …%.300s", kind, i, at, a[from:], b[from:])
			}
		}
	}
	diff("organizations", anys(orgs), anys(s2.Organizations()))
	diff("contacts", anys(contacts), anys(s2.Contacts()))
	diff("orders", anys(orders), anys(s2.Orders()))
}

func anys[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

func (f *fixture) authenticate() string {
	f.t.Helper()
	var tok Token
	f.call(http.MethodPost, AuthenticatePath, Credentials{Username: testUser, Password: testPassword}, http.StatusOK, &tok)
	return tok.Token
}

// request sends a request with the API key and the fixture's token (hdr
// pairs override or, with an empty value, remove headers). body is sent
// as-is when it is a string or []byte, as JSON otherwise, not at all when
// nil.
func (f *fixture) request(method, path string, body any, hdr ...string) (*http.Response, []byte) {
	f.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, f.ts.URL+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("X-API-KEY", testAPIKey)
	req.Header.Set("Authorization", "Bearer "+f.token)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp, data
}

// call sends a request, checks the status and decodes the answer into out
// (when not nil).
func (f *fixture) call(method, path string, body any, want int, out any, hdr ...string) []byte {
	f.t.Helper()
	resp, data := f.request(method, path, body, hdr...)
	if resp.StatusCode != want {
		f.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			f.t.Fatalf("%s %s: decode %s: %v", method, path, data, err)
		}
	}
	return data
}

// fail sends a request that must fail with status, and returns its body.
func (f *fixture) fail(method, path string, body any, status int, hdr ...string) ErrorResponse {
	f.t.Helper()
	var e ErrorResponse
	f.call(method, path, body, status, &e, hdr...)
	return e
}

func (e ErrorResponse) code() string {
	if len(e.Errors) > 0 {
		return e.Errors[0].Code
	}
	if len(e.Validations) > 0 {
		return e.Validations[0].Code
	}
	return e.Message
}

// hasField reports whether a validation failure names field with code.
func (e ErrorResponse) hasField(field, code string) bool {
	for _, v := range e.Validations {
		if v.Field == field && v.Code == code {
			return true
		}
	}
	return false
}

const api = APIPrefix

// ---- keys and CSRs ----

// Keys are made once per test binary: RSA generation is slow.
var (
	ecKey   = sync.OnceValue(func() crypto.Signer { return mustKey(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)) })
	ecKey2  = sync.OnceValue(func() crypto.Signer { return mustKey(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)) })
	rsaKey  = sync.OnceValue(func() crypto.Signer { return mustKey(rsa.GenerateKey(rand.Reader, 2048)) })
	ecCSR   = sync.OnceValue(func() string { return makeCSR(ecKey(), "www.example.com") })
	noCNCSR = sync.OnceValue(func() string { return makeCSR(ecKey(), "") })
)

func mustKey[K crypto.Signer](k K, err error) crypto.Signer {
	if err != nil {
		panic(err)
	}
	return k
}

// makeCSR returns a PEM CSR for key with subject CN cn and the given SANs.
func makeCSR(key crypto.Signer, cn string, dns ...string) string {
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:  pkix.Name{CommonName: cn, Organization: []string{"Example Inc."}, Country: []string{"US"}},
		DNSNames: dns,
	}, key)
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

// ---- organizations and orders ----

func orgBody(name string, ev bool) Organization {
	types := []ContactType{{Type: ContactTypeOrganization}}
	if ev {
		types = append(types, ContactType{Type: ContactTypeEVApprover})
	}
	return Organization{
		Name: name, Address1: "1 Main St", City: "Meridian", State: "ID", Country: "US",
		Zipcode: "83642", Phone: "+1.2085550100", Provider: ProviderDigiCert,
		Contacts: []Contact{{
			FirstName: "Ada", LastName: "Lovelace", JobTitle: "CTO", Email: "ada@example.com",
			Phone: "+1.2085550101", ContactTypes: types,
		}},
	}
}

// newOrg creates an organization through the API.
func (f *fixture) newOrg(name string, ev bool) Organization {
	f.t.Helper()
	var org Organization
	f.call(http.MethodPost, api+"/organization", orgBody(name, ev), http.StatusCreated, &org)
	return org
}

// userContact returns the first contact of org that is not Markmonitor's.
func userContact(t *testing.T, org Organization) Contact {
	t.Helper()
	for _, c := range org.Contacts {
		if !c.HasType(ContactTypeTechnical) {
			return c
		}
	}
	t.Fatal("organization has no user contact")
	return Contact{}
}

func orderReq(org Organization, contactID, cn, csr string, dns ...string) OrderRequest {
	return OrderRequest{
		OrganizationID: org.ID,
		Contacts:       []ContactRef{{ID: contactID, ContactTypes: []ContactType{{Type: ContactTypeOrganization}}}},
		CertType:       CertTypeOVBasic,
		Locale:         "en",
		Provider:       ProviderDigiCert,
		Comments:       "certsync:test",
		Cert: CertRequest{
			CommonName: cn, DNSNames: dns, CSR: csr, ServerPlatform: PlatformNginx,
			AlgorithmHash: AlgorithmECC, DcvMethod: DcvMethodDNSTXT,
		},
	}
}

// newOrder creates an order through the API (202).
func (f *fixture) newOrder(req OrderRequest) Order {
	f.t.Helper()
	var o Order
	f.call(http.MethodPost, api+"/order", req, http.StatusAccepted, &o)
	return o
}

func (f *fixture) getOrder(id string) Order {
	f.t.Helper()
	var o Order
	f.call(http.MethodGet, api+"/order/"+id, nil, http.StatusOK, &o)
	return o
}

func (f *fixture) action(id, action string, body any, want int) Order {
	f.t.Helper()
	var o Order
	f.call(http.MethodPatch, api+"/order/"+id+"/"+action, body, want, &o)
	return o
}

// issuedOrder makes an organization and an order and reads it issued
// (IssueDelay 0, no hold).
func (f *fixture) issuedOrder(name string) (Organization, Order) {
	f.t.Helper()
	org := f.newOrg(name, false)
	o := f.newOrder(orderReq(org, userContact(f.t, org).ID, "www.example.com", ecCSR(), "example.com"))
	got := f.getOrder(o.ID)
	if got.Status != StatusDigiIssued {
		f.t.Fatalf("order status %s, want DIGI_ISSUED", got.Status)
	}
	return org, got
}

func historyHas(o Order, substr string) bool {
	for _, h := range o.History {
		if strings.Contains(h.Text, substr) {
			return true
		}
	}
	return false
}

func mustJSONString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// equalJSON compares two values by their JSON form.
func equalJSON(a, b any) bool { return mustJSONString(a) == mustJSONString(b) }

// publishDCV publishes every DCV record the order's current DCV asks for, as
// the customer's DNS tool would.
func (f *fixture) publishDCV(orderID string) []DCVRecord {
	f.t.Helper()
	recs, err := f.s.DCVRecords(orderID)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, r := range recs {
		if err := f.s.PublishDCV(r); err != nil {
			f.t.Fatal(err)
		}
	}
	return recs
}
