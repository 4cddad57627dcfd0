package mmsim

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/certsync/certsync/internal/pemutil"
)

// CSR checks (order create, reissue, POST /cert/parse). The live API takes
// RSA and ECC keys (algorithmHash); the client notes add that ECC CSRs with
// explicit curve parameters fail and DSA is unsupported. The simulator
// refuses, with a 400 each:
//
//   - anything that is not a PEM PKCS#10 request, or whose signature does
//     not verify (csr.invalid, csr.signatureInvalid);
//   - RSA keys under 2048 bits (csr.keyTooSmall);
//   - ECC keys with explicit curve parameters (csr.explicitCurve) or on a
//     curve other than P-256 and P-384 (csr.unsupportedCurve);
//   - any other key type: DSA, Ed25519, … (csr.unsupportedKey).

// MinRSABits is the smallest RSA key accepted.
const MinRSABits = 2048

var (
	oidRSA       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidECKey     = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidDSA       = asn1.ObjectIdentifier{1, 2, 840, 10040, 4, 1}
	oidCurveP256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}
	oidCurveP384 = asn1.ObjectIdentifier{1, 3, 132, 0, 34}
)

// csrOuter is just enough of a CertificationRequest to look at its public
// key before crypto/x509 does: x509 fails on explicit curve parameters with
// an error that cannot be told apart from garbage.
type csrOuter struct {
	Info struct {
		Version   int
		Subject   asn1.RawValue
		PublicKey struct {
			Algorithm pkix.AlgorithmIdentifier
			Key       asn1.BitString
		}
		Attributes []asn1.RawValue `asn1:"tag:0"`
	}
	SigAlg pkix.AlgorithmIdentifier
	Sig    asn1.BitString
}

// csrInfo is a CSR that passed every check.
type csrInfo struct {
	req     *x509.CertificateRequest
	keyAlg  string // AlgorithmRSA or AlgorithmECC
	keySize int    // bits
}

// checkCSR parses and checks a PEM CSR. Failures are reported on field.
func checkCSR(fe *fieldErrors, field, text string) *csrInfo {
	fail := func(code, format string, args ...any) *csrInfo {
		fe.add(field, code, format, args...)
		return nil
	}
	ders, err := pemutil.Blocks([]byte(text), "CERTIFICATE REQUEST")
	if errors.Is(err, pemutil.ErrNoPEM) {
		ders, err = pemutil.Blocks([]byte(text), "NEW CERTIFICATE REQUEST")
	}
	if err != nil || len(ders) != 1 {
		return fail(VCodeCSRInvalid, "csr must hold exactly one PEM-encoded PKCS#10 certificate signing request")
	}
	var outer csrOuter
	if rest, err := asn1.Unmarshal(ders[0], &outer); err != nil || len(rest) != 0 {
		return fail(VCodeCSRInvalid, "csr is not a valid PKCS#10 certificate signing request")
	}
	alg := outer.Info.PublicKey.Algorithm
	switch {
	case alg.Algorithm.Equal(oidRSA):
	case alg.Algorithm.Equal(oidECKey):
		var curve asn1.ObjectIdentifier
		if len(alg.Parameters.FullBytes) == 0 {
			return fail(VCodeCSRInvalid, "ECC key without curve parameters")
		}
		if _, err := asn1.Unmarshal(alg.Parameters.FullBytes, &curve); err != nil {
			return fail(VCodeCSRExplicitCurve, "ECC keys must use a named curve (P-256 or P-384); explicit curve parameters are not supported")
		}
		if !curve.Equal(oidCurveP256) && !curve.Equal(oidCurveP384) {
			return fail(VCodeCSRCurve, "ECC curve %s is not supported; use P-256 or P-384", curve)
		}
	case alg.Algorithm.Equal(oidDSA):
		return fail(VCodeCSRUnsupportedKey, "DSA keys are not supported; use RSA or ECC")
	default:
		return fail(VCodeCSRUnsupportedKey, "key algorithm %s is not supported; use RSA or ECC", alg.Algorithm)
	}
	req, err := x509.ParseCertificateRequest(ders[0])
	if err != nil {
		return fail(VCodeCSRInvalid, "csr cannot be parsed: %v", err)
	}
	if err := req.CheckSignature(); err != nil {
		return fail(VCodeCSRSignature, "csr signature does not verify: %v", err)
	}
	info := &csrInfo{req: req}
	switch k := req.PublicKey.(type) {
	case *rsa.PublicKey:
		info.keyAlg, info.keySize = AlgorithmRSA, k.N.BitLen()
		if info.keySize < MinRSABits {
			return fail(VCodeCSRKeyTooSmall, "RSA key of %d bits is too small; at least %d bits are required", info.keySize, MinRSABits)
		}
	case *ecdsa.PublicKey:
		info.keyAlg, info.keySize = AlgorithmECC, k.Curve.Params().BitSize
	default:
		return fail(VCodeCSRUnsupportedKey, "key type %T is not supported; use RSA or ECC", k)
	}
	return info
}

// validHostname reports whether name is a DNS host name a public TLS
// certificate can carry: at least two LDH labels of 1 to 63 characters, no
// leading or trailing hyphen, 253 characters at most, not an IP address, a
// leading "*." when wildcard is allowed.
func validHostname(name string, wildcard bool) bool {
	if len(name) == 0 || len(name) > 253 || net.ParseIP(name) != nil {
		return false
	}
	labels := strings.Split(strings.ToLower(name), ".")
	if len(labels) < 2 {
		return false
	}
	for i, l := range labels {
		if i == 0 && wildcard && l == "*" {
			continue
		}
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
				return false
			}
		}
	}
	// A top-level label of digits only is an IP-like name, not a host.
	return strings.Trim(labels[len(labels)-1], "0123456789") != ""
}

// parsedCSR is the POST /cert/parse answer for a CSR that passed checkCSR.
func parsedCSR(text string, info *csrInfo) ParsedCSR {
	r := info.req
	p := ParsedCSR{
		CSR:                text,
		CommonName:         r.Subject.CommonName,
		Organization:       first(r.Subject.Organization),
		OrganizationUnits:  append([]string{}, r.Subject.OrganizationalUnit...),
		Locality:           first(r.Subject.Locality),
		State:              first(r.Subject.Province),
		Country:            first(r.Subject.Country),
		Email:              first(r.EmailAddresses),
		DNSNames:           append([]string{}, r.DNSNames...),
		SignatureAlgorithm: r.SignatureAlgorithm.String(),
		KeyAlgorithm:       info.keyAlg,
		KeySize:            info.keySize,
	}
	if p.Email == "" {
		// The legacy emailAddress attribute of the subject.
		for _, n := range r.Subject.Names {
			if n.Type.Equal(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}) {
				p.Email = fmt.Sprint(n.Value)
			}
		}
	}
	return p
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// handleParseCSR is POST /cert/parse: a JSON array of PEM CSRs in, a list of
// parsed CSRs out. One bad CSR fails the request with a 400 naming it
// ("[1]" is the second).
func (s *Server) handleParseCSR(c *call) {
	var csrs []string
	if !s.decodeBody(c.w, c.r, &csrs) {
		return
	}
	var fe fieldErrors
	out := make([]ParsedCSR, 0, len(csrs))
	for i, text := range csrs {
		if info := checkCSR(&fe, fmt.Sprintf("[%d]", i), text); info != nil {
			out = append(out, parsedCSR(text, info))
		}
	}
	if err := fe.err(); err != nil {
		writeErr(c.w, err)
		return
	}
	writeJSON(c.w, http.StatusOK, out)
}
