package quantilsim

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"encoding/xml"
	"github.com/certsync/certsync/internal/sim"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/testpki"
)

const (
	testUser = "certsync-test"
	testKey  = "test-api-key-0123456789"
)

type testClock = sim.Clock

// fixture is a simulator behind an httptest server with a fake clock.
type fixture struct {
	t     *testing.T
	s     *Server
	ts    *httptest.Server
	clock *testClock
	opt   Options
}

func newFixture(t *testing.T, opts ...func(*Options)) *fixture {
	t.Helper()
	clock := sim.NewClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	o := Options{User: testUser, APIKey: testKey, Now: clock.Now}
	for _, f := range opts {
		f(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return &fixture{t: t, s: s, ts: ts, clock: clock, opt: o}
}

// date is the Date header a well-behaved client sends now.
func (f *fixture) date() string { return f.clock.Now().UTC().Format(http.TimeFormat) }

// basic is the Authorization header value for user and the signature of date
// under key.
func basic(user, key, date string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+Signature(key, date)))
}

// response is what a test looks at.
type response struct {
	status int
	header http.Header
	body   string
}

// do sends a request. Unless hdr sets them, Date is f.date(), Authorization
// is signed with the test credentials over that Date, and Accept asks for
// XML. A header set to "" in hdr is removed.
func (f *fixture) do(method, path, body string, hdr http.Header) response {
	f.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.ts.URL+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	date := f.date()
	req.Header.Set("Date", date)
	req.Header.Set("Authorization", basic(testUser, testKey, date))
	req.Header.Set("Accept", "application/xml")
	if body != "" {
		req.Header.Set("Content-Type", "application/xml")
	}
	for k, vs := range hdr {
		req.Header.Del(k)
		for _, v := range vs {
			if v != "" {
				req.Header.Add(k, v)
			}
		}
	}
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// errorBody is an XML error answer.
type errorBody struct {
	XMLName xml.Name `xml:"response"`
	Code    string   `xml:"code"`
	Message string   `xml:"message"`
}

// wantError fails unless r is an XML error with status and code.
func wantError(t *testing.T, r response, status int, code string) errorBody {
	t.Helper()
	var e errorBody
	if err := xml.Unmarshal([]byte(r.body), &e); err != nil {
		t.Fatalf("status %d, body %q: %v", r.status, r.body, err)
	}
	if r.status != status || e.Code != code {
		t.Fatalf("got %d %s (%s), want %d %s", r.status, e.Code, e.Message, status, code)
	}
	if !strings.HasPrefix(r.header.Get("Content-Type"), "application/xml") {
		t.Errorf("Content-Type %q", r.header.Get("Content-Type"))
	}
	return e
}

// wantSuccess fails unless r is the documented success answer.
func wantSuccess(t *testing.T, r response, status int) {
	t.Helper()
	const want = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<response><message>success</message></response>`
	if r.status != status || r.body != want {
		t.Fatalf("got %d %q, want %d %q", r.status, r.body, status, want)
	}
}

// elem is one element of a request body.
type elem struct{ name, value string }

// xmlBody builds an <ssl-certificate> request with the elements in order,
// their values escaped.
func xmlBody(elems ...elem) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<ssl-certificate>")
	for _, e := range elems {
		b.WriteString("<" + e.name + ">")
		_ = xml.EscapeText(&b, []byte(e.value))
		b.WriteString("</" + e.name + ">")
	}
	b.WriteString("</ssl-certificate>")
	return b.String()
}

// uploadBody is a complete, valid add/modify body for leaf, encrypted under
// date.
func uploadBody(name string, leaf *pkiCert, chain, date string) string {
	elems := []elem{
		{"name", name},
		{"comment", "comment of " + name},
		{"algorithm", "des"},
		{"ssl-certificate", Encrypt([]byte(leaf.PEM()), date)},
		{"ssl-key", Encrypt([]byte(leaf.keyPEM), date)},
	}
	if chain != "" {
		elems = append(elems, elem{"ssl-certificate-chain", Encrypt([]byte(chain), date)})
	}
	return xmlBody(elems...)
}

// pkiCert is a test certificate with its key in PEM form.
type pkiCert struct {
	*testpki.Cert
	keyPEM string
}

// The test PKI, made once: RSA key generation is the slow part of the
// package's tests.
var (
	pkiOnce                       sync.Once
	rsaA, rsaB, rsa1024           *rsa.PrivateKey
	ecP256, ecP521                *ecdsa.PrivateKey
	testRoot, testInter, otherCA  *testpki.Cert
	rsaGenerateErr, ecGenerateErr error
)

func pki(t testing.TB) {
	t.Helper()
	pkiOnce.Do(func() {
		if rsaA, rsaGenerateErr = rsa.GenerateKey(rand.Reader, 2048); rsaGenerateErr != nil {
			return
		}
		if rsaB, rsaGenerateErr = rsa.GenerateKey(rand.Reader, 2048); rsaGenerateErr != nil {
			return
		}
		// Deliberately short, to test that it is refused.
		if rsa1024, rsaGenerateErr = rsa.GenerateKey(rand.Reader, 1024); rsaGenerateErr != nil {
			return
		}
		if ecP256, ecGenerateErr = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); ecGenerateErr != nil {
			return
		}
		if ecP521, ecGenerateErr = ecdsa.GenerateKey(elliptic.P521(), rand.Reader); ecGenerateErr != nil {
			return
		}
		testRoot = testpki.Root(testpki.Options{CommonName: "Quantil Test Root", Organization: "Example CA"})
		testInter = testpki.Issue(testRoot, testpki.Options{CommonName: "Quantil Test Issuing CA", Organization: "Example CA"})
		otherCA = testpki.Root(testpki.Options{CommonName: "Unrelated CA"})
	})
	if rsaGenerateErr != nil || ecGenerateErr != nil {
		t.Fatal(rsaGenerateErr, ecGenerateErr)
	}
}

// leafOpts shape a test leaf.
type leafOpts struct {
	key       crypto.Signer // default rsaA
	cn        string        // default www.example.com
	dns       []string      // default cn and example.com
	notBefore time.Time
	notAfter  time.Time
	issuer    *testpki.Cert // default testInter
}

// newLeaf issues a leaf under the test PKI, its key PEM-encoded as PKCS#8.
func newLeaf(t testing.TB, o leafOpts) *pkiCert {
	t.Helper()
	pki(t)
	if o.key == nil {
		o.key = rsaA
	}
	if o.cn == "" {
		o.cn = "www.example.com"
	}
	if o.dns == nil {
		o.dns = []string{o.cn, "example.com"}
	}
	if o.issuer == nil {
		o.issuer = testInter
	}
	c := testpki.Issue(o.issuer, testpki.Options{Leaf: true, CommonName: o.cn, DNSNames: o.dns,
		NotBefore: o.notBefore, NotAfter: o.notAfter, Key: o.key})
	return &pkiCert{Cert: c, keyPEM: pkcs8PEM(t, o.key)}
}

func pkcs8PEM(t testing.TB, key crypto.Signer) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// add uploads leaf under name and returns the new id from Location.
func (f *fixture) add(name string, leaf *pkiCert, chain string) string {
	f.t.Helper()
	r := f.do("POST", CertificatePath, uploadBody(name, leaf, chain, f.date()), nil)
	if r.status != http.StatusAccepted {
		f.t.Fatalf("add %s: %d %s", name, r.status, r.body)
	}
	loc := r.header.Get("Location")
	return loc[strings.LastIndex(loc, "/")+1:]
}
