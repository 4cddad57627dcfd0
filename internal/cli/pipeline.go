package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/certsync/certsync/internal/engine"
	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/lock"
	"github.com/certsync/certsync/internal/vendors"
)

// verifiedFile is the signature cache's file in the state directory.
const verifiedFile = "verified.json"

// loadInventory loads and checks the inventory, printing every problem.
// It touches no state: validate stays offline and read-only.
func (a *app) loadInventory(path string) (*inventory.Inventory, error) {
	return a.loadInventoryWith(path, false)
}

// loadInventoryCached is loadInventory for a command that has a state
// directory (plan, apply, run): certificate signature checks that passed
// in an earlier run are answered from the state directory's
// verified.json, read once before the load and written once after a
// successful one. The file only saves work: one that cannot be read is
// an empty cache, one that cannot be written is skipped (both logged at
// debug level), and it is written only where the state directory exists.
func (a *app) loadInventoryCached(path string) (*inventory.Inventory, error) {
	return a.loadInventoryWith(path, true)
}

func (a *app) loadInventoryWith(path string, cached bool) (*inventory.Inventory, error) {
	if path == "" {
		path = a.cfg.Inventory
	}
	var opts inventory.LoadOptions
	cacheFile := ""
	if cached {
		dir := a.cfg.stateDir(path)
		cacheFile = filepath.Join(dir, verifiedFile)
		c, err := inventory.ReadVerifyCache(cacheFile)
		if err != nil {
			a.log.Debug("signature cache ignored", "file", cacheFile, "err", err)
		}
		opts.Verified = c
	}
	inv, err := inventory.LoadWith(path, vendors.Sections(), opts)
	if err == nil && cacheFile != "" {
		if st, serr := os.Stat(filepath.Dir(cacheFile)); serr == nil && st.IsDir() {
			if werr := opts.Verified.Save(cacheFile); werr != nil {
				a.log.Debug("signature cache not saved", "file", cacheFile, "err", werr)
			}
		}
	}
	if err != nil {
		var ps inventory.Problems
		if errors.As(err, &ps) {
			for _, p := range ps {
				fmt.Fprintln(a.stderr, p.Error())
			}
			fmt.Fprintf(a.stderr, "%s: %d problem(s) found; nothing was sent to any vendor.\n", path, len(ps))
			return nil, fmt.Errorf("%s: %d problem(s) in the inventory: %w", path, len(ps), errReported)
		}
		return nil, err
	}
	for _, w := range inv.Warnings() { // printed, never fatal
		fmt.Fprintln(a.stderr, w.Error())
	}
	return inv, nil
}

// session is one run's vendors, built from the configuration (or the
// sandbox) for the sections the inventory uses, as an engine.
type session struct {
	engine *engine.Engine
	// closers run in reverse order: the sandbox stops before the lock goes.
	closers []func()
}

func (s *session) Close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
	s.closers = nil
}

// open builds the vendors the inventory needs. A vendor with missing or
// bad settings takes part as one that cannot be observed (its items fail,
// the others go on); when no vendor can be built, that is an error here,
// before any request.
//
// Certsync's records live in the state directory of the inventory
// (Config.stateDir): CERTSYNC_STATE_DIR, or .certsync beside inv.File.
//
// write says whether the run may change anything: then it takes the state
// directory's lock first, so that two applies (a cron line and a person)
// never run at once. Plans against the sandbox take it too, since the
// in-process simulators write their state files.
func (a *app) open(ctx context.Context, inv *inventory.Inventory, sandbox, write bool) (*session, error) {
	cfg := a.cfg.Vendors
	s := &session{}
	dir := a.cfg.stateDir(inv.File)
	if write || sandbox {
		l, err := lock.Acquire(vendors.StatePath(dir, sandbox), "certsync "+a.command)
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, l.Release)
	}
	if sandbox {
		sb, err := startSandbox(ctx, sandboxOptions{stateDir: vendors.StatePath(dir, true), inv: inv, log: a.log, latency: a.cfg.SandboxLatency})
		if err != nil {
			s.Close()
			return nil, err
		}
		cfg = sb.config(cfg)
		a.redactor.Add(sb.secrets()...)
		s.closers = append(s.closers, sb.Close)
	}
	deps := vendors.Deps{HTTP: a.io.HTTP, Log: a.log, Redactor: a.redactor, StateDir: vendors.StatePath(dir, sandbox)}
	if a.metrics != nil {
		deps.Instrument = a.metrics.Transport
	}
	var errs []string
	var members []engine.Member
	for _, e := range vendors.All() {
		if !e.Used(inv) {
			continue
		}
		v, err := e.New(cfg, deps)
		if err != nil {
			// An unconfigured vendor fails its own items; the others
			// are planned and applied.
			errs = append(errs, fmt.Sprintf("%s: %v", e.Name, err))
			v = unconfigured{err: err}
		}
		members = append(members, e.Member(v))
	}
	if len(errs) > 0 && len(errs) == len(members) {
		s.Close()
		return nil, fmt.Errorf("%s (nothing was sent)", strings.Join(errs, "\n"))
	}
	s.engine = engine.New(members, a.now)
	return s, nil
}
