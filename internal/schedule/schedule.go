// Package schedule runs a job on a cron schedule with gocron v2, one run at a
// time, until its context ends.
package schedule

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-co-op/gocron/v2"
)

// Options tune Run.
type Options struct {
	// Immediately runs the job once at start, then on the schedule.
	Immediately bool
	// StopTimeout is how long Run waits for a running job after ctx ends.
	StopTimeout time.Duration
	// Location is the schedule's time zone; default UTC.
	Location *time.Location
}

// ErrSchedule is returned for a cron expression gocron does not accept.
var ErrSchedule = errors.New("bad --schedule")

// Run calls job on the cron schedule (five fields, or six with seconds first)
// until ctx ends, then waits up to StopTimeout for a running job, whose
// context is cancelled. A run that falls due while the previous one is still
// going is skipped, not queued (gocron's LimitModeReschedule): each run
// plans from live state, so a backlog of catch-up runs would only repeat
// work and, for applies, contend for the state lock.
func Run(ctx context.Context, spec string, o Options, job func(context.Context)) error {
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.StopTimeout <= 0 {
		o.StopTimeout = time.Minute
	}
	s, err := gocron.NewScheduler(gocron.WithLocation(o.Location), gocron.WithStopTimeout(o.StopTimeout))
	if err != nil {
		return err
	}
	withSeconds := len(strings.Fields(spec)) == 6
	opts := []gocron.JobOption{gocron.WithSingletonMode(gocron.LimitModeReschedule), gocron.WithName("certsync")}
	if o.Immediately {
		opts = append(opts, gocron.WithStartAt(gocron.WithStartImmediately()))
	}
	if _, err := s.NewJob(gocron.CronJob(spec, withSeconds), gocron.NewTask(job), opts...); err != nil {
		_ = s.Shutdown()
		return fmt.Errorf("%w %q: %v", ErrSchedule, spec, err)
	}
	s.Start()
	<-ctx.Done()
	return s.Shutdown()
}
