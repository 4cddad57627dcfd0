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
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

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
// observes it at the same time as the other vendors, and hands it a
// function that waits for their observations and returns the artifacts
// their pairs published: a downstream vendor reads its own live state
// first and calls upstream only when it needs the artifacts, so that its
// requests overlap the others' instead of following them. It learns nothing
// else about the other vendors, so vendors stay independent of each other.
type Downstream interface {
	ObserveAfter(ctx context.Context, inv *inventory.Inventory, upstream Upstream) ([]diff.Pair, error)
}

// Upstream waits until every vendor that is not downstream has been
// observed (successfully or not) and returns the artifacts their pairs
// published. It may be called any number of times, from any goroutine.
type Upstream func() diff.Artifacts

// Ready is an Upstream whose vendors have been observed already and
// published a.
func Ready(a diff.Artifacts) Upstream { return func() diff.Artifacts { return a } }

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

// Observe asks every member for its pairs, all at the same time; a
// downstream member waits (through its Upstream) for the artifacts the
// others' pairs published. A failed vendor's result carries its error; the
// others keep theirs. A downstream vendor is observed even when a vendor
// before it failed: Plan makes an error of each of its pairs that uses an
// item of the failed vendor, and the others go on.
func (e *Engine) Observe(ctx context.Context, inv *inventory.Inventory) *Observation {
	results := make([]VendorResult, len(e.members))
	var up, down sync.WaitGroup
	artifacts := diff.Artifacts{}
	observed := make(chan struct{}) // closed once artifacts is complete
	upstream := func() diff.Artifacts {
		<-observed
		return artifacts
	}
	for i, m := range e.members {
		results[i].Vendor = m.Name
		if d, ok := m.Vendor.(Downstream); ok {
			down.Go(func() {
				results[i].Pairs, results[i].Err = d.ObserveAfter(ctx, inv, upstream)
			})
			continue
		}
		up.Go(func() {
			results[i].Pairs, results[i].Err = m.Vendor.Observe(ctx, inv)
		})
	}
	up.Wait()
	for i, m := range e.members {
		if _, ok := m.Vendor.(Downstream); ok {
			continue
		}
		for _, p := range results[i].Pairs {
			if p.Bundle != nil {
				artifacts[p.Address] = p.Bundle
			}
		}
	}
	close(observed)
	down.Wait()
	return &Observation{Results: results}
}

// ErrVendorFailed marks the plan errors of a vendor that could not be
// observed (unreachable, unconfigured, failing), and of items of other
// vendors that use its items.
var ErrVendorFailed = errors.New("could not be observed")

