package markmonitor

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"

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
// Why a token bucket with burst 1 refilled at perMinute-1 per minute keeps
// that guarantee: with at most one token, each request may go only when the
// previous one's token has been refilled, so two requests are at least
// p = 60 s / (perMinute-1) apart, whichever goroutines send them. k requests
// therefore span at least (k-1)·p, and perMinute+1 of them would span
// 60 s · perMinute/(perMinute-1) > 60 s: no window of 60 s (ends included)
// holds more than perMinute. (A larger burst would let the burst through on
// top of the refill within one minute, which is why it is 1.) x/time/rate
// computes delays in floating point, which can shorten a gap by a
// nanosecond; the default of 95 sits 5 below the vendor's 100 to absorb
// that and network jitter. TestLimiterRollingMinute checks it on a fake
// clock.
type limiter struct {
	clock  Clock
	bucket *rate.Limiter

	mu    sync.Mutex
	pause time.Time // no request before this (a 429's Retry-After)
}

// newLimiter paces at most perMinute requests in any rolling minute; fewer
// than 2 is taken as 2.
func newLimiter(c Clock, perMinute int) *limiter {
	perMinute = max(perMinute, 2)
	return &limiter{clock: c, bucket: rate.NewLimiter(rate.Every(time.Minute/time.Duration(perMinute-1)), 1)}
}

// wait blocks until a request may be sent and counts it as sent.
func (l *limiter) wait(ctx context.Context) error {
	if err := l.held(ctx); err != nil {
		return err
	}
	if err := httpx.Wait(ctx, l.clock, l.bucket); err != nil {
		return err
	}
	// A 429 may have come in while this request waited for its turn.
	return l.held(ctx)
}

// held sleeps while a hold is in force.
func (l *limiter) held(ctx context.Context) error {
	for {
		l.mu.Lock()
		d := l.pause.Sub(l.clock.Now())
		l.mu.Unlock()
		if d <= 0 {
			return nil
		}
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
