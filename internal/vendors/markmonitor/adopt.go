package markmonitor

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/certsync/certsync/internal/apply"
	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/inventory"
)

// Adopting an existing order.
//
// An order placed before certsync (in the portal, by another tool) carries
// no certsync marker, so certsync would not know it belongs to an inventory
// item and would order (and pay for) the certificate again. An order item
// names such an order with adopt: ORDER_ID. From then on the order is the
// item's: planned like the orders certsync placed, renewed when due (the
// renewal carries the marker), never ordered again.
//
// The marker cannot be written into the adopted order: the API has no way
// to change an order's comments (its order actions are cancel, revoke,
// reissue, sendDcvEmail, validateDomains, updateAdditionalEmails and
// sendCertificateEmail, none of which takes comments). So certsync keeps
// the link in its state directory (markmonitor.json), written by an adopt
// change, and the plan says so. The link holds even if adopt: is later
// removed from the inventory.
//
// The adopted order must be for the item: its common name, organization and
// certificate type must match, and it must not carry another item's
// marker; otherwise the plan says why under "needs attention" and changes
// nothing for the item.

// Adopt records in certsync's state that an existing order belongs to an
// inventory item. It changes nothing at Markmonitor and costs nothing.
const Adopt diff.Action = "adopt"

// kAdopt is the order id an adopt change (or any order change of an item
// whose adoption is not recorded yet) records as the item's.
const kAdopt = "adopt_order_id"

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// checkOrderExtras checks the keys dcv.go and adopt.go read: adopt is an
// order id (a UUID) that no other item adopts. adopted maps ids to the path
// that adopts them.
func checkOrderExtras(r *inventory.Report, path string, o *OrderItem, adopted map[string]string) {
	if !o.Adopt.Set {
		return
	}
	id := strings.ToLower(strings.TrimSpace(o.Adopt.Value))
	if !uuidRE.MatchString(id) {
		r.Add(o.Adopt.Pos, path+".adopt", "%q is not a Markmonitor order id (a UUID such as 3fa85f64-5717-4562-b3fc-2c963f66afa6)", o.Adopt.Value)
		return
	}
	if prev, dup := adopted[id]; dup {
		r.Add(o.Adopt.Pos, path+".adopt", "order %s is already adopted by %s; an order belongs to one item", id, prev)
		return
	}
	adopted[id] = path
}

// adoptedKey is the state key of an item's adopted order.
func adoptedKey(name string) string { return "adopted/" + name }

// adoptedEntry is the state's link from an item to its adopted order.
type adoptedEntry struct {
	OrderID string `json:"order_id"`
}

// adoption is what adopting gave for one item.
type adoption struct {
	// id is the adopted order, "" when the item adopts none.
	id string
	// record is true when the state does not hold the link yet.
	record bool
	// problem, when set, is why the order cannot be the item's.
	problem string
}

// adopt finds the order the item adopts (the inventory's adopt:, else the
// link in the state), checks it matches the item, and adds it to the item's
// orders (hist, newest first). The order is looked up in the account's
// order list, else read once (it may be outside the list's scope).
func (v *Vendor) adopt(ctx context.Context, want *OrderItem, hist []*Order, all []Order, orgsByID map[string]*Organization) ([]*Order, adoption, error) {
	name := want.Name.Value
	var linked adoptedEntry
	if _, err := v.state.Get(adoptedKey(name), &linked); err != nil {
		return hist, adoption{}, err
	}
	id := strings.ToLower(strings.TrimSpace(want.Adopt.Value))
	a := adoption{id: id, record: id != "" && id != linked.OrderID}
	if id == "" {
		a.id = linked.OrderID
	}
	if a.id == "" {
		return hist, a, nil
	}
	for _, o := range hist {
		if o.ID == a.id {
			a.record = false // it carries the item's marker: that is the link
			return hist, a, nil
		}
	}
	var o *Order
	for i := range all {
		if all[i].ID == a.id {
			o = &all[i]
			break
		}
	}
	if o == nil {
		got, err := v.client.Order(ctx, a.id)
		if errors.Is(err, ErrNotFound) {
			a.problem = fmt.Sprintf("order %s (adopt) does not exist at Markmonitor, or this account cannot see it", a.id)
			return hist, a, nil
		}
		if err != nil {
			return hist, a, fmt.Errorf("read order %s to adopt: %w", a.id, err)
		}
		o = got
	}
	if p := adoptProblem(want, o, orgsByID); p != "" {
		a.problem = p
		return hist, a, nil
	}
	out := append([]*Order{o}, hist...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].DateCreated.After(out[j].DateCreated) })
	return out, a, nil
}

