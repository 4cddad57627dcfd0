package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/engine"
	"github.com/certsync/certsync/internal/metrics"
	"github.com/certsync/certsync/internal/schedule"
	"github.com/certsync/certsync/internal/vendors"
)

// run is the long-running mode: plan (or apply, with --apply) on a cron
// schedule, one run at a time, with /metrics and /healthz, until SIGTERM or
// SIGINT. On the signal no new change starts; changes in flight get a grace
// period to finish, then their calls are cancelled; files are only ever
// replaced whole.
func (a *app) run(ctx context.Context, args []string) (int, error) {
	fs := a.flagSet("run")
	spec := fs.String("schedule", "", "cron `SCHEDULE`, e.g. \"0 */6 * * *\" (five fields, or six with seconds first)")
	file := fs.String("i", "", "inventory `FILE` (default $CERTSYNC_INVENTORY, else inventory.yaml)")
	doApply := fs.Bool("apply", false, "apply the plan (default: plan only, reporting drift)")
	sandbox := fs.Bool("sandbox", false, "run against the built-in simulators")
	addr := fs.String("metrics-addr", "", "serve /metrics and /healthz on `ADDR`, e.g. :9090")
	noInitial := fs.Bool("no-initial-run", false, "wait for the first scheduled time instead of running at start")
	grace := fs.Duration("grace", 30*time.Second, "how long in-flight changes may finish after SIGTERM")
	guards := addGuardFlags(fs, true)
	pos, flagErr := a.parse(fs, args)
	if flagErr != nil {
		return ExitError, flagErr
	}
	if err := noArgs("run", pos); err != nil {
		return ExitError, err
	}
	if *spec == "" {
		return ExitError, errors.New("run needs --schedule, e.g. --schedule \"0 */6 * * *\"")
	}
	var names []string
	for _, e := range vendors.All() {
		names = append(names, e.Name)
	}
	a.metrics = metrics.New(names)
	health := &healthState{started: a.now()}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *addr != "" {
		ln, err := net.Listen("tcp", *addr)
		if err != nil {
			return ExitError, fmt.Errorf("--metrics-addr: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", a.metrics.Handler())
		mux.Handle("/healthz", health)
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		}()
		a.log.Info("serving metrics", "addr", ln.Addr().String())
	}
	mode := "plan"
	if *doApply {
		mode = "apply"
	}
	a.log.Info("scheduler starting", "schedule", *spec, "mode", mode, "initial_run", !*noInitial)
	err := schedule.Run(ctx, *spec, schedule.Options{Immediately: !*noInitial, StopTimeout: *grace + 5*time.Second}, func(jobCtx context.Context) {
		callCtx, stopCh, cancel := a.graceful(jobCtx, *grace)
		defer cancel()
		// One Notifier per scheduled run: a condition is reported once
		// per run, and again by the next run if it persists.
		a.notes = a.newNotifier()
		result, runErr := a.runOnce(callCtx, stopCh, *file, *sandbox, *doApply, guards)
		a.finishRun(jobCtx, a.notes, runErr)
		health.record(result, a.now())
	})
	if errors.Is(err, schedule.ErrSchedule) {
		return ExitError, err
	}
	a.log.Info("scheduler stopped")
	return ExitOK, err
}

