package httpx

import (
	"context"
	"errors"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)

func header(retryAfter string) http.Header {
	return http.Header{"Retry-After": {retryAfter}}
}

func TestRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  time.Duration
		ok    bool
	}{
		{"", 0, false},
		{"5", 5 * time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{"0", 0, true},
		{"-3", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
		{"99999999999999999", time.Duration(int64(1<<62)/int64(time.Second)) * time.Second, true},
		{t0.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true}, // IMF-fixdate
		{t0.Add(30 * time.Second).Format(time.RFC850), 30 * time.Second, true},     // obsolete RFC 850 form
		{t0.Add(10 * time.Second).Format(time.ANSIC), 10 * time.Second, true},      // asctime form
		{t0.Add(-time.Hour).Format(http.TimeFormat), 0, true},                      // in the past
		{"Mon, 23 Nov 2026 08:00:61 GMT", 0, false},                                // not a date
	} {
		got, ok := RetryAfter(header(tc.value), t0)
		if got != tc.want || ok != tc.ok {
			t.Errorf("RetryAfter(%q) = %v, %v; want %v, %v", tc.value, got, ok, tc.want, tc.ok)
		}
	}
}

func TestDecide(t *testing.T) {
	base := Policy{
		Attempts: 3, ThrottledAttempts: 6, Base: time.Second, Max: 8 * time.Second,
		RetryAfterCap: 30 * time.Second, Statuses: []int{500, 502, 503, 504},
		RetryErrors: true, Unsafe429: true, UnsafeNotSent: true,
	}
	reset := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	noHost := &net.DNSError{Err: "no such host", Name: "api.example.com", IsNotFound: true}
	with := func(f func(*Policy)) Policy { p := base; f(&p); return p }
	for _, tc := range []struct {
		name       string
		p          Policy
		n          int
		idempotent bool
		status     int
		hdr        http.Header
		err        error
		rnd        float64
		want       time.Duration
		again      bool
	}{
		{name: "success", p: base, n: 1, idempotent: true, status: 200},
		{name: "client error", p: base, n: 1, idempotent: true, status: 404},
		{name: "503 first backoff", p: base, n: 1, idempotent: true, status: 503, want: time.Second, again: true},
		{name: "503 doubles", p: base, n: 2, idempotent: true, status: 503, want: 2 * time.Second, again: true},
		{name: "503 attempts spent", p: base, n: 3, idempotent: true, status: 503},
		{name: "status not listed", p: base, n: 1, idempotent: true, status: 501},
		{name: "backoff capped at Max", p: with(func(p *Policy) { p.Attempts = 10 }), n: 7, idempotent: true, status: 500, want: 8 * time.Second, again: true},
		{name: "503 with Retry-After", p: base, n: 1, idempotent: true, status: 503, hdr: header("4"), want: 4 * time.Second, again: true},
		{name: "503 not idempotent: maybe processed", p: base, n: 1, status: 503},
		{name: "429 not idempotent", p: base, n: 1, status: 429, want: time.Second, again: true},
		{name: "429 not idempotent, Unsafe429 off", p: with(func(p *Policy) { p.Unsafe429 = false }), n: 1, status: 429},
		{name: "429 idempotent, Unsafe429 off", p: with(func(p *Policy) { p.Unsafe429, p.UnsafeNotSent = false, false }), n: 1, idempotent: true, status: 429, want: time.Second, again: true},
		{name: "429 Retry-After seconds", p: base, n: 1, status: 429, hdr: header("7"), want: 7 * time.Second, again: true},
		{name: "429 Retry-After capped", p: base, n: 1, status: 429, hdr: header("600"), want: 30 * time.Second, again: true},
		{name: "429 Retry-After cap defaults to Max", p: with(func(p *Policy) { p.RetryAfterCap = 0 }), n: 1, status: 429, hdr: header("600"), want: 8 * time.Second, again: true},
		{name: "429 Retry-After date", p: base, n: 1, status: 429, hdr: header(t0.Add(20 * time.Second).Format(http.TimeFormat)), want: 20 * time.Second, again: true},
		{name: "429 Retry-After date capped", p: base, n: 1, status: 429, hdr: header(t0.Add(time.Hour).Format(http.TimeFormat)), want: 30 * time.Second, again: true},
		{name: "429 Retry-After date past", p: base, n: 1, status: 429, hdr: header(t0.Add(-time.Minute).Format(http.TimeFormat)), want: 0, again: true},
		{name: "429 unreadable Retry-After: backoff", p: base, n: 2, status: 429, hdr: header("later"), want: 2 * time.Second, again: true},
		{name: "429 beyond Attempts, within ThrottledAttempts", p: base, n: 5, status: 429, hdr: header("1"), want: time.Second, again: true},
		{name: "429 ThrottledAttempts spent", p: base, n: 6, status: 429, hdr: header("1")},
		{name: "429 ThrottledAttempts 0 means Attempts", p: with(func(p *Policy) { p.ThrottledAttempts = 0 }), n: 3, status: 429},
		{name: "reset, idempotent", p: base, n: 1, idempotent: true, err: reset, want: time.Second, again: true},
		{name: "reset, not idempotent", p: base, n: 1, err: reset},
		{name: "reset, RetryErrors off", p: with(func(p *Policy) { p.RetryErrors = false }), n: 1, idempotent: true, err: reset},
		{name: "refused, not idempotent: never sent", p: base, n: 1, err: refused, want: time.Second, again: true},
		{name: "refused, not idempotent, UnsafeNotSent off", p: with(func(p *Policy) { p.UnsafeNotSent = false }), n: 1, err: refused},
		{name: "refused, idempotent, RetryErrors off: still never sent", p: with(func(p *Policy) { p.RetryErrors = false }), n: 1, idempotent: true, err: refused, want: time.Second, again: true},
		{name: "refused, not idempotent, only Unsafe429", p: with(func(p *Policy) { p.UnsafeNotSent = false }), n: 1, err: refused},
		{name: "503 not idempotent, even with both unsafe switches", p: base, n: 1, status: 503, hdr: header("1")},
		{name: "no such host, not idempotent", p: base, n: 1, err: noHost, want: time.Second, again: true},
		{name: "marked final", p: base, n: 1, idempotent: true, err: Final(refused)},
		{name: "answer too large", p: base, n: 1, idempotent: true, err: ErrTooLarge},
		{name: "cancelled", p: base, n: 1, idempotent: true, err: context.Canceled},
		{name: "per-request timeout, idempotent", p: base, n: 1, idempotent: true, err: context.DeadlineExceeded, want: time.Second, again: true},
		{name: "jitter", p: with(func(p *Policy) { p.Base, p.Jitter = 4*time.Second, 0.5 }), n: 1, idempotent: true, status: 502, rnd: 0.5, want: 3 * time.Second, again: true},
		{name: "RepeatAfter floors the backoff", p: with(func(p *Policy) { p.RepeatAfter = 61 * time.Second }), n: 1, idempotent: true, status: 503, want: 61 * time.Second, again: true},
		{name: "RepeatAfter floors Retry-After", p: with(func(p *Policy) { p.RepeatAfter = 61 * time.Second }), n: 1, idempotent: true, status: 429, hdr: header("5"), want: 61 * time.Second, again: true},
		{name: "RepeatAfter does not make a refusal retryable", p: with(func(p *Policy) { p.RepeatAfter = 61 * time.Second }), n: 1, idempotent: true, status: 400},
		{name: "zero Attempts means one", p: Policy{Statuses: []int{503}}, n: 1, idempotent: true, status: 503},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := Result{Status: tc.status, Header: tc.hdr}
			if tc.err != nil {
				res = Result{}
			}
			got, again := tc.p.Decide(tc.n, tc.idempotent, res, tc.err, t0, tc.rnd)
			if got != tc.want || again != tc.again {
				t.Errorf("Decide = %v, %v; want %v, %v", got, again, tc.want, tc.again)
			}
		})
	}
}

