package markmonitor

import (
	"encoding/json"
	"net/http"
	"slices"
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

// A reissue is billed at most for the names it adds: one that only removes
// names carries no price (and reads no price list), one that adds names is
// priced per added name when the price list states a per-name price, and
// is otherwise unpriced with a note. It stays paid for the guards.
func TestReissuePrice(t *testing.T) {
	const alt = "dns_names: [www-alt.example.com]"
	for _, tc := range []struct {
		name, certType, names string
		want                  *diff.Price
		note, costLine        string
		readsPrices           int
	}{
		{name: "removes a name", certType: "SSL_OV_BASIC", names: "dns_names: []",
			note: "no price: a reissue is billed only for names it adds and this one adds none", costLine: "Price: unknown (1 paid change(s), 1 without a price)"},
		{name: "adds two names", certType: "SSL_OV_BASIC", names: "dns_names: [www-alt.example.com, a.example.com, b.example.com]",
			want: &diff.Price{Amount: "158", Currency: "USD", Note: "2 added name(s) at 79 each, price-list term 1"}, costLine: "Price: 158 USD (1 paid change(s))", readsPrices: 1},
		{name: "swaps a name", certType: "SSL_OV_BASIC", names: "dns_names: [a.example.com]",
			want: &diff.Price{Amount: "79", Currency: "USD", Note: "1 added name(s) at 79 each, price-list term 1"}, costLine: "Price: 79 USD (1 paid change(s))", readsPrices: 1},
		{name: "adds a name, no per-name price", certType: "SSL_DV_THAWTE", names: "dns_names: [www-alt.example.com, a.example.com]",
			note: "price unknown: a reissue is billed only for names it adds; the price list states no per-name price for SSL_DV_THAWTE", costLine: "Price: unknown (1 paid change(s), 1 without a price)", readsPrices: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, mmsim.Options{})
			item := strings.Replace(orderYAML("www", ""), "SSL_OV_BASIC", tc.certType, 1)
			mustOK(t, run(t, h.vendorWith(nil), plan(t, h.vendorWith(nil), h.inventory(item))))
			h.sim.Faults().ResetCounts()
			p := plan(t, h.vendorWith(nil), h.inventory(strings.Replace(item, alt, tc.names, 1)))
			if n := h.sim.Faults().Count("GET /certs/v1/order/prices"); n != tc.readsPrices {
				t.Errorf("price list read %d times, want %d", n, tc.readsPrices)
			}
			if len(p.Changes) != 1 || p.Changes[0].Action != Reissue {
				t.Fatalf("want one reissue:\n%s", textOf(p))
			}
			c := p.Changes[0]
			if d := cmp.Diff(tc.want, c.Price); d != "" {
				t.Errorf("price (-want +got):\n%s", d)
			}
			if tc.note != "" && !slices.Contains(c.Notes, tc.note) {
				t.Errorf("notes %q, want %q", c.Notes, tc.note)
			}
			p.Describe(Actions...)
			if !p.SpecOf(c.Address, c.Action).Paid {
				t.Error("a reissue must stay paid for the guards")
			}
			if line := p.CostLine(); line != tc.costLine {
				t.Errorf("cost line %q, want %q", line, tc.costLine)
			}
		})
	}
}

// A per-name price is recognised by its product's words; the certificate's
// own price is not one.
func TestPerNameProduct(t *testing.T) {
	for _, tc := range []struct {
		product, item string
		want          bool
	}{
		{"ssl_basic", "certificate, 1 year", false},
		{"ssl_basic", "additional name (SAN), 1 year", true},
		{"ssl_basic_san", "1 year", true},
		{"ssl_basic", "Additional FQDNs", true},
		{"ssl_basic", "extra domain", true},
		{"ssl_basic", "additional year", false},
		{"business", "domain validation", false},
	} {
		e := &PriceEntry{Products: []PriceProduct{{Product: tc.product, Item: tc.item, Price: "10"}}}
		if got := perNameProduct(e) != nil; got != tc.want {
			t.Errorf("%s / %s: per-name %v, want %v", tc.product, tc.item, got, tc.want)
		}
	}
	list := []PriceEntry{{CertType: "SSL_OV_BASIC", Term: 1, TotalPrice: "295", Products: []PriceProduct{{Item: "additional SAN", Price: "12.50"}}}}
	got, why := reissuePriceOf(list, "SSL_OV_BASIC", "", 3)
	if d := cmp.Diff(&diff.Price{Amount: "37.50", Note: "3 added name(s) at 12.50 each, price-list term 1"}, got); d != "" || why != "" {
		t.Errorf("reissue price %s, why %q", d, why)
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
