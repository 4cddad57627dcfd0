package mmsim

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/pemutil"
	"github.com/certsync/certsync/internal/sim"
)

// explicitCurveCSR is a CSR whose P-256 key is given with explicit curve
// parameters instead of the named-curve OID, signed correctly.
func explicitCurveCSR(t *testing.T, cn string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p := elliptic.P256().Params()
	fieldBytes := func(n *big.Int) []byte { return n.FillBytes(make([]byte, 32)) }
	a := new(big.Int).Sub(p.P, big.NewInt(3))
	type fieldID struct {
		Type  asn1.ObjectIdentifier
		Prime *big.Int
	}
	type curve struct{ A, B []byte }
	params, err := asn1.Marshal(struct {
		Version  int
		FieldID  fieldID
		Curve    curve
		Base     []byte
		Order    *big.Int
		Cofactor int
	}{1, fieldID{asn1.ObjectIdentifier{1, 2, 840, 10045, 1, 1}, p.P}, curve{fieldBytes(a), fieldBytes(p.B)},
		append(append([]byte{4}, fieldBytes(p.Gx)...), fieldBytes(p.Gy)...), p.N, 1})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := key.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	subject, err := asn1.Marshal(pkix.Name{CommonName: cn}.ToRDNSequence())
	if err != nil {
		t.Fatal(err)
	}
	type spki struct {
		Alg pkix.AlgorithmIdentifier
		Key asn1.BitString
	}
	info, err := asn1.Marshal(struct {
		Version int
		Subject asn1.RawValue
		SPKI    spki
		Attrs   asn1.RawValue
	}{0, asn1.RawValue{FullBytes: subject},
		spki{pkix.AlgorithmIdentifier{Algorithm: oidECKey, Parameters: asn1.RawValue{FullBytes: params}}, asn1.BitString{Bytes: pub, BitLength: 8 * len(pub)}},
		asn1.RawValue{FullBytes: []byte{0xa0, 0}}})
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256(info)
	sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	der, err := asn1.Marshal(struct {
		Info   asn1.RawValue
		SigAlg pkix.AlgorithmIdentifier
		Sig    asn1.BitString
	}{asn1.RawValue{FullBytes: info}, pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}},
		asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)}})
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