// fakeClock advances instead of sleeping and records the waits.
type fakeClock struct {
	now    time.Time
	slept  []time.Duration
	onWait func()
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.slept = append(c.slept, d)
	c.now = c.now.Add(d)
	if c.onWait != nil {
		c.onWait()
	}
	return context.Cause(ctx)
}

// answers returns a send function that replays the statuses (0 = a reset
// connection) and counts the attempts.
func answers(n *int, statuses ...int) func(context.Context) (Result, error) {
	return func(context.Context) (Result, error) {
		s := statuses[min(*n, len(statuses)-1)]
		*n++
		if s == 0 {
			return Result{}, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
		}
		r := Result{Status: s, Header: http.Header{}}
		if s == http.StatusTooManyRequests {
			r.Header.Set("Retry-After", "3")
		}
		return r, nil
	}
}

func TestDo(t *testing.T) {
	p := Policy{Attempts: 3, ThrottledAttempts: 5, Base: time.Second, Max: time.Minute, Statuses: []int{503}, RetryErrors: true, Unsafe429: true, UnsafeNotSent: true}
	for _, tc := range []struct {
		name       string
		idempotent bool
		statuses   []int
		sends      int
		final      int
		slept      []time.Duration
		held       int
	}{
		{"429 waits Retry-After, then succeeds", false, []int{429, 429, 200}, 3, 200, []time.Duration{3 * time.Second, 3 * time.Second}, 2},
		{"503 backs off, then succeeds", true, []int{503, 0, 200}, 3, 200, []time.Duration{time.Second, 2 * time.Second}, 0},
		{"503 spends the attempts", true, []int{503}, 3, 503, []time.Duration{time.Second, 2 * time.Second}, 0},
		{"503 not idempotent: one send", false, []int{503, 200}, 1, 503, nil, 0},
		{"429 spends the throttled attempts", true, []int{429}, 5, 429, []time.Duration{3 * time.Second, 3 * time.Second, 3 * time.Second, 3 * time.Second}, 4},
		{"a 4xx is final", true, []int{409, 200}, 1, 409, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{now: t0}
			held := 0
			r := Retrier{Policy: p, Clock: clock, Rand: func() float64 { return 0 }, Throttled: func(until time.Time) {
				if until != clock.now.Add(3*time.Second) {
					t.Errorf("held until %v, want the end of the 3 s wait", until)
				}
				held++
			}}
			n := 0
			res, err := r.Do(context.Background(), "test", tc.idempotent, answers(&n, tc.statuses...))
			if err != nil || res.Status != tc.final || n != tc.sends {
				t.Errorf("Do = %d, %v after %d sends; want %d after %d", res.Status, err, n, tc.final, tc.sends)
			}
			if len(clock.slept) != len(tc.slept) {
				t.Fatalf("slept %v, want %v", clock.slept, tc.slept)
			}
			for i := range tc.slept {
				if clock.slept[i] != tc.slept[i] {
					t.Errorf("slept %v, want %v", clock.slept, tc.slept)
				}
			}
			if held != tc.held {
				t.Errorf("Throttled called %d times, want %d", held, tc.held)
			}
		})
	}
}

