package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/certsync/certsync/internal/apply"
	"github.com/certsync/certsync/internal/atomicfile"
	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/engine"
	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/proccpu"
	"github.com/certsync/certsync/internal/vendors"
)

func (a *app) validate(_ context.Context, args []string) (int, error) {
	fs := a.flagSet("validate")
	file := fs.String("i", "", "inventory `FILE` (default $CERTSYNC_INVENTORY, else inventory.yaml); or give it as FILE")
	pos, err := a.parse(fs, args)
	if err != nil {
		return ExitError, err
	}
	path, err := inventoryArg("validate", *file, pos)
	if err != nil {
		return ExitError, err
	}
	inv, err := a.loadInventory(path)
	if err != nil {
		return ExitError, err
	}
	fmt.Fprintf(a.stdout, "%s is valid: %d item(s).\n", inv.File, inv.Items())
	return ExitOK, nil
}

func (a *app) plan(ctx context.Context, args []string) (int, error) {
	fs := a.flagSet("plan")
	file := fs.String("i", "", "inventory `FILE` (default $CERTSYNC_INVENTORY, else inventory.yaml); or give it as FILE")
	format := fs.String("o", "", "output `FORMAT`: text, json or markdown (default: text; json when CERTSYNC_LOG_FORMAT=json)")
	out := fs.String("out", "", "save the plan as JSON to `PLANFILE`, for apply PLANFILE")
	detailed := fs.Bool("detailed-exitcode", false, "exit 2 when there are changes")
	ci := fs.Bool("ci", false, "CI mode: write-only fields that cannot be read back and local-only differences are listed apart and not counted (automatic when the state directory does not exist, without --out or --sandbox)")
	sandbox := fs.Bool("sandbox", false, "plan against the built-in simulators")
	var targets multi
	fs.Var(&targets, "target", "limit to this `ADDRESS`, VENDOR/KIND/NAME (repeatable)")
	guards := addGuardFlags(fs, false)
	pos, err := a.parse(fs, args)
	if err != nil {
		return ExitError, err
	}
	if *file, err = inventoryArg("plan", *file, pos); err != nil {
		return ExitError, err
	}
	if *format == "" {
		*format = a.defaultFormat()
	}
	switch *format {
	case "text", "json", "markdown":
	default:
		return ExitError, fmt.Errorf("-o %q: want text, json or markdown", *format)
	}
	inv, err := a.loadInventoryCached(*file)
	if err != nil {
		return ExitError, err
	}
	ciReason := ""
	switch dir := vendors.StatePath(a.cfg.stateDir(inv.File), *sandbox); {
	case *ci:
		ciReason = "--ci"
	case *out == "" && !*sandbox && !exists(dir):
		ciReason = "automatic: no state directory " + dir
	}
	plan, pairs, err := a.makePlan(ctx, inv, *sandbox, targets, ciReason, guards)
	if err != nil {
		return ExitError, err
	}
	// A plan-only run reports drift; a CI plan shows a proposed change,
	// which is not drift.
	a.notePlan(a.notes, plan, pairs, ciReason == "")
	if err := a.render(plan, *format); err != nil {
		return ExitError, err
	}
	if *out != "" {
		if err := savePlan(*out, plan); err != nil {
			return ExitError, err
		}
		fmt.Fprintf(a.stderr, "Saved the plan to %s; apply it with: %s\n", *out, applyCommand(*out, plan, guards))
	}
	if err := planErrors(plan); err != nil {
		return ExitError, err
	}
	if *detailed && !plan.Empty() {
		return ExitChanges, nil
	}
	return ExitOK, nil
}