// badSignatureCSR is ecCSR with its signature's last byte changed.
func badSignatureCSR() string {
	b, _ := pem.Decode([]byte(ecCSR()))
	der := slices.Clone(b.Bytes)
	der[len(der)-1] ^= 0xff
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

func TestCreateOrderValidation(t *testing.T) {
	f := newFixture(t)
	org := f.newOrg("Validation Inc.", false)
	other := f.newOrg("Other Inc.", false)
	contact := userContact(t, org).ID
	rsa1024 := mustKey(rsa.GenerateKey(rand.Reader, 1024))
	p521 := mustKey(ecdsa.GenerateKey(elliptic.P521(), rand.Reader))
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	for _, tc := range []struct {
		name   string
		mutate func(*OrderRequest)
		field  string
		code   string
	}{
		{"garbage CSR", func(r *OrderRequest) { r.Cert.CSR = "hello" }, "cert.csr", VCodeCSRInvalid},
		{"missing CSR", func(r *OrderRequest) { r.Cert.CSR = "" }, "cert.csr", VCodeRequired},
		{"certificate instead of CSR", func(r *OrderRequest) { root, _ := f.s.CACertificates(); r.Cert.CSR = root }, "cert.csr", VCodeCSRInvalid},
		{"bad signature", func(r *OrderRequest) { r.Cert.CSR = badSignatureCSR() }, "cert.csr", VCodeCSRSignature},
		{"RSA 1024", func(r *OrderRequest) {
			r.Cert.CSR, r.Cert.AlgorithmHash = makeCSR(rsa1024, "www.example.com"), AlgorithmRSA
		}, "cert.csr", VCodeCSRKeyTooSmall},
		{"explicit curve", func(r *OrderRequest) { r.Cert.CSR = explicitCurveCSR(t, "www.example.com") }, "cert.csr", VCodeCSRExplicitCurve},
		{"P-521", func(r *OrderRequest) { r.Cert.CSR = makeCSR(p521, "www.example.com") }, "cert.csr", VCodeCSRCurve},
		{"Ed25519", func(r *OrderRequest) { r.Cert.CSR = makeCSR(edKey, "www.example.com") }, "cert.csr", VCodeCSRUnsupportedKey},
		{"algorithm mismatch", func(r *OrderRequest) { r.Cert.AlgorithmHash = AlgorithmRSA }, "cert.algorithmHash", VCodeAlgorithmMismatch},
		{"bad algorithm", func(r *OrderRequest) { r.Cert.AlgorithmHash = "DSA" }, "cert.algorithmHash", VCodeInvalidValue},
		{"CN differs from the CSR", func(r *OrderRequest) { r.Cert.CommonName = "api.example.com" }, "cert.csr", VCodeCNMismatch},
		{"missing CN", func(r *OrderRequest) { r.Cert.CommonName = "" }, "cert.commonName", VCodeRequired},
		{"bad CN", func(r *OrderRequest) { r.Cert.CommonName = "not a host"; r.Cert.CSR = noCNCSR() }, "cert.commonName", VCodeInvalidDomain},
		{"bad dnsName", func(r *OrderRequest) { r.Cert.DNSNames = []string{"ok.example.com", "-bad.example.com"} }, "cert.dnsNames[1]", VCodeInvalidDomain},
		{"IP dnsName", func(r *OrderRequest) { r.Cert.DNSNames = []string{"192.0.2.1"} }, "cert.dnsNames[0]", VCodeInvalidDomain},
		{"bad certType", func(r *OrderRequest) { r.CertType = "SSL_DV_BASIC" }, "certType", VCodeInvalidValue},
		{"missing certType", func(r *OrderRequest) { r.CertType = "" }, "certType", VCodeRequired},
		{"bad dcvMethod", func(r *OrderRequest) { r.Cert.DcvMethod = "WHOIS" }, "cert.dcvMethod", VCodeInvalidValue},
		{"missing dcvMethod", func(r *OrderRequest) { r.Cert.DcvMethod = "" }, "cert.dcvMethod", VCodeRequired},
		{"bad serverPlatform", func(r *OrderRequest) { r.Cert.ServerPlatform = "TOMCAT" }, "cert.serverPlatform", VCodeInvalidValue},
		{"bad rootHash", func(r *OrderRequest) { r.Cert.RootHash = "SHA_256" }, "cert.rootHash", VCodeInvalidValue},
		{"bad provider", func(r *OrderRequest) { r.Provider = "SECTIGO" }, "provider", VCodeInvalidValue},
		{"unknown organization", func(r *OrderRequest) { r.OrganizationID = newUUID() }, "organizationId", VCodeOrgNotFound},
		{"organization not a UUID", func(r *OrderRequest) { r.OrganizationID = "42" }, "organizationId", VCodeInvalidUUID},
		{"no contacts", func(r *OrderRequest) { r.Contacts = nil }, "contacts", VCodeRequired},
		{"unknown contact", func(r *OrderRequest) { r.Contacts[0].ID = newUUID() }, "contacts[0].id", VCodeContactNotFound},
		{"contact of another organization", func(r *OrderRequest) { r.Contacts[0].ID = userContact(t, other).ID }, "contacts[0].id", VCodeContactWrongOrg},
		{"bad contact type", func(r *OrderRequest) { r.Contacts[0].ContactTypes = []ContactType{{Type: "X"}} }, "contacts[0].contactTypes[0].type", VCodeInvalidValue},
		{"EV without EV approver", func(r *OrderRequest) { r.CertType = CertTypeEVBasic }, "contacts", VCodeEVApproverNeeded},
		{"bad additional email", func(r *OrderRequest) { r.AdditionalEmails = []string{"x"} }, "additionalEmails[0]", VCodeInvalidEmail},
		{"bad groupId", func(r *OrderRequest) { r.GroupID = "g1" }, "groupId", VCodeInvalidUUID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := orderReq(org, contact, "www.example.com", ecCSR())
			tc.mutate(&req)
			e := f.fail(http.MethodPost, api+"/order", req, http.StatusBadRequest)
			if !e.hasField(tc.field, tc.code) {
				t.Errorf("validations %+v, want %s %s", e.Validations, tc.field, tc.code)
			}
		})
	}
	if n := len(f.s.Orders()); n != 0 {
		t.Errorf("%d orders stored after refused creates", n)
	}
	// Several failures are answered together.
	req := orderReq(org, contact, "", "x")
	req.CertType = ""
	if e := f.fail(http.MethodPost, api+"/order", req, http.StatusBadRequest); len(e.Validations) < 3 {
		t.Errorf("validations %+v, want all failures", e.Validations)
	}
}