// runOnce is one scheduled run; it returns the result label and, when the
// run failed as a whole (no plan could be made, or a guard refused the
// apply: nothing was sent), why. With JSON logs the plan and the results
// are logged line by line, not printed as text.
func (a *app) runOnce(ctx context.Context, stop <-chan struct{}, file string, sandbox, doApply bool, guards guardFlags) (string, error) {
	start := a.now()
	result, summary := "ok", ""
	defer func() {
		took := a.now().Sub(start)
		a.metrics.ObserveRun(result, took, a.now())
		a.log.Info("run finished", "result", result, "duration", took, "summary", summary)
	}()
	inv, err := a.loadInventoryCached(file)
	if err != nil {
		result, summary = "failed", "the inventory has problems"
		return result, err
	}
	s, err := a.open(ctx, inv, sandbox, doApply)
	if err != nil {
		a.log.Error("run failed", "error", err)
		result, summary = "failed", err.Error()
		return result, err
	}
	defer s.Close()
	text := !a.cfg.jsonLogs()
	res, err := s.engine.RunCycle(ctx, inv, engine.Cycle{
		Apply:   doApply,
		Options: a.applyOptions(stop),
		BeforeApply: func(p *diff.Plan) {
			if text {
				_ = diff.Text(a.stdout, p, false)
				fmt.Fprintln(a.stdout)
			}
		},
		Guards: guards.limits(inv),
	})
	if err != nil {
		a.log.Error("run failed", "error", err)
		result, summary = "failed", err.Error()
		return result, err
	}
	plan := res.Plan
	if res.Applied != nil {
		plan = res.Applied
	}
	plan.Sandbox = sandbox
	for _, e := range plan.Errors {
		a.log.Error("could not be planned", "address", e.Address.String(), "error", e.Message)
		result = "failed"
	}
	for _, in := range plan.Attention {
		a.log.Error("needs attention", "address", in.Address.String(), "message", in.Message)
		result = "failed"
	}
	for _, in := range plan.Info {
		a.log.Info("no change planned", "address", in.Address.String(), "message", in.Message)
	}
	// Attention, DCV and expiry come from the last look (after an apply,
	// the plan made again); drift only from a run that does not apply.
	a.notePlan(a.notes, res.Plan, res.Pairs, !doApply)
	rep := res.Report
	var refused error
	switch {
	case res.Refused != nil:
		// Nothing was sent: the plan is over a guard.
		if text {
			_ = diff.Text(a.stdout, plan, false)
		}
		refused = errGuard(plan)
		a.log.Error("apply refused", "error", refused)
		result, summary = "failed", res.Refused.Error()
	case plan.Empty():
		summary = plan.Summary()
	case !doApply:
		if result != "failed" {
			result = "changes_pending"
		}
		summary = plan.Summary()
		for _, c := range plan.Changes {
			a.log.Info("drift", "address", c.Address.String(), "action", string(c.Action), "reason", c.Reason)
		}
	default:
		if text {
			a.printReport(rep)
		}
		summary = rep.Summary()
		if !rep.OK() || len(plan.Errors) > 0 {
			result = "failed"
		}
	}
	a.metrics.ObservePlan(res.Pairs, res.Plan, rep)
	a.metrics.ObserveAttention(plan)
	return result, refused
}

// graceful splits shutdown in two: when trigger ends (a signal, the
// scheduler stopping), stop closes at once so no new change starts, while
// the returned context, which vendor calls use, lives on for grace so calls
// in flight can finish; then it is cancelled too.
func (a *app) graceful(trigger context.Context, grace time.Duration) (context.Context, <-chan struct{}, context.CancelFunc) {
	callCtx, cancel := context.WithCancel(context.WithoutCancel(trigger))
	stop := make(chan struct{})
	go func() {
		select {
		case <-trigger.Done():
			close(stop)
			a.log.Warn("shutting down: no new change starts; waiting for changes in flight", "grace", grace)
			t := time.AfterFunc(grace, cancel)
			<-callCtx.Done()
			t.Stop()
		case <-callCtx.Done():
		}
	}()
	return callCtx, stop, cancel
}

// healthState answers /healthz: alive, with the last run's result.
type healthState struct {
	mu      sync.Mutex
	started time.Time
	last    time.Time
	result  string
}

func (h *healthState) record(result string, at time.Time) {
	h.mu.Lock()
	h.last, h.result = at, result
	h.mu.Unlock()
}

// ServeHTTP answers 200 while the scheduler runs: a vendor outage must not
// make Kubernetes restart the pod. The body says how the last run went.
func (h *healthState) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	h.mu.Lock()
	body := map[string]any{"status": "ok", "started": h.started.UTC().Format(time.RFC3339), "last_result": h.result}
	if !h.last.IsZero() {
		body["last_run"] = h.last.UTC().Format(time.RFC3339)
	}
	h.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}
