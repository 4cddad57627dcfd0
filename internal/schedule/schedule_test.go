package schedule

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// Ticks every second while each run takes 2.5 s: runs never overlap, and the
// ticks that fall inside a run are skipped, not queued.
func TestOverlappingTicksDoNotStartASecondRun(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about five seconds of real time")
	}
	var running, maxRunning, starts atomic.Int32
	var cancelled atomic.Int32
	ctx, cancel := context.WithTimeout(context.Background(), 4500*time.Millisecond)
	defer cancel()
	err := Run(ctx, "* * * * * *", Options{Immediately: true, StopTimeout: 5 * time.Second}, func(jobCtx context.Context) {
		starts.Add(1)
		n := running.Add(1)
		defer running.Add(-1)
		for {
			m := maxRunning.Load()
			if n <= m || maxRunning.CompareAndSwap(m, n) {
				break
			}
		}
		select {
		case <-time.After(2500 * time.Millisecond):
		case <-jobCtx.Done():
			cancelled.Add(1) // shutdown reached the running job
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if m := maxRunning.Load(); m != 1 {
		t.Fatalf("%d runs at once", m)
	}
	// About 4.5 ticks happened; with 2.5 s runs only two can start.
	if s := starts.Load(); s < 1 || s > 2 {
		t.Fatalf("%d runs started in 4.5 s of one-second ticks with 2.5 s runs; want 1 or 2", s)
	}
	if running.Load() != 0 {
		t.Fatal("Run returned with a job still running")
	}
}

func TestBadSchedule(t *testing.T) {
	err := Run(context.Background(), "every tuesday", Options{}, func(context.Context) {})
	if !errors.Is(err, ErrSchedule) {
		t.Fatalf("err = %v, want ErrSchedule", err)
	}
}