func TestCreateOrderAndIssue(t *testing.T) {
	f := newFixture(t)
	org := f.newOrg("Issue Inc.", false)
	contact := userContact(t, org).ID
	dns := []string{"example.com", "WWW.example.com", "*.api.example.com"}
	req := orderReq(org, contact, "www.example.com", ecCSR(), dns...)
	req.AdditionalEmails = []string{"ops@example.com"}
	resp, data := f.request(http.MethodPost, api+"/order", req)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("create: %d %s", resp.StatusCode, data)
	}
	for _, want := range []string{`"cert":null`, `"status":"CREATED"`, `"contacts":["`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("create answer lacks %s: %s", want, data)
		}
	}
	var created Order
	if err := json.Unmarshal(data, &created); err != nil {
		t.Fatal(err)
	}

	o := f.getOrder(created.ID)
	if o.Status != StatusDigiIssued {
		t.Fatalf("status %s, want DIGI_ISSUED at the first read (IssueDelay 0)", o.Status)
	}
	c := o.Cert
	if c == nil || c.EndEntityCert == "" || c.IntermediateCert == "" || c.RootCert == "" {
		t.Fatalf("cert %+v", c)
	}
	if o.ProviderID == 0 || c.ProviderID == 0 || !isUUID(c.ID) || c.SerialNumber == "" {
		t.Errorf("ids: order providerId %d, cert providerId %d, cert id %q, serial %q", o.ProviderID, c.ProviderID, c.ID, c.SerialNumber)
	}
	if !slices.Equal(c.DNSNames, dns) || c.CommonName != "www.example.com" || c.CSR != ecCSR() {
		t.Errorf("cert keeps dnsNames %v, commonName %q, CSR as sent?", c.DNSNames, c.CommonName)
	}
	if c.AlgorithmHash != AlgorithmECC || c.ServerPlatform != PlatformNginx || c.DcvMethod != DcvMethodDNSTXT {
		t.Errorf("cert fields %+v", c)
	}
	if o.Price == nil || o.Price.CertType != CertTypeOVBasic || o.Price.TotalPrice <= 0 {
		t.Errorf("price %+v", o.Price)
	}
	if len(o.Contacts) != 2 || o.Contacts[0] != contact {
		t.Errorf("contacts %v, want the given one and the technical contact", o.Contacts)
	}
	if o.Comments != "certsync:test" || !slices.Equal(o.AdditionalEmails, req.AdditionalEmails) || o.Locale != "en" {
		t.Errorf("order fields %+v", o)
	}
	now := f.clock.Now()
	if !c.DateValidFrom.Equal(now) || !c.DateValidUntil.Equal(now.Add(DefaultValidity)) {
		t.Errorf("validity %v .. %v, want now .. now+397d", c.DateValidFrom, c.DateValidUntil)
	}
	if c.DaysRemaining == nil || *c.DaysRemaining != 397 {
		t.Errorf("daysRemaining %v, want 397", c.DaysRemaining)
	}

	// The certificate is real: it chains to the CA, carries CN ∪ dnsNames
	// and the CSR's key.
	leaf, err := pemutil.Certificate([]byte(c.EndEntityCert))
	if err != nil {
		t.Fatal(err)
	}
	rootPEM, interPEM := f.s.CACertificates()
	if rootPEM != c.RootCert || interPEM != c.IntermediateCert {
		t.Error("the order's chain is not CACertificates()")
	}
	roots, inters := x509.NewCertPool(), x509.NewCertPool()
	roots.AppendCertsFromPEM([]byte(rootPEM))
	inters.AppendCertsFromPEM([]byte(interPEM))
	for _, name := range []string{"www.example.com", "example.com", "x.api.example.com"} {
		if _, err := leaf.Verify(x509.VerifyOptions{
			DNSName: name, Roots: roots, Intermediates: inters, CurrentTime: now.Add(time.Hour),
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}); err != nil {
			t.Errorf("verify for %s: %v", name, err)
		}
	}
	if want := []string{"www.example.com", "example.com", "*.api.example.com"}; !slices.Equal(leaf.DNSNames, want) {
		t.Errorf("SANs %v, want %v", leaf.DNSNames, want)
	}
	if leaf.Subject.CommonName != "www.example.com" || !slices.Equal(leaf.Subject.Organization, []string{"Issue Inc."}) {
		t.Errorf("subject %v", leaf.Subject)
	}
	if !leaf.PublicKey.(*ecdsa.PublicKey).Equal(ecKey().Public()) {
		t.Error("certificate key is not the CSR's")
	}
	// DigiCert shows serials as the bytes in hex (even length, leading zero
	// kept), not as a number.
	if got := strings.ToUpper(hex.EncodeToString(leaf.SerialNumber.Bytes())); got != c.SerialNumber {
		t.Errorf("serial %s, cert says %s", c.SerialNumber, got)
	}
	for _, want := range []string{"Order created", "Order submitted to DigiCert", DCVHistoryPrefix, "Domain control validation completed", "DigiCert is processing", "Certificate issued"} {
		if !historyHas(o, want) {
			t.Errorf("history lacks %q: %+v", want, o.History)
		}
	}
}

