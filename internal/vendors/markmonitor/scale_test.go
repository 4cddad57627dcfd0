package markmonitor

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/testpki"
	"github.com/certsync/certsync/internal/vendors/markmonitor/mmsim"
)

// seedSteadyState puts n issued orders that match the inventory into the
// simulator, as a previous certsync run would have left them.
func seedSteadyState(tb testing.TB, h *harness, n int) []string {
	org, err := h.sim.SeedOrganization(mmsim.Organization{
		Name: "Example Inc.", Address1: "1 Example Way", City: "Boise", State: "Idaho", Country: "US", Zipcode: "83702", Phone: "+1 208 555 0100",
		Contacts: []mmsim.Contact{{FirstName: "Pat", LastName: "Example", JobTitle: "PKI Lead", Email: "pki@example.com", Phone: "+1 208 555 0101",
			ContactTypes: []mmsim.ContactType{{Type: "ORGANIZATION_CONTACT"}, {Type: "EXTENDED_VALIDATION_APPROVER"}}}},
	})
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(h.dir, "keys"), 0o700); err != nil {
		tb.Fatal(err)
	}
	key := testpki.NewKey() // one key for all keeps seeding fast
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	var reqs []mmsim.OrderRequest
	var items []string
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("o%03d", i)
		cn := name + ".example.com"
		sans := []string{name + "-alt.example.com"}
		if err := os.WriteFile(filepath.Join(h.dir, "keys", name+".key"), keyPEM, 0o600); err != nil {
			tb.Fatal(err)
		}
		csr, err := makeCSR(key, cn, sans)
		if err != nil {
			tb.Fatal(err)
		}
		reqs = append(reqs, mmsim.OrderRequest{
			OrganizationID: org.ID, CertType: "SSL_OV_BASIC",
			Contacts: []mmsim.ContactRef{{ID: org.Contacts[0].ID, ContactTypes: []mmsim.ContactType{{Type: "ORGANIZATION_CONTACT"}}}},
			Comments: marker{name: name, spec: specHash("Example Inc.", "SSL_OV_BASIC", cn, sans), prev: "-"}.String(),
			Cert:     mmsim.CertRequest{CommonName: cn, DNSNames: sans, CSR: csr, DcvMethod: "DNS_TXT_TOKEN", AlgorithmHash: "ECC"},
		})
		items = append(items, fmt.Sprintf(`    - name: %s
      organization: Example Inc.
      cert_type: SSL_OV_BASIC
      common_name: %s
      dns_names: [%s]
      private_key: keys/%s.key
      dcv_method: DNS_TXT_TOKEN
`, name, cn, sans[0], name))
	}
	if _, err := h.sim.SeedIssuedOrders(reqs); err != nil {
		tb.Fatal(err)
	}
	return items
}

// A steady-state plan of 500 orders makes at most 10 requests.
func TestSteadyState500Requests(t *testing.T) {
	h := newHarness(t, mmsim.Options{})
	inv := h.inventory(seedSteadyState(t, h, 500)...)
	h.sim.Faults().ResetCounts()
	start := time.Now()
	p := plan(t, h.vendor(), inv)
	took := time.Since(start)
	if !p.Empty() || len(p.Info) != 0 {
		t.Fatalf("steady state is not clean:\n%s", textOf(p))
	}
	n := h.sim.Faults().Count("")
	if n > 10 {
		t.Fatalf("steady-state plan of 500 orders made %d requests, want <= 10", n)
	}
	t.Logf("steady-state plan of 500 orders: %d requests (auth %d, organization lists %d, order lists %d), %s",
		n, h.sim.Faults().Count("POST /auth"), h.sim.Faults().Count("GET /certs/v1/organization"), h.sim.Faults().Count("GET /certs/v1/order"), took)
}

func BenchmarkSteadyStatePlan500(b *testing.B) {
	h := newHarness(b, mmsim.Options{})
	inv := h.inventory(seedSteadyState(b, h, 500)...)
	v := h.vendor()
	h.sim.Faults().ResetCounts()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if p := plan(b, v, inv); !p.Empty() {
			b.Fatal("not steady")
		}
	}
	b.ReportMetric(float64(h.sim.Faults().Count(""))/float64(b.N), "requests/op")
}
