package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// runnerArg makes the bench binary a runner: it runs one command and writes
// its measurements to a file (see runMeasured).
//
// Why a separate process: Go starts a child with vfork (the child shares
// the parent's memory until it execs), and Linux carries a process's peak
// RSS across exec. A child started straight from this harness, which holds
// the generated PKI and the seeded 10 MB report, so reported the harness's
// own peak (about 170 MiB) as certsync's. The runner is a small process of
// its own; the certsync it starts inherits only the runner's few MiB.
const runnerArg = "__measure"

// runResult is what a runner reports of the command it ran.
type runResult struct {
	Exit      int           `json:"exit"`
	Wall      time.Duration `json:"wall"`
	CPU       time.Duration `json:"cpu"`        // user + system
	MaxRSS    int64         `json:"max_rss"`    // bytes
	RunnerRSS int64         `json:"runner_rss"` // the runner's own peak RSS (VmHWM), a floor of MaxRSS
	Err       string        `json:"err,omitempty"`
}

// runMeasured is the runner: args are the result file, then the command and
// its arguments. Standard streams, environment and directory are the
// runner's own, which the harness set.
func runMeasured(args []string) error {
	if len(args) < 2 {
		return errors.New(runnerArg + ": want OUTFILE COMMAND [ARG...]")
	}
	out, name, cmdArgs := args[0], args[1], args[2:]
	cmd := exec.Command(name, cmdArgs...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	res := runResult{Wall: time.Since(start)}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		res.Err = err.Error()
	}
	if st := cmd.ProcessState; st != nil {
		res.Exit = st.ExitCode()
		res.CPU = st.UserTime() + st.SystemTime()
		if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
			res.MaxRSS = int64(ru.Maxrss) * 1024 // kilobytes on Linux
		}
	}
	res.RunnerRSS = vmHWM()
	data, err := json.Marshal(res)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, data, 0o600); err != nil {
		return fmt.Errorf("%s: %w", runnerArg, err)
	}
	return nil
}

// vmHWM is this process's peak RSS as /proc/self/status counts it (VmHWM,
// bytes), 0 when unknown. Unlike getrusage's, it is the peak of this
// process's own memory, not one inherited across exec from the harness.
func vmHWM() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err == nil {
				return kb * 1024
			}
		}
	}
	return 0
}
