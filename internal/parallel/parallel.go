// Package parallel spreads independent, CPU-bound work (signature checks,
// key parsing) of one inventory load over the machine's cores.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Each calls fn(i) for every i in [0, n), on at most GOMAXPROCS goroutines,
// and returns when all calls have returned. Calls run in no particular
// order and concurrently: fn must only write what belongs to i (e.g.
// results[i]). With one core, or n < 2, it runs them in order on the
// calling goroutine.
func Each(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers < 2 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}
