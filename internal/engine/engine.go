// Package engine is the pipeline every command shares: observe each vendor's
// live state (independent vendors concurrently, downstream ones after them),
// compute the plan and check it against what each vendor declares it can do,
// check a saved plan against the live state before applying it, apply, and
// the one cycle that `run` repeats on a schedule.
//
// The engine knows vendors only through the Vendor interface and the Member
// data the vendor table gives it; it never imports a vendor package.
package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/certsync/certsync/internal/apply"
	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/inventory"
)

// Vendor is what the engine needs from each vendor: read live state as pairs
// to diff, and execute the changes of a plan.
type Vendor interface {
	// Observe returns one diff.Pair per object of the vendor's inventory
	// section. It must not change anything at the vendor.
	Observe(ctx context.Context, inv *inventory.Inventory) ([]diff.Pair, error)
	apply.Applier
}

// Downstream is implemented by a vendor whose desired state comes partly
// from other vendors' results (a CDN deploys what a CA issues). The engine
// observes it after every other vendor and hands it the artifacts their
// pairs published; it learns nothing else about them, so vendors stay
// independent of each other.
type Downstream interface {
	ObserveAfter(ctx context.Context, inv *inventory.Inventory, upstream diff.Artifacts) ([]diff.Pair, error)
}

// Member is one vendor taking part in a run: its name (the inventory
// section and address prefix), what it can do, and the vendor itself.
type Member struct {
	Name string
	// Capabilities lists, per object kind, the actions the vendor may plan.
	Capabilities map[string][]diff.Action
	// Actions describes the vendor's own actions (beyond create, update
	// and delete) for renderers and guards.
	Actions []diff.ActionSpec
	Vendor  Vendor
}

// Allowed reports whether the member declares the action for the kind.
func (m Member) Allowed(kind string, a diff.Action) bool {
	for _, x := range m.Capabilities[kind] {
		if x == a {
			return true
		}
	}
	return false
}

// Engine runs the pipeline over a fixed set of members.
type Engine struct {
	members []Member
	now     func() time.Time
}

// New returns an engine over members, in the order plans list vendors. now
// stamps plans; nil means time.Now.
func New(members []Member, now func() time.Time) *Engine {
	if now == nil {
		now = time.Now
	}
	return &Engine{members: members, now: now}
}

// Member returns the member with that name.
func (e *Engine) Member(name string) (Member, bool) {
	for _, m := range e.members {
		if m.Name == name {
			return m, true
		}
	}
	return Member{}, false
}

// VendorResult is what observing one vendor gave: its pairs, or the error
// that kept it from giving them.
type VendorResult struct {
	Vendor string
	Pairs  []diff.Pair
	Err    error
}

// Observation is every vendor's result, in member order.
type Observation struct {
	Results []VendorResult
}

// Pairs returns every vendor's pairs, in member order.
func (o *Observation) Pairs() []diff.Pair {
	var out []diff.Pair
	for _, r := range o.Results {
		out = append(out, r.Pairs...)
	}
	return out
}

// Err joins the vendors' errors, one line per vendor (sorted), or nil.
func (o *Observation) Err() error {
	var errs []string
	for _, r := range o.Results {
		if r.Err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", r.Vendor, r.Err))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	sort.Strings(errs)
	return errors.New(strings.Join(errs, "\n"))
}

// ErrUpstreamFailed is the error of a downstream vendor that was not
// observed because a vendor before it failed: its inputs are incomplete.
var ErrUpstreamFailed = errors.New("not observed: an upstream vendor could not be observed")

// Observe asks every member for its pairs. Members that stand alone are
// observed concurrently; downstream ones after them, with the artifacts
// their pairs published. A failed vendor's result carries its error; the
// others keep theirs.
func (e *Engine) Observe(ctx context.Context, inv *inventory.Inventory) *Observation {
	results := make([]VendorResult, len(e.members))
	var down []int
	var wg sync.WaitGroup
	for i, m := range e.members {
		results[i].Vendor = m.Name
		if _, ok := m.Vendor.(Downstream); ok {
			down = append(down, i)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i].Pairs, results[i].Err = m.Vendor.Observe(ctx, inv)
		}()
	}
	wg.Wait()
	failed := false
	artifacts := diff.Artifacts{}
	for i := range results {
		if results[i].Err != nil {
			failed = true
		}
		for _, p := range results[i].Pairs {
			if p.Bundle != nil {
				artifacts[p.Address] = p.Bundle
			}
		}
	}
	for _, i := range down {
		if failed {
			results[i].Err = ErrUpstreamFailed
			continue
		}
		p, err := e.members[i].Vendor.(Downstream).ObserveAfter(ctx, inv, artifacts)
		results[i].Pairs, results[i].Err = p, err
		if err != nil {
			failed = true
		}
	}
	return &Observation{Results: results}
}