// Plan observes and computes the plan, checking that every change is one
// its vendor declares. A vendor that cannot be observed fails alone: the
// plan carries its error under Errors (at its vendor-wide address,
// VENDOR/*/*), a pair of another vendor that uses or depends on one of its
// items becomes an error too, and everything else is planned. The error
// is only for a certsync bug (a change its vendor does not declare).
func (e *Engine) Plan(ctx context.Context, inv *inventory.Inventory) (*diff.Plan, []diff.Pair, error) {
	obs := e.Observe(ctx, inv)
	failed := map[string]error{}
	for _, r := range obs.Results {
		if r.Err != nil {
			failed[r.Vendor] = r.Err
		}
	}
	n := 0
	for _, r := range obs.Results {
		n += len(r.Pairs)
	}
	all := make([]diff.Pair, 0, n) // a pair is 330 bytes: 10,000 of them are not grown by doubling
	var vendorErrs []diff.Info
	for _, r := range obs.Results {
		if r.Err != nil {
			vendorErrs = append(vendorErrs, diff.Info{Address: diff.VendorWide(r.Vendor), Message: fmt.Sprintf("vendor %s %v: %v", r.Vendor, ErrVendorFailed, r.Err)})
			continue
		}
		for _, p := range r.Pairs {
			all = append(all, failUpstream(p, failed))
		}
	}
	plan := diff.Compute(all, e.now())
	plan.Errors = append(vendorErrs, plan.Errors...)
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

// failUpstream makes p an error when it uses or depends on an item of a
// vendor that could not be observed: its inputs are unknown.
func failUpstream(p diff.Pair, failed map[string]error) diff.Pair {
	// The failed vendor is the cause even when the item already has an
	// error of its own (a source that is missing because its order could
	// not be read): say so, rather than show the symptom.
	if len(failed) == 0 {
		return p
	}
	for _, a := range append(append([]diff.Address{}, p.Uses...), p.DependsOn...) {
		if err, ok := failed[a.Vendor]; ok && a.Vendor != p.Address.Vendor {
			p.Info, p.Error = nil, fmt.Sprintf("uses %s, whose vendor %s %v: %v", a, a.Vendor, ErrVendorFailed, err)
			return p
		}
	}
	return p
}

// FailedVendors returns the vendors a plan made by Plan could not observe,
// sorted, for the run's error message.
func FailedVendors(p *diff.Plan) []string {
	var out []string
	for _, e := range p.Errors {
		if e.Address.Kind == diff.AnyKind && e.Address.Name == diff.AnyName {
			out = append(out, e.Address.Vendor)
		}
	}
	sort.Strings(out)
	return out
}

// Needed returns an engine over only the members a --target of addrs
// needs: the targets' vendors and, when one of them is downstream, every
// vendor it may take inputs from (all members that are not downstream).
// With no targets it returns e itself.
func (e *Engine) Needed(addrs []diff.Address) *Engine {
	if len(addrs) == 0 {
		return e
	}
	want := map[string]bool{}
	for _, a := range addrs {
		want[a.Vendor] = true
	}
	upstreams := false
	for _, m := range e.members {
		if _, ok := m.Vendor.(Downstream); ok && want[m.Name] {
			upstreams = true
		}
	}
	var out []Member
	for _, m := range e.members {
		_, isDown := m.Vendor.(Downstream)
		if want[m.Name] || (upstreams && !isDown) {
			out = append(out, m)
		}
	}
	return &Engine{members: out, now: e.now}
}

// Describe attaches the members' action specs to a plan (computed or read
// from a file), for renderers.
func (e *Engine) Describe(p *diff.Plan) {
	for _, m := range e.members {
		p.Describe(m.Actions...)
	}
}

// Rederive checks a saved plan against a plan made now from the
// inventory and the live state (fresh, with its pairs) and returns the
// plan to execute: fresh's changes at the saved plan's addresses, which
// are then identical to the saved ones, so what the saved plan showed is
// what is sent. A saved plan is data from a file and is never executed
// itself. The messages name each saved change that must not run and how
// it differs: its object left the inventory, its live state moved since
// the plan (fingerprint), its vendor cannot do it, or the change a plan
// made now would make differs in action, fields, what is sent (desired
// values and keys) or dependencies. Any message means nothing may run.
func (e *Engine) Rederive(saved, fresh *diff.Plan, pairs []diff.Pair) (*diff.Plan, []string) {
	failed := map[string]bool{}
	for _, v := range FailedVendors(fresh) {
		failed[v] = true
	}
	var checkable diff.Plan
	for _, c := range saved.Changes {
		if !failed[c.Address.Vendor] {
			checkable.Changes = append(checkable.Changes, c)
		}
	}
	msgs := staleChanges(&checkable, pairs)
	now := map[diff.Address]diff.Change{}
	for _, c := range fresh.Changes {
		now[c.Address] = c
	}
	want := map[diff.Address]bool{}
	var addrs []diff.Address
	for _, c := range saved.Changes {
		want[c.Address] = true
		addrs = append(addrs, c.Address)
		m, ok := e.Member(c.Address.Vendor)
		f, planned := now[c.Address]
		switch {
		case failed[c.Address.Vendor]:
			msgs = append(msgs, fmt.Sprintf("%s: vendor %s %v, so the change cannot be checked", c.Address, c.Address.Vendor, ErrVendorFailed))
		case !ok || !m.Allowed(c.Address.Kind, c.Action):
			msgs = append(msgs, fmt.Sprintf("%s: vendor %s cannot %s a %s", c.Address, c.Address.Vendor, c.Action, c.Address.Kind))
		case !planned:
			msgs = append(msgs, fmt.Sprintf("%s: the saved plan says %s, a plan made now plans no change", c.Address, c.Action))
		default:
			for _, d := range ChangeDiff(c, f) {
				msgs = append(msgs, fmt.Sprintf("%s: %s", c.Address, d))
			}
		}
	}
	if len(msgs) > 0 {
		return nil, msgs
	}
	run := *fresh.Targets(addrs) // the saved items' messages
	run.Changes = []diff.Change{}
	for _, c := range fresh.Changes {
		if want[c.Address] {
			run.Changes = append(run.Changes, c)
		}
	}
	run.Tripped = nil
	return &run, nil
}

// ChangeDiff lists how the saved change differs from the fresh one in
// what decides what is done and sent: action, field differences, desired
// values, keys, dependencies and the live object's id. Reasons and notes
// are prose and not compared. Values are compared in their JSON form, the
// form a saved plan has.
func ChangeDiff(saved, fresh diff.Change) []string {
	var out []string
	if saved.Action != fresh.Action {
		out = append(out, fmt.Sprintf("action: the saved plan says %s, a plan made now says %s", saved.Action, fresh.Action))
	}
	if saved.LiveID != fresh.LiveID {
		out = append(out, fmt.Sprintf("live_id: saved %s, now %s", jsonText(saved.LiveID), jsonText(fresh.LiveID)))
	}
	out = append(out, mapDiff("desired", saved.Desired, fresh.Desired)...)
	out = append(out, mapDiff("keys", saved.Keys, fresh.Keys)...)
	out = append(out, mapDiff("fields", fieldMap(saved.Fields), fieldMap(fresh.Fields))...)
	if path, sa, sb, differ := leafDiff("depends_on", generic(addrs(saved.DependsOn)), generic(addrs(fresh.DependsOn))); differ {
		sa, sb = shortenPair(sa, sb)
		out = append(out, fmt.Sprintf("%s: the saved plan has %s, a plan made now has %s", path, sa, sb))
	}
	return out
}

func addrs(as []diff.Address) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}

