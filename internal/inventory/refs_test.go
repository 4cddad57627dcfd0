package inventory_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/testfixture"
	"github.com/certsync/certsync/internal/vendors"
)

// Items refer to other sections' items by address; only a section that
// publishes bundles answers, and only for its own items.
func TestBundleByAddress(t *testing.T) {
	inv := testfixture.LoadOK(t, testfixture.MarkmonitorOrg("ORGANIZATION_CONTACT")+`  orders:
    - name: www
      organization: Example Inc.
      cert_type: SSL_OV_BASIC
      common_name: www.example.com
      dcv_method: DNS_TXT_TOKEN
      private_key: keys/www.key
      output:
        certificate: out/www.crt
`+"ccadb:\n  intermediates: []\n", vendors.Sections()...)
	f, err := inv.Bundle("markmonitor/order/www")
	if err != nil {
		t.Fatal(err)
	}
	if f.Certificate != filepath.Join(inv.Dir, "out/www.crt") || f.Key != filepath.Join(inv.Dir, "keys/www.key") || f.Chain != "" {
		t.Errorf("bundle files = %+v", f)
	}
	tests := []struct {
		addr string
		want error
	}{
		{"markmonitor/order/nope", inventory.ErrNoItem},
		{"markmonitor/organization/Example Inc.", inventory.ErrNoItem},
		{"nothere/order/www", inventory.ErrNoItem},
		{"ccadb/intermediate/x", inventory.ErrNotBundle},
		{"www", nil},
	}
	for _, tt := range tests {
		_, err := inv.Bundle(tt.addr)
		if err == nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("Bundle(%q) = %v, want %v", tt.addr, err, tt.want)
		}
	}
}

// The names an order declares are what a CDN item deploying it may serve:
// a domain they leave out is refused offline, at its domains entry, before
// the paid reissue that would follow and the binding QUANTIL would refuse.
func TestCertificateNamesByAddress(t *testing.T) {
	const order = `  orders:
    - name: www
      organization: Example Inc.
      cert_type: SSL_OV_BASIC
      common_name: www.example.com
      dns_names: [%s]
      dcv_method: DNS_TXT_TOKEN
      private_key: keys/www.key
      output:
        certificate: out/www.crt
quantil:
  certificates:
    - name: www.example.com
      from: markmonitor/order/www
      domains: [www.example.com, example.com]
`
	inv := testfixture.LoadOK(t, testfixture.MarkmonitorOrg("ORGANIZATION_CONTACT")+fmt.Sprintf(order, "Example.com"), vendors.Sections()...)
	names, ok := inv.CertificateNames("markmonitor/order/www")
	if !ok || strings.Join(names, ",") != "www.example.com,example.com" {
		t.Errorf("CertificateNames = %v, %v", names, ok)
	}
	for _, addr := range []string{"markmonitor/order/nope", "markmonitor/organization/Example Inc.", "ccadb/intermediate/x", "www"} {
		if names, ok := inv.CertificateNames(addr); ok {
			t.Errorf("CertificateNames(%q) = %v", addr, names)
		}
	}

	path := testfixture.WriteInventory(t, testfixture.MarkmonitorOrg("ORGANIZATION_CONTACT")+fmt.Sprintf(order, ""), nil)
	_, err := inventory.Load(path, vendors.Sections())
	testfixture.CheckProblems(t, path, err, []testfixture.Want{{Line: 31, Col: 34, Path: "quantil.certificates[0].domains[1]",
		Msg: "example.com is not covered by the certificate markmonitor/order/www will carry (names www.example.com)"}})
}
