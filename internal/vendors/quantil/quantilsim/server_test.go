package quantilsim

import (
	"crypto/md5"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/sim"
)

// itemXML decodes both generations of list/view fields.
type itemXML struct {
	ID             string   `xml:"certificate-id"`
	Name           string   `xml:"name"`
	Comment        string   `xml:"comment"`
	ExpirationDate string   `xml:"expiration-date"`
	SerialNumber   string   `xml:"serial-number"`
	CommonNames    []string `xml:"common-names>common-name"`
	ShareSSL       *bool    `xml:"share-ssl"`
	ValidityFrom   string   `xml:"certificate-validity-from"`
	ValidityTo     string   `xml:"certificate-validity-to"`
	UpdateTime     string   `xml:"certificate-update-time"`
	Serial         string   `xml:"certificate-serial"`
	Issuer         string   `xml:"certificate-issuer"`
	CrtMD5         string   `xml:"crt-md5"`
	KeyMD5         string   `xml:"key-md5"`
	CaMD5          string   `xml:"ca-md5"`
	DNSNames       []string `xml:"dns-names>dns-name"`
}

type listXML struct {
	XMLName xml.Name  `xml:"ssl-certificates"`
	Items   []itemXML `xml:"ssl-certificate"`
}

func (f *fixture) list() []itemXML {
	f.t.Helper()
	r := f.do("GET", CertificatePath, "", nil)
	if r.status != 200 {
		f.t.Fatalf("list: %d %s", r.status, r.body)
	}
	noKeyMaterial(f.t, r.body)
	var l listXML
	if err := xml.Unmarshal([]byte(r.body), &l); err != nil {
		f.t.Fatalf("list %q: %v", r.body, err)
	}
	return l.Items
}

func (f *fixture) view(id string) itemXML {
	f.t.Helper()
	r := f.do("GET", CertificatePath+"/"+id, "", nil)
	if r.status != 200 {
		f.t.Fatalf("view %s: %d %s", id, r.status, r.body)
	}
	noKeyMaterial(f.t, r.body)
	var it struct {
		XMLName xml.Name `xml:"ssl-certificate"`
		itemXML
	}
	if err := xml.Unmarshal([]byte(r.body), &it); err != nil {
		f.t.Fatalf("view %q: %v", r.body, err)
	}
	return it.itemXML
}

func noKeyMaterial(t *testing.T, body string) {
	t.Helper()
	if strings.Contains(body, "-----") || strings.Contains(body, "PRIVATE") {
		t.Fatalf("response carries PEM material: %s", body)
	}
}