// defaultFormat is the -o of plan and apply when none is given: text, or
// json when the logs are JSON. A program reading JSON logs on stderr then
// gets JSON on stdout too; a text plan is printed only when asked (-o text).
func (a *app) defaultFormat() string {
	if a.cfg.jsonLogs() {
		return "json"
	}
	return "text"
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// planErrors reports the items that could not be planned or need a
// person's attention (the plan shows them); the run fails, though every
// other item was planned or applied.
func planErrors(p *diff.Plan) error {
	var parts []string
	failed := engine.FailedVendors(p)
	if len(failed) > 0 {
		parts = append(parts, fmt.Sprintf("vendor(s) %s %v", strings.Join(failed, ", "), engine.ErrVendorFailed))
	}
	if n := len(p.Errors) - len(failed); n > 0 {
		parts = append(parts, fmt.Sprintf("%d item(s) could not be planned", n))
	}
	if n := len(p.Attention); n > 0 {
		parts = append(parts, fmt.Sprintf("%d item(s) need attention", n))
	}
	if len(parts) == 0 {
		return nil
	}
	return itemsError(strings.Join(parts, ", ") + " (see above)")
}

// itemsError is the error of planErrors: the items it counts were each
// reported (and each has its own notification), so it is not reported
// again as a failed run.
type itemsError string

func (e itemsError) Error() string { return string(e) }

// makePlan reads live state and computes the plan for inv, showing the
// guards it trips. ciReason, when set, makes the plan in CI mode: the
// vendors are told (diff.WithCI) and the plan counts as ForCI does; the
// guards then count only the changes left.
func (a *app) makePlan(ctx context.Context, inv *inventory.Inventory, sandbox bool, targets []string, ciReason string, guards guardFlags) (*diff.Plan, []diff.Pair, error) {
	s, err := a.open(ctx, inv, sandbox, false)
	if err != nil {
		return nil, nil, err
	}
	defer s.Close()
	if ciReason != "" {
		ctx = diff.WithCI(ctx)
	}
	plan, pairs, err := planTargets(ctx, s.engine, inv, targets)
	if err != nil {
		return nil, nil, err
	}
	plan.Sandbox = sandbox
	if ciReason != "" {
		plan = plan.ForCI(ciReason)
	}
	plan.Guard(*guards.limits(inv))
	return plan, pairs, nil
}

func (a *app) render(p *diff.Plan, format string) error {
	switch format {
	case "json":
		return diff.JSON(a.stdout, p)
	case "markdown":
		return diff.Markdown(a.stdout, p)
	}
	return diff.Text(a.stdout, p, a.color())
}

// color is on for a terminal only, and never with NO_COLOR set.
func (a *app) color() bool {
	if _, off := a.io.Lookup.Lookup("NO_COLOR"); off {
		return false
	}
	return a.io.Terminal(a.io.Stdout)
}

func savePlan(path string, p *diff.Plan) error {
	var b strings.Builder
	if err := diff.JSON(&b, p); err != nil {
		return err
	}
	return atomicfile.Write(path, []byte(b.String()), 0o600)
}

func (a *app) apply(ctx context.Context, args []string) (int, error) {
	fs := a.flagSet("apply")
	file := fs.String("i", "", "inventory `FILE` (default $CERTSYNC_INVENTORY, else inventory.yaml)")
	auto := fs.Bool("auto-approve", false, "apply without asking")
	format := fs.String("o", "", "output `FORMAT`: text, or json (the plan and one result per change as one JSON document); default text, json when CERTSYNC_LOG_FORMAT=json")
	sandbox := fs.Bool("sandbox", false, "apply to the built-in simulators")
	var targets multi
	fs.Var(&targets, "target", "limit to this `ADDRESS`, VENDOR/KIND/NAME (repeatable)")
	guards := addGuardFlags(fs, true)
	pos, err := a.parse(fs, args)
	if err != nil {
		return ExitError, err
	}
	if *format == "" {
		*format = a.defaultFormat()
	}
	if *format != "text" && *format != "json" {
		return ExitError, fmt.Errorf("-o %q: want text or json", *format)
	}
	a.format = *format
	if len(pos) > 1 {
		return ExitError, fmt.Errorf("apply takes at most one PLANFILE, got %d arguments", len(pos))
	}
	if len(pos) == 1 {
		if *file != "" || len(targets) > 0 {
			return ExitError, errors.New("a saved plan is applied exactly as saved: -i and --target do not go with PLANFILE")
		}
		return a.applySaved(ctx, pos[0], *sandbox, *auto, guards)
	}

	inv, err := a.loadInventoryCached(*file)
	if err != nil {
		return ExitError, err
	}
	s, err := a.open(ctx, inv, *sandbox, true)
	if err != nil {
		return ExitError, err
	}
	defer s.Close()
	plan, pairs, err := planTargets(ctx, s.engine, inv, targets)
	if err != nil {
		return ExitError, err
	}
	a.notePlan(a.notes, plan, pairs, false)
	return a.confirmAndExecute(ctx, s, plan, inv, *auto, guards)
}

// confirmAndExecute shows the plan that will run, refuses it (nothing
// sent) when it trips a guard, asks, and executes it. With -o json a
// refused or empty plan is still one result document (the plan, with the
// guards it trips, and no results).
func (a *app) confirmAndExecute(ctx context.Context, s *session, plan *diff.Plan, inv *inventory.Inventory, auto bool, guards guardFlags) (int, error) {
	var tripped []diff.Trip
	if l := guards.limits(inv); l != nil {
		tripped = plan.Guard(*l)
	}
	if err := a.showPlan(plan, auto); err != nil {
		return ExitError, err
	}
	if len(tripped) > 0 {
		a.printResults(plan, &apply.Report{})
		return ExitError, errGuard(plan)
	}
	if plan.Empty() {
		a.printResults(plan, &apply.Report{})
		return ExitOK, planErrors(plan)
	}
	if !auto {
		if ok, err := a.confirm(); !ok {
			return ExitError, err
		}
	}
	code, err := a.execute(ctx, s, plan)
	if err == nil {
		err = planErrors(plan)
	}
	return code, err
}

// applySaved applies a plan file. The file is never executed itself: the
// plan is made again from the inventory and the live state, every saved
// change must equal the change made now (action, fields, what is sent,
// dependencies), and the changes made now are what runs, so that what the
// prompt shows is what is sent. Any difference refuses the whole file,
// nothing sent.
func (a *app) applySaved(ctx context.Context, path string, sandbox, auto bool, guards guardFlags) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return ExitError, fmt.Errorf("read plan: %w", err)
	}
	saved, err := diff.Decode(data)
	if err != nil {
		return ExitError, fmt.Errorf("%s: %w", path, err)
	}
	vendors.Describe(saved)
	if saved.Sandbox != sandbox {
		return ExitError, fmt.Errorf("%s was made %s; apply it %s", path, where(saved.Sandbox), where(saved.Sandbox))
	}
	if saved.Empty() {
		if a.format == "json" {
			a.printResults(saved, &apply.Report{})
		} else {
			fmt.Fprintln(a.stdout, "The saved plan has no changes.")
		}
		return ExitOK, nil
	}
	inv, err := a.loadInventoryCached(saved.Inventory)
	if err != nil {
		return ExitError, err
	}
	s, err := a.open(ctx, inv, sandbox, true)
	if err != nil {
		return ExitError, err
	}
	defer s.Close()
	var addrs []diff.Address
	for _, c := range saved.Changes {
		addrs = append(addrs, c.Address)
	}
	fresh, pairs, err := s.engine.Needed(addrs).Plan(ctx, inv)
	if err != nil {
		return ExitError, err
	}
	plan, stale := s.engine.Rederive(saved, fresh, pairs)
	if len(stale) > 0 {
		for _, msg := range stale {
			fmt.Fprintln(a.stderr, msg)
		}
		return ExitError, fmt.Errorf("the saved plan is stale or was edited: %d difference(s) from a plan made now from the inventory and the live state; nothing was applied. Make a new plan", len(stale))
	}
	plan.Sandbox = sandbox
	return a.confirmAndExecute(ctx, s, plan, inv, auto, guards)
}

