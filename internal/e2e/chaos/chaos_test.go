package chaos

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/sim"
	"github.com/certsync/certsync/internal/vendors/ccadb/ccadbsim"
)

var (
	seedFlag  = flag.Uint64("chaos.seed", 20261202, "first seed of the fault mix (0: one from the clock)")
	seedsFlag = flag.Int("chaos.seeds", 1, "how many seeds to run (seed, seed+1, …)")
	longFlag  = flag.Bool("chaos.long", false, "more rounds under faults and more orders (make chaos)")
)

// shape is how much chaos one seed gets.
type shape struct {
	orders         int // Markmonitor orders (the client paces at 95 requests a minute)
	rounds1        int // apply runs under faults with inventory version 1
	rounds2        int // the same with version 2, after the saved plan
	maxConvergence int // apply runs allowed once the faults stop
	killWithin     time.Duration
	// finishLast lets the last apply under faults run to its end instead of
	// killing it, so recovery inside one process (adopting an order whose
	// answer was lost, repeating a CCADB write after its one-minute window)
	// is exercised end to end. It can take minutes: CCADB repeats wait.
	finishLast bool
}

// finishTimeout bounds the apply under faults that runs to its end.
const finishTimeout = 6 * time.Minute

func shapeOf(long bool) shape {
	if long {
		return shape{orders: 12, rounds1: 6, rounds2: 5, maxConvergence: 3, killWithin: 8 * time.Second, finishLast: true}
	}
	return shape{orders: 6, rounds1: 3, rounds2: 2, maxConvergence: 3, killWithin: 4 * time.Second}
}

// TestChaos runs the fault suite once per seed; see the package comment.
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("the fault suite builds and runs binaries")
	}
	bins := buildBinaries(t)
	first := *seedFlag
	if first == 0 {
		first = uint64(time.Now().UnixNano() % 1_000_000)
	}
	for i := 0; i < *seedsFlag; i++ {
		seed := first + uint64(i)
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			start := time.Now()
			st := runSeed(t, bins, seed, shapeOf(*longFlag))
			t.Logf("CHAOS seed=%d apply_runs_under_faults=%d killed=%d timed_out=%d runs_to_converge=%d duplicates=%d wall=%s",
				seed, st.faultRuns, st.killed, st.timedOut, st.convergeRuns, st.duplicates, time.Since(start).Round(100*time.Millisecond))
		})
	}
}

type binaries struct{ certsync, chaossim string }

// buildBinaries builds certsync and the simulator process once for every seed.
func buildBinaries(t *testing.T) binaries {
	t.Helper()
	dir := t.TempDir()
	b := binaries{certsync: filepath.Join(dir, "certsync"), chaossim: filepath.Join(dir, "chaossim")}
	for out, pkg := range map[string]string{b.certsync: "../../../cmd/certsync", b.chaossim: "./chaossim"} {
		cmd := exec.Command(goTool(), "build", "-o", out, pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, msg)
		}
	}
	return b
}

// goTool is the go command of the toolchain running the test, else the one
// on PATH.
func goTool() string {
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); runtime.GOROOT() != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "go"
}

// stats are the figures a seed reports.
type stats struct {
	faultRuns, killed, convergeRuns, duplicates int
	// timedOut counts runs stopped by the per-command timeout rather than
	// by a planned kill: a finishing apply that did not finish.
	timedOut int
}

// suite is one seed's run: the simulator process, certsync's directories and
// everything certsync printed.
type suite struct {
	t       *testing.T
	bins    binaries
	rng     *rand.Rand
	work    string // the inventory, keys, issued certificates
	state   string // CERTSYNC_STATE_DIR
	simDir  string // the simulators' own state (secrets in it are theirs)
	outDir  string // every output of every certsync command, kept for the secret scan
	env     []string
	secrets []string
	base    string
	sim     *exec.Cmd
	shape   shape
	// timeout bounds one certsync command; a finishing apply gets longer.
	timeout time.Duration
	n       int // commands run, names output files
	stats   stats
}

