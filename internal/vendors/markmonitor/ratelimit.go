package markmonitor

import (
	"context"
	"sync"
	"time"

	"github.com/certsync/certsync/internal/httpx"
)

// Clock is the time source of the client, replaceable in tests so a run of
// hundreds of paced requests takes milliseconds.
type Clock = httpx.Clock

type realClock = httpx.SystemClock

// limiter paces requests so that no rolling minute ever holds more than
// perMinute of them, and holds every request while a 429's Retry-After
// runs. It is shared by every goroutine of a client.
//
// It is a sliding log of send times, not x/time/rate's token bucket: a
// bucket that never lets a rolling minute exceed perMinute must keep
// burst + refill-per-minute <= perMinute, so it either spaces a plan's few
// reads 0.6 s apart (burst 1: nine reads of a 10,000-item plan then cost
// five seconds of waiting) or gives up sustained throughput for new orders
// (burst 10: 85 a minute instead of 95). The log lets a plan's reads go at
// once and still sends 95 a minute for as long as there is work, and it
// cannot overshoot, which is how the vendor counts. The default of 95 sits 5
// below the vendor's 100 to absorb clock and network jitter between the two
// counts. TestLimiterRollingMinute checks it on a fake clock.
type limiter struct {
	clock     Clock
	perMinute int

	mu    sync.Mutex
	sent  []time.Time // send times inside the last minute, oldest first
	pause time.Time   // no request before this (a 429's Retry-After)
}

// newLimiter paces at most perMinute requests in any rolling minute; fewer
// than 1 is taken as 1.
func newLimiter(c Clock, perMinute int) *limiter {
	return &limiter{clock: c, perMinute: max(perMinute, 1)}
}

// wait blocks until a request may be sent and records it as sent.
func (l *limiter) wait(ctx context.Context) error {
	for {
		l.mu.Lock()
		now := l.clock.Now()
		cut := 0
		for cut < len(l.sent) && !l.sent[cut].After(now.Add(-time.Minute)) {
			cut++
		}
		l.sent = l.sent[cut:]
		var d time.Duration
		switch {
		case now.Before(l.pause):
			d = l.pause.Sub(now)
		case len(l.sent) < l.perMinute:
			l.sent = append(l.sent, now)
			l.mu.Unlock()
			return nil
		default:
			// The oldest request leaves the window just after this.
			d = l.sent[0].Add(time.Minute).Sub(now) + time.Millisecond
		}
		l.mu.Unlock()
		if err := l.clock.Sleep(ctx, d); err != nil {
			return err
		}
	}
}

// holdUntil stops every caller until t: the server said so with Retry-After.
func (l *limiter) holdUntil(t time.Time) {
	l.mu.Lock()
	if t.After(l.pause) {
		l.pause = t
	}
	l.mu.Unlock()
}
