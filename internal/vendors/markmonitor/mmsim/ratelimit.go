package mmsim

import (
	"sync"
	"time"
)

// DefaultRateLimit is the API guide's "100 requests per minute" (API guide §4).
const DefaultRateLimit = 100

// rateWindow is the rolling window the limit applies to.
const rateWindow = time.Minute

// rateLimiter enforces the per-API-key limit over a rolling minute, by the
// simulator's clock. The simulator has a single valid API key, so one
// limiter is the per-key limiter; requests without the valid key are
// answered 403 before they reach it.
//
// Only requests that were let through occupy a slot: a rejected request
// does not push the window further, so a client that waits Retry-After
// seconds is served. Every request, rejected or not, is recorded for
// MaxPerMinute, which is about the client's pacing, not the server's
// answers.
type rateLimiter struct {
	mu       sync.Mutex
	limit    int         // < 0: unlimited
	accepted []time.Time // let through, within the last window, oldest first
	seen     []time.Time // every request within the last window, oldest first
	maxSeen  int
}

// allow records a request at now and reports whether it may proceed; when it
// may not, wait is how long until a slot frees.
func (rl *rateLimiter) allow(now time.Time) (ok bool, wait time.Duration) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	cutoff := now.Add(-rateWindow)
	rl.seen = append(prune(rl.seen, cutoff), now)
	rl.maxSeen = max(rl.maxSeen, len(rl.seen))
	rl.accepted = prune(rl.accepted, cutoff)
	if rl.limit >= 0 && len(rl.accepted) >= rl.limit {
		if len(rl.accepted) == 0 { // limit 0: nothing is ever let through
			return false, rateWindow
		}
		return false, rl.accepted[len(rl.accepted)-rl.limit].Add(rateWindow).Sub(now)
	}
	rl.accepted = append(rl.accepted, now)
	return true, 0
}

// prune drops the times at or before cutoff. The slices are in arrival order;
// a clock that steps back only makes a few entries linger a little longer.
func prune(ts []time.Time, cutoff time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(cutoff) {
		i++
	}
	if i == 0 {
		return ts
	}
	return append(ts[:0], ts[i:]...)
}

func (rl *rateLimiter) setLimit(n int) {
	rl.mu.Lock()
	rl.limit = n
	rl.mu.Unlock()
}

func (rl *rateLimiter) max() int {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	return rl.maxSeen
}

// SetRateLimit changes the number of requests allowed per rolling minute: 0
// restores DefaultRateLimit, a negative n disables the limit.
func (s *Server) SetRateLimit(n int) {
	if n == 0 {
		n = DefaultRateLimit
	}
	s.rl.setLimit(n)
}

// MaxPerMinute returns the largest number of requests carrying the valid API
// key seen in any rolling 60-second window (by Options.Now) since New,
// counting rejected ones: the figure that proves a client paces itself.
func (s *Server) MaxPerMinute() int { return s.rl.max() }
