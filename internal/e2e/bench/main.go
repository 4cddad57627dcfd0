// Command bench measures certsync end to end, the way it runs in
// production: the real binary against `certsync sandbox` (a separate
// process, on loopback, with a per-request latency), over inventories of
// generated items whose live state is already right (a steady state), plus
// applies of a given number of changes.
//
// The simulators are seeded directly through their own seeding functions:
// going through the vendors' APIs would take hours at Markmonitor's 100
// requests a minute. Requests are counted by the sandbox itself
// (GET /_sandbox/requests), CPU and peak RSS come from the operating system's
// accounting of the certsync process.
//
// It is run by `make bench-e2e` and is not part of the shipped binary.
//
//	go run ./internal/e2e/bench -bin bin/certsync -sizes 300,3000 -latency 20ms
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

type options struct {
	bin        string
	sizes      []int
	latency    time.Duration
	reportRows int
	changes    []int
	runs       int
	keep       bool
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&o.bin, "bin", "bin/certsync", "the certsync binary to measure")
	sizes := fs.String("sizes", "300,3000", "comma-separated item counts (split evenly over CCADB, Markmonitor and QUANTIL)")
	fs.DurationVar(&o.latency, "latency", 20*time.Millisecond, "latency of every sandbox request (CERTSYNC_SANDBOX_LATENCY)")
	fs.IntVar(&o.reportRows, "report-rows", 0, "other CAs' records in the CCADB report (about 11000 makes a report of real size)")
	changes := fs.String("changes", "100,1000", "comma-separated numbers of CCADB field updates to apply at the largest size (\"\" for none)")
	fs.IntVar(&o.runs, "runs", 3, "steady-state plans per size; the median is shown")
	fs.BoolVar(&o.keep, "keep", false, "keep the generated files and state (their directory is printed)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if o.sizes, err = ints(*sizes); err != nil || len(o.sizes) == 0 {
		return fmt.Errorf("-sizes %q: want comma-separated positive numbers", *sizes)
	}
	if o.changes, err = ints(*changes); err != nil {
		return fmt.Errorf("-changes %q: want comma-separated positive numbers", *changes)
	}
	if o.runs < 1 {
		return fmt.Errorf("-runs must be at least 1")
	}
	if _, err := os.Stat(o.bin); err != nil {
		return fmt.Errorf("the certsync binary: %w (make build)", err)
	}
	return measure(o, os.Stdout)
}

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(strings.ReplaceAll(f, "_", ""))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad number %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}
