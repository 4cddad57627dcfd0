package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/certsync/certsync/internal/sim"
	"github.com/certsync/certsync/internal/vendors/ccadb/ccadbsim"
)

// vendorNames are the columns of the request counts, in plan order.
var vendorNames = []string{"ccadb", "markmonitor", "quantil"}

// sample is one certsync process's measurements.
type sample struct {
	wall   time.Duration
	cpu    time.Duration // user + system
	maxRSS int64         // bytes
	// runnerRSS is the peak RSS of the runner that started certsync: the
	// floor of maxRSS, since Linux carries it across the exec.
	runnerRSS int64
	requests  map[string]int
	// apply is the apply phase as certsync itself measured it (zero
	// for a plan).
	apply applyPhase
	// sandboxCPU is the CPU time the sandbox process used meanwhile
	// (serving the requests, writing the simulators' state); -1 when
	// unknown.
	sandboxCPU time.Duration
}

func (s sample) total() int {
	n := 0
	for _, v := range s.requests {
		n += v
	}
	return n
}

type planRow struct {
	items, perKind int
	reportBytes    int
	s              sample
}

type applyRow struct {
	items, changes int
	s              sample
}

func measure(o options, out io.Writer) error {
	fmt.Fprintf(out, "certsync end-to-end benchmark: %s\n", machine())
	fmt.Fprintf(out, "binary %s; sandbox latency %s per request; %d run(s) of each measurement, median shown\n", o.bin, o.latency, o.runs)
	var plans []planRow
	for _, n := range o.sizes {
		p, err := measureSize(o, n, out)
		if err != nil {
			return fmt.Errorf("%d items: %w", n, err)
		}
		plans = append(plans, p)
	}
	var applies []applyRow
	if len(o.changes) > 0 {
		var err error
		if applies, err = measureApplies(o, out); err != nil {
			return fmt.Errorf("applies on %d CCADB items: %w", o.applyItems, err)
		}
	}

	if len(plans) > 0 {
		fmt.Fprintln(out, "\nSteady-state plan (the real binary, nothing to change):")
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "items\tper vendor\tCCADB report\twall\tCPU\tpeak RSS\tccadb req\tmarkmonitor req\tquantil req\treq/item\t")
		for _, r := range plans {
			s := r.s
			fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%.4f\t\n", r.items, r.perKind, mib(int64(r.reportBytes)),
				round(s.wall), round(s.cpu), mib(s.maxRSS), s.requests["ccadb"], s.requests["markmonitor"], s.requests["quantil"],
				float64(s.total())/float64(r.items))
		}
		tw.Flush()
	}
	if len(applies) > 0 {
		printApplies(out, applies)
	}
	fmt.Fprintf(out, "load average at the end: %s (other processes on this machine inflate wall times; CPU, RSS and requests are the process's own)\n", loadAvg())
	return nil
}

// printApplies prints the apply table and how far apart the per-change
// costs are (issue 13's goal: within 1.2x from 100 to 10,000 changes).
func printApplies(out io.Writer, applies []applyRow) {
	fmt.Fprintf(out, "\nApply of N CCADB field updates (crls.full) on %d CCADB intermediates, the real binary, median of the runs by apply CPU.\n", applies[0].items)
	fmt.Fprintln(out, "apply = the apply phase as certsync logs it (\"apply finished\", debug level): every change, its state write and log line, the printed results; not the loading and planning before it.")
	fmt.Fprintln(out, "sandbox = the `certsync sandbox` process's CPU during the whole run (plan included; 10 ms ticks): serving the requests and writing the simulators' state.")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "changes\twall\tCPU\tpeak RSS\tCPU/change\tapply wall\tapply CPU\tapply CPU/change\tsandbox CPU/change\tccadb req\t")
	var lo, hi float64
	for i, r := range applies {
		s := r.s
		per := float64(s.apply.cpu) / float64(r.changes)
		if i == 0 || per < lo {
			lo = per
		}
		hi = max(hi, per)
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t\n", r.changes, round(s.wall), round(s.cpu), mib(s.maxRSS),
			perChange(s.cpu, r.changes), round(s.apply.wall), round(s.apply.cpu), perChange(s.apply.cpu, r.changes),
			perChange(s.sandboxCPU, r.changes), s.requests["ccadb"])
	}
	tw.Flush()
	if len(applies) > 1 && lo > 0 {
		fmt.Fprintf(out, "apply CPU per change, highest / lowest: %.2fx (issue 13's goal: at most 1.2x)\n", hi/lo)
	}
}

