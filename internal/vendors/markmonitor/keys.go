package markmonitor

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/certsync/certsync/internal/atomicfile"
	"github.com/certsync/certsync/internal/pemutil"
)

// keyID names a public key without revealing anything secret: the SHA-256
// of its SubjectPublicKeyInfo. Plans compare keys by it.
func keyID(pub any) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	return "sha256:" + hex.EncodeToString(sum[:8])
}

// algorithmOf returns the API's algorithmHash for a key.
func algorithmOf(pub any) string {
	if _, ok := pub.(*ecdsa.PublicKey); ok {
		return "ECC"
	}
	return "RSA"
}

// loadKey reads the private key file; ok is false when it does not exist.
func loadKey(path string) (crypto.Signer, bool, error) {
	data, err := pemutil.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	k, err := pemutil.PrivateKey(data)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", path, err)
	}
	return k, true, nil
}

// generateKey makes a key of the inventory's key_type and writes it to path
// (mode 0600, atomically) before it is used anywhere, so a crash after an
// order is placed never loses the key the order was made for.
func generateKey(path, keyType string) (crypto.Signer, error) {
	var (
		k   crypto.Signer
		err error
	)
	switch keyType {
	case "", "rsa-2048":
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	case "rsa-3072":
		k, err = rsa.GenerateKey(rand.Reader, 3072)
	case "rsa-4096":
		k, err = rsa.GenerateKey(rand.Reader, 4096)
	case "ecdsa-p256":
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ecdsa-p384":
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	default:
		return nil, fmt.Errorf("unknown key_type %q", keyType)
	}
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err := atomicfile.WriteNew(path, data, 0o600); errors.Is(err, atomicfile.ErrExists) {
		// Another change made it first: use that one, never replace a key.
		existing, ok, lerr := loadKey(path)
		if lerr != nil || !ok {
			return nil, fmt.Errorf("a key appeared at %s but cannot be read: %v", path, lerr)
		}
		return existing, nil
	} else if err != nil {
		return nil, fmt.Errorf("write the new private key: %w", err)
	}
	return k, nil
}

// makeCSR signs a certificate request for the common name and SANs.
func makeCSR(key crypto.Signer, cn string, sans []string) (string, error) {
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:  pkix.Name{CommonName: cn},
		DNSNames: append([]string{cn}, sans...),
	}, key)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})), nil
}

// csrKey returns the public key of a PEM CSR, or nil.
func csrKey(csrPEM string) any {
	ders, err := pemutil.Blocks([]byte(csrPEM), "CERTIFICATE REQUEST")
	if err != nil {
		return nil
	}
	csr, err := x509.ParseCertificateRequest(ders[0])
	if err != nil {
		return nil
	}
	return csr.PublicKey
}

// certKey is the public key of the first certificate of a PEM string, or
// nil. It reads the certificate only up to its key: every order of every
// plan needs it, and parsing whole certificates for it was a fifth of a
// 10,000-item plan's allocations.
func certKey(pemText string) any {
	if strings.TrimSpace(pemText) == "" {
		return nil
	}
	ders, err := pemutil.Blocks([]byte(pemText), "CERTIFICATE")
	if err != nil {
		return nil
	}
	k, err := pemutil.PublicKey(ders[0])
	if err != nil {
		return nil
	}
	return k
}

// certOf parses the first certificate of a PEM string, or nil.
func certOf(pemText string) *x509.Certificate {
	if strings.TrimSpace(pemText) == "" {
		return nil
	}
	certs, err := pemutil.Certificates([]byte(pemText))
	if err != nil || len(certs) == 0 {
		return nil
	}
	return certs[0]
}