// applyCommand is the command line that applies the plan saved to path:
// a saved plan is applied as it was made (with --sandbox or without) and
// under the guard limits it was planned with; -i and --target do not go
// with a PLANFILE (the file names its inventory and holds only its
// targets' changes). A plan that trips a guard says what would lift it.
func applyCommand(path string, plan *diff.Plan, g guardFlags) string {
	args := []string{"certsync", "apply"}
	if plan.Sandbox {
		args = append(args, "--sandbox")
	}
	args = append(args, g.args()...)
	args = append(args, shellQuote(path))
	cmd := strings.Join(args, " ")
	if len(plan.Tripped) > 0 {
		cmd += " (it trips a guard: apply refuses it unless --max-paid/--max-destructive raise the limit or --force is given)"
	}
	return cmd
}

// shellQuote quotes s for a POSIX shell when it holds anything but
// letters, digits and ./_-+=:,@%.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./_-+=:,@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func where(sandbox bool) string {
	if sandbox {
		return "with --sandbox"
	}
	return "without --sandbox"
}

// confirm asks for "yes" on a terminal; without one it refuses.
func (a *app) confirm() (bool, error) {
	if !a.io.Terminal(a.io.Stdin) {
		return false, errors.New("apply needs a terminal to ask for confirmation; use --auto-approve in scripts")
	}
	fmt.Fprint(a.planOut(), "\nDo you want to apply these changes? Only 'yes' will be accepted: ")
	line, err := bufio.NewReader(a.io.Stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	if strings.TrimSpace(line) != "yes" {
		return false, errors.New("apply cancelled; nothing was changed")
	}
	return true, nil
}

// execute runs the plan and prints one line per change and a summary. On
// SIGTERM or SIGINT no new change starts, and changes in flight get half a
// minute to finish, as in run mode.
func (a *app) execute(ctx context.Context, s *session, plan *diff.Plan) (int, error) {
	trigger, stopSignals := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stopSignals()
	callCtx, stop, cancel := a.graceful(trigger, 30*time.Second)
	defer cancel()
	if !a.applyPlan(callCtx, s, plan, stop).OK() {
		return ExitError, errReported
	}
	return ExitOK, nil
}

// applyPlan runs the plan, printing one line per change and a summary.
//
// It logs "apply finished" at debug level with the phase's own cost: the
// wall time and the process's CPU time from the first change to the printed
// results (every change, its state write, its log line, the results), not
// the loading and planning before it. The benchmark reads it (README,
// "Performance"): a whole process's CPU is mostly the plan's.
func (a *app) applyPlan(ctx context.Context, s *session, plan *diff.Plan, stop <-chan struct{}) *apply.Report {
	start := time.Now()
	cpu, cpuOK := proccpu.Used()
	if a.format != "json" {
		fmt.Fprintln(a.stdout)
	}
	rep := s.engine.Apply(ctx, plan, a.applyOptions(stop))
	a.printResults(plan, rep)
	attrs := []any{"changes", len(plan.Changes), "wall_seconds", time.Since(start).Seconds()}
	if used, ok := proccpu.Since(cpu, cpuOK); ok {
		attrs = append(attrs, "cpu_seconds", used.Seconds())
	}
	a.log.Debug("apply finished", attrs...)
	return rep
}

// applyOptions are the apply settings of every command.
func (a *app) applyOptions(stop <-chan struct{}) apply.Options {
	return apply.Options{
		Concurrency: a.cfg.Concurrency,
		Stop:        stop,
		OnResult: func(r apply.Result) {
			attrs := []any{"address", r.Address.String(), "action", string(r.Action), "status", string(r.Status), "duration", r.Duration}
			if r.Status == apply.Failed {
				a.log.Error("change failed", append(attrs, "error", r.Error)...)
			} else {
				a.log.Info("change finished", attrs...)
			}
			noteResult(a.notes, r)
		},
	}
}

// printReport prints one line per change and the summary.
func (a *app) printReport(rep *apply.Report) {
	for _, r := range rep.Results {
		line := fmt.Sprintf("%-7s %s %s", r.Status, r.Action, r.Address)
		if r.ID != "" {
			line += " (id " + r.ID + ")"
		}
		if r.Error != "" {
			line += ": " + r.Error
		}
		fmt.Fprintln(a.stdout, line)
		for _, m := range r.Messages {
			fmt.Fprintln(a.stdout, "        "+m)
		}
	}
	fmt.Fprintln(a.stdout, rep.Summary())
}

// planOut is where apply shows the plan for a person: stdout, or stderr
// when stdout carries JSON (-o json).
func (a *app) planOut() io.Writer {
	if a.format == "json" {
		return a.stderr
	}
	return a.stdout
}

// showPlan prints the plan apply is about to run. With -o json the plan is
// part of the result document; a text copy goes to stderr only when a
// person is asked to confirm it (with --auto-approve stderr keeps only log
// lines, which may be JSON).
func (a *app) showPlan(p *diff.Plan, auto bool) error {
	if a.format == "json" {
		if auto {
			return nil
		}
		return diff.Text(a.stderr, p, false)
	}
	return diff.Text(a.stdout, p, a.color())
}

// applyOutput is the JSON document of apply -o json.
type applyOutput struct {
	Plan    *diff.Plan    `json:"plan"`
	Results []applyResult `json:"results"`
	Summary string        `json:"summary"`
}

// applyResult is the outcome of one change: ok, failed, skipped or waiting.
type applyResult struct {
	Address  diff.Address `json:"address"`
	Action   diff.Action  `json:"action"`
	Outcome  apply.Status `json:"outcome"`
	Error    string       `json:"error,omitempty"`
	ID       string       `json:"id,omitempty"`
	Messages []string     `json:"messages,omitempty"`
}

// printResults prints apply's results: one line per change and the
// summary, or with -o json one document with the plan and the results.
func (a *app) printResults(plan *diff.Plan, rep *apply.Report) {
	if a.format != "json" {
		if len(rep.Results) > 0 {
			a.printReport(rep)
		}
		return
	}
	out := applyOutput{Plan: plan, Results: []applyResult{}, Summary: rep.Summary()}
	if len(rep.Results) == 0 {
		out.Summary = plan.Summary()
	}
	for _, r := range rep.Results {
		out.Results = append(out.Results, applyResult{Address: r.Address, Action: r.Action, Outcome: r.Status, Error: r.Error, ID: r.ID, Messages: r.Messages})
	}
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		a.log.Error("writing the results failed", "error", err)
	}
}