// loadAvg is the 1, 5 and 15 minute load average, or "unknown".
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(data)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}

// bench is one generated fixture, seeded into the simulators of a running
// `certsync sandbox`.
type bench struct {
	f   *fixture
	sb  *sandbox
	bin string // absolute path of the certsync binary
	dir string
}

// prepare generates a fixture with gen in a new directory, seeds the
// simulators with its steady state and starts `certsync sandbox` on them.
// label names the fixture in the output. close stops the sandbox and,
// unless -keep, removes the directory.
func prepare(o options, out io.Writer, label string, gen func(dir string) (*fixture, error)) (b *bench, close func(), err error) {
	dir, err := os.MkdirTemp("", "certsync-bench-")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() {
		if !o.keep {
			os.RemoveAll(dir)
		}
	}
	defer func() {
		if err != nil {
			cleanup()
		}
	}()
	if o.keep {
		fmt.Fprintf(out, "%s: files in %s\n", label, dir)
	}
	bin, err := filepath.Abs(o.bin)
	if err != nil {
		return nil, nil, err
	}

	start := time.Now()
	f, err := gen(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("generate: %w", err)
	}
	generated := time.Since(start)
	sbDir := filepath.Join(dir, "sandbox")
	if err := os.MkdirAll(sbDir, 0o700); err != nil {
		return nil, nil, err
	}
	start = time.Now()
	if err := seed(f, sbDir, o.reportRows); err != nil {
		return nil, nil, err
	}
	seedNote := ""
	if len(f.orders) > 0 {
		// Each new order is a create and a read-back, under a limit of
		// 100 requests a minute.
		seedNote = fmt.Sprintf(" (placing %d Markmonitor orders through its 100 requests/minute API alone would take about %s)",
			len(f.orders), (time.Duration(len(f.orders)*2) * time.Minute / 100).Round(time.Second))
	}
	fmt.Fprintf(out, "%s (load average %s): test PKI generated in %s; simulators seeded directly in %s%s\n",
		label, loadAvg(), round(generated), round(time.Since(start)), seedNote)

	sb, err := startSandbox(bin, dir, sbDir, o.latency)
	if err != nil {
		return nil, nil, err
	}
	return &bench{f: f, sb: sb, bin: bin, dir: dir}, func() { sb.stop(); cleanup() }, nil
}

func measureSize(o options, n int, out io.Writer) (planRow, error) {
	k := itemsPerKind(n)
	b, done, err := prepare(o, out, fmt.Sprintf("%d items (%d of each kind)", 3*k, k), func(dir string) (*fixture, error) { return generate(dir, n) })
	if err != nil {
		return planRow{}, err
	}
	defer done()
	f, sb := b.f, b.sb
	row := planRow{items: f.perKind * 3, perKind: f.perKind}
	if o.reportRows > 0 {
		if row.reportBytes, err = sb.reportSize(); err != nil {
			return planRow{}, err
		}
	}

	var runs []sample
	for i := 0; i < o.runs; i++ {
		s, code, err := sb.certsync(b.bin, nil, "plan", "--detailed-exitcode", "-i", f.inventory)
		if err != nil {
			return planRow{}, err
		}
		if code != 0 {
			return planRow{}, fmt.Errorf("the steady-state plan is not empty (exit %d); see %s", code, sb.lastOutput)
		}
		runs = append(runs, s)
	}
	slices.SortFunc(runs, func(a, b sample) int { return int(a.wall - b.wall) })
	row.s = runs[len(runs)/2]
	fmt.Fprintf(out, "  steady-state plan: %s wall, %s CPU, %s peak RSS (the runner that started it: %s), %d requests\n",
		round(row.s.wall), round(row.s.cpu), mib(row.s.maxRSS), mib(row.s.runnerRSS), row.s.total())
	return row, nil
}