func TestDoStopsWhenContextEnds(t *testing.T) {
	p := Policy{Attempts: 5, Base: time.Second, Max: time.Minute, Statuses: []int{503}, RetryErrors: true}
	stop := errors.New("run stopped")

	// Cancelled during a wait: no further send, the cause comes back.
	ctx, cancel := context.WithCancelCause(context.Background())
	clock := &fakeClock{now: t0, onWait: func() { cancel(stop) }}
	n := 0
	res, err := (&Retrier{Policy: p, Clock: clock}).Do(ctx, "test", true, answers(&n, 503))
	if !errors.Is(err, stop) || n != 1 || res.Status != 503 {
		t.Errorf("cancelled during the wait: %d, %v after %d sends", res.Status, err, n)
	}

	// Cancelled while the attempt was in flight: no wait, no repeat.
	ctx, cancel = context.WithCancelCause(context.Background())
	clock = &fakeClock{now: t0}
	n = 0
	_, err = (&Retrier{Policy: p, Clock: clock}).Do(ctx, "test", true, func(ctx context.Context) (Result, error) {
		n++
		cancel(stop)
		return Result{}, context.Canceled
	})
	if !errors.Is(err, context.Canceled) || n != 1 || len(clock.slept) != 0 {
		t.Errorf("cancelled in flight: %v after %d sends, slept %v", err, n, clock.slept)
	}
}

func TestNotSent(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true},
		{&net.DNSError{Err: "no such host", Name: "x.example", IsNotFound: true}, true},
		{&net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, false},
		{&net.OpError{Op: "write", Net: "tcp", Err: syscall.EPIPE}, false},
		{context.DeadlineExceeded, false},
		{errors.New("EOF"), false},
	} {
		if got := NotSent(tc.err); got != tc.want {
			t.Errorf("NotSent(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	// Through the wrapping net/http adds: a refused connection is not sent.
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:1/", nil)
	_, err := http.DefaultClient.Do(req)
	if err == nil || !NotSent(err) {
		t.Errorf("a refused connection: NotSent(%v) = false", err)
	}
}