func runSeed(t *testing.T, bins binaries, seed uint64, sh shape) stats {
	root := t.TempDir()
	s := &suite{t: t, bins: bins, rng: rand.New(rand.NewPCG(seed, 1)), shape: sh,
		work: filepath.Join(root, "work"), state: filepath.Join(root, "state"), simDir: filepath.Join(root, "sim"), outDir: filepath.Join(root, "output")}
	for _, d := range []string{s.work, s.simDir, s.outDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("seed %d (replay: go test ./internal/e2e/chaos/ -run TestChaos -chaos.seed=%d%s)", seed, seed, map[bool]string{true: " -chaos.long"}[*longFlag])
	w := newWorld(t, s.work, sh.orders)
	w.inventory(t, 1)
	s.startSim()

	// Version 1 under faults, apply killed at random moments.
	s.addFaults(seed)
	for i := 0; i < sh.rounds1; i++ {
		s.faultyApply(false)
	}
	// Version 2: a saved plan applied under faults, then more runs.
	w.inventory(t, 2)
	s.certsync(0, "plan", "-o", "json", "--out", filepath.Join(s.outDir, "saved-plan.json"), "--detailed-exitcode")
	s.certsync(s.killDelay(), "apply", "--auto-approve", filepath.Join(s.outDir, "saved-plan.json"))
	s.stats.faultRuns++
	for i := 0; i < sh.rounds2; i++ {
		s.faultyApply(sh.finishLast && i == sh.rounds2-1)
	}

	// The faults stop: apply until a plan has nothing to do.
	s.control("clear", nil)
	for {
		if code := s.certsync(0, "plan", "--detailed-exitcode"); code == 0 {
			break
		}
		if s.stats.convergeRuns == sh.maxConvergence {
			t.Fatalf("not converged after %d apply runs without faults (seed %d); last plan in %s", sh.maxConvergence, seed, s.outDir)
		}
		s.stats.convergeRuns++
		s.certsync(0, "apply", "--auto-approve")
	}
	// The outputs of the final plans are scanned too, in every format.
	for _, f := range []string{"text", "json", "markdown"} {
		s.certsync(0, "plan", "-o", f)
	}
	s.collectTokens()
	s.stopSim()

	s.stats.duplicates = checkSimulators(t, s.simDir, w)
	checkFiles(t, w, s.state)
	checkSecrets(t, s.secrets, w, s.outDir, s.state)
	return s.stats
}

// killDelay draws when the next apply under faults is killed: every one
// is, at a moment between 50 ms and killWithin (a run that ends sooner is
// not).
// Without the kill, a CCADB write that failed would hold the run for more
// than a minute: the client waits that long before sending the same request
// again, as the CCADB asks.
func (s *suite) killDelay() time.Duration {
	return 50*time.Millisecond + time.Duration(s.rng.Int64N(int64(s.shape.killWithin)))
}

// faultyApply runs apply under faults, killed unless finish is set, maybe
// with the sessions expiring before or while it runs.
func (s *suite) faultyApply(finish bool) {
	if s.rng.IntN(2) == 0 {
		s.control("expire", nil)
	}
	var timer *time.Timer
	if s.rng.IntN(2) == 0 {
		timer = time.AfterFunc(time.Duration(200+s.rng.IntN(2000))*time.Millisecond, func() { s.control("expire", nil) })
	}
	kill := s.killDelay()
	if finish {
		// CCADB repeats wait 65 s each and the pool is small, so under a
		// 10 % fault rate this apply takes minutes.
		kill, s.timeout = 0, finishTimeout
		defer func() { s.timeout = 0 }()
	}
	s.certsync(kill, "apply", "--auto-approve")
	if timer != nil {
		timer.Stop()
	}
	s.stats.faultRuns++
}

// addFaults installs the seeded fault mix on every simulator.
func (s *suite) addFaults(seed uint64) {
	retry := http.Header{"Retry-After": {"1"}}
	mix := func(writes []string, path string, err5xx, body429 string) []sim.Fault {
		var out []sim.Fault
		for _, m := range writes {
			out = append(out,
				sim.Fault{Method: m, Path: path, Status: http.StatusServiceUnavailable, Body: err5xx, Probability: 0.10},
				sim.Fault{Method: m, Path: path, DropAfterCommit: true, Probability: 0.05},
				sim.Fault{Method: m, Path: path, Drop: true, Probability: 0.03},
			)
		}
		// Two bursts of 429s at a random point of the traffic.
		for i := 0; i < 2; i++ {
			out = append(out, sim.Fault{Path: path, Status: http.StatusTooManyRequests, Header: retry, Body: body429, Skip: s.rng.IntN(40), Times: 2 + s.rng.IntN(3)})
		}
		return out
	}
	const ccadb429 = `[{"message":"Too many requests.","errorCode":"TOO_MANY_REQUESTS"}]`
	ccadbFaults := mix([]string{"POST"}, ccadbsim.AddUpdatePath, `[{"message":"Service Unavailable","errorCode":"SERVER_UNAVAILABLE"}]`, ccadb429)
	// The CCADB also throttles the reads a plan makes: the report and
	// GetCertificateId.
	for _, path := range []string{ccadbsim.ReportPath, ccadbsim.GetIDPath} {
		ccadbFaults = append(ccadbFaults, sim.Fault{Path: path, Status: http.StatusTooManyRequests, Header: retry, Body: ccadb429, Skip: s.rng.IntN(5), Times: 1 + s.rng.IntN(2)})
	}
	s.control("faults", map[string]any{"vendor": "ccadb", "seed": seed, "faults": ccadbFaults})
	s.control("faults", map[string]any{"vendor": "markmonitor", "seed": seed + 1, "faults": mix([]string{"POST", "PATCH", "DELETE"}, "/certs/v1/",
		`{"errors":[{"code":"request.genericError","message":"An unexpected error occurred."}]}`, `{"errors":[{"code":"request.tooManyRequests","message":"slow down"}]}`)})
	s.control("faults", map[string]any{"vendor": "quantil", "seed": seed + 2, "faults": mix([]string{"POST", "PUT", "DELETE"}, "/api/ssl/certificate",
		`{"code":"InternalError","message":"internal error"}`, `{"code":"Throttling","message":"too many requests"}`)})
}

// startSim starts the simulator process and reads the settings it prints.
func (s *suite) startSim() {
	t := s.t
	cmd := exec.Command(s.bins.chaossim, "-state", s.simDir, "-i", filepath.Join(s.work, "inventory.yaml"))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.sim = cmd
	t.Cleanup(func() {
		if s.sim != nil {
			_ = s.sim.Process.Kill()
			_ = s.sim.Wait()
		}
	})
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if kv, ok := strings.CutPrefix(line, "export "); ok {
			s.env = append(s.env, kv)
			name, val, _ := strings.Cut(kv, "=")
			if isSecretSetting(name) {
				s.secrets = append(s.secrets, val)
			}
			continue
		}
		if base, ok := strings.CutPrefix(line, "ready "); ok {
			s.base = base
			go func() { _, _ = io.Copy(io.Discard, out) }()
			break
		}
	}
	if s.base == "" {
		t.Fatalf("the simulator process printed no ready line: %v", sc.Err())
	}
	if len(s.secrets) < 5 {
		t.Fatalf("only %d sandbox secrets among %v", len(s.secrets), s.env)
	}
}

