// Command gentestpki writes the committed test PKI under testdata/pki:
// public certificates only (the keys are thrown away), so the hierarchy is
// fixed for golden files and the example inventory. Run it with
// `make testpki`; rerunning replaces every certificate.
package main

import (
	"flag"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/certsync/certsync/internal/testpki"
)

func main() {
	dir := flag.String("dir", "testdata/pki", "output directory")
	flag.Parse()

	root := testpki.Root(testpki.Options{CommonName: "certsync Test Root CA", Organization: "Example CA"})
	tls := testpki.Issue(root, testpki.Options{CommonName: "certsync Test TLS Issuing CA 1", Organization: "Example CA"})
	sub := testpki.Issue(tls, testpki.Options{CommonName: "certsync Test TLS Sub CA", Organization: "Example CA",
		NotAfter: time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC)})
	constrained := testpki.Issue(root, testpki.Options{CommonName: "certsync Test Constrained CA", Organization: "Example CA",
		Constrained: true, PermittedDNS: []string{"example.com", "example.net"}})
	revoked := testpki.Issue(root, testpki.Options{CommonName: "certsync Test Revoked CA", Organization: "Example CA"})
	leaf := testpki.Issue(tls, testpki.Options{CommonName: "www.example.com", Leaf: true, DNSNames: []string{"www.example.com"},
		NotAfter: time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC)})
	otherRoot := testpki.Root(testpki.Options{CommonName: "certsync Other Root CA", Organization: "Other CA"})

	files := map[string]string{
		"root.pem":             root.PEM(),
		"tls-issuing.pem":      tls.PEM(),
		"tls-sub.pem":          sub.PEM(),
		"constrained.pem":      constrained.PEM(),
		"revoked.pem":          revoked.PEM(),
		"leaf.pem":             leaf.PEM(),
		"other-root.pem":       otherRoot.PEM(),
		"tls-issuing.flat.pem": tls.FlatPEM() + "\n",
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		log.Fatal(err)
	}
	for name, data := range files {
		if strings.Contains(data, "PRIVATE KEY") {
			log.Fatalf("%s would hold a private key", name)
		}
		if err := os.WriteFile(filepath.Join(*dir, name), []byte(data), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}
