package quantilsim

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// jsonHdr is the header set of a V2 JSON call.
func jsonHdr() http.Header {
	return http.Header{"Accept": {"application/json"}, "Content-Type": {"application/json"}}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// v2Err decodes a JSON error answer and checks its status and code.
func v2Err(t *testing.T, r response, status int, code string) string {
	t.Helper()
	var e struct{ Code, Message string }
	if err := json.Unmarshal([]byte(r.body), &e); err != nil || r.status != status || e.Code != code {
		t.Fatalf("got %d %s, want %d %s", r.status, r.body, status, code)
	}
	return e.Message
}

// v2Create creates a certificate through V2 and returns its id.
func (f *fixture) v2Create(body map[string]any) string {
	f.t.Helper()
	r := f.do("POST", V2CertificatePath, mustJSON(f.t, body), jsonHdr())
	if r.status != http.StatusCreated || r.body != `{"code":"0","message":"success"}`+"\n" {
		f.t.Fatalf("V2 create: %d %q", r.status, r.body)
	}
	loc := r.header.Get("Location")
	if !strings.HasPrefix(loc, f.ts.URL+V2CertificatePath+"/") {
		f.t.Fatalf("Location %q", loc)
	}
	return loc[strings.LastIndex(loc, "/")+1:]
}

func TestV2CertificateAPI(t *testing.T) {
	f := newFixture(t)
	leaf := newLeaf(t, leafOpts{})
	id := f.v2Create(map[string]any{"name": "v2", "certificate": leaf.PEM() + testInter.PEM(), "privateKey": leaf.keyPEM, "comment": "made by V2"})

	// One store: v1 sees it, with the chain split off the leaf.
	c := f.s.Certificates()[0]
	if c.ID != id || c.CertPEM != leaf.PEM() || c.ChainPEM != testInter.PEM() || c.KeyPEM != leaf.keyPEM || c.Comment != "made by V2" {
		t.Fatalf("stored %+v", c)
	}
	if v := f.view(id); v.Name != "v2" || v.CaMD5 == "" || v.Serial != leaf.Cert.Cert.SerialNumber.Text(16) {
		t.Errorf("v1 view of a V2 certificate %+v", v)
	}

	// Get: the SDK's shape, code a number.
	r := f.do("GET", V2CertificatePath+"/"+id, "", http.Header{"Accept": {"application/json"}})
	var got struct {
		Code    *int
		Message string
		Data    V2Certificate
	}
	if err := json.Unmarshal([]byte(r.body), &got); err != nil || r.status != 200 || got.Code == nil || *got.Code != 0 || got.Message != "success" {
		t.Fatalf("V2 get %d %s: %v", r.status, r.body, err)
	}
	want := V2Certificate{CertificateID: 100001, Name: "v2", Comment: "made by V2", Serial: c.Serial,
		NotBefore: c.NotBefore.In(CST).Format(TimeLayout), NotAfter: c.NotAfter.In(CST).Format(TimeLayout), CommonName: "www.example.com",
		SubjectAlternativeNames: []V2SAN{{"www.example.com"}, {"example.com"}}}
	if mustJSON(t, got.Data) != mustJSON(t, want) {
		t.Errorf("V2 get data\n got %+v\nwant %+v", got.Data, want)
	}

	// Update changes only what is sent; name is required.
	f.clock.Advance(time.Minute)
	r = f.do("PUT", V2CertificatePath+"/"+id, `{"name":"v2-renamed"}`, jsonHdr())
	if r.status != 200 || r.body != `{"code":"0","message":"success","data":""}`+"\n" {
		t.Fatalf("V2 rename %d %q", r.status, r.body)
	}
	if c2 := f.s.Certificates()[0]; c2.Name != "v2-renamed" || c2.Comment != "made by V2" || c2.CertPEM != leaf.PEM() || c2.ChainPEM != testInter.PEM() {
		t.Errorf("after a V2 rename %+v", c2)
	}
	other := newLeaf(t, leafOpts{key: rsaB, dns: []string{"www.example.com", "example.com", "api.example.com"}})
	r = f.do("PUT", V2CertificatePath+"/"+id, mustJSON(t, map[string]any{"name": "v2-renamed", "certificate": other.PEM(), "privateKey": other.keyPEM, "comment": ""}), jsonHdr())
	if r.status != 200 {
		t.Fatalf("V2 update %d %s", r.status, r.body)
	}
	if c3 := f.s.Certificates()[0]; c3.Serial != other.Cert.Cert.SerialNumber.Text(16) || c3.ChainPEM != "" || c3.Comment != "" || len(c3.DNSNames) != 3 {
		t.Errorf("after a V2 update %+v", c3)
	}

	// The v1 modify of the same certificate works on the same store.
	wantSuccess(t, f.do("PUT", CertificatePath+"/"+id, uploadBody("via-v1", leaf, "", f.date()), nil), http.StatusOK)
	if c4 := f.s.Certificates()[0]; c4.Name != "via-v1" || c4.CertPEM != leaf.PEM() {
		t.Errorf("after a v1 modify %+v", c4)
	}

	// An XML body (a public client sends V2 bodies as XML) is read too.
	r = f.do("PUT", V2CertificatePath+"/"+id, `<certificate><name>via-xml</name></certificate>`, http.Header{"Content-Type": {"application/xml"}})
	if r.status != 200 || f.s.Certificates()[0].Name != "via-xml" {
		t.Errorf("V2 update with an XML body: %d %s", r.status, r.body)
	}

	// Delete, then the id is gone: the V2 not-found code.
	r = f.do("DELETE", V2CertificatePath+"/"+id, "", http.Header{"Accept": {"application/json"}})
	if r.status != 200 || r.body != `{"code":"0","message":"success","data":""}`+"\n" {
		t.Fatalf("V2 delete %d %q", r.status, r.body)
	}
	for _, m := range []string{"GET", "DELETE"} {
		v2Err(t, f.do(m, V2CertificatePath+"/"+id, "", http.Header{"Accept": {"application/json"}}), http.StatusNotFound, CodeV2NotFound)
	}
	v2Err(t, f.do("PUT", V2CertificatePath+"/"+id, `{"name":"x"}`, jsonHdr()), http.StatusNotFound, CodeV2NotFound)
	v2Err(t, f.do("GET", V2CertificatePath+"/"+id+"/domain", "", http.Header{"Accept": {"application/json"}}), http.StatusNotFound, CodeV2NotFound)
	if n := len(f.s.Certificates()); n != 0 {
		t.Errorf("%d certificates after delete", n)
	}
}

// TestV2Refusals: each refusal of the V2 routes, and that a refused request
// changes nothing.
func TestV2Refusals(t *testing.T) {
	f := newFixture(t)
	leaf := newLeaf(t, leafOpts{})
	id := f.v2Create(map[string]any{"name": "kept", "certificate": leaf.PEM(), "privateKey": leaf.keyPEM})
	before := mustJSON(t, f.s.Certificates())
	expired := newLeaf(t, leafOpts{notBefore: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), notAfter: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)})
	for _, tc := range []struct {
		name, method, path, body string
		hdr                      http.Header
		status                   int
		code                     string
	}{
		{"create without name", "POST", V2CertificatePath, mustJSON(t, map[string]any{"certificate": leaf.PEM(), "privateKey": leaf.keyPEM}), jsonHdr(), 400, CodeInvalidName},
		{"create with a miscased name key", "POST", V2CertificatePath, mustJSON(t, map[string]any{"Name": "n", "certificate": leaf.PEM(), "privateKey": leaf.keyPEM}), jsonHdr(), 400, CodeInvalidName},
		{"create with a taken name", "POST", V2CertificatePath, mustJSON(t, map[string]any{"name": "kept", "certificate": leaf.PEM(), "privateKey": leaf.keyPEM}), jsonHdr(), 409, CodeNameAlreadyExists},
		{"create without certificate", "POST", V2CertificatePath, mustJSON(t, map[string]any{"name": "n", "privateKey": leaf.keyPEM}), jsonHdr(), 403, CodeInvalidCertificate},
		{"create without key", "POST", V2CertificatePath, mustJSON(t, map[string]any{"name": "n", "certificate": leaf.PEM()}), jsonHdr(), 403, CodeInvalidCertificate},
		{"create with a csrId instead of a key", "POST", V2CertificatePath, mustJSON(t, map[string]any{"name": "n", "certificate": leaf.PEM(), "csrId": 7}), jsonHdr(), 403, CodeInvalidCertificate},
		{"create with a DES-encrypted certificate", "POST", V2CertificatePath, mustJSON(t, map[string]any{"name": "n", "certificate": Encrypt([]byte(leaf.PEM()), f.date()), "privateKey": leaf.keyPEM}), jsonHdr(), 403, CodeInvalidCertificate},
		{"create with a key of another certificate", "POST", V2CertificatePath, mustJSON(t, map[string]any{"name": "n", "certificate": leaf.PEM(), "privateKey": pkcs8PEM(t, rsaB)}), jsonHdr(), 403, CodeInvalidCertificate},
		{"create with an expired certificate", "POST", V2CertificatePath, mustJSON(t, map[string]any{"name": "n", "certificate": expired.PEM(), "privateKey": expired.keyPEM}), jsonHdr(), 403, CodeInvalidCertificate},
		{"create as text/plain", "POST", V2CertificatePath, mustJSON(t, map[string]any{"name": "n", "certificate": leaf.PEM(), "privateKey": leaf.keyPEM}), http.Header{"Accept": {"application/json"}, "Content-Type": {"text/plain"}}, 415, CodeUnsupportedMediaType},
		{"create without Content-Type", "POST", V2CertificatePath, mustJSON(t, map[string]any{"name": "n", "certificate": leaf.PEM(), "privateKey": leaf.keyPEM}), http.Header{"Accept": {"application/json"}, "Content-Type": {""}}, 415, CodeUnsupportedMediaType},
		{"create with a JSON array", "POST", V2CertificatePath, `[]`, jsonHdr(), 400, CodeInvalidParameter},
		{"update without name", "PUT", V2CertificatePath + "/" + id, `{"comment":"c"}`, jsonHdr(), 400, CodeInvalidName},
		{"update with a key alone", "PUT", V2CertificatePath + "/" + id, mustJSON(t, map[string]any{"name": "kept", "privateKey": leaf.keyPEM}), jsonHdr(), 403, CodeInvalidCertificate},
		{"update with a certificate alone", "PUT", V2CertificatePath + "/" + id, mustJSON(t, map[string]any{"name": "kept", "certificate": leaf.PEM()}), jsonHdr(), 403, CodeInvalidCertificate},
		{"update as form", "PUT", V2CertificatePath + "/" + id, `name=x`, http.Header{"Accept": {"application/json"}, "Content-Type": {"application/x-www-form-urlencoded"}}, 415, CodeUnsupportedMediaType},
		{"list (no such V2 route)", "GET", V2CertificatePath, "", http.Header{"Accept": {"application/json"}}, 405, CodeMethodNotAllowed},
		{"unknown sub-route", "GET", V2CertificatePath + "/" + id + "/content", "", http.Header{"Accept": {"application/json"}}, 404, CodeNotFound},
		{"bad signature", "GET", V2CertificatePath + "/" + id, "", http.Header{"Accept": {"application/json"}, "Authorization": {basic(testUser, "wrong", f.date())}}, 401, CodeAuthFailure},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := v2Err(t, f.do(tc.method, tc.path, tc.body, tc.hdr), tc.status, tc.code)
			if strings.Contains(msg, "MII") {
				t.Errorf("message quotes key material: %q", msg)
			}
		})
	}
	if after := mustJSON(t, f.s.Certificates()); after != before {
		t.Errorf("refused requests changed the store:\n%s\n%s", before, after)
	}
}