// Plan observes and computes the plan, checking that every change is one
// its vendor declares. Today any vendor's observe failure fails the whole
// plan; the Observation keeps per-vendor results so that a later change can
// fail only that vendor's items.
func (e *Engine) Plan(ctx context.Context, inv *inventory.Inventory) (*diff.Plan, []diff.Pair, error) {
	obs := e.Observe(ctx, inv)
	if err := obs.Err(); err != nil {
		// A downstream vendor skipped for an upstream failure adds no line
		// of its own: the upstream's error says it all.
		return nil, nil, withoutSkipped(obs)
	}
	all := obs.Pairs()
	plan := diff.Compute(all, e.now())
	plan.Inventory = inv.File
	e.Describe(plan)
	for _, c := range plan.Changes {
		m, _ := e.Member(c.Address.Vendor)
		if !m.Allowed(c.Address.Kind, c.Action) {
			return nil, nil, fmt.Errorf("%s: vendor %s cannot %s a %s (this is a certsync bug)", c.Address, m.Name, c.Action, c.Address.Kind)
		}
	}
	return plan, all, nil
}

func withoutSkipped(obs *Observation) error {
	o := &Observation{}
	for _, r := range obs.Results {
		if !errors.Is(r.Err, ErrUpstreamFailed) {
			o.Results = append(o.Results, r)
		}
	}
	return o.Err()
}

// Describe attaches the members' action specs to a plan (computed or read
// from a file), for renderers.
func (e *Engine) Describe(p *diff.Plan) {
	for _, m := range e.members {
		p.Describe(m.Actions...)
	}
}

// CheckSaved compares a saved plan with the live state now (pairs) and a
// plan made now (fresh). It returns one message per change that must not
// run: its object left the inventory, its live state moved since the plan
// (fingerprint), a plan made now would not hold it, or its vendor cannot do
// it. A saved plan is data from a file: nothing paid or irreversible runs
// unless certsync itself would plan it.
func (e *Engine) CheckSaved(saved, fresh *diff.Plan, pairs []diff.Pair) []string {
	return append(staleChanges(saved, pairs), e.unplanned(saved, fresh)...)
}

func staleChanges(plan *diff.Plan, pairs []diff.Pair) []string {
	live := map[diff.Address]*diff.Object{}
	known := map[diff.Address]bool{}
	for _, p := range pairs {
		live[p.Address], known[p.Address] = p.Live, true
	}
	var out []string
	for _, c := range plan.Changes {
		if !known[c.Address] {
			out = append(out, fmt.Sprintf("%s: no longer in the inventory", c.Address))
			continue
		}
		if now := diff.Fingerprint(live[c.Address]); now != c.Fingerprint {
			out = append(out, fmt.Sprintf("%s: live state moved since the plan (fingerprint %s, now %s)", c.Address, orNone(c.Fingerprint), orNone(now)))
		}
	}
	return out
}

