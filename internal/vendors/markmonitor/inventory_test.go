package markmonitor_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/testfixture"
	"github.com/certsync/certsync/internal/vendors"
	"github.com/certsync/certsync/internal/vendors/markmonitor"
)

var mmOrg = testfixture.MarkmonitorOrg("ORGANIZATION_CONTACT") + `  orders:
    - name: www
      organization: Example Inc.
      cert_type: SSL_OV_BASIC
      common_name: www.example.com
      dns_names: [example.com]
      dcv_method: DNS_TXT_TOKEN
`

func csrPEM(t *testing.T, key any, cn string) string {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

func TestMarkmonitorMistakes(t *testing.T) {
	rsa1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tests := []struct {
		name  string
		yaml  string
		files map[string]string
		want  []testfixture.Want
	}{
		{"no key or csr", mmOrg, nil,
			[]testfixture.Want{{Line: 18, Col: 7, Path: "markmonitor.orders[0].private_key", Msg: "is required (or csr)"}}},
		{"unknown cert type", strings.Replace(mmOrg, "SSL_OV_BASIC", "SSL_OV_FANCY", 1) + "      private_key: k.pem\n", nil,
			[]testfixture.Want{{Line: 20, Col: 18, Path: "markmonitor.orders[0].cert_type", Msg: `"SSL_OV_FANCY" is not one of`}}},
		{"wrong-case dcv method", strings.Replace(mmOrg, "DNS_TXT_TOKEN", "dns_txt_token", 1) + "      private_key: k.pem\n", nil,
			[]testfixture.Want{{Line: 23, Col: 19, Path: "markmonitor.orders[0].dcv_method", Msg: `did you mean "DNS_TXT_TOKEN"`}}},
		{"unknown contact type", strings.Replace(mmOrg, "[ORGANIZATION_CONTACT]", "[ORGANIZATION_CONTACT, BILLING]", 1) + "      private_key: k.pem\n", nil,
			[]testfixture.Want{{Line: 16, Col: 41, Path: "markmonitor.organizations[0].contacts[0].types[1]", Msg: `"BILLING" is not one of`}}},
		{"unknown organization", strings.Replace(mmOrg, "organization: Example Inc.", "organization: Example Corp.", 1) + "      private_key: k.pem\n", nil,
			[]testfixture.Want{{Line: 19, Col: 21, Path: "markmonitor.orders[0].organization", Msg: `"Example Corp." is not an organization of this inventory`}}},
		{"EV without approver", strings.Replace(mmOrg, "SSL_OV_BASIC", "SSL_EV_BASIC", 1) + "      private_key: k.pem\n", nil,
			[]testfixture.Want{{Line: 20, Col: 18, Path: "markmonitor.orders[0].cert_type", Msg: "needs an EXTENDED_VALIDATION_APPROVER"}}},
		{"bad common name", strings.Replace(mmOrg, "common_name: www.example.com", "common_name: www..example.com", 1) + "      private_key: k.pem\n", nil,
			[]testfixture.Want{{Line: 21, Col: 20, Path: "markmonitor.orders[0].common_name", Msg: "is not a valid DNS name"}}},
		{"SAN repeats the CN", strings.Replace(mmOrg, "dns_names: [example.com]", "dns_names: [WWW.example.com]", 1) + "      private_key: k.pem\n", nil,
			[]testfixture.Want{{Line: 22, Col: 19, Path: "markmonitor.orders[0].dns_names[0]", Msg: "listed twice"}}},
		{"1024-bit RSA key", mmOrg + "      private_key: k.pem\n", map[string]string{"k.pem": testfixture.KeyPEM(t, rsa1024)},
			[]testfixture.Want{{Line: 24, Col: 20, Path: "markmonitor.orders[0].private_key", Msg: "1024-bit RSA key"}}},
		{"unsupported curve in CSR", mmOrg + "      csr: r.csr\n", map[string]string{"r.csr": csrPEM(t, p224, "www.example.com")},
			[]testfixture.Want{{Line: 24, Col: 12, Path: "markmonitor.orders[0].csr", Msg: "P-256 and P-384"}}},
		{"CSR for another name", mmOrg + "      csr: r.csr\n", map[string]string{"r.csr": csrPEM(t, p256, "api.example.com")},
			[]testfixture.Want{{Line: 24, Col: 12, Path: "markmonitor.orders[0].csr", Msg: `has CN "api.example.com" but common_name is "www.example.com"`}}},
		{"algorithm does not match key", mmOrg + "      csr: r.csr\n      algorithm: RSA\n", map[string]string{"r.csr": csrPEM(t, p256, "www.example.com")},
			[]testfixture.Want{{Line: 25, Col: 18, Path: "markmonitor.orders[0].algorithm", Msg: "is RSA but the key is ECC"}}},
		{"csr and key both", mmOrg + "      csr: r.csr\n      private_key: k.pem\n", nil,
			[]testfixture.Want{{Line: 24, Col: 12, Path: "markmonitor.orders[0].csr", Msg: "either csr or private_key"}}},
		{"rekey with a CSR", mmOrg + "      csr: r.csr\n      rekey: true\n", map[string]string{"r.csr": csrPEM(t, p256, "www.example.com")},
			[]testfixture.Want{{Line: 25, Col: 14, Path: "markmonitor.orders[0].rekey", Msg: "needs private_key"}}},
		{"bad renew_before", mmOrg + "      private_key: k.pem\n      renew_before: soon\n", nil,
			[]testfixture.Want{{Line: 25, Col: 21, Path: "markmonitor.orders[0].renew_before", Msg: "not a duration"}}},
		{"bad state", mmOrg + "      private_key: k.pem\n      state: deleted\n", nil,
			[]testfixture.Want{{Line: 25, Col: 14, Path: "markmonitor.orders[0].state", Msg: `"deleted" is not one of`}}},
		{"order name with a space", strings.Replace(mmOrg, "name: www", "name: w w", 1) + "      private_key: k.pem\n", nil,
			[]testfixture.Want{{Line: 18, Col: 13, Path: "markmonitor.orders[0].name", Msg: "must not contain"}}},
		{"organization without contacts", strings.Replace(mmOrg, "          types: [ORGANIZATION_CONTACT]\n", "          types: [ORGANIZATION_CONTACT]\n          state: absent\n", 1) + "      private_key: k.pem\n", nil,
			[]testfixture.Want{{Line: 3, Col: 7, Path: "markmonitor.organizations[0].contacts", Msg: "needs at least one contact"}}},
		{"bad country", strings.Replace(mmOrg, "country: US", "country: USA", 1) + "      private_key: k.pem\n", nil,
			[]testfixture.Want{{Line: 7, Col: 16, Path: "markmonitor.organizations[0].country", Msg: "two-letter"}}},
		{"bad contact email", strings.Replace(mmOrg, "email: pki@example.com", "email: pki-at-example.com", 1) + "      private_key: k.pem\n", nil,
			[]testfixture.Want{{Line: 11, Col: 18, Path: "markmonitor.organizations[0].contacts[0].email", Msg: "is not an e-mail address"}}},
		{"two orders share a key file", mmOrg + "      private_key: k.pem\n" + strings.Replace(strings.SplitAfter(mmOrg, "  orders:\n")[1], "name: www", "name: api", 1) + "      private_key: k.pem\n", nil,
			[]testfixture.Want{{Line: 31, Col: 20, Path: "markmonitor.orders[1].private_key", Msg: "is also written by markmonitor.orders[0].private_key"}}},
		{"order contact not in organization", mmOrg + "      private_key: k.pem\n      contacts: [ops@example.com]\n", nil,
			[]testfixture.Want{{Line: 25, Col: 18, Path: "markmonitor.orders[0].contacts[0]", Msg: "is not a contact of organization"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := testfixture.WriteInventory(t, tc.yaml, tc.files)
			_, err := inventory.Load(path, vendors.Sections())
			testfixture.CheckProblems(t, path, err, tc.want)
		})
	}
}

func TestMarkmonitorValid(t *testing.T) {
	inv := testfixture.LoadOK(t, mmOrg+"      private_key: keys/www.key\n      key_type: ecdsa-p256\n      renew_before: 30d\n", vendors.Sections()...)
	o := markmonitor.SectionOf(inv).Orders[0]
	if !strings.HasSuffix(o.KeyPath, "/keys/www.key") {
		t.Errorf("KeyPath = %q, want an absolute path under the inventory", o.KeyPath)
	}
	for in, want := range map[string]string{"30d": "720h0m0s", "1d12h": "36h0m0s", "720h": "720h0m0s"} {
		d, err := inventory.ParseDuration(in)
		if err != nil || d.String() != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %s", in, d, err, want)
		}
	}
	for _, bad := range []string{"", "d", "-3d", "0d", "3x"} {
		if _, err := inventory.ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) accepted", bad)
		}
	}
}