func TestCreateOrderRSAAndNoCN(t *testing.T) {
	f := newFixture(t)
	org := f.newOrg("RSA Inc.", false)
	req := orderReq(org, userContact(t, org).ID, "rsa.example.com", makeCSR(rsaKey(), "RSA.example.com"))
	req.Cert.AlgorithmHash = ""
	req.SkipPrice = true
	o := f.newOrder(req)
	o = f.getOrder(o.ID)
	if o.Status != StatusDigiIssued || o.Cert.AlgorithmHash != AlgorithmRSA || o.Price != nil {
		t.Errorf("RSA order: status %s, algorithmHash %s (derived), price %v (skipped)", o.Status, o.Cert.AlgorithmHash, o.Price)
	}
	leaf, err := pemutil.Certificate([]byte(o.Cert.EndEntityCert))
	if err != nil || leaf.KeyUsage&x509.KeyUsageKeyEncipherment == 0 {
		t.Errorf("RSA leaf: %v, key usage %v", err, leaf.KeyUsage)
	}
	// A CSR without a CN takes the order's names.
	o2 := f.newOrder(orderReq(org, userContact(t, org).ID, "nocn.example.com", noCNCSR()))
	if o2 = f.getOrder(o2.ID); o2.Status != StatusDigiIssued {
		t.Errorf("CN-less CSR order: %s", o2.Status)
	}
	// Contacts may be given as bare ids, the response shape.
	raw := `{"organizationId":"` + org.ID + `","contacts":["` + userContact(t, org).ID + `"],"certType":"SSL_DV_THAWTE",` +
		`"locale":"en","provider":"DIGICERT","cert":{"commonName":"dv.example.com","csr":` + jsonString(noCNCSR()) + `,"dcvMethod":"EMAIL","dcvEmails":[]}}`
	var o3 Order
	f.call(http.MethodPost, api+"/order", raw, http.StatusAccepted, &o3)
	if o3 = f.getOrder(o3.ID); o3.Status != StatusDigiIssued || o3.Provider != ProviderDigiCert || o3.Locale != "en" {
		t.Errorf("minimal order %+v", o3)
	}
	leaf, _ = pemutil.Certificate([]byte(o3.Cert.EndEntityCert))
	if len(leaf.Subject.Organization) != 0 {
		t.Errorf("DV certificate carries O=%v", leaf.Subject.Organization)
	}
	if !historyHas(o3, "DCV e-mail sent to the registered DCV contacts") {
		t.Errorf("EMAIL DCV history %+v", o3.History)
	}
}