func md5of(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestAddListViewModifyDelete(t *testing.T) {
	f := newFixture(t)
	leaf := newLeaf(t, leafOpts{notBefore: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), notAfter: time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)})
	chain := testInter.PEM()

	r := f.do("POST", CertificatePath, uploadBody("web", leaf, chain, f.date()), nil)
	wantSuccess(t, r, http.StatusAccepted)
	if loc := r.header.Get("Location"); loc != f.ts.URL+"/api/ssl/certificate/100001" {
		t.Fatalf("Location %q", loc)
	}
	id := "100001"

	certs := f.s.Certificates()
	if len(certs) != 1 {
		t.Fatalf("%d certificates", len(certs))
	}
	c := certs[0]
	if c.ID != id || c.Name != "web" || c.Comment != "comment of web" || c.CertPEM != leaf.PEM() || c.KeyPEM != leaf.keyPEM ||
		c.ChainPEM != chain || c.Serial != leaf.Cert.Cert.SerialNumber.Text(16) || !c.NotAfter.Equal(leaf.Cert.Cert.NotAfter) ||
		strings.Join(c.DNSNames, ",") != "www.example.com,example.com" || c.Issuer != "CN=Quantil Test Issuing CA,O=Example CA" ||
		!c.CreatedAt.Equal(f.clock.Now()) {
		t.Fatalf("stored %+v", c)
	}

	items := f.list()
	if len(items) != 1 {
		t.Fatalf("%d items", len(items))
	}
	it := items[0]
	want := itemXML{
		ID: id, Name: "web", Comment: "comment of web",
		ExpirationDate: "2027-01-02 11:04:05", SerialNumber: c.Serial,
		CommonNames:  []string{"www.example.com", "example.com"},
		ValidityFrom: "2026-01-02 11:04:05", ValidityTo: "2027-01-02 11:04:05",
		Serial: c.Serial, Issuer: c.Issuer,
		CrtMD5: md5of(leaf.PEM()), KeyMD5: md5of(leaf.keyPEM), CaMD5: md5of(chain),
		DNSNames: []string{"www.example.com", "example.com"},
	}
	if it.ShareSSL == nil || *it.ShareSSL {
		t.Errorf("share-ssl %v", it.ShareSSL)
	}
	it.ShareSSL = nil
	if fmt.Sprint(it) != fmt.Sprint(want) {
		t.Errorf("list item\n got %+v\nwant %+v", it, want)
	}

	v := f.view(id)
	if v.UpdateTime != "2026-05-01 20:00:00" || v.Serial != c.Serial || v.ValidityTo != want.ValidityTo {
		t.Errorf("view %+v", v)
	}

	// Modify: a renewed certificate, same key, no chain, new name.
	f.clock.Advance(time.Hour)
	renewed := newLeaf(t, leafOpts{notBefore: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), notAfter: time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC),
		dns: []string{"www.example.com", "example.com", "api.example.com"}})
	r = f.do("PUT", CertificatePath+"/"+id, uploadBody("web-2026", renewed, "", f.date()), nil)
	wantSuccess(t, r, http.StatusOK)
	c2 := f.s.Certificates()[0]
	if c2.Serial == c.Serial || c2.Serial != renewed.Cert.Cert.SerialNumber.Text(16) || c2.CertPEM != renewed.PEM() ||
		c2.ChainPEM != "" || c2.Name != "web-2026" || !c2.CreatedAt.Equal(c.CreatedAt) || !c2.UpdatedAt.Equal(f.clock.Now()) ||
		!c2.NotBefore.Equal(renewed.Cert.Cert.NotBefore) || len(c2.DNSNames) != 3 {
		t.Fatalf("after modify %+v", c2)
	}
	v = f.view(id)
	if v.ValidityFrom != "2026-04-01 08:00:00" || v.Serial != c2.Serial || v.CaMD5 != "" || v.UpdateTime != "2026-05-01 21:00:00" {
		t.Errorf("view after modify %+v", v)
	}

	// A modify body is complete: a rename alone is refused, and changes
	// nothing.
	r = f.do("PUT", CertificatePath+"/"+id, xmlBody(elem{"name", "renamed"}, elem{"comment", ""}), nil)
	wantError(t, r, http.StatusForbidden, CodeInvalidCertificate)
	if c3 := f.s.Certificates()[0]; c3.Name != "web-2026" || c3.CertPEM != renewed.PEM() {
		t.Errorf("after a refused rename %+v", c3)
	}

	wantSuccess(t, f.do("DELETE", CertificatePath+"/"+id, "", nil), http.StatusOK)
	if n := len(f.s.Certificates()); n != 0 {
		t.Fatalf("%d certificates after delete", n)
	}
	if items := f.list(); len(items) != 0 {
		t.Errorf("list after delete: %+v", items)
	}
	wantError(t, f.do("DELETE", CertificatePath+"/"+id, "", nil), http.StatusNotFound, CodeNoSuchSsl)

	// Ids are not reused.
	if id2 := f.add("again", leaf, ""); id2 != "100002" {
		t.Errorf("next id %s", id2)
	}
}

