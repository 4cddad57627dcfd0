package mmsim

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// parsePKCS7PEM reads a PEM-armoured degenerate PKCS#7 back into its
// certificates with encoding/asn1, independently of pkcs7.go's types.
func parsePKCS7PEM(t *testing.T, data []byte) []*x509.Certificate {
	t.Helper()
	b, rest := pem.Decode(data)
	if b == nil || b.Type != "PKCS7" || len(strings.TrimSpace(string(rest))) != 0 {
		t.Fatalf("not one PKCS7 PEM block: %q", data)
	}
	var ci struct {
		Type    asn1.ObjectIdentifier
		Content asn1.RawValue `asn1:"explicit,tag:0"`
	}
	if rest, err := asn1.Unmarshal(b.Bytes, &ci); err != nil || len(rest) != 0 {
		t.Fatalf("ContentInfo: %v", err)
	}
	if !ci.Type.Equal(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}) {
		t.Fatalf("content type %v, want signedData", ci.Type)
	}
	var sd struct {
		Version     int
		Digests     asn1.RawValue
		Inner       struct{ Type asn1.ObjectIdentifier }
		Certs       asn1.RawValue `asn1:"tag:0"`
		SignerInfos asn1.RawValue
	}
	if rest, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil || len(rest) != 0 {
		t.Fatalf("SignedData: %v", err)
	}
	if sd.Version != 1 || len(sd.Digests.Bytes) != 0 || len(sd.SignerInfos.Bytes) != 0 {
		t.Errorf("not degenerate: version %d, digests %x, signers %x", sd.Version, sd.Digests.Bytes, sd.SignerInfos.Bytes)
	}
	certs, err := x509.ParseCertificates(sd.Certs.Bytes)
	if err != nil {
		t.Fatalf("certificates: %v", err)
	}
	return certs
}

// opensslReadsPKCS7 checks that openssl, when installed, reads the bundle.
func opensslReadsPKCS7(t *testing.T, data []byte, want int) {
	t.Helper()
	bin, err := exec.LookPath("openssl")
	if err != nil {
		t.Log("openssl not installed; PKCS#7 checked with encoding/asn1 only")
		return
	}
	p := filepath.Join(t.TempDir(), "bundle.p7b")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "pkcs7", "-in", p, "-print_certs").CombinedOutput()
	if err != nil {
		t.Fatalf("openssl pkcs7: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "-----BEGIN CERTIFICATE-----"); n != want {
		t.Errorf("openssl found %d certificates, want %d:\n%s", n, want, out)
	}
}

func TestPKCS7RoundTrip(t *testing.T) {
	f := newFixture(t)
	root, inter := f.s.CACertificates()
	var ders [][]byte
	for _, p := range []string{inter, root} {
		b, _ := pem.Decode([]byte(p))
		ders = append(ders, b.Bytes)
	}
	data, err := pkcs7PEM(ders)
	if err != nil {
		t.Fatal(err)
	}
	certs := parsePKCS7PEM(t, data)
	if len(certs) != 2 || certs[0].Subject.CommonName != "Markmonitor Simulator TLS Issuing CA" {
		t.Errorf("round trip gave %d certificates", len(certs))
	}
	opensslReadsPKCS7(t, data, 2)
	empty, err := pkcs7PEM(nil)
	if err != nil || len(parsePKCS7PEM(t, empty)) != 0 {
		t.Errorf("empty bundle: %v", err)
	}
}
