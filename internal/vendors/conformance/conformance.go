// Package conformance is the test every vendor passes: plan, apply the plan,
// plan again and expect zero changes; a third plan sees the same live state.
// Vendor packages call Run from their tests with their simulator behind the
// vendor.
package conformance

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/apply"
	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/engine"
	"github.com/certsync/certsync/internal/inventory"
)

// Vendor is the part of a vendor the suite drives.
type Vendor = engine.Vendor

// Run checks the convergence property for inv. fresh returns a new vendor
// over the same remote and local state, as the next run of certsync would
// build it. It returns the first plan, for further checks.
func Run(t *testing.T, vendor string, fresh func() Vendor, inv *inventory.Inventory) *diff.Plan {
	t.Helper()
	ctx := context.Background()
	plan := func(v Vendor) (*diff.Plan, []diff.Pair) {
		t.Helper()
		pairs, err := v.Observe(ctx, inv)
		if err != nil {
			t.Fatalf("observe: %v", err)
		}
		return diff.Compute(pairs, time.Now()), pairs
	}
	v := fresh()
	first, _ := plan(v)
	if first.Empty() {
		t.Fatal("conformance needs an inventory that differs from the live state")
	}
	rep := apply.Run(ctx, first, map[string]apply.Applier{vendor: v}, apply.Options{Concurrency: 4})
	for _, r := range rep.Results {
		if r.Status != apply.OK {
			t.Fatalf("apply: %s %s: %s %s", r.Action, r.Address, r.Status, r.Error)
		}
	}
	second, pairs := plan(fresh())
	if !second.Empty() {
		var b strings.Builder
		_ = diff.Text(&b, second, false)
		t.Fatalf("the plan after apply is not empty:\n%s", b.String())
	}
	third, pairs3 := plan(fresh())
	if !third.Empty() {
		t.Fatal("a third plan is not empty")
	}
	for i := range pairs {
		if a, b := diff.Fingerprint(pairs[i].Live), diff.Fingerprint(pairs3[i].Live); a != b {
			t.Errorf("%s: live fingerprint changed between two plans with nothing applied (%s, %s)", pairs[i].Address, a, b)
		}
	}
	return first
}
