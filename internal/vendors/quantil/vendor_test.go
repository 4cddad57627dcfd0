package quantil

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/apply"
	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/sim"
	"github.com/certsync/certsync/internal/testfixture"
	"github.com/certsync/certsync/internal/testpki"
	"github.com/certsync/certsync/internal/vendors/conformance"
	"github.com/certsync/certsync/internal/vendors/quantil/quantilsim"
)

const (
	testUser = "cdn-user"
	testKey  = "cdn-api-key-secret"
)

type harness struct {
	t   testing.TB
	sim *quantilsim.Server
	srv *httptest.Server
	dir string
	ca  *testpki.Cert
	key *rsa.PrivateKey
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	s, err := quantilsim.New(quantilsim.Options{User: testUser, APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, sim: s, srv: srv, dir: t.TempDir(), ca: testpki.Root(testpki.Options{CommonName: "CDN Test CA"}), key: key}
}

func (h *harness) write(name string, data []byte) {
	h.t.Helper()
	if err := os.WriteFile(filepath.Join(h.dir, name), data, 0o600); err != nil {
		h.t.Fatal(err)
	}
}

// issue writes a leaf for the harness key (signed by the CA) as name.crt,
// the key as name.key and the CA as name.chain.pem; it returns the serial.
func (h *harness) issue(name string, notAfter time.Time) string {
	h.t.Helper()
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: name},
		DNSNames: []string{name}, NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter,
	}, h.ca.Cert, &h.key.PublicKey, h.ca.Key)
	if err != nil {
		h.t.Fatal(err)
	}
	h.write(name+".crt", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	kder, _ := x509.MarshalPKCS8PrivateKey(h.key)
	h.write(name+".key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}))
	h.write(name+".chain.pem", []byte(h.ca.PEM()))
	return fmt.Sprintf("%x", serial)
}

func (h *harness) inventory(text string) *inventory.Inventory {
	h.t.Helper()
	h.write("inventory.yaml", []byte(text))
	return testfixture.Load(h.t, filepath.Join(h.dir, "inventory.yaml"), Spec())
}

func item(name string) string {
	return fmt.Sprintf("    - name: %s\n      comment: managed by certsync\n      certificate: %s.crt\n      chain: %s.chain.pem\n      private_key: %s.key\n", name, name, name, name)
}

func (h *harness) vendor() *Vendor {
	h.t.Helper()
	v, err := New(Config{URL: h.srv.URL, User: testUser, APIKey: testKey}, Deps{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		h.t.Fatal(err)
	}
	// Retry waits pass on a simulated clock.
	v.client.clock = sim.NewClock(time.Now())
	return v
}

var plan = testfixture.Plan

func mustApply(t testing.TB, v *Vendor, p *diff.Plan) *apply.Report {
	t.Helper()
	rep := testfixture.Apply(t, Name, v, p)
	testfixture.MustOK(t, rep)
	return rep
}

func TestConformance(t *testing.T) {
	h := newHarness(t)
	h.issue("www.example.com", time.Now().Add(90*24*time.Hour))
	h.issue("api.example.com", time.Now().Add(90*24*time.Hour))
	inv := h.inventory("quantil:\n  certificates:\n" + item("www.example.com") + item("api.example.com"))
	p := conformance.Run(t, Name, func() conformance.Vendor { return h.vendor() }, inv)
	if len(p.Changes) != 2 || p.Changes[0].Action != diff.Create {
		t.Fatalf("first plan: %s", p.Summary())
	}
	certs := h.sim.Certificates()
	if len(certs) != 2 || certs[0].KeyPEM == "" || certs[0].ChainPEM == "" {
		t.Fatalf("the simulator holds %d certificates, or without key/chain", len(certs))
	}
	// No key material in the plan, in any form.
	var b strings.Builder
	_ = diff.JSON(&b, p)
	_ = diff.Text(&b, p, false)
	_ = diff.Markdown(&b, p)
	if strings.Contains(b.String(), "PRIVATE KEY") || strings.Contains(b.String(), "BEGIN") {
		t.Fatal("the plan shows PEM material")
	}
}

// Replacing the certificate file is one update showing the old and new
// serial and expiry; apply modifies it; the next plan is clean.
func TestReplacedCertificateIsOneUpdate(t *testing.T) {
	h := newHarness(t)
	oldExp := time.Now().Add(30 * 24 * time.Hour).Truncate(time.Second)
	oldSerial := h.issue("www.example.com", oldExp)
	inv := h.inventory("quantil:\n  certificates:\n" + item("www.example.com"))
	mustApply(t, h.vendor(), plan(t, h.vendor(), inv))
	id := h.sim.Certificates()[0].ID

	newExp := time.Now().Add(120 * 24 * time.Hour).Truncate(time.Second)
	newSerial := h.issue("www.example.com", newExp)
	p := plan(t, h.vendor(), inv)
	if len(p.Changes) != 1 || p.Changes[0].Action != diff.Update || p.Changes[0].LiveID != id {
		t.Fatalf("want one update of %s:\n%s", id, p.Summary())
	}
	got := map[string][2]any{}
	for _, f := range p.Changes[0].Fields {
		got[f.Field] = [2]any{f.Old, f.New}
	}
	if got["serial"] != [2]any{oldSerial, newSerial} {
		t.Errorf("serial change = %v, want %s -> %s", got["serial"], oldSerial, newSerial)
	}
	if got["expires"] != [2]any{oldExp.UTC().Format(time.RFC3339), newExp.UTC().Format(time.RFC3339)} {
		t.Errorf("expires change = %v", got["expires"])
	}
	mustApply(t, h.vendor(), p)
	if c := h.sim.Certificates(); len(c) != 1 || c[0].ID != id || c[0].Serial != newSerial {
		t.Fatalf("after apply: %+v", c)
	}
	if p := plan(t, h.vendor(), inv); !p.Empty() {
		t.Fatalf("plan after apply: %s", p.Summary())
	}
}

// A steady-state plan of 100 CDN certificates is one request.
func TestSteadyStateRequests(t *testing.T) {
	h := newHarness(t)
	text := "quantil:\n  certificates:\n"
	for i := 0; i < 100; i++ {
		name := fmt.Sprintf("site%03d.example.com", i)
		h.issue(name, time.Now().Add(90*24*time.Hour))
		text += item(name)
	}
	inv := h.inventory(text)
	mustApply(t, h.vendor(), plan(t, h.vendor(), inv))
	writes := h.sim.Faults().Count("POST /api/ssl/certificate")
	h.sim.Faults().ResetCounts()
	start := time.Now()
	p := plan(t, h.vendor(), inv)
	if !p.Empty() {
		t.Fatalf("steady state: %s", p.Summary())
	}
	n := h.sim.Faults().Count("")
	if n != 1 {
		t.Fatalf("steady-state plan of 100 certificates made %d requests, want 1", n)
	}
	t.Logf("100 CDN certificates: first apply %d adds; steady-state plan %d request, %s", writes, n, time.Since(start))
}

// An add whose answer is lost is found by name, never sent twice.
func TestAddDroppedAfterCommit(t *testing.T) {
	h := newHarness(t)
	h.issue("www.example.com", time.Now().Add(90*24*time.Hour))
	inv := h.inventory("quantil:\n  certificates:\n" + item("www.example.com"))
	h.sim.Faults().Add(sim.Fault{Method: "POST", Path: "/api/ssl/certificate", DropAfterCommit: true, Times: 1})
	rep := mustApply(t, h.vendor(), plan(t, h.vendor(), inv))
	if n := len(h.sim.Certificates()); n != 1 {
		t.Fatalf("%d certificates, want 1", n)
	}
	if !strings.Contains(strings.Join(rep.Results[0].Messages, " "), "answer was lost") {
		t.Errorf("messages = %q", rep.Results[0].Messages)
	}
}

// Deletion happens only when the inventory says absent.
func TestDeleteOnlyWhenAsked(t *testing.T) {
	h := newHarness(t)
	h.issue("www.example.com", time.Now().Add(90*24*time.Hour))
	h.issue("old.example.com", time.Now().Add(90*24*time.Hour))
	both := h.inventory("quantil:\n  certificates:\n" + item("www.example.com") + item("old.example.com"))
	mustApply(t, h.vendor(), plan(t, h.vendor(), both))
	if p := plan(t, h.vendor(), h.inventory("quantil:\n  certificates:\n"+item("www.example.com"))); !p.Empty() {
		t.Fatalf("dropping an item from the inventory planned %s", p.Summary())
	}
	absent := h.inventory("quantil:\n  certificates:\n" + item("www.example.com") + "    - name: old.example.com\n      state: absent\n")
	p := plan(t, h.vendor(), absent)
	if len(p.Changes) != 1 || p.Changes[0].Action != diff.Delete {
		t.Fatalf("want one delete: %s", p.Summary())
	}
	mustApply(t, h.vendor(), p)
	if n := len(h.sim.Certificates()); n != 1 {
		t.Fatalf("%d certificates after the delete", n)
	}
	if p := plan(t, h.vendor(), absent); !p.Empty() {
		t.Fatalf("plan after delete: %s", p.Summary())
	}
}