// applyEnv makes certsync log its apply phase's cost (JSON, debug level);
// -o text keeps the output a person sees, which JSON logs would otherwise
// turn into JSON.
var applyEnv = []string{"CERTSYNC_LOG_FORMAT=json", "CERTSYNC_LOG_LEVEL=debug"}

// measureApplies measures applies of each number of changes on an
// inventory of o.applyItems CCADB intermediates, o.runs times each: every
// run updates the first c records' CRL URL to a new value, and a plan
// afterwards must be empty.
//
// The records are seeded one change away from the inventory, and a first
// apply (not measured) updates every one of them: certsync then knows each
// record's id, as it does after the apply that created the records, and
// every measured change is one request. Without it the first run of each
// size would also look up the ids of records it had not changed before.
func measureApplies(o options, out io.Writer) ([]applyRow, error) {
	n := o.applyItems
	b, done, err := prepare(o, out, fmt.Sprintf("%d CCADB intermediates for the applies", n), func(dir string) (*fixture, error) { return generateCCADB(dir, n) })
	if err != nil {
		return nil, err
	}
	defer done()
	// apply writes an inventory whose first c items carry rev, applies it
	// (want changes) and checks that it converged.
	apply := func(c int, rev string, want int) (sample, error) {
		inv := filepath.Join(b.dir, fmt.Sprintf("items-%d%s.yaml", c, rev))
		if err := b.f.writeInventory(inv, c, rev); err != nil {
			return sample{}, err
		}
		s, code, err := b.sb.certsync(b.bin, applyEnv, "apply", "--auto-approve", "-o", "text", "-i", inv)
		if err != nil {
			return sample{}, err
		}
		if code != 0 {
			return sample{}, fmt.Errorf("apply of %d changes exited %d; see %s", want, code, b.sb.lastOutput)
		}
		if s.apply.changes != want {
			return sample{}, fmt.Errorf("apply of %d changes logged %d changes; see %s", want, s.apply.changes, b.sb.lastOutput)
		}
		// The apply converged only if a plan of the same inventory is empty.
		if _, code, err := b.sb.certsync(b.bin, nil, "plan", "--detailed-exitcode", "-i", inv); err != nil || code != 0 {
			return sample{}, fmt.Errorf("after applying %d changes the plan is not empty (exit %d, %v); see %s", want, code, err, b.sb.lastOutput)
		}
		return s, nil
	}
	start := time.Now()
	// The inventory as generated: every seeded record is one change away.
	if _, err := apply(0, "", n); err != nil {
		return nil, fmt.Errorf("the first apply (not measured): %w", err)
	}
	fmt.Fprintf(out, "  first apply of all %d records (not measured, so that certsync knows their ids): %s\n", n, round(time.Since(start)))

	var rows []applyRow
	for _, c := range o.changes {
		if c > n {
			fmt.Fprintf(out, "  apply of %d changes skipped: only %d CCADB items\n", c, n)
			continue
		}
		var runs []sample
		for k := 0; k < o.runs; k++ {
			// Each run changes the same c items to a new value.
			s, err := apply(c, fmt.Sprintf("-r%d.%d", c, k), c)
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(out, "  apply of %d changes, run %d: %s wall, %s CPU; apply phase %s wall, %s CPU (%s per change); sandbox %s CPU per change; %d requests\n",
				c, k+1, round(s.wall), round(s.cpu), round(s.apply.wall), round(s.apply.cpu), perChange(s.apply.cpu, c), perChange(s.sandboxCPU, c), s.total())
			runs = append(runs, s)
		}
		slices.SortFunc(runs, func(a, b sample) int { return int(a.apply.cpu - b.apply.cpu) })
		rows = append(rows, applyRow{items: n, changes: c, s: runs[len(runs)/2]})
	}
	return rows, nil
}

// sandbox is a running `certsync sandbox` process.
type sandbox struct {
	cmd        *exec.Cmd
	exited     chan error // receives cmd.Wait's result
	dir        string
	env        []string // the client settings it printed, plus the state directory
	counts     string   // URL of its request counts
	lastOutput string   // the log file of the last certsync run
	runs       int
}

var countsURLRE = regexp.MustCompile(`request_counts=(\S+)`)

