package markmonitor

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/sim"
	"github.com/certsync/certsync/internal/vendors/markmonitor/mmsim"
)

// Each paid change shows its price from the price list, read once per plan
// and only when something paid is planned; the plan totals them.
func TestPaidChangesArePriced(t *testing.T) {
	h := newHarness(t, mmsim.Options{})
	ev := strings.Replace(orderYAML("api", ""), "SSL_OV_BASIC", "SSL_EV_BASIC", 1)
	inv := h.inventory(orderYAML("www", ""), ev)
	h.sim.Faults().ResetCounts()
	p := plan(t, h.vendorWith(nil), inv)
	if n := h.sim.Faults().Count("GET /certs/v1/order/prices"); n != 1 {
		t.Errorf("price list read %d times, want once", n)
	}
	got := map[string]*diff.Price{}
	for _, c := range p.Changes {
		got[c.Address.String()] = c.Price
	}
	want := map[string]*diff.Price{
		"markmonitor/organization/Example Inc.": nil, // not paid
		"markmonitor/order/www":                 {Amount: "295", Currency: "USD", Note: "price-list term 1"},
		"markmonitor/order/api":                 {Amount: "595", Currency: "USD", Note: "price-list term 1"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("prices (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]diff.Price{{Amount: "890", Currency: "USD"}}, p.PriceTotals); d != "" {
		t.Errorf("totals (-want +got):\n%s", d)
	}
	if text := textOf(p); !strings.Contains(text, "price: 295 USD (price-list term 1)") || !strings.Contains(text, "Price: 890 USD (2 paid change(s))") {
		t.Errorf("text plan:\n%s", text)
	}

	// Nothing paid planned: the price list is not read.
	mustOK(t, run(t, h.vendor(), p))
	h.sim.Faults().ResetCounts()
	if p := plan(t, h.vendor(), inv); !p.Empty() || len(p.PriceTotals) != 0 {
		t.Fatalf("second plan:\n%s", textOf(p))
	}
	if n := h.sim.Faults().Count("GET /certs/v1/order/prices"); n != 0 {
		t.Errorf("a plan with nothing paid read the price list %d times", n)
	}
}

// A price list that cannot be read leaves the changes unpriced, with a
// note, and the plan whole.
func TestPriceListFailure(t *testing.T) {
	h := newHarness(t, mmsim.Options{})
	inv := h.inventory(orderYAML("www", ""))
	h.sim.Faults().Add(sim.Fault{Method: http.MethodGet, Path: "/certs/v1/order/prices", Status: http.StatusNotFound, Body: `{"errors":[{"code":"request.notFound","message":"no prices"}]}`})
	p := plan(t, h.vendor(), inv)
	c := p.Changes[len(p.Changes)-1]
	if c.Action != diff.Create || c.Price != nil || !strings.Contains(strings.Join(c.Notes, "\n"), "price unknown: the price list could not be read") {
		t.Fatalf("change %+v", c)
	}
	p.Describe(Actions...)
	if line := p.CostLine(); line != "Price: unknown (1 paid change(s), 1 without a price)" {
		t.Errorf("cost line %q", line)
	}
}

func TestPriceOf(t *testing.T) {
	errMsg := "not sold"
	list := []PriceEntry{
		{CertType: "SSL_OV_BASIC", Term: 2, TotalPrice: "550"},
		{CertType: "SSL_OV_BASIC", Term: 1, TotalPrice: "295.50"},
		{CertType: "SSL_EV_BASIC", Term: 1, TotalPrice: "1", ErrorMessage: &errMsg},
		{CertType: "SSL_DV_THAWTE", Term: 1, TotalPrice: "1.595E2"},
		{CertType: "SSL_DV_GEOTRUST", Term: 1, TotalPrice: "1.234567891E-1"},
		{CertType: "SSL_OV_THAWTE_WEBSERVER", Term: 1, TotalPrice: "0.1234567891"}, // plain decimals are exact at any length
	}
	for _, tc := range []struct {
		certType string
		want     *diff.Price
		why      string
	}{
		{"SSL_OV_BASIC", &diff.Price{Amount: "295.50", Currency: "EUR", Note: "price-list term 1"}, ""},
		{"SSL_EV_BASIC", nil, "no price for SSL_EV_BASIC"},
		{"SSL_OV_SECURESITE", nil, "no price for SSL_OV_SECURESITE"},
		{"SSL_DV_THAWTE", &diff.Price{Amount: "159.5", Currency: "EUR", Note: "price-list term 1"}, ""},
		{"SSL_DV_GEOTRUST", nil, "more than 8 decimals"},
		{"SSL_OV_THAWTE_WEBSERVER", &diff.Price{Amount: "0.1234567891", Currency: "EUR", Note: "price-list term 1"}, ""},
	} {
		got, why := priceOf(list, tc.certType, "EUR")
		if d := cmp.Diff(tc.want, got); d != "" || !strings.Contains(why, tc.why) || (tc.why == "") != (why == "") {
			t.Errorf("%s: %s, why %q", tc.certType, d, why)
		}
	}
}

// The price list is decoded without floats, from a plain array or a paged
// envelope.
func TestPricesDecoding(t *testing.T) {
	for _, body := range []string{
		`[{"certType":"SSL_OV_BASIC","provider":"DIGICERT","term":1,"totalPrice":9007199254740993.01,"products":[],"errorMessage":null}]`,
		`{"content":[{"certType":"SSL_OV_BASIC","term":1,"totalPrice":9007199254740993.01}],"page":{"size":1,"totalElements":1,"totalPages":1,"number":0}}`,
	} {
		h := newHarness(t, mmsim.Options{})
		h.sim.Faults().Add(sim.Fault{Method: http.MethodGet, Path: "/certs/v1/order/prices", Status: http.StatusOK, Body: body})
		list, err := h.vendor().client.Prices(t.Context())
		if err != nil || len(list) != 1 || list[0].TotalPrice != json.Number("9007199254740993.01") {
			t.Errorf("%s: %+v %v", body, list, err)
		}
	}
}