func (e *Engine) unplanned(saved, fresh *diff.Plan) []string {
	now := map[diff.Address]diff.Action{}
	for _, c := range fresh.Changes {
		now[c.Address] = c.Action
	}
	var out []string
	for _, c := range saved.Changes {
		m, ok := e.Member(c.Address.Vendor)
		switch {
		case !ok || !m.Allowed(c.Address.Kind, c.Action):
			out = append(out, fmt.Sprintf("%s: vendor %s cannot %s a %s", c.Address, c.Address.Vendor, c.Action, c.Address.Kind))
		case now[c.Address] != c.Action:
			out = append(out, fmt.Sprintf("%s: the saved plan says %s, a plan made now says %s", c.Address, c.Action, orNone(string(now[c.Address]))))
		}
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "absent"
	}
	return s
}

// Apply executes the plan with the members as appliers.
func (e *Engine) Apply(ctx context.Context, plan *diff.Plan, opts apply.Options) *apply.Report {
	appliers := map[string]apply.Applier{}
	for _, m := range e.members {
		appliers[m.Name] = m.Vendor
	}
	return apply.Run(ctx, plan, appliers, opts)
}

// ErrUnknownTarget is returned for a --target that names no inventory item.
var ErrUnknownTarget = errors.New("matches nothing in the inventory")

// Targets checks target addresses (as plans print them, e.g.
// VENDOR/KIND/NAME) against the observed pairs.
func Targets(raw []string, pairs []diff.Pair) ([]diff.Address, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	known := map[string]diff.Address{}
	for _, p := range pairs {
		known[p.Address.String()] = p.Address
	}
	var out []diff.Address
	var bad []string
	for _, t := range raw {
		if a, ok := known[t]; ok {
			out = append(out, a)
			continue
		}
		bad = append(bad, t)
	}
	if len(bad) > 0 {
		names := make([]string, 0, len(known))
		for k := range known {
			names = append(names, k)
		}
		sort.Strings(names)
		hint := ""
		if len(names) > 0 && len(names) <= 20 {
			hint = "; known: " + strings.Join(names, ", ")
		}
		return nil, fmt.Errorf("--target %s %w%s", strings.Join(bad, ", "), ErrUnknownTarget, hint)
	}
	return out, nil
}

// Cycle is one scheduled run: plan and, when Apply is set and there is
// something to do, apply.
type Cycle struct {
	Apply   bool
	Options apply.Options
	// BeforeApply, if set, is called with the plan just before it is applied.
	BeforeApply func(*diff.Plan)
}

// CycleResult is what one cycle did.
type CycleResult struct {
	// Plan and Pairs are the last plan made: after a successful apply, a
	// second look shows what the apply left (new expiry dates) and what
	// is still pending.
	Plan  *diff.Plan
	Pairs []diff.Pair
	// Report is nil when nothing was applied.
	Report *apply.Report
	// Applied is the plan that was applied, if any.
	Applied *diff.Plan
}

// RunCycle plans and, if c.Apply, applies. An error means no plan could be
// made. The second look after an apply is skipped when nothing succeeded
// or the run is shutting down (ctx done or c.Options.Stop closed), so
// steady-state runs pay nothing for it.
func (e *Engine) RunCycle(ctx context.Context, inv *inventory.Inventory, c Cycle) (CycleResult, error) {
	plan, pairs, err := e.Plan(ctx, inv)
	if err != nil {
		return CycleResult{}, err
	}
	res := CycleResult{Plan: plan, Pairs: pairs}
	if !c.Apply || plan.Empty() {
		return res, nil
	}
	if c.BeforeApply != nil {
		c.BeforeApply(plan)
	}
	res.Applied = plan
	res.Report = e.Apply(ctx, plan, c.Options)
	if res.Report.Count(apply.OK) > 0 && ctx.Err() == nil && !closed(c.Options.Stop) {
		if again, againPairs, err := e.Plan(ctx, inv); err == nil {
			res.Plan, res.Pairs = again, againPairs
		}
	}
	return res, nil
}

func closed(c <-chan struct{}) bool {
	if c == nil {
		return false
	}
	select {
	case <-c:
		return true
	default:
		return false
	}
}