// TestV1ContentType: v1 add and modify bodies are XML; anything else is
// refused before the body is read.
func TestV1ContentType(t *testing.T) {
	f := newFixture(t)
	leaf := newLeaf(t, leafOpts{})
	id := f.add("xml", leaf, "")
	for _, ct := range []string{"", "text/plain", "application/json", "application/x-www-form-urlencoded", "xml"} {
		for _, req := range []struct{ method, path, name string }{{"POST", CertificatePath, "new"}, {"PUT", CertificatePath + "/" + id, "xml"}} {
			e := wantError(t, f.do(req.method, req.path, uploadBody(req.name, leaf, "", f.date()), http.Header{"Content-Type": {ct}}), http.StatusUnsupportedMediaType, CodeUnsupportedMediaType)
			if !strings.Contains(e.Message, "application/xml") {
				t.Errorf("%s Content-Type %q: %q", req.method, ct, e.Message)
			}
		}
	}
	for _, ct := range []string{"text/xml", "application/xml; charset=UTF-8"} {
		wantSuccess(t, f.do("PUT", CertificatePath+"/"+id, uploadBody("xml", leaf, "", f.date()), http.Header{"Content-Type": {ct}}), http.StatusOK)
	}
	if n := len(f.s.Certificates()); n != 1 {
		t.Errorf("%d certificates", n)
	}
}