func TestJSONResponses(t *testing.T) {
	f := newFixture(t)
	leaf := newLeaf(t, leafOpts{})
	id := f.add("json", leaf, "")
	r := f.do("GET", CertificatePath, "", http.Header{"Accept": {"application/json"}})
	if r.status != 200 || r.header.Get("Content-Type") != ContentTypeJSON {
		t.Fatalf("%d %s", r.status, r.header.Get("Content-Type"))
	}
	noKeyMaterial(t, r.body)
	var l map[string][]map[string]any
	if err := json.Unmarshal([]byte(r.body), &l); err != nil {
		t.Fatalf("%s: %v", r.body, err)
	}
	items := l["ssl-certificate"]
	if len(items) != 1 || items[0]["certificate-id"] != id || items[0]["share-ssl"] != false ||
		fmt.Sprint(items[0]["dns-names"]) != "[www.example.com example.com]" || items[0]["certificate-serial"] != leaf.Cert.Cert.SerialNumber.Text(16) {
		t.Errorf("JSON list %s", r.body)
	}
	r = f.do("GET", CertificatePath+"/"+id, "", http.Header{"Accept": {""}})
	var v map[string]any
	if err := json.Unmarshal([]byte(r.body), &v); err != nil || v["name"] != "json" || v["certificate-update-time"] == nil {
		t.Errorf("JSON view %s: %v", r.body, err)
	}
	r = f.do("DELETE", CertificatePath+"/"+id, "", http.Header{"Accept": {"*/*"}})
	if r.status != 200 || strings.TrimSpace(r.body) != `{"message":"success"}` {
		t.Errorf("JSON delete %d %s", r.status, r.body)
	}
	r = f.do("GET", CertificatePath, "", http.Header{"Accept": {""}})
	if strings.TrimSpace(r.body) != `{"ssl-certificate":[]}` {
		t.Errorf("empty JSON list %s", r.body)
	}
	// An empty XML list is an empty root.
	r = f.do("GET", CertificatePath, "", nil)
	if !strings.HasSuffix(r.body, "<ssl-certificates></ssl-certificates>") {
		t.Errorf("empty XML list %s", r.body)
	}
}

func TestHeaders(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.BaseURL = "https://api.quantil.com/" })
	leaf := newLeaf(t, leafOpts{})
	r := f.do("POST", CertificatePath, uploadBody("h", leaf, "", f.date()), nil)
	if loc := r.header.Get("Location"); loc != "https://api.quantil.com/api/ssl/certificate/100001" {
		t.Errorf("Location with BaseURL: %q", loc)
	}
	seen := map[string]bool{}
	for range 5 {
		r := f.do("GET", CertificatePath, "", nil)
		id := r.header.Get("x-cnc-request-id")
		if id == "" || seen[id] {
			t.Fatalf("x-cnc-request-id %q repeated or missing", id)
		}
		seen[id] = true
		if r.header.Get("Content-Type") != ContentTypeXML || r.header.Get("Server") != "WS-web-server" {
			t.Errorf("headers %v", r.header)
		}
	}
	// Injected answers carry a request id too.
	f.s.Faults().Add(sim.Fault{Method: "GET", Status: 503, Body: "busy", Times: 1})
	if r := f.do("GET", CertificatePath, "", nil); r.status != 503 || r.header.Get("x-cnc-request-id") == "" {
		t.Errorf("injected: %d %v", r.status, r.header)
	}
}

