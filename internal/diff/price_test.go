package diff_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/certsync/certsync/internal/diff"
)

func TestPriceTotalsAreExactPerCurrency(t *testing.T) {
	mk := func(amount, cur string) diff.Change {
		return diff.Change{Price: &diff.Price{Amount: amount, Currency: cur}}
	}
	for _, tc := range []struct {
		name    string
		changes []diff.Change
		want    []diff.Price
	}{
		{"none", nil, []diff.Price{}},
		{"unpriced change", []diff.Change{{}}, []diff.Price{}},
		// 0.1 + 0.2 is 0.30000000000000004 in floating point.
		{"exact decimals", []diff.Change{mk("0.1", "USD"), mk("0.2", "USD")}, []diff.Price{{Amount: "0.3", Currency: "USD"}}},
		{"widest scale wins", []diff.Change{mk("295", "USD"), mk("100.50", "USD")}, []diff.Price{{Amount: "395.50", Currency: "USD"}}},
		{"per currency, unknown last", []diff.Change{mk("10", ""), mk("5", "USD"), mk("7", "EUR"), mk("1", "USD")},
			[]diff.Price{{Amount: "7", Currency: "EUR"}, {Amount: "6", Currency: "USD"}, {Amount: "10"}}},
		{"large", []diff.Change{mk("9007199254740993", "USD"), mk("1", "USD")}, []diff.Price{{Amount: "9007199254740994", Currency: "USD"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, diff.PriceTotals(tc.changes)); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestComputeRefusesABadAmount(t *testing.T) {
	for _, bad := range []string{"", "1e3", "2,95", "29.", "NaN", " 1"} {
		if err := diff.CheckAmount(bad); !errors.Is(err, diff.ErrBadAmount) {
			t.Errorf("CheckAmount(%q) = %v", bad, err)
		}
	}
	a := diff.Address{Vendor: "v", Kind: "k", Name: "n"}
	p := diff.Compute([]diff.Pair{{Address: a, Action: "renew", Price: &diff.Price{Amount: "1e3", Currency: "USD"}}}, time.Time{})
	c := p.Changes[0]
	if c.Price != nil || len(c.Notes) != 1 || len(p.PriceTotals) != 0 {
		t.Errorf("bad amount kept: %+v, totals %v", c, p.PriceTotals)
	}
}

func TestCostLine(t *testing.T) {
	a := func(n string) diff.Address { return diff.Address{Vendor: "v", Kind: "k", Name: n} }
	p := diff.Compute([]diff.Pair{
		{Address: a("1"), Action: "buy", Price: &diff.Price{Amount: "295", Currency: "USD"}},
		{Address: a("2"), Action: "buy"},
		{Address: a("3"), Action: "fix"},
	}, time.Time{})
	p.Describe(diff.ActionSpec{Action: "buy", Paid: true})
	if got, want := p.CostLine(), "Price: 295 USD (2 paid change(s), 1 without a price)"; got != want {
		t.Errorf("CostLine = %q, want %q", got, want)
	}
	if got := p.Targets([]diff.Address{a("3")}); got.CostLine() != "" || len(got.PriceTotals) != 0 {
		t.Errorf("targeted plan keeps the price: %q %v", got.CostLine(), got.PriceTotals)
	}
	free := diff.Compute([]diff.Pair{{Address: a("3"), Action: "fix"}}, time.Time{})
	if free.CostLine() != "" {
		t.Errorf("free plan: %q", free.CostLine())
	}
}
