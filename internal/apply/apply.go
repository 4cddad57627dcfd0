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
	// OnResult, if set, is called as each change ends (for progress logs),
	// one call at a time, from the goroutine that called Run. A slow
	// OnResult delays the start of the next changes.
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
//
// Changes start in plan order as far as their dependencies allow, on at
// most Concurrency goroutines (a fixed pool, whatever the number of
// changes): a change becomes ready when everything it depends on within the
// plan has ended, and ends at once, without a slot, when one of those did
// not succeed. The bookkeeping is done by the calling goroutine alone and
// costs the same per change at 10 or 10,000 changes.
func Run(ctx context.Context, plan *diff.Plan, appliers map[string]Applier, opts Options) *Report {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	n := len(plan.Changes)
	rep := &Report{Results: make([]Result, n)}
	if n == 0 {
		return rep
	}
	index := make(map[diff.Address]int, n)
	for i, c := range plan.Changes {
		index[c.Address] = i
	}
	r := &runner{
		ctx: ctx, plan: plan, appliers: appliers, opts: opts, rep: rep, index: index,
		pending:    make([]int, n),
		dependents: make([][]int, n),
		ended:      make([]bool, n),
	}
	for i, c := range plan.Changes {
		for _, dep := range c.DependsOn {
			if j, ok := index[dep]; ok { // a dependency outside the plan is already in place
				r.pending[i]++
				r.dependents[j] = append(r.dependents[j], i)
			}
		}
	}
	// Every change on a cycle fails, before any of them settles the
	// changes that depend on it (those on the cycle must not end Skipped).
	var onCycle []int
	for i, cyclic := range cycles(plan, index) {
		if cyclic {
			r.record(i, fail(Result{Address: plan.Changes[i].Address, Action: plan.Changes[i].Action}, ErrCycle))
			onCycle = append(onCycle, i)
		}
	}
	for _, i := range onCycle {
		r.settle(i)
	}
	for i := range n {
		if r.pending[i] == 0 && !r.ended[i] {
			r.resolve(i)
		}
	}
	r.loop()
	return rep
}

// runner is the state of one Run. Only Run's goroutine touches it; the
// workers receive a change's index and send back its Result.
type runner struct {
	ctx      context.Context
	plan     *diff.Plan
	appliers map[string]Applier
	opts     Options
	rep      *Report
	index    map[diff.Address]int

	pending    []int   // dependencies within the plan that have not ended
	dependents [][]int // the changes that depend on each change
	ended      []bool
	done       int        // changes ended
	ready      readyQueue // changes whose dependencies all succeeded
	running    int
}

// finished is a worker's answer: change i ended with r.
type finished struct {
	i int
	r Result
}

// loop hands ready changes to a fixed pool of workers and ends every
// change, until all have ended. Once ctx is done or Stop is closed, a ready
// change ends Skipped instead of starting.
func (r *runner) loop() {
	work := make(chan int)
	results := make(chan finished)
	var wg sync.WaitGroup
	defer func() {
		close(work)
		wg.Wait()
	}()
	for range min(r.opts.Concurrency, len(r.plan.Changes)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				results <- finished{i, r.execute(i)}
			}
		}()
	}
	for r.done < len(r.plan.Changes) {
		if r.ready.Len() > 0 {
			if cause := r.stopped(); cause != "" {
				for r.ready.Len() > 0 {
					i := r.ready.pop()
					r.finish(i, r.base(i, Skipped, "skipped: "+cause))
				}
				continue
			}
		}
		var (
			send       chan<- int
			next       int
			cancelled  <-chan struct{}
			stopSignal <-chan struct{}
		)
		if r.ready.Len() > 0 {
			// Changes are waiting: wake up for a free slot, or to skip
			// them when the run is cancelled or stopped.
			cancelled, stopSignal = r.ctx.Done(), r.opts.Stop
			if r.running < r.opts.Concurrency {
				send, next = work, r.ready.peek()
			}
		}
		select {
		case send <- next:
			r.ready.pop()
			r.running++
		case f := <-results:
			r.running--
			r.finish(f.i, f.r)
		case <-cancelled:
		case <-stopSignal:
		}
	}
}