func TestUnknownIDs(t *testing.T) {
	f := newFixture(t)
	leaf := newLeaf(t, leafOpts{})
	id := f.add("known", leaf, "")
	body := uploadBody("x", leaf, "", f.date())
	for _, p := range []string{"999", "0" + id, "abc", "-1", ""} {
		for _, m := range []string{"GET", "PUT", "DELETE"} {
			if p == "" && m == "GET" {
				continue
			}
			e := wantError(t, f.do(m, CertificatePath+"/"+p, body, nil), http.StatusNotFound, CodeNoSuchSsl)
			if !strings.HasPrefix(e.Message, MsgNoSuchSsl) {
				t.Errorf("message %q", e.Message)
			}
		}
	}
	wantError(t, f.do("GET", CertificatePath+"/"+id+"/x", "", nil), http.StatusNotFound, CodeNotFound)
	wantError(t, f.do("GET", "/api/ssl/certificates", "", nil), http.StatusNotFound, CodeNotFound)
	wantError(t, f.do("GET", "/api/ssl/csr", "", nil), http.StatusNotFound, CodeNotFound)
	r := f.do("PATCH", CertificatePath+"/"+id, "", nil)
	wantError(t, r, http.StatusMethodNotAllowed, CodeMethodNotAllowed)
	if r.header.Get("Allow") != "GET, PUT, DELETE" {
		t.Errorf("Allow %q", r.header.Get("Allow"))
	}
	r = f.do("PUT", CertificatePath, body, nil)
	wantError(t, r, http.StatusMethodNotAllowed, CodeMethodNotAllowed)
	if r.header.Get("Allow") != "GET, POST" {
		t.Errorf("Allow %q", r.header.Get("Allow"))
	}
	if n := len(f.s.Certificates()); n != 1 {
		t.Errorf("%d certificates", n)
	}
}

func TestNames(t *testing.T) {
	f := newFixture(t)
	leaf := newLeaf(t, leafOpts{})
	a := f.add("alpha", leaf, "")
	b := f.add("beta", leaf, "") // the same certificate twice is allowed; names differ
	e := wantError(t, f.do("POST", CertificatePath, uploadBody("alpha", leaf, "", f.date()), nil), http.StatusConflict, CodeNameAlreadyExists)
	if !strings.Contains(e.Message, "alpha") {
		t.Errorf("message %q", e.Message)
	}
	// Surrounding blanks are not part of the name.
	wantError(t, f.do("POST", CertificatePath, uploadBody(" alpha\n", leaf, "", f.date()), nil), http.StatusConflict, CodeNameAlreadyExists)
	wantError(t, f.do("PUT", CertificatePath+"/"+b, uploadBody("alpha", leaf, "", f.date()), nil), http.StatusConflict, CodeNameAlreadyExists)
	// Keeping one's own name, or changing case, is fine.
	wantSuccess(t, f.do("PUT", CertificatePath+"/"+a, uploadBody("alpha", leaf, "", f.date()), nil), http.StatusOK)
	wantSuccess(t, f.do("PUT", CertificatePath+"/"+b, uploadBody("ALPHA", leaf, "", f.date()), nil), http.StatusOK)

	wantError(t, f.do("POST", CertificatePath, xmlBody(elem{"algorithm", "des"},
		elem{"ssl-certificate", Encrypt([]byte(leaf.PEM()), f.date())}, elem{"ssl-key", Encrypt([]byte(leaf.keyPEM), f.date())}), nil),
		http.StatusBadRequest, CodeInvalidName)
	wantError(t, f.do("POST", CertificatePath, uploadBody("  ", leaf, "", f.date()), nil), http.StatusBadRequest, CodeInvalidName)
	wantError(t, f.do("PUT", CertificatePath+"/"+a, xmlBody(elem{"name", ""}), nil), http.StatusBadRequest, CodeInvalidName)
	if n := len(f.s.Certificates()); n != 2 {
		t.Errorf("%d certificates", n)
	}
}

