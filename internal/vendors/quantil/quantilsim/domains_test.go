package quantilsim

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// relatedXML reads the <related-domains> of a v1 view.
func (f *fixture) relatedXML(id string) []relatedDomain {
	f.t.Helper()
	r := f.do("GET", CertificatePath+"/"+id, "", nil)
	var v struct {
		Related []relatedDomain `xml:"related-domains>related-domain"`
	}
	if err := xml.Unmarshal([]byte(r.body), &v); err != nil || r.status != 200 {
		f.t.Fatalf("view %d %s: %v", r.status, r.body, err)
	}
	return v.Related
}

func (f *fixture) bind(body string, hdr http.Header) response {
	f.t.Helper()
	if hdr == nil {
		hdr = jsonHdr()
	}
	return f.do("PUT", BindPath, body, hdr)
}

func TestDomainsBindingAndInUse(t *testing.T) {
	f := newFixture(t)
	leaf := newLeaf(t, leafOpts{dns: []string{"www.example.com", "*.cdn.example.com"}})
	old := f.add("old", leaf, "")
	renewed := f.v2Create(map[string]any{"name": "new", "certificate": leaf.PEM(), "privateKey": leaf.keyPEM})
	www, err := f.s.SeedDomain("WWW.example.com.", old)
	if err != nil {
		t.Fatal(err)
	}
	img, _ := f.s.SeedDomain("img.cdn.example.com", old)
	if _, err := f.s.SeedDomain("other.example.org", ""); err != nil {
		t.Fatal(err)
	}
	if www.Name != "www.example.com" || www.ID != "2001" || img.ID != "2002" {
		t.Errorf("seeded %+v %+v", www, img)
	}

	// Who uses the certificate: v1 XML view and list, v1 JSON, V2.
	want := []relatedDomain{{"2001", "www.example.com"}, {"2002", "img.cdn.example.com"}}
	if got := f.relatedXML(old); !slices.Equal(got, want) {
		t.Errorf("v1 related-domains %+v", got)
	}
	if r := f.do("GET", CertificatePath+"/"+renewed, "", nil); strings.Contains(r.body, "related-domains") {
		t.Errorf("an unused certificate has <related-domains>: %s", r.body)
	}
	r := f.do("GET", CertificatePath, "", http.Header{"Accept": {"application/json"}})
	var l struct {
		Items []struct {
			ID      string          `json:"certificate-id"`
			Related []relatedDomain `json:"related-domains"`
		} `json:"ssl-certificate"`
	}
	if err := json.Unmarshal([]byte(r.body), &l); err != nil || len(l.Items) != 2 || !slices.Equal(l.Items[0].Related, want) || l.Items[1].Related != nil {
		t.Errorf("JSON list %s: %v", r.body, err)
	}
	if strings.Count(r.body, "related-domains") != 1 {
		t.Errorf("JSON list shows related-domains for an unused certificate: %s", r.body)
	}
	r = f.do("GET", V2CertificatePath+"/"+old+"/domain", "", http.Header{"Accept": {"application/json"}})
	if r.status != 200 || r.body != `{"code":0,"message":"success","data":{"certificateId":100001,"domains":[{"domainId":2001,"domainName":"www.example.com"},{"domainId":2002,"domainName":"img.cdn.example.com"}]}}`+"\n" {
		t.Errorf("V2 domains %d %s", r.status, r.body)
	}

	// A certificate in use is not deleted, by either generation; the
	// message names the domains.
	msg := wantError(t, f.do("DELETE", CertificatePath+"/"+old, "", nil), http.StatusForbidden, CodeCertificateInUse).Message
	if !strings.Contains(msg, "www.example.com, img.cdn.example.com") {
		t.Errorf("in-use message %q", msg)
	}
	v2Err(t, f.do("DELETE", V2CertificatePath+"/"+old, "", http.Header{"Accept": {"application/json"}}), http.StatusForbidden, CodeCertificateInUse)
	if len(f.s.Certificates()) != 2 {
		t.Fatal("a certificate in use was deleted")
	}

	// Binding refusals change nothing.
	for _, tc := range []struct {
		what, body string
		hdr        http.Header
		status     int
		code       string
	}{
		{"unknown certificate", `{"certificateId":"999999","domainNames":["www.example.com"]}`, nil, 404, CodeNoSuchSsl},
		{"unknown domain", `{"certificateId":"` + renewed + `","domainNames":["www.example.com","nope.example.com"]}`, nil, 400, CodeNoSuchDomain},
		{"not covered", `{"certificateId":"` + renewed + `","domainNames":["other.example.org"]}`, nil, 403, CodeInvalidCertificate},
		{"wildcard one label deep only", `{"certificateId":"` + renewed + `","domainNames":["a.b.cdn.example.com"]}`, nil, 400, CodeNoSuchDomain},
		{"no domains", `{"certificateId":"` + renewed + `","domainNames":[]}`, nil, 400, CodeInvalidParameter},
		{"no certificate", `{"domainNames":["www.example.com"]}`, nil, 400, CodeInvalidParameter},
		{"miscased key", `{"CertificateId":"` + renewed + `","domainNames":["www.example.com"]}`, nil, 400, CodeInvalidParameter},
		{"a domain twice", `{"certificateId":"` + renewed + `","domainNames":["www.example.com","WWW.example.com"]}`, nil, 400, CodeInvalidParameter},
		{"XML", `<x><certificateId>1</certificateId></x>`, http.Header{"Content-Type": {"application/xml"}, "Accept": {"application/json"}}, 415, CodeUnsupportedMediaType},
		{"POST", `{}`, http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}}, 405, CodeMethodNotAllowed},
	} {
		var r response
		if tc.what == "POST" {
			r = f.do("POST", BindPath, tc.body, tc.hdr)
		} else {
			r = f.bind(tc.body, tc.hdr)
		}
		if got := v2Err(t, r, tc.status, tc.code); tc.code == CodeInvalidCertificate && !strings.Contains(got, "other.example.org") {
			t.Errorf("%s: %q", tc.what, got)
		}
	}
	if got := f.relatedXML(old); !slices.Equal(got, want) {
		t.Fatalf("refused bindings changed the domains: %+v", got)
	}

	// Moving both domains to the new certificate (id as a number, as some
	// clients send it) frees the old one, which can then be deleted.
	r = f.bind(`{"certificateId":`+renewed+`,"domainNames":["www.example.com","img.cdn.example.com"]}`, nil)
	if r.status != 200 || r.body != `{"code":"0","message":"success"}`+"\n" {
		t.Fatalf("bind %d %s", r.status, r.body)
	}
	if got := f.relatedXML(renewed); !slices.Equal(got, want) {
		t.Errorf("after binding: %+v", got)
	}
	wantSuccess(t, f.do("DELETE", CertificatePath+"/"+old, "", nil), http.StatusOK)
	ds := f.s.Domains()
	if len(ds) != 3 || ds[0].CertificateID != renewed || ds[1].CertificateID != renewed || ds[2].CertificateID != "" {
		t.Errorf("domains %+v", ds)
	}
}

func TestSeedDomainAndPersistence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "quantil.json")
	f := newFixture(t, func(o *Options) { o.StatePath = path })
	leaf := newLeaf(t, leafOpts{})
	id := f.add("a", leaf, "")
	for _, tc := range []struct{ name, cert string }{{"", ""}, {"a b.example.com", ""}, {"x.example.com", "424242"}} {
		if _, err := f.s.SeedDomain(tc.name, tc.cert); !errors.Is(err, ErrDomain) {
			t.Errorf("SeedDomain(%q, %q): %v", tc.name, tc.cert, err)
		}
	}
	if _, err := f.s.SeedDomain("www.example.com", id); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.SeedDomain("www.example.com", ""); !errors.Is(err, ErrDomain) {
		t.Errorf("a second www.example.com: %v", err)
	}
	s2, err := New(f.opt)
	if err != nil {
		t.Fatal(err)
	}
	if ds := s2.Domains(); len(ds) != 1 || ds[0] != (Domain{ID: "2001", Name: "www.example.com", CertificateID: id}) {
		t.Errorf("domains after a restart %+v", ds)
	}
}