func fieldMap(fs []diff.FieldChange) map[string]diff.FieldChange {
	out := map[string]diff.FieldChange{}
	for _, f := range fs {
		out[f.Field] = f
	}
	return out
}

// mapDiff names every key of two maps whose JSON values differ, sorted,
// with the first leaf where they differ (see leafDiff).
func mapDiff[V any](what string, saved, fresh map[string]V) []string {
	names := map[string]bool{}
	for k := range saved {
		names[k] = true
	}
	for k := range fresh {
		names[k] = true
	}
	sorted := make([]string, 0, len(names))
	for k := range names {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	var out []string
	for _, k := range sorted {
		a, inA := saved[k]
		b, inB := fresh[k]
		var va, vb any = absent{}, absent{}
		if inA {
			va = generic(a)
		}
		if inB {
			vb = generic(b)
		}
		if path, sa, sb, differ := leafDiff(what+"."+k, va, vb); differ {
			sa, sb = shortenPair(sa, sb)
			out = append(out, fmt.Sprintf("%s: the saved plan has %s, a plan made now has %s", path, sa, sb))
		}
	}
	return out
}

// absent stands for a key or list element one side does not have.
type absent struct{}

// generic is v's JSON form decoded into maps, slices and scalars, so that
// a value from a saved file and one made now compare alike.
func generic(v any) any {
	var out any
	if err := json.Unmarshal([]byte(jsonText(v)), &out); err != nil {
		return jsonText(v)
	}
	return out
}

// leafDiff finds the first place, in key order and then list order, where
// two generic values differ, and returns its path (e.g.
// fields.dns_names.new[1]) and both sides' JSON text there. A saved plan
// edited by hand is refused; naming the one value that differs, instead of
// two long objects, lets a person see why.
func leafDiff(path string, a, b any) (string, string, string, bool) {
	switch x := a.(type) {
	case map[string]any:
		if y, ok := b.(map[string]any); ok {
			keys := map[string]bool{}
			for k := range x {
				keys[k] = true
			}
			for k := range y {
				keys[k] = true
			}
			sorted := make([]string, 0, len(keys))
			for k := range keys {
				sorted = append(sorted, k)
			}
			sort.Strings(sorted)
			for _, k := range sorted {
				va, ok := x[k]
				if !ok {
					va = absent{}
				}
				vb, ok := y[k]
				if !ok {
					vb = absent{}
				}
				if p, sa, sb, d := leafDiff(path+"."+k, va, vb); d {
					return p, sa, sb, true
				}
			}
			return "", "", "", false
		}
	case []any:
		if y, ok := b.([]any); ok {
			for i := 0; i < len(x) || i < len(y); i++ {
				var va, vb any = absent{}, absent{}
				if i < len(x) {
					va = x[i]
				}
				if i < len(y) {
					vb = y[i]
				}
				if p, sa, sb, d := leafDiff(fmt.Sprintf("%s[%d]", path, i), va, vb); d {
					return p, sa, sb, true
				}
			}
			return "", "", "", false
		}
	}
	sa, sb := leafText(a), leafText(b)
	if sa == sb {
		return "", "", "", false
	}
	return path, sa, sb, true
}

func leafText(v any) string {
	if _, ok := v.(absent); ok {
		return "absent"
	}
	return jsonText(v)
}

// jsonText is v's JSON form: a saved plan's values went through JSON, so
// comparing JSON forms compares what the vendor would be given.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return string(b)
}

