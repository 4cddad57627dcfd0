package apply_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/certsync/certsync/internal/apply"
	"github.com/certsync/certsync/internal/diff"
)

// fake is an Applier that records the order in which changes start and
// finish, and can fail, block or panic per address (by name).
type fake struct {
	fail   map[string]error
	panics map[string]bool
	// block holds changes until the channel is closed or ctx is done.
	block map[string]chan struct{}
	// started, if set, receives each name as its change starts.
	started chan string

	mu    sync.Mutex
	log   []string // "start NAME" and "end NAME"
	calls map[string]int

	inFlight, maxInFlight atomic.Int32
}

func (f *fake) record(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, s)
	if strings.HasPrefix(s, "start ") {
		if f.calls == nil {
			f.calls = map[string]int{}
		}
		f.calls[strings.TrimPrefix(s, "start ")]++
	}
}

func (f *fake) Apply(ctx context.Context, c diff.Change) (apply.Outcome, error) {
	name := c.Address.Name
	n := f.inFlight.Add(1)
	for {
		m := f.maxInFlight.Load()
		if n <= m || f.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	f.record("start " + name)
	if f.started != nil {
		f.started <- name
	}
	defer f.inFlight.Add(-1)
	defer f.record("end " + name)
	if ch, ok := f.block[name]; ok {
		select {
		case <-ch:
		case <-ctx.Done():
			return apply.Outcome{}, context.Cause(ctx)
		}
	}
	if f.panics[name] {
		panic("vendor bug with request data " + secretish)
	}
	if err := f.fail[name]; err != nil {
		return apply.Outcome{Messages: []string{"partial: " + name}}, err
	}
	return apply.Outcome{ID: "id-" + name, Messages: []string{"done " + name}}, nil
}

const secretish = "PANIC-VALUE-1234"

// position returns the index of s in the log, failing the test if absent.
func (f *fake) position(t *testing.T, s string) int {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, x := range f.log {
		if x == s {
			return i
		}
	}
	t.Fatalf("%q not in log %q", s, f.log)
	return -1
}

func (f *fake) called(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

func a(name string) diff.Address { return diff.Address{Vendor: "v", Kind: "k", Name: name} }

// change builds a change of vendor v named name that depends on deps.
func change(name string, deps ...string) diff.Change {
	c := diff.Change{Address: a(name), Action: diff.Update}
	for _, d := range deps {
		c.DependsOn = append(c.DependsOn, a(d))
	}
	return c
}

func plan(cs ...diff.Change) *diff.Plan {
	return &diff.Plan{FormatVersion: diff.FormatVersion, Changes: cs}
}

// run runs the plan with a timeout, so that a deadlock fails the test
// instead of hanging it.
func run(t *testing.T, ctx context.Context, p *diff.Plan, appliers map[string]apply.Applier, opts apply.Options) *apply.Report {
	t.Helper()
	done := make(chan *apply.Report, 1)
	go func() { done <- apply.Run(ctx, p, appliers, opts) }()
	select {
	case r := <-done:
		checkComplete(t, p, r)
		return r
	case <-time.After(3 * time.Second):
		t.Fatal("Run did not return: deadlock?")
		return nil
	}
}

// checkComplete asserts one result per change, in plan order, each with a
// status.
func checkComplete(t *testing.T, p *diff.Plan, r *apply.Report) {
	t.Helper()
	if len(r.Results) != len(p.Changes) {
		t.Fatalf("%d results for %d changes", len(r.Results), len(p.Changes))
	}
	for i, res := range r.Results {
		if res.Address != p.Changes[i].Address || res.Action != p.Changes[i].Action {
			t.Errorf("result %d is for %s %s, want %s %s", i, res.Action, res.Address, p.Changes[i].Action, p.Changes[i].Address)
		}
		switch res.Status {
		case apply.OK:
			if res.Error != "" {
				t.Errorf("%s: ok with error %q", res.Address, res.Error)
			}
		case apply.Failed, apply.Skipped, apply.Waiting:
			if res.Error == "" {
				t.Errorf("%s: %s without an error message", res.Address, res.Status)
			}
		default:
			t.Errorf("%s: status %q", res.Address, res.Status)
		}
	}
}

func statuses(r *apply.Report) map[string]apply.Status {
	out := map[string]apply.Status{}
	for _, x := range r.Results {
		out[x.Address.Name] = x.Status
	}
	return out
}

func result(t *testing.T, r *apply.Report, name string) apply.Result {
	t.Helper()
	for _, x := range r.Results {
		if x.Address.Name == name {
			return x
		}
	}
	t.Fatalf("no result for %s", name)
	return apply.Result{}
}

func TestAllSucceed(t *testing.T) {
	f := &fake{}
	p := plan(change("c"), change("a"), change("b"))
	p.Changes[1].Action = diff.Create
	r := run(t, context.Background(), p, map[string]apply.Applier{"v": f}, apply.Options{})
	want := []apply.Result{
		{Address: a("c"), Action: diff.Update, Status: apply.OK, ID: "id-c", Messages: []string{"done c"}},
		{Address: a("a"), Action: diff.Create, Status: apply.OK, ID: "id-a", Messages: []string{"done a"}},
		{Address: a("b"), Action: diff.Update, Status: apply.OK, ID: "id-b", Messages: []string{"done b"}},
	}
	if d := cmp.Diff(want, r.Results, cmpopts.IgnoreFields(apply.Result{}, "Duration")); d != "" {
		t.Errorf("results (-want +got):\n%s", d)
	}
	for _, n := range []string{"a", "b", "c"} {
		if got := f.called(n); got != 1 {
			t.Errorf("%s applied %d times", n, got)
		}
	}
	if !r.OK() {
		t.Error("OK() = false")
	}
	if got := r.Summary(); got != "Apply complete: 3 ok, 0 failed, 0 skipped." {
		t.Errorf("Summary() = %q", got)
	}
}

func TestEmptyPlan(t *testing.T) {
	r := run(t, context.Background(), plan(), nil, apply.Options{})
	if len(r.Results) != 0 || !r.OK() {
		t.Errorf("report = %+v", r)
	}
	if got := r.Summary(); got != "Apply complete: 0 ok, 0 failed, 0 skipped." {
		t.Errorf("Summary() = %q", got)
	}
}

func TestDependencyRunsFirst(t *testing.T) {
	// root is last in plan order and held until the test has seen that
	// nothing depending on it started.
	gate := make(chan struct{})
	f := &fake{block: map[string]chan struct{}{"root": gate}, started: make(chan string, 10)}
	p := plan(
		change("leaf", "mid"),
		change("mid", "root"),
		change("other"),
		change("root"),
	)
	done := make(chan *apply.Report, 1)
	go func() {
		done <- apply.Run(context.Background(), p, map[string]apply.Applier{"v": f}, apply.Options{Concurrency: 8})
	}()

	seen := map[string]bool{}
	for !seen["root"] || !seen["other"] {
		select {
		case n := <-f.started:
			seen[n] = true
		case <-time.After(3 * time.Second):
			t.Fatalf("root and other did not start; started: %v", seen)
		}
	}
	// Give a wrong implementation a chance to start a dependent early.
	select {
	case n := <-f.started:
		t.Fatalf("%s started while root was still running", n)
	case <-time.After(20 * time.Millisecond):
	}
	close(gate)
	var r *apply.Report
	select {
	case r = <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("Run did not return")
	}
	checkComplete(t, p, r)
	if !r.OK() {
		t.Fatalf("results: %+v", r.Results)
	}
	if f.position(t, "end root") > f.position(t, "start mid") {
		t.Error("mid started before root ended")
	}
	if f.position(t, "end mid") > f.position(t, "start leaf") {
		t.Error("leaf started before mid ended")
	}
}

func TestDiamondDependencies(t *testing.T) {
	f := &fake{}
	p := plan(
		change("join", "left", "right"),
		change("left", "base"),
		change("right", "base"),
		change("base"),
	)
	r := run(t, context.Background(), p, map[string]apply.Applier{"v": f}, apply.Options{Concurrency: 4})
	if !r.OK() {
		t.Fatalf("results: %+v", r.Results)
	}
	for _, e := range [][2]string{{"base", "left"}, {"base", "right"}, {"left", "join"}, {"right", "join"}} {
		if f.position(t, "end "+e[0]) > f.position(t, "start "+e[1]) {
			t.Errorf("%s started before %s ended", e[1], e[0])
		}
	}
}

func TestFailureSkipsDependentsOnly(t *testing.T) {
	f := &fake{fail: map[string]error{"bad": errors.New("vendor said 400: no")}}
	p := plan(
		change("bad"),
		change("child", "bad"),
		change("grandchild", "child"),
		change("unrelated"),
		change("also-unrelated", "unrelated"),
	)
	var mu sync.Mutex
	seen := map[string]int{}
	r := run(t, context.Background(), p, map[string]apply.Applier{"v": f}, apply.Options{
		Concurrency: 1,
		OnResult: func(res apply.Result) {
			mu.Lock()
			defer mu.Unlock()
			seen[res.Address.Name]++
		},
	})
	want := map[string]apply.Status{
		"bad": apply.Failed, "child": apply.Skipped, "grandchild": apply.Skipped,
		"unrelated": apply.OK, "also-unrelated": apply.OK,
	}
	if d := cmp.Diff(want, statuses(r)); d != "" {
		t.Errorf("statuses (-want +got):\n%s", d)
	}
	bad := result(t, r, "bad")
	if bad.Error != "vendor said 400: no" || !cmp.Equal(bad.Messages, []string{"partial: bad"}) {
		t.Errorf("failed result = %+v", bad)
	}
	if got := result(t, r, "child").Error; !strings.Contains(got, a("bad").String()) {
		t.Errorf("child: error %q does not name the failed dependency", got)
	}
	if got := result(t, r, "grandchild").Error; !strings.Contains(got, a("child").String()) {
		t.Errorf("grandchild: error %q does not name its dependency", got)
	}
	for _, n := range []string{"child", "grandchild"} {
		if f.called(n) != 0 {
			t.Errorf("%s was applied although its dependency failed", n)
		}
	}
	if r.OK() {
		t.Error("OK() = true with a failure")
	}
	if got := r.Summary(); got != "Apply complete: 2 ok, 1 failed, 2 skipped." {
		t.Errorf("Summary() = %q", got)
	}
	if d := cmp.Diff(map[string]int{"bad": 1, "child": 1, "grandchild": 1, "unrelated": 1, "also-unrelated": 1}, seen); d != "" {
		t.Errorf("OnResult calls (-want +got):\n%s", d)
	}
}

func TestPanicFailsOnlyThatChange(t *testing.T) {
	f := &fake{panics: map[string]bool{"boom": true}}
	p := plan(change("boom"), change("fine"), change("after-boom", "boom"))
	r := run(t, context.Background(), p, map[string]apply.Applier{"v": f}, apply.Options{})
	want := map[string]apply.Status{"boom": apply.Failed, "fine": apply.OK, "after-boom": apply.Skipped}
	if d := cmp.Diff(want, statuses(r)); d != "" {
		t.Errorf("statuses (-want +got):\n%s", d)
	}
	msg := result(t, r, "boom").Error
	if !strings.Contains(msg, "internal error") || !strings.Contains(msg, "while applying "+a("boom").String()) {
		t.Errorf("panic error = %q", msg)
	}
	if strings.Contains(msg, secretish) {
		t.Errorf("panic error shows the panic value: %q", msg)
	}
	if f.inFlight.Load() != 0 {
		t.Error("in-flight count not released after panic")
	}
}

func TestMissingVendor(t *testing.T) {
	f := &fake{}
	missing := diff.Change{Address: diff.Address{Vendor: "nope", Kind: "k", Name: "x"}, Action: diff.Create}
	p := plan(missing, change("ok"))
	r := run(t, context.Background(), p, map[string]apply.Applier{"v": f}, apply.Options{})
	if got := r.Results[0]; got.Status != apply.Failed || !strings.Contains(got.Error, `"nope"`) {
		t.Errorf("missing vendor: %+v", got)
	}
	if r.Results[1].Status != apply.OK {
		t.Errorf("other vendor: %+v", r.Results[1])
	}
}

func TestCycles(t *testing.T) {
	f := &fake{}
	p := plan(
		change("a", "b"),
		change("b", "a"),
		change("self", "self"),
		// g -> x -> g, and g -> y -> x: y is on the cycle g -> y -> x -> g
		// although a depth-first search from g meets x first.
		change("g", "x", "y"),
		change("x", "g"),
		change("y", "x"),
		change("needs-a", "a"),
		change("free"),
	)
	r := run(t, context.Background(), p, map[string]apply.Applier{"v": f}, apply.Options{})
	want := map[string]apply.Status{
		"a": apply.Failed, "b": apply.Failed, "self": apply.Failed,
		"g": apply.Failed, "x": apply.Failed, "y": apply.Failed,
		"needs-a": apply.Skipped, "free": apply.OK,
	}
	if d := cmp.Diff(want, statuses(r)); d != "" {
		t.Errorf("statuses (-want +got):\n%s", d)
	}
	for _, n := range []string{"a", "b", "self", "g", "x", "y"} {
		if got := result(t, r, n).Error; !strings.Contains(got, apply.ErrCycle.Error()) {
			t.Errorf("%s: error %q, want %q", n, got, apply.ErrCycle)
		}
		if f.called(n) != 0 {
			t.Errorf("%s was applied although it is on a cycle", n)
		}
	}
	if got := result(t, r, "needs-a").Error; !strings.Contains(got, a("a").String()) {
		t.Errorf("needs-a: error %q does not name its dependency", got)
	}
}

func TestDependencyOutsidePlanIgnored(t *testing.T) {
	f := &fake{}
	p := plan(change("x", "not-in-plan"), diff.Change{
		Address: a("y"), Action: diff.Update,
		DependsOn: []diff.Address{{Vendor: "other", Kind: "k", Name: "z"}},
	})
	r := run(t, context.Background(), p, map[string]apply.Applier{"v": f}, apply.Options{})
	if !r.OK() {
		t.Errorf("results: %+v", r.Results)
	}
}

func TestConcurrencyBound(t *testing.T) {
	for _, limit := range []int{1, 3} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			gate := make(chan struct{})
			f := &fake{block: map[string]chan struct{}{}, started: make(chan string, 20)}
			var cs []diff.Change
			for i := range 10 {
				n := fmt.Sprint("c", i)
				f.block[n] = gate
				cs = append(cs, change(n))
			}
			p := plan(cs...)
			done := make(chan *apply.Report, 1)
			go func() {
				done <- apply.Run(context.Background(), p, map[string]apply.Applier{"v": f}, apply.Options{Concurrency: limit})
			}()
			for range limit {
				select {
				case <-f.started:
				case <-time.After(3 * time.Second):
					t.Fatal("changes did not start")
				}
			}
			// All slots are taken and held: no further change may start.
			select {
			case n := <-f.started:
				t.Fatalf("%s started beyond the limit of %d", n, limit)
			case <-time.After(20 * time.Millisecond):
			}
			close(gate)
			var r *apply.Report
			select {
			case r = <-done:
			case <-time.After(3 * time.Second):
				t.Fatal("Run did not return")
			}
			checkComplete(t, p, r)
			if !r.OK() {
				t.Errorf("results: %+v", r.Results)
			}
			if got := f.maxInFlight.Load(); got != int32(limit) {
				t.Errorf("max in flight = %d, want %d", got, limit)
			}
		})
	}
}