// TestV1ModifyBodyIsComplete: a modify without name, algorithm, certificate
// or key is refused; comment and chain are optional (an absent comment is
// kept, an absent chain removed).
func TestV1ModifyBodyIsComplete(t *testing.T) {
	f := newFixture(t)
	leaf := newLeaf(t, leafOpts{})
	id := f.add("full", leaf, testInter.PEM())
	date := f.date()
	enc := func(s string) string { return Encrypt([]byte(s), date) }
	hdr := http.Header{"Date": {date}, "Authorization": {basic(testUser, testKey, date)}}
	name, alg := elem{"name", "full"}, elem{"algorithm", "des"}
	crt, key := elem{"ssl-certificate", enc(leaf.PEM())}, elem{"ssl-key", enc(leaf.keyPEM)}
	before := f.s.Certificates()
	for _, tc := range []struct {
		what   string
		elems  []elem
		status int
		code   string
	}{
		{"no name", []elem{alg, crt, key}, 400, CodeInvalidName},
		{"no algorithm", []elem{name, crt, key}, 400, CodeInvalidAlgorithm},
		{"no certificate", []elem{name, alg, key}, 403, CodeInvalidCertificate},
		{"no key", []elem{name, alg, crt}, 403, CodeInvalidCertificate},
		{"comment only", []elem{{"comment", "c"}}, 400, CodeInvalidName},
		{"name only", []elem{name}, 403, CodeInvalidCertificate},
	} {
		wantError(t, f.do("PUT", CertificatePath+"/"+id, xmlBody(tc.elems...), hdr), tc.status, tc.code)
	}
	if after := f.s.Certificates(); mustJSON(t, after) != mustJSON(t, before) {
		t.Fatalf("refused modifies changed the certificate")
	}
	wantSuccess(t, f.do("PUT", CertificatePath+"/"+id, xmlBody(name, alg, crt, key), hdr), http.StatusOK)
	if c := f.s.Certificates()[0]; c.Comment != "comment of full" || c.ChainPEM != "" {
		t.Errorf("after a modify without comment and chain: comment %q, chain %q", c.Comment, c.ChainPEM)
	}
}
