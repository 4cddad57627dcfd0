// Package apply executes a plan: changes run concurrently up to a bound, a
// change starts only after everything it depends on has succeeded, and every
// change ends with exactly one Result. A failed change never stops the
// changes that do not depend on it.
package apply

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/certsync/certsync/internal/diff"
)

// Outcome is what a vendor reports after executing one change.
type Outcome struct {
	// ID is the vendor's identifier of the object after the change.
	ID string
	// Messages are warnings or notes from the vendor, shown to the user.
	Messages []string
}

// Applier executes changes for one vendor. Apply must be safe for concurrent
// use and must honour ctx: when it is cancelled, an in-flight request may
// finish, but no new one starts.
type Applier interface {
	Apply(ctx context.Context, c diff.Change) (Outcome, error)
}

// Status is the end state of one change.
type Status string

// The statuses a Result can have.
const (
	OK      Status = "ok"
	Failed  Status = "failed"
	Skipped Status = "skipped"
	// Waiting means the change could not start because what it needs does
	// not exist yet (a certificate still being issued); nothing was sent,
	// and a later run picks it up. It is not a failure.
	Waiting Status = "waiting"
)

// ErrNotReady is returned (wrapped) by an Applier whose change cannot run yet
// because an input it depends on is not there; the change ends Waiting.
var ErrNotReady = errors.New("not ready yet")

// Result is the outcome of one change of the plan.
type Result struct {
	Address  diff.Address  `json:"address"`
	Action   diff.Action   `json:"action"`
	Status   Status        `json:"status"`
	Error    string        `json:"error,omitempty"`
	Messages []string      `json:"messages,omitempty"`
	ID       string        `json:"id,omitempty"`
	Duration time.Duration `json:"duration_ns"`
}

// Options tune Run.
type Options struct {
	// Concurrency bounds how many changes run at once; default 4.
	Concurrency int
	// OnResult, if set, is called as each change ends (for progress logs).
	// Calls may come from several goroutines but never at the same time.
	OnResult func(Result)
	// Stop, when closed, keeps every change that has not started from
	// starting (it ends Skipped), while changes already running go on with
	// ctx: a graceful shutdown lets in-flight vendor calls finish. Nil
	// never stops.
	Stop <-chan struct{}
}

// errStopped is the cause of changes that Stop kept from starting.
var errStopped = errors.New("stopped before it started (shutting down)")

// Report holds one Result per change, in plan order.
type Report struct {
	Results []Result `json:"results"`
}

// Count returns how many results have the status.
func (r *Report) Count(s Status) int {
	n := 0
	for _, x := range r.Results {
		if x.Status == s {
			n++
		}
	}
	return n
}

// OK reports whether every change succeeded.
// Waiting changes are not failures: they run again next time.
func (r *Report) OK() bool { return r.Count(OK)+r.Count(Waiting) == len(r.Results) }

// Summary is the closing line, e.g. "Apply complete: 3 ok, 1 failed, 1 skipped."
// Waiting changes are counted only when there are some.
func (r *Report) Summary() string {
	s := fmt.Sprintf("Apply complete: %d ok, %d failed, %d skipped", r.Count(OK), r.Count(Failed), r.Count(Skipped))
	if n := r.Count(Waiting); n > 0 {
		s += fmt.Sprintf(", %d waiting", n)
	}
	return s + "."
}

// ErrCycle is reported for changes whose dependencies form a cycle.
var ErrCycle = errors.New("dependency cycle")

