package markmonitor

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/sim"
	"github.com/certsync/certsync/internal/vendors/markmonitor/mmsim"
)

// The limiter's guarantee on a fake clock: over 600 requests, no window of
// 60 s (both ends included) holds more than 95, and the pace is not slower
// than it needs to be (some window does hold 95). A 429's hold stops the
// next request until it ends.
func TestLimiterRollingMinute(t *testing.T) {
	clock := newFakeClock()
	l := newLimiter(clock, 95)
	ctx := context.Background()
	var sent []time.Time
	for i := 0; i < 600; i++ {
		if err := l.wait(ctx); err != nil {
			t.Fatal(err)
		}
		sent = append(sent, clock.Now())
	}
	most, first := 0, 0
	for last := range sent {
		for sent[last].Sub(sent[first]) > time.Minute {
			first++
		}
		most = max(most, last-first+1)
	}
	if most != 95 {
		t.Errorf("at most %d requests in a rolling minute, want exactly 95", most)
	}

	start := clock.Now()
	l.holdUntil(start.Add(30 * time.Second))
	l.holdUntil(start.Add(10 * time.Second)) // an earlier end does not shorten the hold
	if err := l.wait(ctx); err != nil {
		t.Fatal(err)
	}
	if waited := clock.Now().Sub(start); waited < 30*time.Second {
		t.Errorf("the next request went %s into a 30 s hold", waited)
	}
}

// A paid order POST is sent again only after a 429, once its Retry-After
// (seconds or an HTTP date) has passed; after a 502 it is not, since the
// order may have been placed.
func TestOrderPostRetriedOnlyAfter429(t *testing.T) {
	tooMany := `{"errors":[{"code":"request.tooManyRequests","message":"slow down"}]}`
	for _, tc := range []struct {
		name       string
		retryAfter func(now time.Time) string
		status     int
		posts      int
		wait       time.Duration
		orders     int
	}{
		{"429, Retry-After in seconds", func(time.Time) string { return "20" }, http.StatusTooManyRequests, 2, 20 * time.Second, 1},
		{"429, Retry-After as a date", func(now time.Time) string { return now.Add(40 * time.Second).Format(http.TimeFormat) }, http.StatusTooManyRequests, 2, 40 * time.Second, 1},
		{"502, maybe placed", func(time.Time) string { return "1" }, http.StatusBadGateway, 1, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, mmsim.Options{})
			inv := h.inventory(orderYAML("www", ""))
			mustOK(t, run(t, h.vendor(), plan(t, h.vendor(), h.inventory())))
			v := h.vendor()
			p := plan(t, v, inv)
			h.sim.Faults().ResetCounts()
			h.sim.Faults().Add(sim.Fault{Method: "POST", Path: "/certs/v1/order", Status: tc.status,
				Header: http.Header{"Retry-After": {tc.retryAfter(h.clock.Now())}}, Body: tooMany, Times: 1})
			start := h.clock.Now()
			rep := run(t, v, p)
			if n := h.sim.Faults().Count("POST /certs/v1/order"); n != tc.posts {
				t.Errorf("%d order POSTs, want %d", n, tc.posts)
			}
			if n := len(h.sim.Orders()); n != tc.orders {
				t.Errorf("%d orders, want %d", n, tc.orders)
			}
			if tc.orders == 1 {
				mustOK(t, rep)
				if waited := h.clock.Now().Sub(start); waited < tc.wait {
					t.Errorf("the POST was repeated %s later, before its Retry-After of %s", waited, tc.wait)
				}
			} else if r := rep.Results[0]; r.Status != "failed" || !strings.Contains(r.Error, "no order carries its marker") {
				t.Errorf("after a 502: %s %q, want the read-then-adopt failure", r.Status, r.Error)
			}
		})
	}
}
