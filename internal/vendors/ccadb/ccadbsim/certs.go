package ccadbsim

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"slices"
	"strings"
)

const (
	pemBegin = "-----BEGIN CERTIFICATE-----"
	pemEnd   = "-----END CERTIFICATE-----"
)

// parsedCert is a certificate as the CCADB's extraction tool sees it.
type parsedCert struct {
	cert   *x509.Certificate
	pem    string // canonical PEM, wrapped at 64 columns
	sha256 string // upper-case hex
}

// parsePEM accepts a certificate PEM in any of the forms clients send: with
// line breaks (LF or CRLF), or flattened to one line as the API documentation
// asks ("-----BEGIN CERTIFICATE-----MIID...-----END CERTIFICATE-----"), which
// encoding/pem rejects. Text before the BEGIN line is ignored (RFC 7468), as
// is anything after the first END line.
func parsePEM(s string) (*parsedCert, error) {
	begin := strings.Index(s, pemBegin)
	if begin < 0 {
		return nil, errors.New("no " + pemBegin + " line")
	}
	body := s[begin+len(pemBegin):]
	end := strings.Index(body, pemEnd)
	if end < 0 {
		return nil, errors.New("no " + pemEnd + " line")
	}
	b64 := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, body[:end])
	der, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, err
	}
	return parseDER(der)
}

func parseDER(der []byte) (*parsedCert, error) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(der)
	return &parsedCert{
		cert:   cert,
		pem:    string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		sha256: strings.ToUpper(hex.EncodeToString(sum[:])),
	}, nil
}

// technicallyConstrained is a simplified form of the CCADB's computation: a
// CA is technically constrained when it carries permitted name constraints,
// or when its EKU extension limits it to purposes other than TLS server
// authentication and S/MIME (which would need name constraints) and does not
// include anyExtendedKeyUsage.
func technicallyConstrained(c *x509.Certificate) bool {
	if len(c.PermittedDNSDomains) > 0 || len(c.PermittedIPRanges) > 0 ||
		len(c.PermittedEmailAddresses) > 0 || len(c.PermittedURIDomains) > 0 {
		return true
	}
	if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
		return false
	}
	return !slices.ContainsFunc(c.ExtKeyUsage, func(u x509.ExtKeyUsage) bool {
		return u == x509.ExtKeyUsageAny || u == x509.ExtKeyUsageServerAuth || u == x509.ExtKeyUsageEmailProtection
	})
}

// certName is the default record name of a certificate: its subject CN, or
// its organisation when it has no CN.
func certName(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return c.Subject.CommonName
	}
	if len(c.Subject.Organization) > 0 {
		return c.Subject.Organization[0]
	}
	return c.Subject.String()
}

// keyIDs are the base64 Authority and Subject Key Identifiers the report shows.
type keyIDs struct{ aki, ski string }

func keyIDsOf(c *x509.Certificate) keyIDs {
	enc := func(b []byte) string {
		if len(b) == 0 {
			return ""
		}
		return base64.StdEncoding.EncodeToString(b)
	}
	return keyIDs{aki: enc(c.AuthorityKeyId), ski: enc(c.SubjectKeyId)}
}
