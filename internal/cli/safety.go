package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/certsync/certsync/internal/apply"
	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/engine"
	"github.com/certsync/certsync/internal/inventory"
)

// guardFlags are the flags that raise or lift the guards for one run.
type guardFlags struct {
	maxPaid, maxDestructive *int
	force                   *bool
}

// addGuardFlags declares --max-paid and --max-destructive (and --force when
// the command applies).
func addGuardFlags(fs *flag.FlagSet, applies bool) guardFlags {
	g := guardFlags{
		maxPaid:        fs.Int("max-paid", -1, fmt.Sprintf("most paid changes (orders, renewals) one apply may make (default: the inventory's guards.max_paid, else %d)", diff.DefaultGuards.MaxPaid)),
		maxDestructive: fs.Int("max-destructive", -1, fmt.Sprintf("most destructive changes (delete, cancel, revoke) one apply may make (default: the inventory's guards.max_destructive, else %d)", diff.DefaultGuards.MaxDestructive)),
	}
	if applies {
		g.force = fs.Bool("force", false, "apply even a plan that trips a guard")
	}
	return g
}

// limits are the guards of the run: a flag wins over the inventory's
// guards section, which wins over the defaults. nil means --force.
func (g guardFlags) limits(inv *inventory.Inventory) *diff.Guards {
	if g.force != nil && *g.force {
		return nil
	}
	l := diff.DefaultGuards
	if inv.Guards.MaxPaid.Set {
		l.MaxPaid = inv.Guards.MaxPaid.Value
	}
	if inv.Guards.MaxDestructive.Set {
		l.MaxDestructive = inv.Guards.MaxDestructive.Value
	}
	if *g.maxPaid >= 0 {
		l.MaxPaid = *g.maxPaid
	}
	if *g.maxDestructive >= 0 {
		l.MaxDestructive = *g.maxDestructive
	}
	return &l
}

// errGuard is returned when apply refuses a plan for its guards.
func errGuard(p *diff.Plan) error {
	parts := make([]string, len(p.Tripped))
	for i, t := range p.Tripped {
		parts[i] = t.String()
	}
	return fmt.Errorf("%w: %s", engine.ErrGuardTripped, strings.Join(parts, "; "))
}

// unconfigured stands in for a vendor that could not be built (missing or
// bad settings): observing it fails with the reason, so its items fail
// and the other vendors go on.
type unconfigured struct{ err error }

func (u unconfigured) Observe(context.Context, *inventory.Inventory) ([]diff.Pair, error) {
	return nil, u.err
}

func (u unconfigured) Apply(context.Context, diff.Change) (apply.Outcome, error) {
	return apply.Outcome{}, u.err
}

// parseTargets reads --target addresses; a malformed one is an error.
func parseTargets(raw []string) ([]diff.Address, error) {
	var out []diff.Address
	for _, t := range raw {
		a, err := diff.ParseAddress(t)
		if err != nil {
			return nil, fmt.Errorf("--target %w", err)
		}
		out = append(out, a)
	}
	return out, nil
}

// planTargets plans with the vendors the targets need (all without
// targets) and keeps the targeted changes. A target of a vendor that could
// not be observed is not checked against its items: the plan carries the
// vendor's error instead.
func planTargets(ctx context.Context, e *engine.Engine, inv *inventory.Inventory, raw []string) (*diff.Plan, []diff.Pair, error) {
	addrs, err := parseTargets(raw)
	if err != nil {
		return nil, nil, err
	}
	plan, pairs, err := e.Needed(addrs).Plan(ctx, inv)
	if err != nil {
		return nil, nil, err
	}
	failed := map[string]bool{}
	for _, v := range engine.FailedVendors(plan) {
		failed[v] = true
	}
	var check []string
	var keep []diff.Address
	for i, a := range addrs {
		if failed[a.Vendor] {
			keep = append(keep, a)
			continue
		}
		check = append(check, raw[i])
	}
	t, err := engine.Targets(check, pairs)
	if err != nil {
		return nil, nil, err
	}
	if len(addrs) == 0 {
		return plan, pairs, nil
	}
	return plan.Targets(append(t, keep...)), pairs, nil
}
