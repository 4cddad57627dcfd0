package quantil_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/testfixture"
	"github.com/certsync/certsync/internal/testpki"
	"github.com/certsync/certsync/internal/vendors"
)

// leafFor signs a leaf for key with the issuer, valid until notAfter.
func leafFor(t *testing.T, issuer *testpki.Cert, key any, notAfter time.Time) string {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "cdn.example.com"},
		DNSNames:     []string{"cdn.example.com"},
		NotBefore:    notAfter.Add(-90 * 24 * time.Hour),
		NotAfter:     notAfter,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer.Cert, key.(crypto.Signer).Public(), issuer.Key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func TestQuantilMistakes(t *testing.T) {
	ca := testpki.Root(testpki.Options{CommonName: "CDN Test CA"})
	other := testpki.Root(testpki.Options{CommonName: "Other CA"})
	rsa2048, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsa1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	otherKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	future := time.Now().Add(60 * 24 * time.Hour)
	good := leafFor(t, ca, rsa2048, future)
	files := func(cert string, key any, chain string) map[string]string {
		m := map[string]string{"c.pem": cert, "k.pem": testfixture.KeyPEM(t, key)}
		if chain != "" {
			m["chain.pem"] = chain
		}
		return m
	}
	const item = `quantil:
  certificates:
    - name: cdn
      certificate: c.pem
      private_key: k.pem
`
	tests := []struct {
		name  string
		yaml  string
		files map[string]string
		want  []testfixture.Want
	}{
		{"key does not match", item, files(good, otherKey, ""),
			[]testfixture.Want{{Line: 5, Col: 20, Path: "quantil.certificates[0].private_key", Msg: "does not match the certificate"}}},
		{"1024-bit RSA key", item, files(leafFor(t, ca, rsa1024, future), rsa1024, ""),
			[]testfixture.Want{{Line: 5, Col: 20, Path: "quantil.certificates[0].private_key", Msg: "1024-bit RSA key"}}},
		{"expired leaf", item, files(leafFor(t, ca, rsa2048, time.Now().Add(-24*time.Hour)), rsa2048, ""),
			[]testfixture.Want{{Line: 4, Col: 20, Path: "quantil.certificates[0].certificate", Msg: "expired on"}}},
		{"chain that did not sign the leaf", item + "      chain: chain.pem\n", files(good, rsa2048, other.PEM()),
			[]testfixture.Want{{Line: 6, Col: 14, Path: "quantil.certificates[0].chain", Msg: "did not sign"}}},
		{"no key source", "quantil:\n  certificates:\n    - name: cdn\n      certificate: c.pem\n", files(good, rsa2048, ""),
			[]testfixture.Want{{Line: 3, Col: 7, Path: "quantil.certificates[0].private_key", Msg: "is required"}}},
		{"file and env both", item + "      private_key_env: KEY\n", files(good, rsa2048, ""),
			[]testfixture.Want{{Line: 6, Col: 24, Path: "quantil.certificates[0].private_key_env", Msg: "not both"}}},
		{"unknown order", "quantil:\n  certificates:\n    - name: cdn\n      from: markmonitor/order/nope\n", nil,
			[]testfixture.Want{{Line: 4, Col: 13, Path: "quantil.certificates[0].from", Msg: `"markmonitor/order/nope" is not an item`}}},
		{"duplicate name", item + "    - name: cdn\n      state: absent\n", files(good, rsa2048, ""),
			[]testfixture.Want{{Line: 6, Col: 13, Path: "quantil.certificates[1].name", Msg: "unique per QUANTIL account"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := testfixture.WriteInventory(t, tc.yaml, tc.files)
			_, err := inventory.Load(path, vendors.Sections())
			testfixture.CheckProblems(t, path, err, tc.want)
		})
	}

	// The good bundle loads; a missing source is not an error offline.
	testfixture.LoadOK(t, strings.Replace(item, "c.pem", "c.pem", 1)+"      chain: chain.pem\n", vendors.Sections()...)
}