func startSandbox(bin, dir, stateDir string, latency time.Duration) (*sandbox, error) {
	stdout, err := os.Create(filepath.Join(dir, "sandbox.out"))
	if err != nil {
		return nil, err
	}
	defer stdout.Close()
	logPath := filepath.Join(dir, "sandbox.log")
	stderr, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer stderr.Close()
	cmd := exec.Command(bin, "sandbox", "--listen", "127.0.0.1:0", "--state", stateDir)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, stdout, stderr
	cmd.Env = append(baseEnv(), "CERTSYNC_SANDBOX_LATENCY="+latency.String(), "CERTSYNC_STATE_DIR="+filepath.Join(dir, "state"))
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	sb := &sandbox{cmd: cmd, dir: dir, exited: exited}
	// The exports are written to stdout before the "serving" line is logged.
	deadline := time.After(2 * time.Minute)
	for sb.counts == "" {
		select {
		case err := <-exited:
			return nil, fmt.Errorf("certsync sandbox exited (%v); see %s", err, logPath)
		case <-deadline:
			_ = cmd.Process.Kill()
			return nil, fmt.Errorf("certsync sandbox did not start in 2 minutes; see %s", logPath)
		case <-time.After(20 * time.Millisecond):
		}
		log, _ := os.ReadFile(logPath)
		if m := countsURLRE.FindSubmatch(log); m != nil {
			sb.counts = string(m[1])
		}
	}
	exports, err := os.ReadFile(stdout.Name())
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(bytes.NewReader(exports))
	for sc.Scan() {
		if kv, ok := strings.CutPrefix(sc.Text(), "export "); ok {
			sb.env = append(sb.env, kv)
		}
	}
	// The state directory exists, as after the apply that reached the
	// steady state: without it a plan would run as a fresh CI runner's
	// (no records, nothing kept for the next run).
	if err := os.MkdirAll(filepath.Join(dir, "state"), 0o700); err != nil {
		sb.stop()
		return nil, err
	}
	sb.env = append(sb.env, "CERTSYNC_STATE_DIR="+filepath.Join(dir, "state"))
	return sb, nil
}

func (sb *sandbox) stop() {
	_ = sb.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-sb.exited:
	case <-time.After(10 * time.Second):
		_ = sb.cmd.Process.Kill()
		<-sb.exited
	}
}

// baseEnv is this process's environment without certsync settings, so that
// a user's CERTSYNC_* cannot point a measured run anywhere else.
func baseEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CERTSYNC_") {
			out = append(out, kv)
		}
	}
	return out
}

func (sb *sandbox) requestCounts() (map[string]int, error) {
	resp, err := http.Get(sb.counts)
	if err != nil {
		return nil, fmt.Errorf("request counts: %w", err)
	}
	defer resp.Body.Close()
	var m map[string]int
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		return nil, fmt.Errorf("request counts: %w", err)
	}
	return m, nil
}

// reportSize fetches the CCADB report once (outside any measured run) and
// returns its size.
func (sb *sandbox) reportSize() (int, error) {
	base := strings.TrimSuffix(sb.counts, sim.RequestsPath)
	resp, err := http.Get(base + ccadbsim.ReportPath)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("CCADB report: %s", resp.Status)
	}
	return int(n), err
}

