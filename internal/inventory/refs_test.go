package inventory_test

import (
	"errors"
	"path/filepath"
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