func TestInvalidCertificate(t *testing.T) {
	pki(t)
	f := newFixture(t)
	good := newLeaf(t, leafOpts{})
	date := f.date()
	enc := func(s string) string { return Encrypt([]byte(s), date) }
	body := func(cert, key string, extra ...elem) string {
		return xmlBody(append([]elem{{"name", "n"}, {"algorithm", "des"}, {"ssl-certificate", cert}, {"ssl-key", key}}, extra...)...)
	}
	short := newLeaf(t, leafOpts{key: rsa1024})
	p521 := newLeaf(t, leafOpts{key: ecP521})
	expired := newLeaf(t, leafOpts{notBefore: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), notAfter: time.Date(2026, 4, 30, 0, 0, 0, 0, time.UTC)})
	encryptedKey := strings.Replace(good.keyPEM, "PRIVATE KEY", "ENCRYPTED PRIVATE KEY", -1)

	for _, tc := range []struct {
		name, body, detail string
	}{
		// What the reference script sends when `openssl des` fails.
		{"empty fields", body("", ""), "ssl-certificate: empty"},
		{"blank fields", body(" \n ", " "), "ssl-certificate: empty"},
		{"empty key", body(enc(good.PEM()), ""), "ssl-key: empty"},
		{"certificate without key", xmlBody(elem{"name", "n"}, elem{"algorithm", "des"}, elem{"ssl-certificate", enc(good.PEM())}), "required"},
		{"bad base64", body("!!!notbase64", enc(good.keyPEM)), "not valid base64"},
		{"not encrypted", body(strings.Join(strings.Fields(strings.TrimSpace(good.PEM())), ""), enc(good.keyPEM)), "ssl-certificate:"},
		{"bad padding", body(Encrypt([]byte(good.PEM()), "Fri, 01 May 2026 11:59:59 GMT"), enc(good.keyPEM)), "padding"},
		{"non-PEM certificate", body(enc("The body of the certificate goes here."), enc(good.keyPEM)), "no PEM block"},
		{"reference script placeholder", body(enc("-----BEGIN CERTIFICATE-----\n\nThe body of the certificate goes here.\n\n-----END CERTIFICATE-----"), enc(good.keyPEM)), "ssl-certificate:"},
		{"DER certificate", body(enc(string(good.DER)), enc(good.keyPEM)), "no PEM block"},
		{"non-PEM key", body(enc(good.PEM()), enc("The private key goes here")), "ssl-key:"},
		{"mismatched key", body(enc(good.PEM()), enc(pkcs8PEM(t, rsaB))), "does not match"},
		{"EC key for RSA certificate", body(enc(good.PEM()), enc(pkcs8PEM(t, ecP256))), "does not match"},
		{"1024-bit RSA", body(enc(short.PEM()), enc(short.keyPEM)), "1024 bits"},
		{"P-521", body(enc(p521.PEM()), enc(p521.keyPEM)), "P-521"},
		{"expired", body(enc(expired.PEM()), enc(expired.keyPEM)), "expired"},
		{"encrypted key", body(enc(good.PEM()), enc(encryptedKey)), "encrypted"},
		{"leaf and chain in ssl-certificate", body(enc(good.PEM()+testInter.PEM()), enc(good.keyPEM)), "holds 2 certificates"},
		{"key in the certificate field", body(enc(good.keyPEM), enc(good.keyPEM)), "ssl-certificate:"},
		{"chain that did not sign the leaf", body(enc(good.PEM()), enc(good.keyPEM), elem{"ssl-certificate-chain", enc(otherCA.PEM())}), "did not sign"},
		{"chain in the wrong order", body(enc(good.PEM()), enc(good.keyPEM), elem{"ssl-certificate-chain", enc(testRoot.PEM() + testInter.PEM())}), "did not sign"},
		{"chain not PEM", body(enc(good.PEM()), enc(good.keyPEM), elem{"ssl-certificate-chain", enc("intermediate")}), "ssl-certificate-chain:"},
		{"chain not encrypted", body(enc(good.PEM()), enc(good.keyPEM), elem{"ssl-certificate-chain", "%%%"}), "ssl-certificate-chain: not valid base64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := wantError(t, f.do("POST", CertificatePath, tc.body, http.Header{
				"Date": {date}, "Authorization": {basic(testUser, testKey, date)}}), http.StatusForbidden, CodeInvalidCertificate)
			if !strings.HasPrefix(e.Message, MsgInvalidCertificate+" ") || !strings.Contains(e.Message, tc.detail) {
				t.Errorf("message %q, want it to contain %q", e.Message, tc.detail)
			}
			if strings.Contains(e.Message, "MII") || strings.Contains(e.Message, "goes here") {
				t.Errorf("message quotes material: %q", e.Message)
			}
		})
	}
	// Modify validates the same way and changes nothing when it refuses.
	id := f.add("kept", good, "")
	before := f.s.Certificates()
	wantError(t, f.do("PUT", CertificatePath+"/"+id, body("", ""), nil), http.StatusForbidden, CodeInvalidCertificate)
	wantError(t, f.do("PUT", CertificatePath+"/"+id, xmlBody(elem{"name", "kept"}, elem{"algorithm", "des"}, elem{"ssl-key", enc(good.keyPEM)}), nil), http.StatusForbidden, CodeInvalidCertificate)
	wantError(t, f.do("PUT", CertificatePath+"/"+id, xmlBody(elem{"name", "kept"}, elem{"algorithm", "des"}, elem{"ssl-certificate-chain", enc(testInter.PEM())}), nil), http.StatusForbidden, CodeInvalidCertificate)
	if after := f.s.Certificates(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("refused modify changed the certificate:\n%+v\n%+v", before, after)
	}
}

