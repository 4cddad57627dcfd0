package pemutil_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/pemutil"
)

const pki = "../../testdata/pki"

func read(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(pki, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// der decodes a committed PEM file with encoding/pem, independently of
// pemutil.
func der(t testing.TB, name string) []byte {
	t.Helper()
	b, rest := pem.Decode([]byte(read(t, name)))
	if b == nil || b.Type != "CERTIFICATE" || len(bytes.TrimSpace(rest)) != 0 {
		t.Fatalf("%s: not a single CERTIFICATE block", name)
	}
	return b.Bytes
}

// wrap writes der as a CERTIFICATE block with base64 lines of width w,
// separated by eol.
func wrap(der []byte, w int, eol string) string {
	b64 := base64.StdEncoding.EncodeToString(der)
	var sb strings.Builder
	sb.WriteString("-----BEGIN CERTIFICATE-----" + eol)
	for len(b64) > w {
		sb.WriteString(b64[:w] + eol)
		b64 = b64[w:]
	}
	sb.WriteString(b64 + eol + "-----END CERTIFICATE-----" + eol)
	return sb.String()
}

func TestBlocksForms(t *testing.T) {
	root := der(t, "root.pem")
	issuing := der(t, "tls-issuing.pem")
	tests := []struct {
		name string
		in   string
		want [][]byte
	}{
		{"wrapped at 64", read(t, "root.pem"), [][]byte{root}},
		{"wrapped at 76", wrap(root, 76, "\n"), [][]byte{root}},
		{"wrapped at 5", wrap(root, 5, "\n"), [][]byte{root}},
		{"CRLF", wrap(root, 64, "\r\n"), [][]byte{root}},
		{"flattened file", read(t, "tls-issuing.flat.pem"), [][]byte{issuing}},
		{"flattened without newline", strings.TrimSpace(read(t, "tls-issuing.flat.pem")), [][]byte{issuing}},
		{"indented (as in a YAML block scalar)", "  " + strings.ReplaceAll(read(t, "root.pem"), "\n", "\n  "), [][]byte{root}},
		{
			"explanatory text around (RFC 7468 section 5.2)",
			"Subject: O=Example CA, CN=certsync Test Root CA\nIssuer: same\n" + read(t, "root.pem") + "trailing notes\n",
			[][]byte{root},
		},
		{
			"several blocks, in order, with other types skipped",
			read(t, "tls-issuing.pem") + "\n-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n" +
				"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n" +
				read(t, "tls-issuing.flat.pem") + "text\n" + read(t, "root.pem"),
			[][]byte{issuing, issuing, root},
		},
		{
			"header (parsed by encoding/pem)",
			strings.Replace(read(t, "root.pem"), "-----\n", "-----\nComment: test root\n\n", 1),
			[][]byte{root},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := pemutil.Blocks([]byte(tc.in), "CERTIFICATE")
			if err != nil {
				t.Fatalf("Blocks: %v", err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d blocks, want %d", len(got), len(tc.want))
			}
			for i := range got {
				if !bytes.Equal(got[i], tc.want[i]) {
					t.Errorf("block %d differs from the expected DER", i)
				}
			}
		})
	}
}

func TestBlocksErrors(t *testing.T) {
	flat := strings.TrimSpace(read(t, "tls-issuing.flat.pem"))
	body := strings.TrimSuffix(strings.TrimPrefix(flat, "-----BEGIN CERTIFICATE-----"), "-----END CERTIFICATE-----")
	tests := []struct {
		name  string
		in    string
		want  string
		noPEM bool
	}{
		{"empty", "", "no PEM block found (want -----BEGIN CERTIFICATE-----)", true},
		{"plain text", "MIIBqzCCAVCgAwIBAgIQ", "no PEM block found", true},
		{"only another type", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "no PEM block found", true},
		{"bad base64 character", "-----BEGIN CERTIFICATE-----\nMIIB*zCC\n-----END CERTIFICATE-----\n", `PEM block "CERTIFICATE": bad base64: illegal base64 data at input byte 4`, false},
		{"truncated base64", "-----BEGIN CERTIFICATE-----" + body[:len(body)-3] + "-----END CERTIFICATE-----", "bad base64", false},
		{"missing END", "-----BEGIN CERTIFICATE-----\n" + body + "\n", `PEM block "CERTIFICATE" has no END line`, false},
		{"END of another type", "-----BEGIN CERTIFICATE-----\n" + body + "\n-----END PUBLIC KEY-----\n", "has no END line", false},
		{"second block without END", flat + "\n-----BEGIN CERTIFICATE-----\n" + body + "\n", "has no END line", false},
		{"header in a flattened block", "-----BEGIN CERTIFICATE-----Comment: x" + body + "-----END CERTIFICATE-----", "has headers and is not well formed", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := pemutil.Blocks([]byte(tc.in), "CERTIFICATE")
			if err == nil {
				t.Fatalf("Blocks succeeded with %d block(s)", len(got))
			}
			if got != nil {
				t.Errorf("Blocks returned blocks along with the error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			if errors.Is(err, pemutil.ErrNoPEM) != tc.noPEM {
				t.Errorf("errors.Is(err, ErrNoPEM) = %v, want %v", !tc.noPEM, tc.noPEM)
			}
		})
	}
}

func TestCertificates(t *testing.T) {
	chain := read(t, "tls-sub.pem") + read(t, "tls-issuing.flat.pem") + read(t, "root.pem")
	certs, err := pemutil.Certificates([]byte(chain))
	if err != nil {
		t.Fatal(err)
	}
	var cns []string
	for _, c := range certs {
		cns = append(cns, c.Subject.CommonName)
	}
	if got, want := strings.Join(cns, "|"), "certsync Test TLS Sub CA|certsync Test TLS Issuing CA 1|certsync Test Root CA"; got != want {
		t.Errorf("CNs = %s, want %s", got, want)
	}

	if _, err := pemutil.Certificate([]byte(chain)); err == nil || !strings.Contains(err.Error(), "holds 3 certificates, want exactly one") {
		t.Errorf("Certificate(chain) error = %v", err)
	}
	c, err := pemutil.Certificate([]byte(read(t, "leaf.pem")))
	if err != nil || c.Subject.CommonName != "www.example.com" {
		t.Errorf("Certificate(leaf.pem) = %v, %v", c, err)
	}
	// A well-formed block whose content is not a certificate names its index.
	bad := read(t, "root.pem") + "-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n"
	if _, err := pemutil.Certificates([]byte(bad)); err == nil || !strings.Contains(err.Error(), "certificate 2: x509:") {
		t.Errorf("Certificates(bad second block) error = %v", err)
	}
	if _, err := pemutil.Certificate(nil); !errors.Is(err, pemutil.ErrNoPEM) {
		t.Errorf("Certificate(nil) error = %v, want ErrNoPEM", err)
	}
}

func TestFlattenRoundTrip(t *testing.T) {
	for _, name := range []string{"root.pem", "tls-issuing.pem", "tls-sub.pem", "leaf.pem"} {
		d := der(t, name)
		flat := pemutil.Flatten(d)
		// The only spaces are those of "BEGIN CERTIFICATE" and "END CERTIFICATE".
		if strings.ContainsAny(flat, "\r\n\t") || strings.Count(flat, " ") != 2 {
			t.Errorf("%s: Flatten output has whitespace: %q", name, flat)
		}
		if !strings.HasPrefix(flat, "-----BEGIN CERTIFICATE-----MII") || !strings.HasSuffix(flat, "-----END CERTIFICATE-----") {
			t.Errorf("%s: Flatten output is not a one-line PEM: %q", name, flat)
		}
		c, err := pemutil.Certificate([]byte(flat))
		if err != nil {
			t.Fatalf("%s: Certificate(Flatten(der)): %v", name, err)
		}
		if !bytes.Equal(c.Raw, d) {
			t.Errorf("%s: round trip through Flatten changed the certificate", name)
		}
		// Encode is standard PEM that encoding/pem reads back.
		b, _ := pem.Decode([]byte(pemutil.Encode(d)))
		if b == nil || b.Type != "CERTIFICATE" || !bytes.Equal(b.Bytes, d) {
			t.Errorf("%s: Encode output does not decode with encoding/pem", name)
		}
	}
	// The committed flattened file is exactly what Flatten produces.
	if got, want := pemutil.Flatten(der(t, "tls-issuing.pem")), strings.TrimSpace(read(t, "tls-issuing.flat.pem")); got != want {
		t.Errorf("Flatten(tls-issuing) differs from tls-issuing.flat.pem:\n got %s\nwant %s", got, want)
	}
}

func TestSHA256(t *testing.T) {
	d := der(t, "root.pem")
	got := pemutil.SHA256(d)
	// From `openssl x509 -in testdata/pki/root.pem -noout -fingerprint -sha256`,
	// colons removed.
	openssl := strings.ReplaceAll("BB:1B:4D:38:9E:CF:BD:62:12:43:3D:49:FC:22:D0:59:F7:1E:53:3D:B3:6E:4E:80:19:69:3D:0A:EA:71:99:10", ":", "")
	if got != openssl {
		t.Errorf("SHA256(root) = %s, want %s (openssl)", got, openssl)
	}
	sum := sha256.Sum256(d)
	if want := strings.ToUpper(hex.EncodeToString(sum[:])); got != want {
		t.Errorf("SHA256(root) = %s, want %s (crypto/sha256)", got, want)
	}
	if len(got) != 64 || strings.ToUpper(got) != got {
		t.Errorf("SHA256 = %q, want 64 upper-case hex digits", got)
	}
	// Same certificate, same fingerprint, whatever its PEM form.
	flat, err := pemutil.Certificate([]byte(read(t, "tls-issuing.flat.pem")))
	if err != nil {
		t.Fatal(err)
	}
	if a, b := pemutil.SHA256(flat.Raw), pemutil.SHA256(der(t, "tls-issuing.pem")); a != b {
		t.Errorf("flattened and wrapped fingerprints differ: %s %s", a, b)
	}
	if pemutil.SHA256(flat.Raw) == got {
		t.Error("different certificates have the same fingerprint")
	}
}

// FuzzBlocks checks that Blocks never panics, and that every block it returns
// survives Flatten and Encode unchanged.
func FuzzBlocks(f *testing.F) {
	for _, name := range []string{"root.pem", "tls-issuing.flat.pem"} {
		f.Add([]byte(read(f, name)))
	}
	f.Add([]byte(read(f, "tls-issuing.pem") + "text\n" + read(f, "root.pem")))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nComment: x\n\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Add([]byte("-----BEGIN CERTIFICATE-----MIIB*-----END CERTIFICATE-----"))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n"))
	f.Add([]byte("-----BEGIN CERTIFICATE----------END CERTIFICATE-----"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		ders, err := pemutil.Blocks(data, "CERTIFICATE")
		if err != nil {
			if ders != nil {
				t.Fatal("blocks returned along with an error")
			}
			return
		}
		if len(ders) == 0 {
			t.Fatal("no blocks and no error")
		}
		for i, d := range ders {
			for form, s := range map[string]string{"flattened": pemutil.Flatten(d), "encoded": pemutil.Encode(d)} {
				again, err := pemutil.Blocks([]byte(s), "CERTIFICATE")
				if err != nil || len(again) != 1 || !bytes.Equal(again[0], d) {
					t.Fatalf("block %d does not survive the %s form: %v", i, form, err)
				}
			}
		}
		_, _ = pemutil.Certificates(data) // must not panic either
	})
}

// PublicKey reads only up to the SubjectPublicKeyInfo; it must give the
// very key x509.ParseCertificate gives, for every certificate of the test
// PKI (RSA and ECDSA, roots and leaves) and for a key of each kind.
func TestPublicKeyMatchesParseCertificate(t *testing.T) {
	files := []string{"constrained.pem", "leaf.pem", "other-root.pem", "revoked.pem", "root.pem", "tls-issuing.pem", "tls-sub.pem"}
	var ders [][]byte
	for _, f := range files {
		ders = append(ders, der(t, f))
	}
	for _, k := range []crypto.Signer{mustRSA(t), mustECDSA(t, elliptic.P384())} {
		ders = append(ders, selfSigned(t, k))
	}
	for i, d := range ders {
		c, err := x509.ParseCertificate(d)
		if err != nil {
			t.Fatal(err)
		}
		got, err := pemutil.PublicKey(d)
		if err != nil {
			t.Fatalf("certificate %d: %v", i, err)
		}
		if k, ok := got.(interface{ Equal(crypto.PublicKey) bool }); !ok || !k.Equal(c.PublicKey) {
			t.Errorf("certificate %d: PublicKey gave %T, not the certificate's %T key", i, got, c.PublicKey)
		}
	}
	for _, bad := range [][]byte{nil, []byte("hello"), ders[0][:40]} {
		if _, err := pemutil.PublicKey(bad); err == nil {
			t.Errorf("PublicKey(%x) gave no error", bad)
		}
	}
}

func mustRSA(t *testing.T) crypto.Signer {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustECDSA(t *testing.T, c elliptic.Curve) crypto.Signer {
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func selfSigned(t *testing.T, k crypto.Signer) []byte {
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "key test"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<31, 0), DNSNames: []string{"a.example"}}
	d, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Whatever x509.ParseCertificate accepts, PublicKey reads to the same key.
func FuzzPublicKey(f *testing.F) {
	for _, name := range []string{"leaf.pem", "root.pem", "tls-sub.pem"} {
		f.Add(der(f, name))
	}
	f.Fuzz(func(t *testing.T, d []byte) {
		c, err := x509.ParseCertificate(d)
		if err != nil {
			return
		}
		got, err := pemutil.PublicKey(d)
		switch {
		case c.PublicKey == nil: // an algorithm x509 does not know: no key either way
			if err == nil {
				t.Fatalf("PublicKey gave a %T where ParseCertificate found no key", got)
			}
		case err != nil:
			t.Fatalf("ParseCertificate accepts it but PublicKey says %v", err)
		default:
			if k, ok := got.(interface{ Equal(crypto.PublicKey) bool }); !ok || !k.Equal(c.PublicKey) {
				t.Fatalf("PublicKey gave another key than ParseCertificate")
			}
		}
	})
}
