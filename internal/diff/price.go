package diff

import (
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"sort"
	"strings"
)

// Price is what a paid change costs, as the vendor's price list states it.
// Money is never a float: Amount is a decimal string and sums are exact.
type Price struct {
	// Amount is a plain decimal number, e.g. "295" or "295.50".
	Amount string `json:"amount"`
	// Currency is an ISO 4217 code, or "" when the vendor does not state
	// it (plans then say "in the account's currency").
	Currency string `json:"currency,omitempty"`
	// Note qualifies the price, e.g. the term it is for.
	Note string `json:"note,omitempty"`
}

// ErrBadAmount is returned for an amount that is not a plain decimal number.
var ErrBadAmount = errors.New("not a decimal amount")

var amountRE = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// CheckAmount reports whether s is a plain decimal number ("295", "0.50").
func CheckAmount(s string) error {
	if !amountRE.MatchString(s) {
		return fmt.Errorf("%q: %w", s, ErrBadAmount)
	}
	return nil
}

// String is the price as plans print it: "295.50 USD", or "295.50 (in the
// account's currency)" without a currency; a note joins it in the brackets
// ("295 (in the account's currency; price-list term 1)").
func (p Price) String() string {
	var notes []string
	if p.Currency == "" {
		notes = append(notes, "in the account's currency")
	}
	if p.Note != "" {
		notes = append(notes, p.Note)
	}
	s := strings.TrimSpace(p.Amount + " " + p.Currency)
	if len(notes) > 0 {
		s += " (" + strings.Join(notes, "; ") + ")"
	}
	return s
}

// PriceTotals sums the prices of changes per currency, exactly, in currency
// order ("" last). An amount that is not a decimal number is left out of
// the sum (Compute never lets one in).
func PriceTotals(changes []Change) []Price {
	sums := map[string]*big.Rat{}
	scale := map[string]int{}
	for _, c := range changes {
		if c.Price == nil || CheckAmount(c.Price.Amount) != nil {
			continue
		}
		r, _ := new(big.Rat).SetString(c.Price.Amount)
		cur := c.Price.Currency
		if sums[cur] == nil {
			sums[cur] = new(big.Rat)
		}
		sums[cur].Add(sums[cur], r)
		if _, frac, ok := strings.Cut(c.Price.Amount, "."); ok && len(frac) > scale[cur] {
			scale[cur] = len(frac)
		}
	}
	out := make([]Price, 0, len(sums))
	for cur, r := range sums {
		out = append(out, Price{Amount: r.FloatString(scale[cur]), Currency: cur})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Currency, out[j].Currency
		if (a == "") != (b == "") {
			return b == ""
		}
		return a < b
	})
	return out
}

// unpriced counts the paid changes that carry no price.
func (p *Plan) unpriced() int {
	n := 0
	for _, c := range p.Changes {
		if c.Price == nil && p.SpecOf(c.Address, c.Action).Paid {
			n++
		}
	}
	return n
}

// CostLine is the plan's cost summary, e.g. "Price: 590 USD (2 paid
// changes)", or "" when nothing planned is paid.
func (p *Plan) CostLine() string {
	paid := 0
	for _, c := range p.Changes {
		if c.Price != nil || p.SpecOf(c.Address, c.Action).Paid {
			paid++
		}
	}
	if paid == 0 {
		return ""
	}
	var parts []string
	for _, t := range p.PriceTotals {
		parts = append(parts, t.String())
	}
	s := "Price: " + strings.Join(parts, " + ")
	if len(parts) == 0 {
		s = "Price: unknown"
	}
	s += fmt.Sprintf(" (%d paid change(s)", paid)
	if n := p.unpriced(); n > 0 {
		s += fmt.Sprintf(", %d without a price", n)
	}
	return s + ")"
}
