package markmonitor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"

	"github.com/certsync/certsync/internal/diff"
)

// Prices in the plan. Each paid order change (create, renew) shows the
// price of its certificate type from GET /order/prices, read once per plan
// and only when a paid change is planned. The API states amounts as JSON
// numbers and no currency; certsync keeps the number's decimal text (never
// a float) and takes the currency from CERTSYNC_MARKMONITOR_CURRENCY when
// it is set.

// PriceEntry is one entry of the price list: the price of a certificate
// type for a term.
type PriceEntry struct {
	CertType   string      `json:"certType"`
	Provider   string      `json:"provider,omitempty"`
	Term       int         `json:"term"`
	TotalPrice json.Number `json:"totalPrice"`
	Products   []struct {
		Product string      `json:"product"`
		Item    string      `json:"item"`
		Price   json.Number `json:"price"`
	} `json:"products,omitempty"`
	ErrorMessage *string `json:"errorMessage"`
}

// Prices reads the price list. The API guide calls it "a list of price
// entities"; a paged envelope is accepted too.
func (c *Client) Prices(ctx context.Context) ([]PriceEntry, error) {
	body, err := c.exchange(ctx, http.MethodGet, "/order/prices", nil, nil, "application/json", true)
	if err != nil {
		return nil, err
	}
	dec := func(b []byte, v any) error {
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		return d.Decode(v)
	}
	var list []PriceEntry
	if err := dec(body, &list); err == nil {
		return list, nil
	}
	var paged page[PriceEntry]
	if err := dec(body, &paged); err != nil {
		return nil, fmt.Errorf("GET /order/prices: cannot read the answer: %w", err)
	}
	return paged.Content, nil
}

// decimalText turns a JSON number into a plain decimal string, exactly:
// "295" and "295.50" stay as they are, "2.95E2" becomes "295".
func decimalText(n json.Number) (string, error) {
	s := strings.TrimSpace(n.String())
	if diff.CheckAmount(s) == nil {
		return s, nil
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return "", fmt.Errorf("%q is not a number", s)
	}
	for scale := 0; scale <= 8; scale++ {
		if t := r.FloatString(scale); ratEqual(t, r) {
			return t, nil
		}
	}
	return "", fmt.Errorf("%q has more than 8 decimals", s)
}

func ratEqual(text string, r *big.Rat) bool {
	x, ok := new(big.Rat).SetString(text)
	return ok && x.Cmp(r) == 0
}

// priceOf finds certType's price in the list: the entry with the shortest
// term (the term is not part of an order request). It returns nil and why
// when the list has no usable price.
func priceOf(list []PriceEntry, certType, currency string) (*diff.Price, string) {
	var best *PriceEntry
	for i := range list {
		e := &list[i]
		if e.CertType != certType || e.ErrorMessage != nil && *e.ErrorMessage != "" {
			continue
		}
		if best == nil || e.Term < best.Term {
			best = e
		}
	}
	if best == nil {
		return nil, "the price list has no price for " + certType
	}
	amount, err := decimalText(best.TotalPrice)
	if err != nil {
		return nil, fmt.Sprintf("the price list's price for %s is unusable: %v", certType, err)
	}
	p := &diff.Price{Amount: amount, Currency: currency}
	if best.Term > 0 {
		p.Note = fmt.Sprintf("price-list term %d", best.Term)
	}
	return p, ""
}

// paidOrderChange reports whether the pair plans a paid order change.
func paidOrderChange(p *diff.Pair) bool {
	if p.Address.Kind != KindOrder || p.Error != "" || len(p.Attention) > 0 {
		return false
	}
	for _, s := range Actions {
		if s.Action == p.Action && s.Paid && (s.Kind == "" || s.Kind == KindOrder) {
			return true
		}
	}
	return false
}

// priceChanges puts a price on every paid order change, reading the price
// list once, and only when there is such a change. A price list that
// cannot be read leaves the changes unpriced, with a note; it never stops
// the plan.
func (v *Vendor) priceChanges(ctx context.Context, pairs []diff.Pair) {
	var paid []*diff.Pair
	for i := range pairs {
		if paidOrderChange(&pairs[i]) {
			paid = append(paid, &pairs[i])
		}
	}
	if len(paid) == 0 {
		return
	}
	list, err := v.client.Prices(ctx)
	for _, p := range paid {
		if err != nil {
			p.Notes = append(p.Notes, "price unknown: the price list could not be read: "+err.Error())
			continue
		}
		certType := ""
		if p.Desired != nil {
			certType = p.Desired.Keys[kCertType]
		}
		price, why := priceOf(list, certType, v.currency)
		if price == nil {
			p.Notes = append(p.Notes, "price unknown: "+why)
			continue
		}
		p.Price = price
	}
}