// stopped returns why no change may start any more ("" while they may).
func (r *runner) stopped() string {
	if r.ctx.Err() != nil {
		return context.Cause(r.ctx).Error()
	}
	select {
	case <-r.opts.Stop:
		return errStopped.Error()
	default:
		return ""
	}
}

func (r *runner) base(i int, s Status, msg string) Result {
	c := r.plan.Changes[i]
	return Result{Address: c.Address, Action: c.Action, Status: s, Error: msg}
}

// execute applies change i on a worker. It checks ctx and Stop once more:
// either may have come while the change was handed over.
func (r *runner) execute(i int) Result {
	c := r.plan.Changes[i]
	base := Result{Address: c.Address, Action: c.Action}
	if cause := r.stopped(); cause != "" {
		base.Status, base.Error = Skipped, "skipped: "+cause
		return base
	}
	a, ok := r.appliers[c.Address.Vendor]
	if !ok {
		return fail(base, fmt.Errorf("no vendor %q is configured", c.Address.Vendor))
	}
	start := time.Now()
	out, err := safeApply(r.ctx, a, c)
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
	return base
}

// finish records change i's result and settles the changes that were
// waiting only for it.
func (r *runner) finish(i int, res Result) {
	r.record(i, res)
	r.settle(i)
}

// record ends change i with res and reports it.
func (r *runner) record(i int, res Result) {
	r.ended[i] = true
	r.done++
	r.rep.Results[i] = res
	if r.opts.OnResult != nil {
		r.opts.OnResult(res)
	}
}

// settle counts change i's end in the changes that depend on it: one whose
// last dependency this was starts, or ends at once behind a dependency
// that did not succeed (a chain of such ends is walked without recursion).
func (r *runner) settle(i int) {
	todo := []int{i}
	for len(todo) > 0 {
		j := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		for _, d := range r.dependents[j] {
			if r.pending[d]--; r.pending[d] > 0 || r.ended[d] {
				continue
			}
			if res, ok := r.blocked(d); ok {
				r.record(d, res)
				todo = append(todo, d)
			} else {
				r.ready.push(d)
			}
		}
	}
}

// resolve settles change i, whose dependencies have all ended: it ends at
// once when one of them did not succeed, else it is ready to start.
func (r *runner) resolve(i int) {
	if res, ok := r.blocked(i); ok {
		r.finish(i, res)
		return
	}
	r.ready.push(i)
}

// blocked returns the result of change i when a dependency, the first in
// its DependsOn order that did not succeed, keeps it from running: Waiting
// behind a waiting change, Skipped behind any other.
func (r *runner) blocked(i int) (Result, bool) {
	for _, dep := range r.plan.Changes[i].DependsOn {
		j, ok := r.index[dep]
		if !ok {
			continue
		}
		switch r.rep.Results[j].Status {
		case OK:
		case Waiting:
			return r.base(i, Waiting, fmt.Sprintf("waiting for %s", dep)), true
		default:
			return r.base(i, Skipped, fmt.Sprintf("skipped: %s did not succeed", dep)), true
		}
	}
	return Result{}, false
}

// readyQueue holds the indexes of changes ready to start, lowest (earliest
// in the plan) first.
type readyQueue struct{ h []int }

func (q *readyQueue) Len() int  { return len(q.h) }
func (q *readyQueue) peek() int { return q.h[0] }

func (q *readyQueue) push(i int) {
	q.h = append(q.h, i)
	for k := len(q.h) - 1; k > 0; {
		parent := (k - 1) / 2
		if q.h[parent] <= q.h[k] {
			break
		}
		q.h[parent], q.h[k] = q.h[k], q.h[parent]
		k = parent
	}
}

func (q *readyQueue) pop() int {
	top := q.h[0]
	last := len(q.h) - 1
	q.h[0] = q.h[last]
	q.h = q.h[:last]
	for k := 0; ; {
		l, small := 2*k+1, k
		if l < len(q.h) && q.h[l] < q.h[small] {
			small = l
		}
		if l+1 < len(q.h) && q.h[l+1] < q.h[small] {
			small = l + 1
		}
		if small == k {
			break
		}
		q.h[k], q.h[small] = q.h[small], q.h[k]
		k = small
	}
	return top
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
