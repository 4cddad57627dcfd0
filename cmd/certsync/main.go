// Command certsync makes certificate vendors (the CCADB, Markmonitor,
// QUANTIL) match a YAML inventory. See README.md; all logic is in
// internal/cli so it can be tested in-process.
//
// Debug hook: when CERTSYNC_MEMPROFILE names a file, a heap profile is
// written there when the command ends (read it with `go tool pprof
// -sample_index=alloc_space` or `inuse_space`). It is how the memory
// figures in README's Performance section are investigated. Likewise, when
// CERTSYNC_CPUPROFILE names a file, a CPU profile of the whole command is
// written there (read it with `go tool pprof -top`): how the time of a
// plan of many items is investigated.
//
// The garbage collector runs at GOGC=50 unless GOGC is set (see
// defaultGCPercent).
package main

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"runtime/pprof"

	"github.com/certsync/certsync/internal/cli"
)

// defaultGCPercent is certsync's GOGC when the environment sets none. A
// plan allocates many times the data it keeps (every answer and file is
// decoded and mostly dropped), and Go's default of 100 lets the heap grow
// to twice the kept data between collections. A steady-state plan of
// 10,000 items peaked at 91-105 MiB of resident memory with 100 and peaks
// at 82-87 MiB with 50, for about a tenth more CPU (measured: 1.0 against
// 1.1 s): the data kept is small, so collections are cheap. A CronJob's
// memory limit is what ends runs, not CPU. GOGC in the environment
// overrides this; GOMEMLIMIT caps the heap either way.
const defaultGCPercent = 50

// gcPercent is the GOGC to set, if any: defaultGCPercent when the
// environment does not choose one.
func gcPercent(getenv func(string) string) (int, bool) {
	if getenv("GOGC") != "" {
		return 0, false
	}
	return defaultGCPercent, true
}

func main() {
	if p, ok := gcPercent(os.Getenv); ok {
		debug.SetGCPercent(p)
	}
	stopCPU := startCPUProfile(os.Getenv("CERTSYNC_CPUPROFILE"))
	code := cli.Main(context.Background(), os.Args[1:], cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
	stopCPU()
	if path := os.Getenv("CERTSYNC_MEMPROFILE"); path != "" {
		if err := writeHeapProfile(path); err != nil {
			fmt.Fprintf(os.Stderr, "certsync: CERTSYNC_MEMPROFILE: %v\n", err)
		}
	}
	os.Exit(code)
}

// writeHeapProfile writes the heap profile to path. Its inuse figures are
// those of the run's last garbage collection, deliberately not forced here:
// by the end the plan's data is garbage, and the last collection during the
// run is the nearest to the peak. alloc_space sums every allocation of the
// run, which is what finds a large buffer.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// startCPUProfile starts a CPU profile into path ("" = none) and returns
// what stops it and closes the file. A profile that cannot start is
// reported and the command runs without it.
func startCPUProfile(path string) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		if err = pprof.StartCPUProfile(f); err != nil {
			f.Close()
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "certsync: CERTSYNC_CPUPROFILE: %v\n", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "certsync: CERTSYNC_CPUPROFILE: %v\n", err)
		}
	}
}