func jsonString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

func TestListOrders(t *testing.T) {
	f := newFixture(t)
	orgA := f.newOrg("List A", false)
	orgB := f.newOrg("List B", true)
	var ids []string
	add := func(org Organization, certType, cn string) Order {
		req := orderReq(org, userContact(t, org).ID, cn, noCNCSR())
		req.CertType = certType
		o := f.newOrder(req)
		ids = append(ids, o.ID)
		return o
	}
	add(orgA, CertTypeOVBasic, "a1.example.com")
	add(orgA, CertTypeDVGeoTrust, "a2.example.com")
	add(orgB, CertTypeEVBasic, "b1.example.com")
	f.clock.Advance(24 * time.Hour)
	f.token = f.authenticate()
	last := add(orgB, CertTypeOVBasic, "b2.example.com")
	f.call(http.MethodGet, api+"/order/"+last.ID, nil, http.StatusOK, nil)
	if err := f.s.SetStatus(ids[1], StatusDigiPending); err != nil {
		t.Fatal(err)
	}
	list := func(q string) PagedList[Order] {
		t.Helper()
		var p PagedList[Order]
		f.call(http.MethodGet, api+"/order?"+q, nil, http.StatusOK, &p)
		return p
	}
	cns := func(p PagedList[Order]) string {
		var out []string
		for _, o := range p.Content {
			out = append(out, o.Cert.CommonName)
		}
		return strings.Join(out, ",")
	}
	b1 := f.getOrder(ids[2])
	firstUntil := b1.Cert.DateValidUntil.Format(time.DateOnly)
	for _, tc := range []struct {
		name, q, want string
		page          Page
	}{
		{"all", "", "a1.example.com,a2.example.com,b1.example.com,b2.example.com", Page{20, 4, 1, 0}},
		{"organizationId", "organizationId=" + orgB.ID, "b1.example.com,b2.example.com", Page{20, 2, 1, 0}},
		{"providerId", "providerId=" + url.QueryEscape(fmtInt(b1.ProviderID)), "b1.example.com", Page{20, 1, 1, 0}},
		{"certificateTypes comma", "certificateTypes=SSL_EV_BASIC,SSL_DV_GEOTRUST", "a2.example.com,b1.example.com", Page{20, 2, 1, 0}},
		{"certificateTypes repeated", "certificateTypes=SSL_EV_BASIC&certificateTypes=SSL_DV_GEOTRUST", "a2.example.com,b1.example.com", Page{20, 2, 1, 0}},
		{"statuses", "statuses=DIGI_PENDING", "a2.example.com", Page{20, 1, 1, 0}},
		{"commonNames", "commonNames=B2.example.com,a1.example.com", "a1.example.com,b2.example.com", Page{20, 2, 1, 0}},
		// a2 was issued before it was forced back to pending: its cert counts.
		{"validUntil date", "validUntil=" + firstUntil, "a1.example.com,a2.example.com,b1.example.com", Page{20, 3, 1, 0}},
		{"page 1 size 3", "size=3&page=1", "b2.example.com", Page{3, 4, 2, 1}},
		{"past the end", "size=3&page=2", "", Page{3, 4, 2, 2}},
		{"sort", "sort=commonName,desc&size=2", "b2.example.com,b1.example.com", Page{2, 4, 2, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := list(tc.q)
			if got := cns(p); got != tc.want {
				t.Errorf("common names %q, want %q", got, tc.want)
			}
			if p.Page != tc.page {
				t.Errorf("page %+v, want %+v", p.Page, tc.page)
			}
		})
	}
	// List entries carry the whole cert with the chain, and no history.
	for _, o := range list("statuses=DIGI_ISSUED").Content {
		if o.Cert.EndEntityCert == "" || o.Cert.IntermediateCert == "" || o.Cert.RootCert == "" || o.History != nil {
			t.Errorf("list entry %s: chain or history wrong", o.ID)
		}
	}
	for _, q := range []string{"statuses=ISSUED", "certificateTypes=SSL", "providerId=x", "organizationId=x", "validUntil=soon"} {
		if e := f.fail(http.MethodGet, api+"/order?"+q, nil, http.StatusBadRequest); len(e.Validations) != 1 {
			t.Errorf("%s: %+v", q, e)
		}
	}
}

