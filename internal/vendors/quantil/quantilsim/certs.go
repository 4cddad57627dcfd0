package quantilsim

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/certsync/certsync/internal/pemutil"
)

// Certificate rules. The documents give three: PEM only, an RSA key of at
// least 2048 bits, and (Wangsu) a key that matches the certificate. The rest
// is this simulator's choice, made to catch client bugs rather than to
// tolerate them:
//
//   - ssl-certificate holds exactly one certificate, the leaf; intermediates
//     belong in ssl-certificate-chain.
//   - ssl-key is an unencrypted PKCS#8, PKCS#1 or SEC 1 key.
//   - EC keys are accepted on P-256 and P-384 (the curves CDNs serve; the
//     CSR API's csr-algorithm EC suggests EC certificates exist, the document
//     says nothing of curves). Other key types (Ed25519, P-521, DSA) are
//     refused.
//   - An expired certificate is refused: uploading it can only break the
//     sites using it. A certificate not yet valid is accepted (staging ahead
//     of a switch-over is legitimate).
//   - The chain is optional. An empty or whitespace-only chain element, or
//     one that decrypts to blanks, counts as no chain (serializers emit empty
//     elements for empty strings). A chain that is sent must be PEM
//     certificates in order, leaf's issuer first ("the one closest to the
//     root at the bottom"): chain[0] must sign the leaf and each certificate
//     the one before it. A root at the end is tolerated, though the Add page
//     says not to upload it. Validity of the chain certificates is not
//     checked.

// minRSABits is the documented minimum key length.
const minRSABits = 2048

// material is a validated upload: the decrypted PEM texts exactly as sent,
// and the parsed leaf.
type material struct {
	certPEM, keyPEM, chainPEM string
	leaf                      *x509.Certificate
}

// decryptMaterial decrypts the encrypted fields with the request's date and
// validates what they hold. chainB64 "" means no chain.
func decryptMaterial(certB64, keyB64, chainB64, date string, now time.Time) (*material, *apiError) {
	certPEM, err := Decrypt(certB64, date)
	if err != nil {
		return nil, invalidCertificate("ssl-certificate: %v.", err)
	}
	keyPEM, err := Decrypt(keyB64, date)
	if err != nil {
		return nil, invalidCertificate("ssl-key: %v.", err)
	}
	var chainPEM []byte
	if strings.TrimSpace(chainB64) != "" {
		if chainPEM, err = Decrypt(chainB64, date); err != nil {
			return nil, invalidCertificate("ssl-certificate-chain: %v.", err)
		}
	}
	leaf, err := validateMaterial(certPEM, keyPEM, chainPEM, now)
	if err != nil {
		return nil, invalidCertificate("%v.", err)
	}
	m := &material{certPEM: string(certPEM), keyPEM: string(keyPEM), leaf: leaf}
	if len(bytes.TrimSpace(chainPEM)) > 0 {
		m.chainPEM = string(chainPEM)
	}
	return m, nil
}

// validateMaterial applies the certificate rules above to decrypted PEM texts
// and returns the leaf. Errors name the field and never quote key material.
func validateMaterial(certPEM, keyPEM, chainPEM []byte, now time.Time) (*x509.Certificate, error) {
	leaf, err := parseLeaf(certPEM)
	if err != nil {
		return nil, fmt.Errorf("ssl-certificate: %w", err)
	}
	if err := checkPublicKey(leaf.PublicKey); err != nil {
		return nil, fmt.Errorf("ssl-certificate: %w", err)
	}
	if now.After(leaf.NotAfter) {
		return nil, fmt.Errorf("ssl-certificate: the certificate expired on %s", leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if len(bytes.TrimSpace(keyPEM)) == 0 {
		return nil, errors.New("ssl-key: empty")
	}
	if bytes.Contains(keyPEM, []byte("ENCRYPTED")) {
		return nil, errors.New("ssl-key: the private key is encrypted; send it unencrypted")
	}
	key, err := pemutil.PrivateKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("ssl-key: %w", err)
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(leaf.PublicKey) {
		return nil, errors.New("ssl-key: the private key does not match the certificate's public key")
	}
	if len(bytes.TrimSpace(chainPEM)) == 0 {
		return leaf, nil
	}
	chain, err := pemutil.Certificates(chainPEM)
	if err != nil {
		return nil, fmt.Errorf("ssl-certificate-chain: %w", err)
	}
	child := leaf
	for i, c := range chain {
		if err := child.CheckSignatureFrom(c); err != nil {
			what := "the certificate"
			if i > 0 {
				what = fmt.Sprintf("chain certificate %d", i)
			}
			return nil, fmt.Errorf("ssl-certificate-chain: certificate %d (%s) did not sign %s (%v); order the chain from the leaf's issuer towards the root",
				i+1, c.Subject.String(), what, err)
		}
		child = c
	}
	return leaf, nil
}

// parseLeaf parses a PEM text that must hold exactly one certificate.
func parseLeaf(certPEM []byte) (*x509.Certificate, error) {
	if len(bytes.TrimSpace(certPEM)) == 0 {
		return nil, errors.New("empty")
	}
	certs, err := pemutil.Certificates(certPEM)
	if err != nil {
		return nil, err
	}
	if len(certs) != 1 {
		return nil, fmt.Errorf("holds %d certificates; send only the leaf here and its issuers in ssl-certificate-chain", len(certs))
	}
	return certs[0], nil
}

// checkPublicKey enforces the key-type and key-size rules.
func checkPublicKey(pub any) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < minRSABits {
			return fmt.Errorf("the RSA key has %d bits; at least %d are required", n, minRSABits)
		}
		return nil
	case *ecdsa.PublicKey:
		if k.Curve == elliptic.P256() || k.Curve == elliptic.P384() {
			return nil
		}
		return fmt.Errorf("the EC curve %s is not supported; use P-256 or P-384", k.Curve.Params().Name)
	default:
		return fmt.Errorf("the key type %T is not supported; use RSA (at least %d bits) or EC P-256/P-384", pub, minRSABits)
	}
}

// describe sets the fields of c that are derived from its certificate.
func describe(c *Certificate, leaf *x509.Certificate) {
	c.Serial = leaf.SerialNumber.Text(16)
	c.NotBefore = leaf.NotBefore.UTC()
	c.NotAfter = leaf.NotAfter.UTC()
	c.DNSNames = slices.Clone(leaf.DNSNames)
	c.Issuer = leaf.Issuer.String()
}

// commonNames is the QUANTIL-era common-names list: the subject CN of the
// stored certificate, then the DNS SANs that differ from it.
func commonNames(c *Certificate) []string {
	out := []string{}
	if certs, err := pemutil.Certificates([]byte(c.CertPEM)); err == nil && certs[0].Subject.CommonName != "" {
		out = append(out, certs[0].Subject.CommonName)
	}
	for _, n := range c.DNSNames {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}