// shortenMax is how long a value may be in a message before it is cut
// around where the two sides differ.
const shortenMax = 120

// shortenPair keeps two long values readable in a message: a value longer
// than shortenMax shows the part around the first byte where the two
// differ ("...", the window, "...", then its length), so that the
// difference itself is always visible.
func shortenPair(a, b string) (string, string) {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return window(a, i), window(b, i)
}

// window cuts s to about shortenMax bytes around byte at, on rune
// boundaries.
func window(s string, at int) string {
	if len(s) <= shortenMax {
		return s
	}
	start := max(0, at-shortenMax/3)
	for start > 0 && !utf8.RuneStart(s[start]) {
		start--
	}
	end := min(len(s), start+shortenMax)
	for end < len(s) && !utf8.RuneStart(s[end]) {
		end++
	}
	out := s[start:end]
	if start > 0 {
		out = "..." + out
	}
	if end < len(s) {
		out += "..."
	}
	return out + fmt.Sprintf(" (%d bytes)", len(s))
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
	// Guards, when set, are the limits the plan must stay within to be
	// applied (see diff.Plan.Guard); nil applies any plan (--force).
	Guards *diff.Guards
}

// ErrGuardTripped is the error of an apply refused because its plan has
// more paid or destructive changes than the guards allow.
var ErrGuardTripped = errors.New("the plan trips a guard; nothing was sent")

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
	// Refused, when set, is why the plan was not applied (it wraps
	// ErrGuardTripped); Plan.Tripped says which guards.
	Refused error
}

// RunCycle plans and, if c.Apply and the plan stays within c.Guards,
// applies. An error means no plan could be made. The second look after an apply is skipped when nothing succeeded
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
	if c.Guards != nil {
		if trips := plan.Guard(*c.Guards); len(trips) > 0 {
			res.Refused = fmt.Errorf("%w: %s", ErrGuardTripped, trips[0])
			return res, nil
		}
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