func fmtInt(n int64) string { return big.NewInt(n).String() }

func TestPrices(t *testing.T) {
	f := newFixture(t)
	var prices []Price
	f.call(http.MethodGet, api+"/order/prices", nil, http.StatusOK, &prices)
	var types []string
	for _, p := range prices {
		types = append(types, p.CertType)
		if p.Provider != ProviderDigiCert || p.Term != 1 || p.TotalPrice <= 0 || len(p.Products) == 0 || p.ErrorMessage != nil {
			t.Errorf("price %+v", p)
		}
	}
	if !slices.Equal(types, CertTypes()) {
		t.Errorf("price list types %v, want all 12", types)
	}
}

func TestDownloadCert(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.IssueDelay = time.Hour })
	org := f.newOrg("Download Inc.", false)
	o := f.newOrder(orderReq(org, userContact(t, org).ID, "www.example.com", ecCSR(), "example.com"))
	path := api + "/order/" + o.ID + "/downloadCert?format="
	if e := f.fail(http.MethodGet, path+"pem_all", nil, http.StatusConflict); e.code() != CodeOrderCertNotReady {
		t.Errorf("download while pending: %+v", e)
	}
	f.clock.Advance(time.Hour)
	issued := f.getOrder(o.ID)
	rootPEM, interPEM := f.s.CACertificates()

	resp, body := f.request(http.MethodGet, path+"pem_all", nil, "Accept", "application/x-pkcs7-certificates")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/x-pem-file" {
		t.Fatalf("pem_all: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if string(body) != issued.Cert.EndEntityCert+interPEM+rootPEM {
		t.Errorf("pem_all is not end-entity + intermediate + root:\n%s", body)
	}

	for _, accept := range []string{"application/x-pkcs7-certificates", "*/*", ""} {
		resp, body = f.request(http.MethodGet, path+"P7B", nil, "Accept", accept)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/x-pkcs7-certificates" {
			t.Fatalf("p7b (Accept %q): %d %s", accept, resp.StatusCode, body)
		}
	}
	if !strings.HasPrefix(string(body), "-----BEGIN PKCS7-----") {
		t.Fatalf("p7b is not PEM-armoured PKCS7: %s", body)
	}
	certs := parsePKCS7PEM(t, body)
	if len(certs) != 3 || certs[0].SerialNumber.Text(16) != strings.ToLower(strings.TrimLeft(issued.Cert.SerialNumber, "0")) {
		t.Errorf("p7b holds %d certificates, first %v", len(certs), certs)
	}
	opensslReadsPKCS7(t, body, 3)

	for _, tc := range []struct {
		q, accept string
		want      int
		code      string
	}{
		{"", "", http.StatusBadRequest, VCodeRequired},
		{"der", "", http.StatusBadRequest, VCodeInvalidValue},
	} {
		if e := f.fail(http.MethodGet, path+tc.q, nil, tc.want, "Accept", tc.accept); e.code() != tc.code {
			t.Errorf("format %q Accept %q: %+v", tc.q, tc.accept, e)
		}
	}
	// The endpoint produces application/x-pkcs7-certificates only: any other
	// Accept is refused by content negotiation, before the format is read.
	for _, accept := range []string{"application/json", "application/x-pem-file", "text/plain", "application/x-pkcs7-certificates;q=0"} {
		for _, q := range []string{"pem_all", "p7b", ""} {
			var se SpringError
			f.call(http.MethodGet, path+q, nil, http.StatusNotAcceptable, &se, "Accept", accept)
			if se.Status != http.StatusNotAcceptable || se.Error != "Not Acceptable" || se.Path != api+"/order/"+o.ID+"/downloadCert" {
				t.Errorf("format %q Accept %q: %+v", q, accept, se)
			}
		}
	}
	f.action(o.ID, ActionRevoke, "{}", http.StatusOK)
	f.fail(http.MethodGet, path+"pem_all", nil, http.StatusConflict)
}

