package markmonitor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// ErrOrderAppeared means an order for the item appeared at Markmonitor after
// the plan was made, one that this change did not place and that differs
// from what it would buy (another host, another inventory): nothing was
// bought; the next plan sees it.
var ErrOrderAppeared = errors.New("an order for this item appeared since the plan")

// recheckMaxAge is how old the list of an organization's orders may be when
// it is consulted right before a paid order. One list per paid order would
// halve how many orders fit under the rate limit; one per half minute
// costs a few requests in a bulk run while still catching an order another
// host placed before this apply began (see docs/vendors/markmonitor.md).
const recheckMaxAge = 30 * time.Second

// readBacksPerMinute is how many paid orders a minute are read back after
// the create: a create's answer carries the order's id and status (never a
// certificate from a CA that validates first), so a read-back only helps
// when the CA issues at once; it must not cost a bulk run half its pace.
const readBacksPerMinute = 2

// paidGuard holds what the checks around paid orders remember within one
// Vendor: recent lists of each organization's orders and when paid orders
// were sent.
type paidGuard struct {
	// listing is held while an organization's orders are listed, so that
	// concurrent changes wait for one list instead of each sending one.
	listing sync.Mutex
	mu      sync.Mutex
	lists   map[string]orderList // by organization id
	placed  []time.Time
}

type orderList struct {
	at     time.Time
	orders []Order
}

// orgOrders returns the organization's orders, listed again unless a list
// younger than maxAge is at hand.
func (v *Vendor) orgOrders(ctx context.Context, orgID string, maxAge time.Duration) ([]Order, error) {
	v.paid.listing.Lock()
	defer v.paid.listing.Unlock()
	now := v.clock.Now()
	v.paid.mu.Lock()
	l, ok := v.paid.lists[orgID]
	v.paid.mu.Unlock()
	if ok && maxAge > 0 && now.Sub(l.at) < maxAge {
		return l.orders, nil
	}
	orders, err := v.client.Orders(ctx, map[string][]string{"organizationId": {orgID}})
	if err != nil {
		return nil, err
	}
	v.paid.mu.Lock()
	if v.paid.lists == nil {
		v.paid.lists = map[string]orderList{}
	}
	v.paid.lists[orgID] = orderList{at: now, orders: orders}
	v.paid.mu.Unlock()
	return orders, nil
}

// appeared looks, right before a paid order, for an order of the item that
// the plan did not know. One carrying exactly this change's marker is
// adopted (returned); any other one stops the purchase with
// ErrOrderAppeared.
func (v *Vendor) appeared(ctx context.Context, orgID, mark string, known []string, maxAge time.Duration) (*Order, error) {
	want, ok := parseMarker(mark)
	if !ok {
		return nil, fmt.Errorf("the change carries no marker")
	}
	orders, err := v.orgOrders(ctx, orgID, maxAge)
	if err != nil {
		return nil, err
	}
	var other *Order
	for i := range orders {
		m, ok := parseMarker(orders[i].Comments)
		if !ok || m.name != want.name || slices.Contains(known, orders[i].ID) {
			continue
		}
		if m == want {
			return &orders[i], nil
		}
		other = &orders[i]
	}
	if other != nil {
		return nil, fmt.Errorf("%w: order %s (%s), placed by someone else, for example certsync on another host; nothing was bought: plan again", ErrOrderAppeared, other.ID, other.Status)
	}
	return nil, nil
}

// notePlaced records a paid order sent now and reports whether it may be
// read back (see readBacksPerMinute).
func (v *Vendor) notePlaced() (readBack bool) {
	now := v.clock.Now()
	v.paid.mu.Lock()
	defer v.paid.mu.Unlock()
	recent := v.paid.placed[:0]
	for _, t := range v.paid.placed {
		if now.Sub(t) < time.Minute {
			recent = append(recent, t)
		}
	}
	v.paid.placed = append(recent, now)
	return len(v.paid.placed) <= readBacksPerMinute
}
