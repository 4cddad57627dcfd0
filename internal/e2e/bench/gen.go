package main

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/certsync/certsync/internal/testfixture"
	"github.com/certsync/certsync/internal/testpki"
)

// fixture is a generated inventory and the test PKI behind it: n items
// split evenly over CCADB intermediates, Markmonitor orders and QUANTIL
// certificates (n = 10,000 gives 3,334 of each), or CCADB intermediates
// only (generateCCADB). Its files live under dir.
type fixture struct {
	dir string
	// inventory is the path of the inventory file (not inventory.yaml, so
	// that a `certsync sandbox` started in dir does not load it).
	inventory string
	perKind   int // items of each kind; of the most numerous kind when they differ
	// seedRev is the revision of the CRL URLs seeded into the CCADB: ""
	// for the inventory's steady state, something else to seed every
	// record one change away from it.
	seedRev string

	root          *testpki.Cert
	intermediates []*testpki.Cert // one per CCADB item
	issuer        *testpki.Cert   // signs the QUANTIL leaves
	key           crypto.Signer   // one subject key for everything: generation stays fast
	keyPEM        []byte
	orders        []order
	leaves        []*testpki.Cert // one per QUANTIL item
}

// order is a Markmonitor inventory item and the CSR it was ordered with.
type order struct {
	name, cn string
	sans     []string
	csr      string
}

const (
	benchOrg      = "Example Inc."
	benchCertType = "SSL_OV_BASIC"
	benchOwner    = "Example CA" // the sandbox CCADB's CA Owner
)

// itemsPerKind is how many items of each kind n items make.
func itemsPerKind(n int) int { return (n + 2) / 3 }

// generate writes the PKI files and the inventory for n items into dir,
// split evenly over the three kinds.
func generate(dir string, n int) (*fixture, error) {
	k := itemsPerKind(n)
	return generateKinds(dir, k, k, k)
}

// generateCCADB writes an inventory of n CCADB intermediates and nothing
// else: what the applies are measured on (the other vendors' items would
// only add their share of the plan, which the apply phase does not include).
// Its records are seeded one change away from the inventory (see seedRev).
func generateCCADB(dir string, n int) (*fixture, error) {
	f, err := generateKinds(dir, n, 0, 0)
	if f != nil {
		f.seedRev = "-seeded"
	}
	return f, err
}

// generateKinds writes the PKI files and the inventory for the given number
// of CCADB intermediates, Markmonitor orders and QUANTIL certificates.
func generateKinds(dir string, intermediates, orders, cdn int) (*fixture, error) {
	f := &fixture{dir: dir, perKind: max(intermediates, orders, cdn), key: testpki.NewKey()}
	der, err := x509.MarshalPKCS8PrivateKey(f.key)
	if err != nil {
		return nil, err
	}
	f.keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	for _, sub := range []string{"pki", "keys", "cdn"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, err
		}
	}
	f.root = testpki.Root(testpki.Options{CommonName: "Bench Root CA", Organization: benchOwner})
	f.issuer = testpki.Issue(f.root, testpki.Options{CommonName: "Bench TLS Issuing CA", Organization: benchOwner})
	files := map[string][]byte{
		"pki/root.pem":   []byte(f.root.PEM()),
		"cdn/chain.pem":  []byte(f.issuer.PEM()),
		"keys/cdn.key":   f.keyPEM,
		"keys/order.key": f.keyPEM,
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return nil, err
		}
	}
	for i := 0; i < intermediates; i++ {
		ica := testpki.Issue(f.root, testpki.Options{CommonName: fmt.Sprintf("Bench Issuing CA %d", i), Organization: benchOwner, Key: f.key})
		f.intermediates = append(f.intermediates, ica)
		if err := os.WriteFile(filepath.Join(dir, "pki", fmt.Sprintf("ica%d.pem", i)), []byte(ica.PEM()), 0o644); err != nil {
			return nil, err
		}
	}
	for i := 0; i < orders; i++ {
		name := fmt.Sprintf("o%d", i)
		o := order{name: name, cn: name + ".example.com", sans: []string{name + "-alt.example.com"}}
		if o.csr, err = makeCSR(f.key, o.cn, o.sans); err != nil {
			return nil, err
		}
		f.orders = append(f.orders, o)
		if err := os.WriteFile(filepath.Join(dir, "keys", name+".key"), f.keyPEM, 0o600); err != nil {
			return nil, err
		}
	}
	for i := 0; i < cdn; i++ {
		host := fmt.Sprintf("cdn%d.example.com", i)
		leaf := testpki.Issue(f.issuer, testpki.Options{CommonName: host, Leaf: true, DNSNames: []string{host}, Key: f.key,
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(200 * 24 * time.Hour)})
		f.leaves = append(f.leaves, leaf)
		if err := os.WriteFile(filepath.Join(dir, "cdn", host+".pem"), []byte(leaf.PEM()), 0o644); err != nil {
			return nil, err
		}
	}
	f.inventory = filepath.Join(dir, "items.yaml")
	return f, f.writeInventory(f.inventory, 0, "")
}

// crlURL is CCADB item i's full CRL URL; rev != "" changes it.
func crlURL(i int, rev string) string {
	return fmt.Sprintf("http://crl.example.com/ica%d%s.crl", i, rev)
}

// writeInventory writes the inventory to path, with the first changed CCADB
// items' CRL URL carrying rev (a field update each).
func (f *fixture) writeInventory(path string, changed int, rev string) error {
	var b strings.Builder
	b.WriteString("ccadb:\n  defaults:\n    ca_owner: " + benchOwner + "\n    auditor:\n      name: Auditor Name\n      location: United States\n  intermediates:\n")
	for i := range f.intermediates {
		r := ""
		if i < changed {
			r = rev
		}
		fmt.Fprintf(&b, "    - certificate: pki/ica%d.pem\n      parent: pki/root.pem\n      crls:\n        full: [%s]\n", i, crlURL(i, r))
	}
	if len(f.orders) > 0 {
		// The organization every test uses (benchOrg); the bench is a
		// program, but it shares the fixture rather than keep a copy.
		b.WriteString(testfixture.MarkmonitorOrg("ORGANIZATION_CONTACT", "EXTENDED_VALIDATION_APPROVER") + "  orders:\n")
	}
	for _, o := range f.orders {
		fmt.Fprintf(&b, "    - name: %s\n      organization: %s\n      cert_type: %s\n      common_name: %s\n      dns_names: [%s]\n      private_key: keys/%s.key\n      dcv_method: DNS_TXT_TOKEN\n",
			o.name, benchOrg, benchCertType, o.cn, strings.Join(o.sans, ", "), o.name)
	}
	if len(f.leaves) > 0 {
		b.WriteString("quantil:\n  certificates:\n")
	}
	for i := range f.leaves {
		host := fmt.Sprintf("cdn%d.example.com", i)
		fmt.Fprintf(&b, "    - name: %s\n      comment: managed by certsync\n      certificate: cdn/%s.pem\n      chain: cdn/chain.pem\n      private_key: keys/cdn.key\n", host, host)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func makeCSR(key crypto.Signer, cn string, sans []string) (string, error) {
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: cn}, DNSNames: append([]string{cn}, sans...),
	}, key)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})), nil
}

// fakeSHA256 is a stable, made-up fingerprint for another CA's record:
// the report rows of other CAs need no certificate behind them.
func fakeSHA256(i int) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("other CA record %d", i)))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}