func TestParseCSR(t *testing.T) {
	f := newFixture(t)
	var out []ParsedCSR
	f.call(http.MethodPost, api+"/cert/parse", []string{makeCSR(ecKey(), "www.example.com", "example.com"), makeCSR(rsaKey(), "rsa.example.com")}, http.StatusOK, &out)
	if len(out) != 2 {
		t.Fatalf("parsed %d", len(out))
	}
	want := ParsedCSR{CommonName: "www.example.com", Organization: "Example Inc.", Country: "US", DNSNames: []string{"example.com"},
		SignatureAlgorithm: "ECDSA-SHA256", KeyAlgorithm: AlgorithmECC, KeySize: 256, OrganizationUnits: []string{}}
	got := out[0]
	got.CSR = ""
	if !equalJSON(got, want) {
		t.Errorf("parsed %+v, want %+v", got, want)
	}
	if out[1].KeyAlgorithm != AlgorithmRSA || out[1].KeySize != 2048 || out[1].SignatureAlgorithm != "SHA256-RSA" {
		t.Errorf("parsed RSA %+v", out[1])
	}
	if e := f.fail(http.MethodPost, api+"/cert/parse", []string{ecCSR(), "junk"}, http.StatusBadRequest); !e.hasField("[1]", VCodeCSRInvalid) {
		t.Errorf("bad CSR in the list: %+v", e)
	}
	if e := f.fail(http.MethodPost, api+"/cert/parse", `{"csr":"x"}`, http.StatusBadRequest); e.code() != CodeBadRequest {
		t.Errorf("not a list: %+v", e)
	}
}

func TestDropAfterCommitCreatesOneOrder(t *testing.T) {
	f := newFixture(t)
	org := f.newOrg("Drop Inc.", false)
	f.s.Faults().Add(sim.Fault{Method: http.MethodPost, Path: api + "/order", DropAfterCommit: true, Times: 1})
	body := orderReq(org, userContact(t, org).ID, "www.example.com", ecCSR())
	req, _ := http.NewRequest(http.MethodPost, f.ts.URL+api+"/order", strings.NewReader(mustJSONString(body)))
	req.Header.Set("X-API-KEY", testAPIKey)
	req.Header.Set("Authorization", "Bearer "+f.token)
	req.Header.Set("Content-Type", "application/json")
	if resp, err := f.ts.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("the connection was not dropped")
	}
	orders := f.s.Orders()
	if len(orders) != 1 || orders[0].Comments != "certsync:test" {
		t.Fatalf("%d orders after a dropped create, want exactly 1", len(orders))
	}
	// A reconciling client finds it by listing.
	var p PagedList[Order]
	f.call(http.MethodGet, api+"/order?commonNames=www.example.com&organizationId="+org.ID, nil, http.StatusOK, &p)
	if p.Page.TotalElements != 1 || p.Content[0].Cert.CSR != ecCSR() {
		t.Errorf("list after drop: %+v", p.Page)
	}
	if n := f.s.Faults().Count("POST " + api + "/order"); n != 1 {
		t.Errorf("POST count %d", n)
	}
}
