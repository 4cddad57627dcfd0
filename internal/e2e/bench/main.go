// Command bench measures certsync end to end, the way it runs in
// production: the real binary against `certsync sandbox` (a separate
// process, on loopback, with a per-request latency), over inventories of
// generated items whose live state is already right (a steady state), plus
// applies of a given number of changes on an inventory of CCADB
// intermediates of its own (-apply-items).
//
// The simulators are seeded directly through their own seeding functions:
// going through the vendors' APIs would take hours at Markmonitor's 100
// requests a minute. Requests are counted by the sandbox itself
// (GET /_sandbox/requests), CPU and peak RSS come from the operating system's
// accounting of the certsync process, which a small runner process (this
// binary again, see runner.go) starts so that the harness's own memory does
// not count as certsync's. An apply's CPU per change is certsync's own
// measure of its apply phase, read from its debug log ("apply finished"):
// the whole process's CPU is mostly loading and planning.
//
// It is run by `make bench-e2e` and is not part of the shipped binary.
//
//	go run ./internal/e2e/bench -bin bin/certsync -sizes 300,3000 -latency 20ms
//	go run ./internal/e2e/bench -bin bin/certsync -sizes "" -changes 100,1000,10000
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
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
	applyItems int
	runs       int
	keep       bool
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == runnerArg {
		if err := runMeasured(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
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
	changes := fs.String("changes", "100,1000", "comma-separated numbers of CCADB field updates to apply (\"\" for none)")
	fs.IntVar(&o.applyItems, "apply-items", 0, "CCADB intermediates (and nothing else) in the inventory the applies run on (default: the most -changes)")
	fs.IntVar(&o.runs, "runs", 3, "steady-state plans per size, and applies of each number of changes; the median is shown")
	fs.BoolVar(&o.keep, "keep", false, "keep the generated files and state (their directory is printed)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if o.sizes, err = ints(*sizes); err != nil {
		return fmt.Errorf("-sizes %q: want comma-separated positive numbers", *sizes)
	}
	if o.changes, err = ints(*changes); err != nil {
		return fmt.Errorf("-changes %q: want comma-separated positive numbers", *changes)
	}
	if len(o.sizes) == 0 && len(o.changes) == 0 {
		return fmt.Errorf("nothing to measure: -sizes and -changes are both empty")
	}
	if len(o.changes) > 0 {
		if o.applyItems == 0 {
			o.applyItems = slices.Max(o.changes)
		}
		if o.applyItems < slices.Max(o.changes) {
			return fmt.Errorf("-apply-items %d: want at least the most -changes (%d)", o.applyItems, slices.Max(o.changes))
		}
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