func TestAcceptedMaterial(t *testing.T) {
	pki(t)
	f := newFixture(t)
	date := f.date()
	enc := func(s string) string { return Encrypt([]byte(s), date) }
	ec := newLeaf(t, leafOpts{key: ecP256, cn: "ec.example.com"})
	rsaLeaf := newLeaf(t, leafOpts{cn: "rsa.example.com", dns: []string{"rsa.example.com"}})
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaA)}))
	sec1DER, err := x509.MarshalECPrivateKey(ecP256)
	if err != nil {
		t.Fatal(err)
	}
	sec1 := string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1DER}))
	notYetValid := newLeaf(t, leafOpts{notBefore: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), notAfter: time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)})
	wrapped := func(s string) string { // openssl -a lines joined by spaces, as the reference script's eval sends them
		e := enc(s)
		var parts []string
		for i := 0; i < len(e); i += 64 {
			parts = append(parts, e[i:min(i+64, len(e))])
		}
		return strings.Join(parts, " ")
	}
	for i, tc := range []struct {
		name string
		body string
	}{
		{"EC P-256, PKCS#8", uploadBody("ec", ec, "", date)},
		{"EC P-256, SEC 1", xmlBody(elem{"name", "sec1"}, elem{"algorithm", "des"}, elem{"ssl-certificate", enc(ec.PEM())}, elem{"ssl-key", enc(sec1)})},
		{"RSA, PKCS#1", xmlBody(elem{"name", "pkcs1"}, elem{"algorithm", "des"}, elem{"ssl-certificate", enc(rsaLeaf.PEM())}, elem{"ssl-key", enc(pkcs1)})},
		{"chain with the root at the end", uploadBody("full-chain", rsaLeaf, testInter.PEM()+testRoot.PEM(), date)},
		{"empty chain element", xmlBody(elem{"name", "empty-chain"}, elem{"algorithm", "des"}, elem{"ssl-certificate", enc(rsaLeaf.PEM())},
			elem{"ssl-key", enc(rsaLeaf.keyPEM)}, elem{"ssl-certificate-chain", ""})},
		{"not yet valid", uploadBody("future", notYetValid, "", date)},
		{"ssl-key-id and csr-id", xmlBody(elem{"name", "csr"}, elem{"algorithm", "des"}, elem{"ssl-certificate", enc(rsaLeaf.PEM())},
			elem{"ssl-key", enc(rsaLeaf.keyPEM)}, elem{"ssl-key-id", "42"}, elem{"csr-id", "42"})},
		// The reference script's body after eval: declaration with spaces round
		// "=", every newline turned into a space, base64 wrapped.
		{"reference-script-style body", `<?xml version = "1.0" encoding = "UTF-8"?> <ssl-certificate> <name>{certificate name}</name> ` +
			`<comment>{any comment you want}</comment> <algorithm>des</algorithm> <ssl-certificate>` + wrapped(rsaLeaf.PEM()) +
			`</ssl-certificate> <ssl-key>` + wrapped(rsaLeaf.keyPEM) + `</ssl-key> </ssl-certificate>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.do("POST", CertificatePath, tc.body, http.Header{"Date": {date}, "Authorization": {basic(testUser, testKey, date)}})
			wantSuccess(t, r, http.StatusAccepted)
			if n := len(f.s.Certificates()); n != i+1 {
				t.Errorf("%d certificates", n)
			}
		})
	}
	if c := f.s.Certificates()[4]; c.ChainPEM != "" {
		t.Errorf("empty chain element stored as %q", c.ChainPEM)
	}
}

func TestMalformedRequests(t *testing.T) {
	f := newFixture(t)
	leaf := newLeaf(t, leafOpts{})
	date := f.date()
	good := []elem{{"name", "n"}, {"algorithm", "des"}, {"ssl-certificate", Encrypt([]byte(leaf.PEM()), date)}, {"ssl-key", Encrypt([]byte(leaf.keyPEM), date)}}
	with := func(alg *string) string {
		var es []elem
		for _, e := range good {
			if e.name == "algorithm" {
				if alg == nil {
					continue
				}
				e.value = *alg
			}
			es = append(es, e)
		}
		return xmlBody(es...)
	}
	aes, rsa, upper := "aes", "rsa", "DES"
	for _, tc := range []struct {
		name, body, code string
		status           int
	}{
		{"empty body", "", CodeMalformedXML, 400},
		{"not XML", "name=n&algorithm=des", CodeMalformedXML, 400},
		{"JSON", `{"name":"n"}`, CodeMalformedXML, 400},
		{"wrong root", "<csr><name>n</name></csr>", CodeMalformedXML, 400},
		{"truncated", "<ssl-certificate><name>n</name>", CodeMalformedXML, 400},
		{"repeated element", xmlBody(append(good, elem{"name", "m"})...), CodeMalformedXML, 400},
		{"too large", xmlBody(elem{"comment", strings.Repeat("x", maxBody)}), CodeRequestTooLarge, 413},
		{"no algorithm", with(nil), CodeInvalidAlgorithm, 400},
		{"aes", with(&aes), CodeUnsupportedAlgorithm, 400},
		{"rsa", with(&rsa), CodeInvalidAlgorithm, 400},
		{"upper-case DES", with(&upper), CodeInvalidAlgorithm, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, f.do("POST", CertificatePath, tc.body, http.Header{"Date": {date}, "Authorization": {basic(testUser, testKey, date)},
				"Content-Type": {"application/xml"}}), tc.status, tc.code)
		})
	}
	if n := len(f.s.Certificates()); n != 0 {
		t.Errorf("%d certificates", n)
	}
}

// A connection dropped after the add committed: the certificate exists once,
// and a blind retry is refused by the name rule instead of duplicating it.
func TestDropAfterCommit(t *testing.T) {
	f := newFixture(t)
	leaf := newLeaf(t, leafOpts{})
	f.s.Faults().Add(sim.Fault{Method: "POST", Path: CertificatePath, DropAfterCommit: true, Times: 1})
	body := uploadBody("dropped", leaf, "", f.date())
	req, err := http.NewRequest("POST", f.ts.URL+CertificatePath, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Date", f.date())
	req.Header.Set("Authorization", basic(testUser, testKey, f.date()))
	req.Header.Set("Content-Type", "application/xml")
	if resp, err := f.ts.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("got an answer %d, want a dropped connection", resp.StatusCode)
	}
	if certs := f.s.Certificates(); len(certs) != 1 || certs[0].Name != "dropped" {
		t.Fatalf("after the drop: %+v", certs)
	}
	wantError(t, f.do("POST", CertificatePath, body, nil), http.StatusConflict, CodeNameAlreadyExists)
	if n := len(f.s.Certificates()); n != 1 {
		t.Errorf("%d certificates after the retry", n)
	}
	if n := f.s.Faults().Count("POST " + CertificatePath); n != 2 {
		t.Errorf("%d POSTs counted", n)
	}
}

func TestConcurrentRequests(t *testing.T) {
	f := newFixture(t)
	leaf := newLeaf(t, leafOpts{})
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan string, 3*n)
	for i := range n {
		wg.Go(func() {
			body := uploadBody(fmt.Sprintf("c%d", i), leaf, "", f.date())
			if r := f.do("POST", CertificatePath, body, nil); r.status != 202 {
				errs <- r.body
			}
			// Everyone also races for one shared name: exactly one wins.
			if r := f.do("POST", CertificatePath, uploadBody("shared", leaf, "", f.date()), nil); r.status != 202 && r.status != 409 {
				errs <- r.body
			}
			if r := f.do("GET", CertificatePath, "", nil); r.status != 200 {
				errs <- r.body
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	certs := f.s.Certificates()
	ids := map[string]bool{}
	for _, c := range certs {
		ids[c.ID] = true
	}
	if len(certs) != n+1 || len(ids) != n+1 {
		t.Errorf("%d certificates, %d ids, want %d", len(certs), len(ids), n+1)
	}
}

func TestSeed(t *testing.T) {
	f := newFixture(t)
	leaf := newLeaf(t, leafOpts{})
	c, err := f.s.Seed(Certificate{ID: "123", CertPEM: leaf.PEM(), KeyPEM: leaf.keyPEM, Serial: "ignored"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "certificate-123" || c.Serial != leaf.Cert.Cert.SerialNumber.Text(16) || len(c.DNSNames) != 2 ||
		!c.CreatedAt.Equal(f.clock.Now()) || !c.UpdatedAt.Equal(c.CreatedAt) || c.Issuer == "" {
		t.Errorf("seeded %+v", c)
	}
	if v := f.view("123"); v.Name != "certificate-123" || v.Serial != c.Serial {
		t.Errorf("view of a seeded certificate %+v", v)
	}
	// Added ids continue from FirstID; a seeded id above it moves them on.
	if id := f.add("a", leaf, ""); id != "100001" {
		t.Errorf("first added id %s", id)
	}
	if _, err := f.s.Seed(Certificate{ID: "200000", Name: "b", CertPEM: leaf.PEM()}); err != nil {
		t.Fatal(err)
	}
	if id := f.add("c", leaf, ""); id != "200001" {
		t.Errorf("id after seeding 200000: %s", id)
	}
	if c, err := f.s.Seed(Certificate{Name: "d", CertPEM: leaf.PEM()}); err != nil || c.ID != "200002" {
		t.Errorf("seed without id: %+v %v", c, err)
	}
	for _, bad := range []Certificate{
		{ID: "123", Name: "other", CertPEM: leaf.PEM()}, // id in use
		{ID: "0123", CertPEM: leaf.PEM()},               // not canonical
		{ID: "x", CertPEM: leaf.PEM()},
		{Name: "a", CertPEM: leaf.PEM()}, // name in use
		{Name: "e"},                      // no certificate
		{Name: "f", CertPEM: "not a certificate"},
	} {
		if _, err := f.s.Seed(bad); err == nil {
			t.Errorf("Seed(%+v) accepted", bad)
		}
	}
	if n := len(f.s.Certificates()); n != 5 {
		t.Errorf("%d certificates", n)
	}
}

func TestNewRequiresCredentials(t *testing.T) {
	for _, o := range []Options{{}, {User: "u"}, {APIKey: "k"}} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
}
