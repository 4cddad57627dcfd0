package httpx

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Clock is the time source of retries and pacing. Tests pass a fake whose
// Sleep moves its time forward at once, so minutes of Retry-After and backoff
// take no real time (internal/sim.Clock is one).
type Clock interface {
	Now() time.Time
	// Sleep waits d, or until ctx is done (then it returns ctx's cause).
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Sleep is httpx.Sleep.
func (SystemClock) Sleep(ctx context.Context, d time.Duration) error { return Sleep(ctx, d) }

// Policy is one vendor's rule for sending a request again, as data.
//
// An idempotent request is repeated after a 429, a status in Statuses (a
// server failure) or a transport error (with RetryErrors). A request that
// is not idempotent is repeated only on proof that nothing was processed,
// and only where the policy allows it: after a 429, which the server sends
// before processing anything (Unsafe429), or after a transport error that
// proves the request never left (UnsafeNotSent). A 5xx or a reset may come
// after the change was made, so it is never repeated for such a request.
type Policy struct {
	// Attempts is the most attempts, the first included, when the failures
	// are server errors or transport errors. Less than 1 means 1.
	Attempts int
	// ThrottledAttempts is the most attempts while the answers are 429: a
	// burst of throttling must not fail a run, so it is usually larger than
	// Attempts; the cap only stops a server that never lets anything through.
	// 0 means Attempts.
	ThrottledAttempts int
	// Base is the first backoff; each further attempt doubles it, up to Max.
	Base, Max time.Duration
	// Jitter, between 0 and 1, is the share of each backoff drawn at random:
	// the wait is uniform in [d·(1-Jitter), d], so clients that failed
	// together do not retry together.
	Jitter float64
	// RetryAfterCap is the longest Retry-After honoured; a longer one is cut
	// to it, so a wrong header cannot stall a run. 0 means Max.
	RetryAfterCap time.Duration
	// Statuses lists the answers besides 429 worth repeating (typically 500,
	// 502, 503, 504). A Retry-After on them is honoured too.
	Statuses []int
	// RetryErrors repeats transport errors (a reset, a timeout) of
	// idempotent requests.
	RetryErrors bool
	// Unsafe429 lets a request that is not idempotent be repeated after a
	// 429, which the server sends before processing anything.
	Unsafe429 bool
	// UnsafeNotSent lets a request that is not idempotent be repeated after
	// a NotSent error: no connection was made, so nothing was processed.
	UnsafeNotSent bool
	// RepeatAfter is the least time between the end of one attempt and the
	// start of the next, whatever the backoff: for a vendor that refuses an
	// identical request within a window (the CCADB answers 429 to the same
	// request sent twice within a minute).
	RepeatAfter time.Duration
}

// Result is what one attempt brought back: the status, headers and body of
// the answer (zero when the attempt failed in transport).
type Result struct {
	Status int
	Header http.Header
	Body   []byte
}

// Decide says whether attempt n (1 for the first) that ended with res and
// err is to be sent again, and how long to wait first. idempotent says
// whether the request may be repeated after an ambiguous failure. now is the
// time the attempt ended (for an HTTP-date Retry-After); rnd, in [0,1),
// draws the jitter. It is a pure function: Retrier.Do calls it with the
// clock and a random number.
func (p Policy) Decide(n int, idempotent bool, res Result, err error, now time.Time, rnd float64) (time.Duration, bool) {
	// A per-request timeout (DeadlineExceeded) is a transport error like
	// any other; a cancelled or expired run is stopped by Do, which sees ctx.
	var final finalError
	if errors.Is(err, context.Canceled) || errors.Is(err, ErrTooLarge) || errors.As(err, &final) {
		return 0, false
	}
	limit := max(p.Attempts, 1)
	throttled := err == nil && res.Status == http.StatusTooManyRequests
	switch {
	case throttled:
		if p.ThrottledAttempts > 0 {
			limit = p.ThrottledAttempts
		}
		if !idempotent && !p.Unsafe429 {
			return 0, false
		}
	case err != nil:
		unsent := NotSent(err)
		if !(idempotent && (p.RetryErrors || unsent)) && !(p.UnsafeNotSent && unsent) {
			return 0, false
		}
	case slices.Contains(p.Statuses, res.Status):
		if !idempotent {
			return 0, false
		}
	default:
		return 0, false
	}
	if n >= limit {
		return 0, false
	}
	wait := p.backoff(n, rnd)
	if err == nil {
		if ra, ok := RetryAfter(res.Header, now); ok {
			capped := p.RetryAfterCap
			if capped <= 0 {
				capped = p.Max
			}
			wait = min(ra, capped)
		}
	}
	return max(wait, p.RepeatAfter), true
}

// backoff is Base·2^(n-1), at most Max, with the jitter taken off.
func (p Policy) backoff(n int, rnd float64) time.Duration {
	d := p.Base
	for i := 1; i < n && (p.Max <= 0 || d < p.Max); i++ {
		d *= 2
	}
	if p.Max > 0 {
		d = min(d, p.Max)
	}
	j := min(max(p.Jitter, 0), 1)
	return d - time.Duration(float64(d)*j*rnd)
}

// RetryAfter reads a Retry-After header, in delay-seconds or as an HTTP-date
// (RFC 9110 §10.2.3), as a wait from now. ok is false when the header is
// absent or unreadable; a date in the past is a wait of 0.
func RetryAfter(h http.Header, now time.Time) (wait time.Duration, ok bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s < 0 {
			return 0, false
		}
		// Beyond this the Duration would overflow; any cap is far smaller.
		return time.Duration(min(s, int64(1<<62)/int64(time.Second))) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// Final marks an error of send that no repeat can help (a refused
// credential, a request that cannot be built): Decide never repeats it.
// errors.Is and errors.As see through the mark, and the text is unchanged.
func Final(err error) error {
	if err == nil {
		return nil
	}
	return finalError{err}
}

type finalError struct{ error }

func (e finalError) Unwrap() error { return e.error }

// NotSent reports whether a transport error proves the request never reached
// the server: no connection could be made (the dial or the name lookup
// failed). Only such an error allows repeating a request that is not
// idempotent; a reset or a timeout may come after the server acted.
func NotSent(err error) bool {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// Retrier runs requests under a Policy. The zero Clock is the system clock
// and the zero Log discards. It holds no state between calls and is safe for
// concurrent use.
type Retrier struct {
	Policy Policy
	Clock  Clock
	Log    *slog.Logger
	// Throttled, when set, hears of every 429 before its wait starts, with
	// the time the wait ends: a client with a shared pace holds every other
	// request until then.
	Throttled func(until time.Time)
	// Rand draws the jitter in [0,1); nil is math/rand/v2.Float64.
	Rand func() float64
}

// Do calls send until an attempt needs no repeat or the policy says to stop,
// waiting on the clock between attempts. send makes one attempt; it reads
// the whole answer. what names the request in log lines. Do returns the last
// attempt's result and transport error as send gave them, so the caller
// decodes a refusal with the vendor's own error body, or ctx's cause when
// ctx ended during a wait. A status of 4xx or 5xx is not an error here.
func (r *Retrier) Do(ctx context.Context, what string, idempotent bool, send func(context.Context) (Result, error)) (Result, error) {
	clock := r.Clock
	if clock == nil {
		clock = SystemClock{}
	}
	log := r.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rnd := r.Rand
	if rnd == nil {
		rnd = rand.Float64
	}
	for n := 1; ; n++ {
		res, err := send(ctx)
		if ctx.Err() != nil {
			return res, err
		}
		now := clock.Now()
		wait, again := r.Policy.Decide(n, idempotent, res, err, now, rnd())
		if !again {
			return res, err
		}
		if err == nil && res.Status == http.StatusTooManyRequests {
			log.Info("throttled; waiting", "request", what, "attempt", n, "wait", wait)
			if r.Throttled != nil {
				r.Throttled(now.Add(wait))
			}
		} else {
			log.Warn("retrying", "request", what, "attempt", n, "status", res.Status, "error", errText(err), "wait", wait)
		}
		if err := clock.Sleep(ctx, wait); err != nil {
			return res, err
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Wait takes one event from lim, timed on clock: it reserves at clock.Now,
// sleeps the reservation's delay on clock, and hands the reservation back if
// ctx ends first. (rate.Limiter.Wait reads the system clock, which a test
// cannot move.) A nil lim lets everything through.
func Wait(ctx context.Context, clock Clock, lim *rate.Limiter) error {
	if lim == nil {
		return nil
	}
	now := clock.Now()
	r := lim.ReserveN(now, 1)
	if !r.OK() {
		return errors.New("the rate limiter can never allow a request (burst 0)")
	}
	if err := clock.Sleep(ctx, r.DelayFrom(now)); err != nil {
		r.CancelAt(clock.Now())
		return err
	}
	return nil
}
