package cli

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/lock"
	"github.com/certsync/certsync/internal/vendors"
)

// loadInventory loads and checks the inventory, printing every problem.
func (a *app) loadInventory(path string) (*inventory.Inventory, error) {
	if path == "" {
		path = a.cfg.Inventory
	}
	inv, err := inventory.Load(path)
	if err != nil {
		var ps inventory.Problems
		if errors.As(err, &ps) {
			for _, p := range ps {
				fmt.Fprintln(a.stderr, p.Error())
			}
			fmt.Fprintf(a.stderr, "%s: %d problem(s) found; nothing was sent to any vendor.\n", path, len(ps))
			return nil, errReported
		}
		return nil, err
	}
	return inv, nil
}

// session is one run's vendors, built from the configuration (or the
// sandbox) for the sections the inventory uses.
type session struct {
	entries map[string]vendors.Entry
	vendors map[string]vendors.Vendor
	// closers run in reverse order: the sandbox stops before the lock goes.
	closers []func()
}

func (s *session) Close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
	s.closers = nil
}

// open builds the vendors the inventory needs. Missing credentials are an
// error here, before any request.
//
// write says whether the run may change anything: then it takes the state
// directory's lock first, so that two applies (a cron line and a person)
// never run at once. Plans against the sandbox take it too, since the
// in-process simulators write their state files.
func (a *app) open(ctx context.Context, inv *inventory.Inventory, sandbox, write bool) (*session, error) {
	cfg := a.cfg.Vendors
	s := &session{entries: map[string]vendors.Entry{}, vendors: map[string]vendors.Vendor{}}
	if write || sandbox {
		l, err := lock.Acquire(vendors.StatePath(a.cfg.StateDir, sandbox), "certsync "+a.command)
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, l.Release)
	}
	if sandbox {
		sb, err := startSandbox(ctx, sandboxOptions{stateDir: vendors.StatePath(a.cfg.StateDir, true), inv: inv, log: a.log, latency: a.cfg.SandboxLatency})
		if err != nil {
			s.Close()
			return nil, err
		}
		cfg = sb.config(cfg)
		a.redactor.Add(sb.secrets()...)
		s.closers = append(s.closers, sb.Close)
	}
	deps := vendors.Deps{HTTP: a.io.HTTP, Log: a.log, Redactor: a.redactor, StateDir: vendors.StatePath(a.cfg.StateDir, sandbox)}
	if a.metrics != nil {
		deps.Instrument = a.metrics.Transport
	}
	var errs []string
	for _, e := range vendors.All() {
		if !e.Used(inv) {
			continue
		}
		v, err := e.New(cfg, deps)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", e.Name, err))
			continue
		}
		s.entries[e.Name], s.vendors[e.Name] = e, v
	}
	if len(errs) > 0 {
		s.Close()
		return nil, fmt.Errorf("%s (nothing was sent)", strings.Join(errs, "\n"))
	}
	return s, nil
}

// observe asks every vendor for its pairs and computes the plan. Vendors
// that stand alone are observed concurrently; downstream ones (see
// vendors.Downstream) after them, with their pairs. Pairs keep the vendor
// table's order, so plans are stable.
func (a *app) observe(ctx context.Context, s *session, inv *inventory.Inventory) (*diff.Plan, []diff.Pair, error) {
	var up, down []string
	for _, e := range vendors.All() {
		v, ok := s.vendors[e.Name]
		switch {
		case !ok:
		case isDownstream(v):
			down = append(down, e.Name)
		default:
			up = append(up, e.Name)
		}
	}
	results := make(map[string][]diff.Pair)
	var mu sync.Mutex
	var errs []string
	var wg sync.WaitGroup
	for _, name := range up {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := s.vendors[name].Observe(ctx, inv)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s: %v", name, err))
			}
			results[name] = p
		}()
	}
	wg.Wait()
	var upstream []diff.Pair
	for _, name := range up {
		upstream = append(upstream, results[name]...)
	}
	for _, name := range down {
		if len(errs) > 0 {
			break // its inputs are incomplete
		}
		p, err := s.vendors[name].(vendors.Downstream).ObserveAfter(ctx, inv, upstream)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", name, err))
		}
		results[name] = p
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return nil, nil, errors.New(strings.Join(errs, "\n"))
	}
	var all []diff.Pair
	for _, e := range vendors.All() {
		all = append(all, results[e.Name]...)
	}
	plan := diff.Compute(all, a.now())
	plan.Inventory = inv.File
	for _, c := range plan.Changes {
		if e := s.entries[c.Address.Vendor]; !e.Allowed(c.Address.Kind, c.Action) {
			return nil, nil, fmt.Errorf("%s: vendor %s cannot %s a %s (this is a certsync bug)", c.Address, e.Name, c.Action, c.Address.Kind)
		}
	}
	return plan, all, nil
}

func isDownstream(v vendors.Vendor) bool {
	_, ok := v.(vendors.Downstream)
	return ok
}

// parseTargets checks --target values against the inventory's addresses.
// A target is a full address as plans print it, e.g. ccadb/intermediate/NAME.
func parseTargets(raw []string, pairs []diff.Pair) ([]diff.Address, error) {
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
		return nil, fmt.Errorf("--target %s matches nothing in the inventory%s", strings.Join(bad, ", "), hint)
	}
	return out, nil
}