// isSecretSetting names the settings whose values must never be printed.
func isSecretSetting(name string) bool {
	for _, w := range []string{"SECRET", "TOKEN", "API_KEY", "PASSWORD"} {
		if strings.Contains(name, w) {
			return true
		}
	}
	return false
}

// stopSim ends the simulator process the way an operator would (SIGTERM), so
// its state files are final.
func (s *suite) stopSim() {
	_ = s.sim.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.sim.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = s.sim.Process.Kill()
		<-done
	}
	s.sim = nil
}

// control calls the simulator process's control API.
func (s *suite) control(what string, body any) {
	data, _ := json.Marshal(body)
	resp, err := http.Post(s.base+"/_chaos/"+what, "application/json", bytes.NewReader(data))
	if err != nil {
		s.t.Errorf("control %s: %v", what, err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		msg, _ := io.ReadAll(resp.Body)
		s.t.Errorf("control %s: %s %s", what, resp.Status, msg)
	}
}

// collectTokens registers the access tokens the simulators saw as secrets.
func (s *suite) collectTokens() {
	resp, err := http.Get(s.base + "/_chaos/tokens")
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var toks []string
	if err := json.NewDecoder(resp.Body).Decode(&toks); err != nil {
		s.t.Fatal(err)
	}
	if len(toks) == 0 {
		s.t.Fatal("the simulators saw no credentials")
	}
	s.secrets = append(s.secrets, toks...)
}

// certsync runs the binary with args in the work directory, at debug level,
// text and JSON logs in turn; with a non-zero kill it is sent SIGKILL after
// that long. It returns the exit code (-1 when killed). Its stdout and
// stderr are kept for the secret scan.
func (s *suite) certsync(kill time.Duration, args ...string) int {
	t := s.t
	s.n++
	format := []string{"text", "json"}[s.n%2]
	timeout := s.timeout
	if timeout == 0 {
		timeout = 3 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.bins.certsync, args...)
	cmd.Dir = s.work
	cmd.Env = append(cleanEnv(), s.env...)
	cmd.Env = append(cmd.Env, "CERTSYNC_STATE_DIR="+s.state, "CERTSYNC_LOG_LEVEL=debug", "CERTSYNC_LOG_FORMAT="+format, "NO_COLOR=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var killer *time.Timer
	if kill > 0 {
		killer = time.AfterFunc(kill, func() { _ = cmd.Process.Signal(syscall.SIGKILL) })
	}
	err := cmd.Wait()
	if killer != nil {
		killer.Stop()
	}
	name := fmt.Sprintf("%03d-%s", s.n, args[0])
	_ = os.WriteFile(filepath.Join(s.outDir, name+".stdout"), stdout.Bytes(), 0o600)
	_ = os.WriteFile(filepath.Join(s.outDir, name+".stderr"), stderr.Bytes(), 0o600)
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit) && exit.Sys().(syscall.WaitStatus).Signaled():
		code = -1
		s.stats.killed++
		if ctx.Err() != nil {
			s.stats.timedOut++
			t.Logf("certsync %s: stopped by the %s command timeout, not by a planned kill", args[0], timeout)
		}
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("certsync %v: %v", args, err)
	}
	t.Logf("certsync %s (%s logs): exit %d after %s", strings.Join(args, " "), format, code, time.Since(start).Round(10*time.Millisecond))
	if code == 1 && s.stats.convergeRuns > 0 && args[0] == "apply" {
		t.Logf("apply without faults failed:\n%s", tail(stderr.String(), 3000))
	}
	return code
}

// cleanEnv is the test's environment without any CERTSYNC_ setting, so a
// developer's own settings never reach a vendor.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CERTSYNC_") {
			out = append(out, kv)
		}
	}
	return out
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
