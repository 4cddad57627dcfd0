package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
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
	planCPU        time.Duration // the steady-state plan's CPU at this size
}

func measure(o options, out io.Writer) error {
	fmt.Fprintf(out, "certsync end-to-end benchmark: %s\n", machine())
	fmt.Fprintf(out, "binary %s; sandbox latency %s per request; %d steady-state plan(s) per size, median shown\n", o.bin, o.latency, o.runs)
	var plans []planRow
	var applies []applyRow
	applyAt := applySize(o)
	for _, n := range o.sizes {
		var wantChanges []int
		if n == applyAt {
			wantChanges = o.changes
		}
		p, a, err := measureSize(o, n, wantChanges, out)
		if err != nil {
			return fmt.Errorf("%d items: %w", n, err)
		}
		plans = append(plans, p)
		applies = append(applies, a...)
	}

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
	if len(applies) > 0 {
		fmt.Fprintln(out, "\nApply of N CCADB field updates (crls.full), the real binary, median of the runs by CPU; CPU per change with and without the steady-state plan's CPU:")
		tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "items\tchanges\twall\tCPU\tpeak RSS\tCPU/change\t(CPU-plan)/change\tccadb req\t")
		for _, r := range applies {
			s := r.s
			fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\t%s\t%d\t\n", r.items, r.changes, round(s.wall), round(s.cpu), mib(s.maxRSS),
				perChange(s.cpu, r.changes), perChange(max(s.cpu-r.planCPU, 0), r.changes), s.requests["ccadb"])
		}
		tw.Flush()
		for i := 1; i < len(applies); i++ {
			a, b := applies[i-1], applies[i]
			if b.items == a.items && b.changes > a.changes {
				fmt.Fprintf(out, "marginal CPU per change from %d to %d changes at %d items: %s\n", a.changes, b.changes, a.items,
					perChange(max(b.s.cpu-a.s.cpu, 0), b.changes-a.changes))
			}
		}
	}
	fmt.Fprintf(out, "load average at the end: %s (other processes on this machine inflate wall times; CPU, RSS and requests are the process's own)\n", loadAvg())
	return nil
}

// loadAvg is the 1, 5 and 15 minute load average, or "unknown".
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(data)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}

