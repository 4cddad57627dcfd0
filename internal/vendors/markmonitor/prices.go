package markmonitor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"unicode"

	"github.com/certsync/certsync/internal/diff"
)

// Prices in the plan. A new order (create, renew) shows the price of its
// certificate type from GET /order/prices, read once per plan and only when
// a priced change is planned. The API states amounts as JSON numbers and no
// currency; certsync keeps the number's decimal text (never a float) and
// takes the currency from CERTSYNC_MARKMONITOR_CURRENCY when it is set.
//
// A reissue is not a new certificate: the order keeps its type and term,
// and the CA bills it at most for the DNS names it adds. So a reissue is
// priced only when it adds names and the price list states a per-name
// price (the price of one name times the names added); otherwise it
// carries no price and a note says why. It stays declared paid, since it
// may cost money: the guards count it and it runs only when in the plan
// shown. The API guide does not say how a per-name price is listed; certsync
// takes a product of the certificate type's entry whose product name or
// item speaks of an added name (SAN, additional domain or FQDN), see
// perNameProduct.

// PriceEntry is one entry of the price list: the price of a certificate
// type for a term.
type PriceEntry struct {
	CertType   string         `json:"certType"`
	Provider   string         `json:"provider,omitempty"`
	Term       int            `json:"term"`
	TotalPrice json.Number    `json:"totalPrice"`
	Products   []PriceProduct `json:"products,omitempty"`
	// ErrorMessage, when set, means the entry is not usable.
	ErrorMessage *string `json:"errorMessage"`
}

// PriceProduct is one product of a price entry: its name, the item it
// prices (e.g. "certificate, 1 year") and the price.
type PriceProduct struct {
	Product string      `json:"product"`
	Item    string      `json:"item"`
	Price   json.Number `json:"price"`
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

// entryOf finds certType's entry in the list: the usable one with the
// shortest term (the term is not part of an order request), or nil.
func entryOf(list []PriceEntry, certType string) *PriceEntry {
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
	return best
}

// priceOf finds certType's price in the list (see entryOf). It returns nil
// and why when the list has no usable price.
func priceOf(list []PriceEntry, certType, currency string) (*diff.Price, string) {
	best := entryOf(list, certType)
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

// reissueNote starts every note about a reissue's price.
const reissueNote = "a reissue is billed only for names it adds"

// reissuePriceOf prices a reissue of a certType order that adds added
// names: the per-name price of certType's entry (see perNameProduct) times
// added. It returns nil and why when the list states no usable per-name
// price.
func reissuePriceOf(list []PriceEntry, certType, currency string, added int) (*diff.Price, string) {
	e := entryOf(list, certType)
	if e == nil {
		return nil, "the price list has no price for " + certType
	}
	prod := perNameProduct(e)
	if prod == nil {
		return nil, "the price list states no per-name price for " + certType
	}
	one, err := decimalText(prod.Price)
	if err != nil {
		return nil, fmt.Sprintf("the price list's per-name price for %s is unusable: %v", certType, err)
	}
	r, _ := new(big.Rat).SetString(one)
	r.Mul(r, big.NewRat(int64(added), 1))
	scale := 0
	if _, frac, ok := strings.Cut(one, "."); ok {
		scale = len(frac)
	}
	note := fmt.Sprintf("%d added name(s) at %s each", added, one)
	if e.Term > 0 {
		note += fmt.Sprintf(", price-list term %d", e.Term)
	}
	return &diff.Price{Amount: r.FloatString(scale), Currency: currency, Note: note}, ""
}

// perNameProduct returns the product of e that prices one added DNS name,
// or nil. The API guide documents a product's name and item as free text,
// so a product counts as per-name when its words say so: "SAN"/"SANs", or
// "additional"/"extra" with "name", "domain" or "FQDN" (singular or
// plural).
func perNameProduct(e *PriceEntry) *PriceProduct {
	for i := range e.Products {
		words := map[string]bool{}
		for _, w := range strings.FieldsFunc(strings.ToLower(e.Products[i].Product+" "+e.Products[i].Item), func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r)
		}) {
			words[strings.TrimSuffix(w, "s")] = true
		}
		added := words["additional"] || words["extra"]
		if words["san"] || added && (words["name"] || words["domain"] || words["fqdn"]) {
			return &e.Products[i]
		}
	}
	return nil
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

// addedNames counts the DNS names a reissue adds: desired names (normalised,
// as the Keys carry them) that the live certificate does not have.
func addedNames(p *diff.Pair) int {
	live := map[string]bool{}
	if p.Live != nil {
		for _, f := range p.Live.Fields {
			if f.Name != kSANs {
				continue
			}
			switch v := f.Value.(type) {
			case []string:
				for _, n := range v {
					live[n] = true
				}
			case []any:
				for _, n := range v {
					if s, ok := n.(string); ok {
						live[s] = true
					}
				}
			}
		}
	}
	n := 0
	if p.Desired != nil {
		for _, name := range strings.Split(p.Desired.Keys[kSANs], ",") {
			if name != "" && !live[name] {
				n++
			}
		}
	}
	return n
}

// priceChanges puts a price on every paid order change, reading the price
// list once, and only when there is a change to price. A reissue is priced
// only for the names it adds (see above). A price list that cannot be read
// leaves the changes unpriced, with a note; it never stops the plan.
func (v *Vendor) priceChanges(ctx context.Context, pairs []diff.Pair) {
	var paid []*diff.Pair
	for i := range pairs {
		p := &pairs[i]
		if !paidOrderChange(p) {
			continue
		}
		if p.Action == Reissue && addedNames(p) == 0 {
			p.Notes = append(p.Notes, "no price: "+reissueNote+" and this one adds none")
			continue
		}
		paid = append(paid, p)
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
		var price *diff.Price
		var why string
		if p.Action == Reissue {
			price, why = reissuePriceOf(list, certType, v.currency, addedNames(p))
			why = reissueNote + "; " + why
		} else {
			price, why = priceOf(list, certType, v.currency)
		}
		if price == nil {
			p.Notes = append(p.Notes, "price unknown: "+why)
			continue
		}
		p.Price = price
	}
}
