// Package testpki makes throwaway certificate hierarchies for tests, the
// simulators and the committed test PKI under testdata/pki. Keys are ECDSA
// P-256 so that generating a thousand intermediates stays fast; private keys
// never leave memory unless a caller writes them out itself.
package testpki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"net"
	"strings"
	"time"
)

// Cert is a certificate with its signing key.
type Cert struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	DER  []byte
}

// PEM returns the certificate in PEM form, with line breaks.
func (c *Cert) PEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.DER}))
}

// FlatPEM returns the certificate as the CCADB wants it: one line, no breaks.
func (c *Cert) FlatPEM() string {
	return strings.ReplaceAll(strings.TrimSpace(c.PEM()), "\n", "")
}

// SHA256 returns the upper-case hex SHA-256 fingerprint of the certificate.
func (c *Cert) SHA256() string {
	sum := sha256.Sum256(c.DER)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// Options shape a certificate. Zero values give a CA valid from 2025-01-01 to
// 2045-01-01.
type Options struct {
	CommonName   string
	Organization string
	NotBefore    time.Time
	NotAfter     time.Time
	// Constrained adds name constraints and a serverAuth-only EKU, which makes
	// the CA technically constrained in the CCADB's sense.
	Constrained bool
	// PermittedDNS are the name constraints used when Constrained is set.
	PermittedDNS []string
	// Leaf makes an end-entity certificate with DNSNames instead of a CA.
	Leaf     bool
	DNSNames []string
	IPs      []net.IP
	// Key signs nothing but is the subject key; nil generates one.
	Key crypto.Signer
}

// NewKey returns a fresh P-256 key.
func NewKey() crypto.Signer {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

// Root makes a self-signed root CA.
func Root(o Options) *Cert { return issue(nil, o) }

// Issue makes a certificate signed by parent.
func Issue(parent *Cert, o Options) *Cert { return issue(parent, o) }

func issue(parent *Cert, o Options) *Cert {
	if o.NotBefore.IsZero() {
		o.NotBefore = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if o.NotAfter.IsZero() {
		o.NotAfter = time.Date(2045, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	key := o.Key
	if key == nil {
		key = NewKey()
	}
	sn, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{CommonName: o.CommonName, Organization: nonEmpty(o.Organization)},
		NotBefore:             o.NotBefore,
		NotAfter:              o.NotAfter,
		BasicConstraintsValid: true,
	}
	if o.Leaf {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.DNSNames = o.DNSNames
		tmpl.IPAddresses = o.IPs
	} else {
		tmpl.IsCA = true
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	}
	if o.Constrained {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.PermittedDNSDomains = o.PermittedDNS
		if len(tmpl.PermittedDNSDomains) == 0 {
			tmpl.PermittedDNSDomains = []string{"example.com"}
		}
		tmpl.PermittedDNSDomainsCritical = true
	}
	signer, issuer := key, tmpl
	if parent != nil {
		signer, issuer = parent.Key, parent.Cert
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, key.Public(), signer)
	if err != nil {
		panic(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	return &Cert{Cert: c, Key: key, DER: der}
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