// adoptProblem says why order o cannot be the item's, or "".
func adoptProblem(want *OrderItem, o *Order, orgsByID map[string]*Organization) string {
	var why []string
	if m, ok := parseMarker(o.Comments); ok && m.name != want.Name.Value {
		why = append(why, fmt.Sprintf("it carries the marker of item %q", m.name))
	}
	if o.Cert == nil {
		why = append(why, fmt.Sprintf("it is %s and shows no certificate details yet; adopt it once Markmonitor has submitted it", o.Status))
	} else if !strings.EqualFold(o.Cert.CommonName, want.CommonName.Value) {
		why = append(why, fmt.Sprintf("its common name is %q, the item's %q", o.Cert.CommonName, want.CommonName.Value))
	}
	org := orgsByID[o.OrganizationID]
	switch {
	case org == nil:
		why = append(why, fmt.Sprintf("its organization %s is not one this account lists", orDash(o.OrganizationID)))
	case org.Name != want.Organization.Value:
		why = append(why, fmt.Sprintf("its organization is %q, the item's %q", org.Name, want.Organization.Value))
	}
	if o.CertType != want.CertType.Value {
		why = append(why, fmt.Sprintf("its certificate type is %s, the item's %s", o.CertType, want.CertType.Value))
	}
	if len(why) == 0 {
		return ""
	}
	return fmt.Sprintf("order %s cannot be adopted: %s; fix the item or adopt another order (nothing is ordered for this item meanwhile)", o.ID, strings.Join(why, "; "))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// planAdoption turns an adoption into the pair: attention when the order
// does not match, an adopt change when the link is new and nothing else is
// planned, or, with another change, the link recorded when that change is
// applied.
func planAdoption(p *diff.Pair, a adoption) {
	if a.problem != "" {
		*p = diff.Pair{Address: p.Address, Attention: []string{a.problem}}
		return
	}
	if !a.record {
		return
	}
	const why = "Markmonitor's API cannot change an order's comments, so certsync cannot mark the order as the item's; it keeps the link in its state directory (markmonitor.json) instead"
	if p.Action != "" {
		p.Notes = append(p.Notes, "adopts order "+a.id+" when applied: "+why)
		p.Desired.Keys[kAdopt] = a.id
		return
	}
	p.Action, p.NoChange = Adopt, false
	p.Reason = "the inventory adopts existing order " + a.id
	p.Notes = append(p.Notes, why, "certsync will not order this certificate again; it renews the adopted order when due")
	p.Desired = &diff.Object{Keys: map[string]string{kAdopt: a.id}}
}

// recordAdoption writes the link of an adopt change (or of another change
// that carries one) into the state.
func (v *Vendor) recordAdoption(c diff.Change) error {
	id := c.Keys[kAdopt]
	if id == "" {
		return nil
	}
	if err := v.state.Put(adoptedKey(c.Address.Name), adoptedEntry{OrderID: id}); err != nil {
		return fmt.Errorf("record the adoption of order %s: %w", id, err)
	}
	return nil
}

// applyAdopt applies an adopt change: the order is read once more (it must
// still exist) and the link is recorded.
func (v *Vendor) applyAdopt(ctx context.Context, c diff.Change) (apply.Outcome, error) {
	id := c.Keys[kAdopt]
	o, err := v.client.Order(ctx, id)
	if err != nil {
		return apply.Outcome{}, fmt.Errorf("read order %s to adopt: %w", id, err)
	}
	if err := v.recordAdoption(c); err != nil {
		return apply.Outcome{}, err
	}
	return apply.Outcome{ID: o.ID, Messages: []string{"order " + o.ID + " (" + o.Status + ") is now this item's; the link is kept in certsync's state"}}, nil
}