// Run executes plan with the appliers, keyed by vendor name.
func Run(ctx context.Context, plan *diff.Plan, appliers map[string]Applier, opts Options) *Report {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	n := len(plan.Changes)
	rep := &Report{Results: make([]Result, n)}
	index := map[diff.Address]int{}
	for i, c := range plan.Changes {
		index[c.Address] = i
	}
	cyclic := cycles(plan, index)

	done := make([]chan struct{}, n)
	for i := range done {
		done[i] = make(chan struct{})
	}
	sem := make(chan struct{}, opts.Concurrency)
	var mu sync.Mutex // serialises OnResult
	finish := func(i int, r Result) {
		rep.Results[i] = r
		if opts.OnResult != nil {
			mu.Lock()
			opts.OnResult(r)
			mu.Unlock()
		}
		close(done[i])
	}

	var wg sync.WaitGroup
	for i, c := range plan.Changes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			base := Result{Address: c.Address, Action: c.Action}
			if cyclic[i] {
				finish(i, fail(base, ErrCycle))
				return
			}
			for _, dep := range c.DependsOn {
				j, inPlan := index[dep]
				if !inPlan {
					continue // nothing to do for it: already in place
				}
				<-done[j]
				switch rep.Results[j].Status {
				case OK:
				case Waiting:
					base.Status, base.Error = Waiting, fmt.Sprintf("waiting for %s", dep)
					finish(i, base)
					return
				default:
					base.Status, base.Error = Skipped, fmt.Sprintf("skipped: %s did not succeed", dep)
					finish(i, base)
					return
				}
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				base.Status, base.Error = Skipped, "skipped: "+context.Cause(ctx).Error()
				finish(i, base)
				return
			case <-opts.Stop:
				base.Status, base.Error = Skipped, "skipped: "+errStopped.Error()
				finish(i, base)
				return
			}
			defer func() { <-sem }()
			if ctx.Err() != nil { // cancelled while we waited for a slot
				base.Status, base.Error = Skipped, "skipped: "+context.Cause(ctx).Error()
				finish(i, base)
				return
			}
			select {
			case <-opts.Stop: // stopped while we waited for a slot
				base.Status, base.Error = Skipped, "skipped: "+errStopped.Error()
				finish(i, base)
				return
			default:
			}
			a, ok := appliers[c.Address.Vendor]
			if !ok {
				finish(i, fail(base, fmt.Errorf("no vendor %q is configured", c.Address.Vendor)))
				return
			}
			start := time.Now()
			out, err := safeApply(ctx, a, c)
			base.Duration = time.Since(start)
			base.Messages, base.ID = out.Messages, out.ID
			switch {
			case errors.Is(err, ErrNotReady):
				base.Status, base.Error = Waiting, err.Error()
			case err != nil:
				base = fail(base, err)
			default:
				base.Status = OK
			}
			finish(i, base)
		}()
	}
	wg.Wait()
	return rep
}

func fail(r Result, err error) Result {
	r.Status, r.Error = Failed, err.Error()
	return r
}

// safeApply turns a panic in vendor code into a failed change, so one bad
// change cannot take the others down. The panic value is not printed: it may
// hold request data or a secret.
func safeApply(ctx context.Context, a Applier, c diff.Change) (out Outcome, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: certsync's %s code failed (%T) while applying %s; please report it with a debug log", c.Address.Vendor, r, c.Address)
		}
	}()
	return a.Apply(ctx, c)
}

// cycles marks the changes that sit on a dependency cycle within the plan:
// those in a strongly connected component of more than one change, or that
// depend on themselves (Tarjan's algorithm). A plain depth-first search
// that marks only the stack on meeting a grey change misses changes whose
// path back into the cycle goes through an already finished change.
func cycles(plan *diff.Plan, index map[diff.Address]int) []bool {
	n := len(plan.Changes)
	order := make([]int, n) // 1-based visit order; 0 = not visited
	low := make([]int, n)
	onStack := make([]bool, n)
	onCycle := make([]bool, n)
	var stack []int
	next := 0
	var visit func(i int)
	visit = func(i int) {
		next++
		order[i], low[i] = next, next
		stack = append(stack, i)
		onStack[i] = true
		for _, dep := range plan.Changes[i].DependsOn {
			j, ok := index[dep]
			if !ok {
				continue
			}
			if j == i {
				onCycle[i] = true
			}
			switch {
			case order[j] == 0:
				visit(j)
				low[i] = min(low[i], low[j])
			case onStack[j]:
				low[i] = min(low[i], order[j])
			}
		}
		if low[i] != order[i] {
			return
		}
		// i is the root of a component: pop it.
		k := len(stack) - 1
		for stack[k] != i {
			k--
		}
		comp := stack[k:]
		stack = stack[:k]
		for _, c := range comp {
			onStack[c] = false
			if len(comp) > 1 {
				onCycle[c] = true
			}
		}
	}
	for i := range plan.Changes {
		if order[i] == 0 {
			visit(i)
		}
	}
	// A change that depends on a cyclic one can never start either; it is
	// skipped by Run when its dependency fails.
	return onCycle
}