func measureSize(o options, n int, changes []int, out io.Writer) (planRow, []applyRow, error) {
	dir, err := os.MkdirTemp("", "certsync-bench-")
	if err != nil {
		return planRow{}, nil, err
	}
	if o.keep {
		fmt.Fprintf(out, "%d items: files in %s\n", n, dir)
	} else {
		defer os.RemoveAll(dir)
	}
	bin, err := filepath.Abs(o.bin)
	if err != nil {
		return planRow{}, nil, err
	}

	start := time.Now()
	f, err := generate(dir, n)
	if err != nil {
		return planRow{}, nil, fmt.Errorf("generate: %w", err)
	}
	generated := time.Since(start)
	sbDir := filepath.Join(dir, "sandbox")
	if err := os.MkdirAll(sbDir, 0o700); err != nil {
		return planRow{}, nil, err
	}
	start = time.Now()
	if err := seed(f, sbDir, o.reportRows); err != nil {
		return planRow{}, nil, err
	}
	// Each new order is a create and a read-back, under a limit of 100
	// requests a minute.
	fmt.Fprintf(out, "%d items (%d of each kind, load average %s): test PKI generated in %s; simulators seeded directly in %s "+
		"(placing %d Markmonitor orders through its 100 requests/minute API alone would take about %s)\n",
		f.perKind*3, f.perKind, loadAvg(), round(generated), round(time.Since(start)), f.perKind, (time.Duration(f.perKind*2) * time.Minute / 100).Round(time.Second))

	sb, err := startSandbox(bin, dir, sbDir, o.latency)
	if err != nil {
		return planRow{}, nil, err
	}
	defer sb.stop()
	row := planRow{items: f.perKind * 3, perKind: f.perKind}
	if o.reportRows > 0 {
		if row.reportBytes, err = sb.reportSize(); err != nil {
			return planRow{}, nil, err
		}
	}

	var runs []sample
	for i := 0; i < o.runs; i++ {
		s, code, err := sb.certsync(bin, "plan", "--detailed-exitcode", "-i", f.inventory)
		if err != nil {
			return planRow{}, nil, err
		}
		if code != 0 {
			return planRow{}, nil, fmt.Errorf("the steady-state plan is not empty (exit %d); see %s", code, sb.lastOutput)
		}
		runs = append(runs, s)
	}
	slices.SortFunc(runs, func(a, b sample) int { return int(a.wall - b.wall) })
	row.s = runs[len(runs)/2]
	fmt.Fprintf(out, "  steady-state plan: %s wall, %s CPU, %s peak RSS (the runner that started it: %s), %d requests\n",
		round(row.s.wall), round(row.s.cpu), mib(row.s.maxRSS), mib(row.s.runnerRSS), row.s.total())

	var applies []applyRow
	for _, c := range changes {
		if c > f.perKind {
			fmt.Fprintf(out, "  apply of %d changes skipped: only %d CCADB items\n", c, f.perKind)
			continue
		}
		var runs []sample
		for k := 0; k < o.runs; k++ {
			// Each run changes the same c items to a new value.
			inv := filepath.Join(dir, fmt.Sprintf("items-%d-%d.yaml", c, k))
			if err := f.writeInventory(inv, c, fmt.Sprintf("-r%d.%d", c, k)); err != nil {
				return planRow{}, nil, err
			}
			s, code, err := sb.certsync(bin, "apply", "--auto-approve", "-i", inv)
			if err != nil {
				return planRow{}, nil, err
			}
			if code != 0 {
				return planRow{}, nil, fmt.Errorf("apply of %d changes exited %d; see %s", c, code, sb.lastOutput)
			}
			// The apply converged only if a plan of the same inventory is empty.
			if _, code, err := sb.certsync(bin, "plan", "--detailed-exitcode", "-i", inv); err != nil || code != 0 {
				return planRow{}, nil, fmt.Errorf("after applying %d changes the plan is not empty (exit %d, %v); see %s", c, code, err, sb.lastOutput)
			}
			runs = append(runs, s)
		}
		slices.SortFunc(runs, func(a, b sample) int { return int(a.cpu - b.cpu) })
		s := runs[len(runs)/2]
		fmt.Fprintf(out, "  apply of %d changes (median of %d by CPU): %s wall, %s CPU, %d requests\n", c, len(runs), round(s.wall), round(s.cpu), s.total())
		applies = append(applies, applyRow{items: row.items, changes: c, s: s, planCPU: row.s.cpu})
	}
	return row, applies, nil
}

// applySize is the size the applies are measured at: the smallest with
// enough CCADB items for the largest number of changes (the steady-state
// plan every apply includes is then cheapest, so that the per-change cost
// shows), else the largest.
func applySize(o options) int {
	sizes := slices.Sorted(slices.Values(o.sizes))
	if len(o.changes) == 0 {
		return 0
	}
	most := slices.Max(o.changes)
	for _, n := range sizes {
		if itemsPerKind(n) >= most {
			return n
		}
	}
	return sizes[len(sizes)-1]
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

// certsync runs the binary with args against the sandbox and measures it;
// it returns the exit code (an exit is not an error here).
func (sb *sandbox) certsync(bin string, args ...string) (sample, int, error) {
	before, err := sb.requestCounts()
	if err != nil {
		return sample{}, 0, err
	}
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
	cmd.Env = append(baseEnv(), sb.env...)
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
	s := sample{wall: res.Wall, cpu: res.CPU, maxRSS: res.MaxRSS, runnerRSS: res.RunnerRSS, requests: map[string]int{}}
	for _, v := range vendorNames {
		s.requests[v] = after[v] - before[v]
	}
	return s, res.Exit, nil
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
	return fmt.Sprintf("%.2fms", float64(cpu)/float64(time.Millisecond)/float64(n))
}

func mib(b int64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}