// certsync runs the binary with args (and env added to the sandbox's
// settings) against the sandbox and measures it; it returns the exit code
// (an exit is not an error here). An apply's own measure of its apply phase
// is read from its log.
func (sb *sandbox) certsync(bin string, env []string, args ...string) (sample, int, error) {
	before, err := sb.requestCounts()
	if err != nil {
		return sample{}, 0, err
	}
	sbBefore, sbOK := procCPU(sb.cmd.Process.Pid)
	sb.runs++
	sb.lastOutput = filepath.Join(sb.dir, fmt.Sprintf("run%02d-%s.log", sb.runs, args[0]))
	logf, err := os.Create(sb.lastOutput)
	if err != nil {
		return sample{}, 0, err
	}
	defer logf.Close()
	self, err := os.Executable()
	if err != nil {
		return sample{}, 0, err
	}
	resFile := sb.lastOutput + ".json"
	cmd := exec.Command(self, append([]string{runnerArg, resFile, bin}, args...)...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = sb.dir, logf, logf
	cmd.Env = append(append(baseEnv(), sb.env...), env...)
	if err := cmd.Run(); err != nil {
		return sample{}, 0, fmt.Errorf("certsync %s (runner): %w; see %s", args[0], err, sb.lastOutput)
	}
	data, err := os.ReadFile(resFile)
	if err != nil {
		return sample{}, 0, err
	}
	var res runResult
	if err := json.Unmarshal(data, &res); err != nil {
		return sample{}, 0, fmt.Errorf("runner result %s: %w", resFile, err)
	}
	if res.Err != "" {
		return sample{}, 0, fmt.Errorf("certsync %s: %s", args[0], res.Err)
	}
	after, err := sb.requestCounts()
	if err != nil {
		return sample{}, 0, err
	}
	s := sample{wall: res.Wall, cpu: res.CPU, maxRSS: res.MaxRSS, runnerRSS: res.RunnerRSS, requests: map[string]int{}, sandboxCPU: -1}
	if sbAfter, ok := procCPU(sb.cmd.Process.Pid); ok && sbOK {
		s.sandboxCPU = sbAfter - sbBefore
	}
	for _, v := range vendorNames {
		s.requests[v] = after[v] - before[v]
	}
	if args[0] == "apply" && res.Exit == 0 {
		if err := logf.Sync(); err != nil {
			return sample{}, 0, err
		}
		data, err := os.ReadFile(sb.lastOutput)
		if err != nil {
			return sample{}, 0, err
		}
		if s.apply, err = readApplyPhase(data); err != nil {
			return sample{}, 0, fmt.Errorf("%s: %w", sb.lastOutput, err)
		}
	}
	return s, res.Exit, nil
}

// applyPhase is certsync's own measure of an apply phase: its "apply
// finished" debug log record.
type applyPhase struct {
	changes   int
	cpu, wall time.Duration
}

// errNoApplyPhase means a log holds no "apply finished" record with a CPU
// time: certsync ran at another log level or format, or on a platform that
// does not report CPU time.
var errNoApplyPhase = errors.New(`no "apply finished" log record with cpu_seconds (want CERTSYNC_LOG_FORMAT=json, CERTSYNC_LOG_LEVEL=debug)`)

// readApplyPhase finds the "apply finished" record among an apply's output
// (text results on stdout, JSON log lines on stderr, in one file).
func readApplyPhase(log []byte) (applyPhase, error) {
	sc := bufio.NewScanner(bytes.NewReader(log))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, []byte("{")) {
			continue
		}
		var rec struct {
			Msg     string   `json:"msg"`
			Changes int      `json:"changes"`
			CPU     *float64 `json:"cpu_seconds"`
			Wall    float64  `json:"wall_seconds"`
		}
		if json.Unmarshal(line, &rec) != nil || rec.Msg != "apply finished" || rec.CPU == nil {
			continue
		}
		return applyPhase{changes: rec.Changes, cpu: seconds(*rec.CPU), wall: seconds(rec.Wall)}, nil
	}
	if err := sc.Err(); err != nil {
		return applyPhase{}, err
	}
	return applyPhase{}, errNoApplyPhase
}

func seconds(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

// procCPU is the CPU time (user + system) process pid has used so far, from
// /proc/PID/stat (Linux; false elsewhere). Its unit is the kernel's clock
// tick, 1/100 s on Linux (USER_HZ): too coarse for one short run, enough
// per change over hundreds of changes.
func procCPU(pid int) (time.Duration, bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	return parseStatCPU(string(data))
}

// parseStatCPU reads utime and stime (fields 14 and 15) of a /proc/PID/stat
// line. The command name (field 2) is in parentheses and may hold spaces,
// so fields are counted after its closing parenthesis.
func parseStatCPU(stat string) (time.Duration, bool) {
	const tick = 10 * time.Millisecond // USER_HZ = 100
	end := strings.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, false
	}
	f := strings.Fields(stat[end+1:]) // f[0] is field 3
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * tick, true
}

// machine describes where the numbers come from.
func machine() string {
	model := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s/%s, %d CPU cores (%s), %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), model, runtime.Version())
}

func round(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	default:
		return d.Round(100 * time.Microsecond).String()
	}
}

func perChange(cpu time.Duration, n int) string {
	if cpu < 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fms", float64(cpu)/float64(time.Millisecond)/float64(n))
}

func mib(b int64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}
