package chaos

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/testpki"
)

// Sizes of the generated inventory: 200 items over the three vendors.
const (
	items        = 200
	contactCount = 3 // of the one organization
	reissued     = 2 // orders whose DNS names change in version 2
	rotated      = 4 // CDN certificates from files that get a new certificate in version 2
)

// world is the generated test PKI and the inventory's shape; inventory
// writes one version of the inventory from it.
type world struct {
	dir                  string
	root                 *testpki.Cert
	cas                  []*testpki.Cert // CCADB intermediates, signed by root
	orders, cdnFromFiles int
	leaves               map[string]*testpki.Cert // CDN certificates from files, by file base name
}

// newWorld generates the PKI under dir: nCAs + 1 + contactCount + orders +
// orders + nFiles = items.
func newWorld(t *testing.T, dir string, orders int) *world {
	t.Helper()
	nCAs := 120
	w := &world{dir: dir, orders: orders, cdnFromFiles: items - nCAs - 1 - contactCount - 2*orders, leaves: map[string]*testpki.Cert{}}
	w.root = testpki.Root(testpki.Options{CommonName: "Chaos Root CA", Organization: "Example CA"})
	mustWrite(t, filepath.Join(dir, "pki/root.pem"), w.root.PEM(), 0o644)
	for i := 0; i < nCAs; i++ {
		ca := testpki.Issue(w.root, testpki.Options{CommonName: fmt.Sprintf("Chaos Issuing CA %03d", i), Organization: "Example CA"})
		w.cas = append(w.cas, ca)
		mustWrite(t, filepath.Join(dir, fmt.Sprintf("pki/ca-%03d.pem", i)), ca.PEM(), 0o644)
	}
	leaf := func(name string, i int) {
		key := testpki.NewKey()
		now := time.Now().UTC()
		c := testpki.Issue(w.cas[i%nCAs], testpki.Options{CommonName: name + ".example.com", Leaf: true, DNSNames: []string{name + ".example.com"},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(200 * 24 * time.Hour), Key: key})
		w.leaves[name] = c
		mustWrite(t, filepath.Join(dir, "leaf", name+".crt"), c.PEM(), 0o644)
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		mustWrite(t, filepath.Join(dir, "leaf", name+".key"), string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), 0o600)
	}
	for i := 0; i < w.cdnFromFiles; i++ {
		leaf(fmt.Sprintf("cdn-%03d", i), i)
		if i < rotated {
			leaf(fmt.Sprintf("cdn-%03d-v2", i), i)
		}
	}
	return w
}

func mustWrite(t *testing.T, path, text string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
}

// Expected managed values, by inventory version (1 first, then 2): what the
// simulators must hold at the end is version 2's.
func caDescription(i, v int) string {
	return fmt.Sprintf("Chaos issuing CA %03d, inventory version %d", i, v)
}
func caFullCRL(i, v int) string {
	if v == 2 && i%2 == 0 {
		return fmt.Sprintf("http://crl.example.com/v2/ca-%03d.crl", i)
	}
	return fmt.Sprintf("http://crl.example.com/ca-%03d.crl", i)
}
func caComments(v int) string { return fmt.Sprintf("chaos v%d", v) }

func contactEmail(i int) string { return fmt.Sprintf("c%d@example.com", i) }
func contactTitle(i, v int) string {
	if v == 2 && i == 1 {
		return "Operations Lead"
	}
	return fmt.Sprintf("Role %d", i)
}

func orderName(i int) string { return fmt.Sprintf("o%02d", i) }
func orderDNS(i, v int) []string {
	if v == 2 && i < reissued {
		return []string{orderName(i) + "-alt.example.com", orderName(i) + "-new.example.com"}
	}
	return []string{orderName(i) + "-alt.example.com"}
}
func orderEmails(i, v int) []string {
	if v == 2 && i%2 == 1 {
		return []string{"noc@example.com", "pki-team@example.com"}
	}
	return []string{"noc@example.com"}
}

func cdnName(i int) string { return fmt.Sprintf("cdn-%03d", i) }

// cdnLeaf is the file a CDN certificate from files deploys in version v.
func cdnLeaf(i, v int) string {
	if v == 2 && i < rotated {
		return cdnName(i) + "-v2"
	}
	return cdnName(i)
}
func cdnComment(v int) string { return fmt.Sprintf("managed by certsync, v%d", v) }

// inventory writes version v of the inventory to dir/inventory.yaml.
func (w *world) inventory(t *testing.T, v int) {
	t.Helper()
	var b strings.Builder
	// The guards exist for people: an apply that would order more than 10
	// certificates or make more than 3 destructive changes stops for a
	// person to confirm. Here the suite is that person, and its first apply
	// orders every certificate (and reissues are paid too), so the
	// generated inventory raises both limits above anything it can plan.
	fmt.Fprintf(&b, "guards:\n  max_paid: %d\n  max_destructive: %d\n", items, items)
	b.WriteString("ccadb:\n  defaults:\n    ca_owner: Example CA\n  intermediates:\n")
	for i := range w.cas {
		fmt.Fprintf(&b, `    - name: ca-%03d
      certificate: pki/ca-%03d.pem
      parent: pki/root.pem
      crls:
        full: [%s]
      description: %q
      public_comments: %q
`, i, i, caFullCRL(i, v), caDescription(i, v), caComments(v))
	}
	b.WriteString(`markmonitor:
  organizations:
    - name: Example Inc.
      address1: 1 Example Way
      city: Boise
      state: Idaho
      country: US
      zipcode: "83702"
      phone: "+1 208 555 0100"
      contacts:
`)
	for i := 0; i < contactCount; i++ {
		types := "[ORGANIZATION_CONTACT]"
		if i == 0 {
			types = "[ORGANIZATION_CONTACT, EXTENDED_VALIDATION_APPROVER]"
		}
		fmt.Fprintf(&b, `        - email: %s
          first_name: Pat%d
          last_name: Example
          job_title: %s
          phone: "+1 208 555 010%d"
          types: %s
`, contactEmail(i), i, contactTitle(i, v), i, types)
	}
	b.WriteString("  orders:\n")
	for i := 0; i < w.orders; i++ {
		n := orderName(i)
		fmt.Fprintf(&b, `    - name: %s
      organization: Example Inc.
      cert_type: SSL_OV_BASIC
      common_name: %s.example.com
      dns_names: [%s]
      private_key: keys/%s.key
      key_type: ecdsa-p256
      dcv_method: DNS_TXT_TOKEN
      additional_emails: [%s]
      output:
        certificate: out/%s.crt
        chain: out/%s.chain.pem
        full_chain: out/%s.full.pem
`, n, n, strings.Join(orderDNS(i, v), ", "), n, strings.Join(orderEmails(i, v), ", "), n, n, n)
	}
	b.WriteString("quantil:\n  certificates:\n")
	for i := 0; i < w.orders; i++ {
		fmt.Fprintf(&b, "    - name: %s.example.com\n      comment: %q\n      from: markmonitor/order/%s\n", orderName(i), cdnComment(v), orderName(i))
	}
	for i := 0; i < w.cdnFromFiles; i++ {
		fmt.Fprintf(&b, "    - name: %s.example.com\n      comment: %q\n      certificate: leaf/%s.crt\n      chain: pki/ca-%03d.pem\n      private_key: leaf/%s.key\n",
			cdnName(i), cdnComment(v), cdnLeaf(i, v), i%len(w.cas), cdnLeaf(i, v))
	}
	mustWrite(t, filepath.Join(w.dir, "inventory.yaml"), b.String(), 0o644)
}
