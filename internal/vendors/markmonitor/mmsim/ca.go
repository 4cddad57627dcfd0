package mmsim

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/certsync/certsync/internal/pemutil"
	"github.com/certsync/certsync/internal/testpki"
)

// The simulator's CA: a self-signed root and an issuing intermediate, both
// ECDSA P-256 (testpki), made once per simulator and kept in the state file
// with their keys, so a restarted sandbox keeps signing with the same CA and
// clients that pinned the root keep verifying.

// caState is the persisted form of the CA.
type caState struct {
	RootPEM            string `json:"rootPem"`
	RootKeyPEM         string `json:"rootKeyPem"`
	IntermediatePEM    string `json:"intermediatePem"`
	IntermediateKeyPEM string `json:"intermediateKeyPem"`
}

// authority is the parsed CA.
type authority struct {
	root, inter       *x509.Certificate
	interKey          crypto.Signer
	rootPEM, interPEM string
}

// newCA makes a CA valid from a day before now for 50 years, so that any
// clock a test or the sandbox uses stays inside it.
func newCA(now time.Time) (caState, error) {
	nb, na := now.Add(-24*time.Hour).Truncate(time.Second), now.AddDate(50, 0, 0).Truncate(time.Second)
	root := testpki.Root(testpki.Options{
		CommonName: "Markmonitor Simulator Root CA", Organization: "certsync mmsim",
		NotBefore: nb, NotAfter: na,
	})
	inter := testpki.Issue(root, testpki.Options{
		CommonName: "Markmonitor Simulator TLS Issuing CA", Organization: "certsync mmsim",
		NotBefore: nb, NotAfter: na,
	})
	rk, err := x509.MarshalPKCS8PrivateKey(root.Key)
	if err != nil {
		return caState{}, err
	}
	ik, err := x509.MarshalPKCS8PrivateKey(inter.Key)
	if err != nil {
		return caState{}, err
	}
	return caState{
		RootPEM:            root.PEM(),
		RootKeyPEM:         string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: rk})),
		IntermediatePEM:    inter.PEM(),
		IntermediateKeyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ik})),
	}, nil
}

// parseCA turns the persisted CA back into certificates and a signer.
func parseCA(cs caState) (*authority, error) {
	root, err := pemutil.Certificate([]byte(cs.RootPEM))
	if err != nil {
		return nil, fmt.Errorf("CA root: %w", err)
	}
	inter, err := pemutil.Certificate([]byte(cs.IntermediatePEM))
	if err != nil {
		return nil, fmt.Errorf("CA intermediate: %w", err)
	}
	ders, err := pemutil.Blocks([]byte(cs.IntermediateKeyPEM), "PRIVATE KEY")
	if err != nil {
		return nil, fmt.Errorf("CA intermediate key: %w", err)
	}
	k, err := x509.ParsePKCS8PrivateKey(ders[0])
	if err != nil {
		return nil, fmt.Errorf("CA intermediate key: %w", err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, errors.New("CA intermediate key cannot sign")
	}
	return &authority{
		root: root, inter: inter, interKey: signer,
		rootPEM: pemutil.Encode(root.Raw), interPEM: pemutil.Encode(inter.Raw),
	}, nil
}

// CACertificates returns the PEM of the simulator's root and issuing
// intermediate CA certificates: what a client needs to verify issued
// certificates.
func (s *Server) CACertificates() (root, intermediate string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ca.rootPEM, s.ca.interPEM
}

// leafSpec is what an issued certificate says.
type leafSpec struct {
	commonName string
	dnsNames   []string // besides the CN
	pub        crypto.PublicKey
	notBefore  time.Time
	validity   time.Duration
	org        *Organization // subject O/L/ST/C for OV and EV; nil for DV
}

// issued is a freshly signed certificate.
type issued struct {
	pem      string
	serial   string // upper-case hex, as DigiCert shows serials
	from, to time.Time
}

// issue signs a TLS server certificate for spec with the intermediate.
// SANs are the CN followed by the dnsNames, without duplicates
// (case-insensitive): Markmonitor issues CN ∪ dnsNames.
func (a *authority) issue(spec leafSpec) (issued, error) {
	sn, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return issued{}, err
	}
	sn.Add(sn, big.NewInt(1)) // never zero
	subject := pkix.Name{CommonName: spec.commonName}
	if o := spec.org; o != nil {
		subject.Organization = []string{o.Name}
		subject.Locality = nonEmpty(o.City)
		subject.Province = nonEmpty(o.State)
		subject.Country = nonEmpty(strings.ToUpper(o.Country))
	}
	usage := x509.KeyUsageDigitalSignature
	if _, ok := spec.pub.(*rsa.PublicKey); ok {
		usage |= x509.KeyUsageKeyEncipherment
	}
	nb := spec.notBefore.UTC().Truncate(time.Second)
	tmpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               subject,
		NotBefore:             nb,
		NotAfter:              nb.Add(spec.validity),
		KeyUsage:              usage,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		DNSNames:              sanList(spec.commonName, spec.dnsNames),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.inter, spec.pub, a.interKey)
	if err != nil {
		return issued{}, err
	}
	return issued{
		pem:    pemutil.Encode(der),
		serial: strings.ToUpper(hex.EncodeToString(sn.Bytes())),
		from:   tmpl.NotBefore,
		to:     tmpl.NotAfter,
	}, nil
}

// sanList returns cn followed by names, without case-insensitive duplicates.
func sanList(cn string, names []string) []string {
	out := []string{cn}
	seen := map[string]bool{strings.ToLower(cn): true}
	for _, n := range names {
		if k := strings.ToLower(n); !seen[k] {
			seen[k] = true
			out = append(out, n)
		}
	}
	return out
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