func TestDefaultConcurrency(t *testing.T) {
	gate := make(chan struct{})
	f := &fake{block: map[string]chan struct{}{}, started: make(chan string, 20)}
	var cs []diff.Change
	for i := range 8 {
		n := fmt.Sprint("c", i)
		f.block[n] = gate
		cs = append(cs, change(n))
	}
	done := make(chan *apply.Report, 1)
	go func() {
		done <- apply.Run(context.Background(), plan(cs...), map[string]apply.Applier{"v": f}, apply.Options{})
	}()
	for range 4 {
		select {
		case <-f.started:
		case <-time.After(3 * time.Second):
			t.Fatal("changes did not start")
		}
	}
	select {
	case n := <-f.started:
		t.Errorf("%s started beyond the default limit of 4", n)
	case <-time.After(20 * time.Millisecond):
	}
	close(gate)
	if r := <-done; !r.OK() || f.maxInFlight.Load() != 4 {
		t.Errorf("max in flight %d, results %+v", f.maxInFlight.Load(), r.Results)
	}
}

func TestCancel(t *testing.T) {
	// One slot; every independent change blocks until cancelled, so
	// whichever starts first holds the slot and the others must not start.
	gate := make(chan struct{})
	defer close(gate)
	f := &fake{block: map[string]chan struct{}{"one": gate, "two": gate, "three": gate}, started: make(chan string, 10)}
	p := plan(
		change("one"),
		change("two"),
		change("three"),
		change("after-one", "one"),
	)
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	var calls atomic.Int32
	done := make(chan *apply.Report, 1)
	go func() {
		done <- apply.Run(ctx, p, map[string]apply.Applier{"v": f}, apply.Options{
			Concurrency: 1,
			OnResult:    func(apply.Result) { calls.Add(1) },
		})
	}()
	var first string
	select {
	case first = <-f.started:
	case <-time.After(3 * time.Second):
		t.Fatal("nothing started")
	}
	cancel(errors.New("operator pressed ctrl-c"))
	var r *apply.Report
	select {
	case r = <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	checkComplete(t, p, r)
	want := map[string]apply.Status{
		"one": apply.Skipped, "two": apply.Skipped, "three": apply.Skipped, "after-one": apply.Skipped,
	}
	want[first] = apply.Failed // it was running: the applier returned the cause
	if d := cmp.Diff(want, statuses(r)); d != "" {
		t.Errorf("statuses (-want +got):\n%s", d)
	}
	for _, n := range []string{"one", "two", "three"} {
		if got := result(t, r, n).Error; !strings.Contains(got, "operator pressed ctrl-c") {
			t.Errorf("%s: error %q does not give the cancel cause", n, got)
		}
		if n != first && f.called(n) != 0 {
			t.Errorf("%s was applied after cancel", n)
		}
	}
	if calls.Load() != 4 {
		t.Errorf("OnResult called %d times, want 4", calls.Load())
	}
}

func TestAlreadyCancelled(t *testing.T) {
	f := &fake{}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := plan(change("a"), change("b", "a"), change("c"))
	r := run(t, ctx, p, map[string]apply.Applier{"v": f}, apply.Options{Concurrency: 2})
	for _, res := range r.Results {
		if res.Status != apply.Skipped {
			t.Errorf("%s: %s, want skipped", res.Address, res.Status)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.log) != 0 {
		t.Errorf("appliers called after cancel: %v", f.log)
	}
	if got := r.Summary(); got != "Apply complete: 0 ok, 0 failed, 3 skipped." {
		t.Errorf("Summary() = %q", got)
	}
}

func TestOnResultSerialised(t *testing.T) {
	f := &fake{}
	var cs []diff.Change
	for i := range 50 {
		cs = append(cs, change(fmt.Sprint("c", i)))
	}
	cs = append(cs, change("dep", "c0", "c1"))
	f.fail = map[string]error{"c7": errors.New("no")}
	var active, overlap atomic.Int32
	got := map[diff.Address]int{}
	r := run(t, context.Background(), plan(cs...), map[string]apply.Applier{"v": f}, apply.Options{
		Concurrency: 16,
		OnResult: func(res apply.Result) {
			if active.Add(1) > 1 {
				overlap.Add(1)
			}
			got[res.Address]++ // unsynchronised on purpose: -race checks the serialisation
			time.Sleep(100 * time.Microsecond)
			active.Add(-1)
		},
	})
	if overlap.Load() != 0 {
		t.Error("OnResult ran concurrently")
	}
	if len(got) != len(cs) {
		t.Errorf("OnResult saw %d changes, want %d", len(got), len(cs))
	}
	for ad, n := range got {
		if n != 1 {
			t.Errorf("OnResult called %d times for %s", n, ad)
		}
	}
	if r.Count(apply.Failed) != 1 || r.Count(apply.OK) != len(cs)-1 {
		t.Errorf("counts: %s", r.Summary())
	}
}

func TestReport(t *testing.T) {
	r := &apply.Report{Results: []apply.Result{
		{Status: apply.OK}, {Status: apply.Failed}, {Status: apply.Skipped}, {Status: apply.OK}, {Status: apply.Skipped},
	}}
	if got := r.Summary(); got != "Apply complete: 2 ok, 1 failed, 2 skipped." {
		t.Errorf("Summary() = %q", got)
	}
	if r.OK() {
		t.Error("OK() = true")
	}
	if r.Count(apply.Skipped) != 2 {
		t.Errorf("Count(skipped) = %d", r.Count(apply.Skipped))
	}
	ok := &apply.Report{Results: []apply.Result{{Status: apply.OK}}}
	if !ok.OK() {
		t.Error("OK() = false for all-ok report")
	}
	if !(&apply.Report{}).OK() {
		t.Error("OK() = false for an empty report")
	}
}

// An applier that is not ready yet ends its change Waiting, and its
// dependents wait too; waiting is not a failure.
func TestWaiting(t *testing.T) {
	f := &fake{}
	p := plan(change("order"), change("cdn", "order"), change("other"))
	wrap := applierFunc(func(ctx context.Context, c diff.Change) (apply.Outcome, error) {
		if c.Address.Name == "order" {
			return apply.Outcome{}, fmt.Errorf("certificate not issued yet: %w", apply.ErrNotReady)
		}
		return f.Apply(ctx, c)
	})
	r := run(t, context.Background(), p, map[string]apply.Applier{"v": wrap}, apply.Options{})
	want := map[string]apply.Status{"order": apply.Waiting, "cdn": apply.Waiting, "other": apply.OK}
	if d := cmp.Diff(want, statuses(r)); d != "" {
		t.Fatalf("statuses (-want +got):\n%s", d)
	}
	if !r.OK() {
		t.Error("a waiting change counted as a failure")
	}
	if got := r.Summary(); got != "Apply complete: 1 ok, 0 failed, 0 skipped, 2 waiting." {
		t.Errorf("Summary() = %q", got)
	}
}

type applierFunc func(context.Context, diff.Change) (apply.Outcome, error)

func (f applierFunc) Apply(ctx context.Context, c diff.Change) (apply.Outcome, error) {
	return f(ctx, c)
}

// Stop keeps changes from starting but lets running ones finish with a live
// context.
func TestStopLetsInFlightFinish(t *testing.T) {
	release := make(chan struct{})
	started := make(chan string, 10)
	stop := make(chan struct{})
	var sawCancel atomic.Bool
	wrap := applierFunc(func(ctx context.Context, c diff.Change) (apply.Outcome, error) {
		started <- c.Address.Name
		<-release
		if ctx.Err() != nil {
			sawCancel.Store(true)
		}
		return apply.Outcome{}, nil
	})
	p := plan(change("a"), change("b"), change("c"))
	done := make(chan *apply.Report)
	go func() {
		done <- apply.Run(context.Background(), p, map[string]apply.Applier{"v": wrap}, apply.Options{Concurrency: 1, Stop: stop})
	}()
	first := <-started // one change runs; the others wait for the slot
	close(stop)
	close(release)
	r := <-done
	want := map[string]apply.Status{"a": apply.Skipped, "b": apply.Skipped, "c": apply.Skipped}
	want[first] = apply.OK
	if d := cmp.Diff(want, statuses(r)); d != "" {
		t.Fatalf("statuses (-want +got):\n%s", d)
	}
	if sawCancel.Load() {
		t.Error("the in-flight change saw its context cancelled")
	}
}

// With one slot, changes start in plan order as far as their dependencies
// allow: a change whose dependency has just succeeded goes before later
// independent changes.
func TestStartsInPlanOrder(t *testing.T) {
	f := &fake{started: make(chan string, 10)}
	p := plan(change("a"), change("x"), change("b", "a"), change("y"), change("z"))
	run(t, context.Background(), p, map[string]apply.Applier{"v": f}, apply.Options{Concurrency: 1})
	close(f.started)
	var got []string
	for n := range f.started {
		got = append(got, n)
	}
	if d := cmp.Diff([]string{"a", "x", "b", "y", "z"}, got); d != "" {
		t.Errorf("start order (-want +got):\n%s", d)
	}
}

// Run keeps a fixed pool of workers: a plan of thousands of changes does
// not start a goroutine per change, and a failure at the head of a long
// chain ends every change after it (walked without recursion).
func TestManyChangesFixedPool(t *testing.T) {
	const n = 5000
	base := runtime.NumGoroutine()
	var most atomic.Int64
	count := applierFunc(func(ctx context.Context, c diff.Change) (apply.Outcome, error) {
		for g := int64(runtime.NumGoroutine()); ; {
			m := most.Load()
			if g <= m || most.CompareAndSwap(m, g) {
				break
			}
		}
		if c.Address.Name == "chain0" {
			return apply.Outcome{}, errors.New("refused")
		}
		return apply.Outcome{}, nil
	})
	var cs []diff.Change
	for i := range n {
		cs = append(cs, change(fmt.Sprint("free", i)))
		if i == 0 {
			cs = append(cs, change("chain0"))
		} else {
			cs = append(cs, change(fmt.Sprint("chain", i), fmt.Sprint("chain", i-1)))
		}
	}
	r := run(t, context.Background(), plan(cs...), map[string]apply.Applier{"v": count}, apply.Options{Concurrency: 3})
	if r.Count(apply.OK) != n || r.Count(apply.Failed) != 1 || r.Count(apply.Skipped) != n-1 {
		t.Errorf("%s; want %d ok, 1 failed, %d skipped", r.Summary(), n, n-1)
	}
	if got := result(t, r, "chain4999").Error; got != "skipped: v/k/chain4998 did not succeed" {
		t.Errorf("end of the chain: %q", got)
	}
	// Run's goroutine, 3 workers, and the test's own helpers.
	if extra := most.Load() - int64(base); extra > 10 {
		t.Errorf("%d goroutines more than before Run while it applied %d changes with 3 slots", extra, 2*n)
	}
}

// BenchmarkRun measures Run's own bookkeeping per change (the applier does
// nothing) for plans of 100 to 10,000 changes, a third of them depending
// on an earlier change: ns/change should not grow with the plan.
func BenchmarkRun(b *testing.B) {
	noop := applierFunc(func(context.Context, diff.Change) (apply.Outcome, error) { return apply.Outcome{ID: "x"}, nil })
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("changes=%d", n), func(b *testing.B) {
			var cs []diff.Change
			for i := range n {
				c := change(fmt.Sprint("c", i))
				if i%3 == 2 {
					c.DependsOn = []diff.Address{a(fmt.Sprint("c", i-1))}
				}
				cs = append(cs, c)
			}
			p := plan(cs...)
			appliers := map[string]apply.Applier{"v": noop}
			b.ReportAllocs()
			for b.Loop() {
				if r := apply.Run(context.Background(), p, appliers, apply.Options{Concurrency: 4, OnResult: func(apply.Result) {}}); r.Count(apply.OK) != n {
					b.Fatal(r.Summary())
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/change")
		})
	}
}
