package markmonitor

import (
	"context"
	"sync"
	"time"

	"github.com/certsync/certsync/internal/httpx"
)

// Clock is the time source of the client, replaceable in tests so a run of
// hundreds of paced requests takes milliseconds.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx ends.
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error { return httpx.Sleep(ctx, d) }

// limiter paces requests so that no rolling window of the given length ever
// holds more than limit of them. A token bucket would allow its burst on top
// of the refill rate within one minute; a sliding log cannot overshoot,
// which is what "100 requests per minute" needs. It is shared by every
// goroutine of a client.
type limiter struct {
	mu     sync.Mutex
	clock  Clock
	limit  int
	window time.Duration
	sent   []time.Time // send times inside the window, oldest first
	pause  time.Time   // no request before this (a 429's Retry-After)
}

func newLimiter(c Clock, limit int, window time.Duration) *limiter {
	return &limiter{clock: c, limit: limit, window: window}
}

// wait blocks until a request may be sent and records it as sent.
func (l *limiter) wait(ctx context.Context) error {
	for {
		l.mu.Lock()
		now := l.clock.Now()
		cut := 0
		for cut < len(l.sent) && !l.sent[cut].After(now.Add(-l.window)) {
			cut++
		}
		l.sent = l.sent[cut:]
		var d time.Duration
		switch {
		case now.Before(l.pause):
			d = l.pause.Sub(now)
		case len(l.sent) < l.limit:
			l.sent = append(l.sent, now)
			l.mu.Unlock()
			return nil
		default:
			// The oldest request leaves the window just after this.
			d = l.sent[0].Add(l.window).Sub(now) + time.Millisecond
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
