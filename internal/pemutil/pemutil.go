// Package pemutil reads certificates in the PEM forms certsync meets: the
// usual wrapped form, and the one-line "flattened" form the CCADB API wants
// (-----BEGIN CERTIFICATE-----MIID...-----END CERTIFICATE-----), which
// encoding/pem rejects.
package pemutil

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// ErrNoPEM means the input holds no PEM block of the wanted type.
var ErrNoPEM = errors.New("no PEM block found")

// Blocks returns the DER bytes of every PEM block of the given type in data,
// in order. Text around the blocks is ignored (RFC 7468 allows it). Blocks
// may be flattened to one line or wrapped at any width.
func Blocks(data []byte, typ string) ([][]byte, error) {
	begin := "-----BEGIN " + typ + "-----"
	end := "-----END " + typ + "-----"
	var out [][]byte
	rest := string(data)
	for {
		i := strings.Index(rest, begin)
		if i < 0 {
			break
		}
		rest = rest[i+len(begin):]
		j := strings.Index(rest, end)
		if j < 0 {
			return nil, fmt.Errorf("PEM block %q has no END line", typ)
		}
		raw := rest[:j]
		body := strings.Join(strings.Fields(raw), "")
		rest = rest[j+len(end):]
		if strings.Contains(body, ":") {
			// Headers (Proc-Type and friends): let encoding/pem handle the
			// wrapped form, which is the only one that can carry them.
			b, _ := pem.Decode([]byte(begin + raw + end))
			if b == nil {
				return nil, fmt.Errorf("PEM block %q has headers and is not well formed", typ)
			}
			out = append(out, b.Bytes)
			continue
		}
		der, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return nil, fmt.Errorf("PEM block %q: bad base64: %w", typ, err)
		}
		out = append(out, der)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w (want %s)", ErrNoPEM, begin)
	}
	return out, nil
}

// Certificates parses every certificate in data.
func Certificates(data []byte) ([]*x509.Certificate, error) {
	ders, err := Blocks(data, "CERTIFICATE")
	if err != nil {
		return nil, err
	}
	out := make([]*x509.Certificate, 0, len(ders))
	for i, der := range ders {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", i+1, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// Certificate parses data that must hold exactly one certificate.
func Certificate(data []byte) (*x509.Certificate, error) {
	certs, err := Certificates(data)
	if err != nil {
		return nil, err
	}
	if len(certs) != 1 {
		return nil, fmt.Errorf("holds %d certificates, want exactly one", len(certs))
	}
	return certs[0], nil
}

// publicKeyInfo is a certificate read only as far as its public key
// (RFC 5280, section 4.1): the TBSCertificate's fields up to
// subjectPublicKeyInfo; what follows them is not read.
type publicKeyInfo struct {
	TBS struct {
		Raw                  asn1.RawContent
		Version              int `asn1:"optional,explicit,default:0,tag:0"`
		Serial               asn1.RawValue
		Signature            asn1.RawValue
		Issuer               asn1.RawValue
		Validity             asn1.RawValue
		Subject              asn1.RawValue
		SubjectPublicKeyInfo asn1.RawValue
	}
}

// PublicKey returns the public key of the DER certificate der, reading the
// certificate only up to its SubjectPublicKeyInfo: a fifth of the cost of
// x509.ParseCertificate, for callers that need nothing else (comparing an
// issued certificate's key with a key file). The key itself is parsed and
// checked by x509.ParsePKIXPublicKey, so it is the same value
// ParseCertificate would give.
func PublicKey(der []byte) (any, error) {
	var c publicKeyInfo
	if _, err := asn1.Unmarshal(der, &c); err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	if c.TBS.SubjectPublicKeyInfo.Class != asn1.ClassUniversal || c.TBS.SubjectPublicKeyInfo.Tag != asn1.TagSequence {
		return nil, errors.New("certificate: no SubjectPublicKeyInfo where RFC 5280 puts it")
	}
	return x509.ParsePKIXPublicKey(c.TBS.SubjectPublicKeyInfo.FullBytes)
}

// Encode returns the certificate in the usual wrapped PEM form.
func Encode(der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// Flatten returns the certificate as one line with no line breaks, the form
// the CCADB API documents for IntermediateCertPEM and ParentCertPEM.
func Flatten(der []byte) string {
	return string(bytes.ReplaceAll(bytes.TrimSpace([]byte(Encode(der))), []byte("\n"), nil))
}

// SHA256 returns the upper-case hex SHA-256 fingerprint of der, as the CCADB
// and OpenSSL print it (without colons).
func SHA256(der []byte) string {
	sum := sha256.Sum256(der)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// PrivateKey parses the first private key in data: PKCS#8, PKCS#1 RSA or SEC 1
// EC. The error never quotes the data.
func PrivateKey(data []byte) (crypto.Signer, error) {
	for _, typ := range []string{"PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"} {
		ders, err := Blocks(data, typ)
		if err != nil {
			continue
		}
		var key any
		switch typ {
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(ders[0])
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(ders[0])
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(ders[0])
		}
		if err != nil {
			return nil, fmt.Errorf("the %s block cannot be parsed: %v", typ, err)
		}
		s, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("unsupported private key type %T", key)
		}
		return s, nil
	}
	return nil, errors.New("holds no PEM private key (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)")
}
