package ccadb

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/sim"
	"github.com/certsync/certsync/internal/vendors/ccadb/ccadbsim"
)

// The CCADB's 429 body is undocumented; this is the simulator's invented one.
const tooMany = `[{"message":"Too many requests.","errorCode":"TOO_MANY_REQUESTS"}]`

// clocked returns a vendor whose client sleeps on clk.
func clocked(h *harness, hc *http.Client, clk *sim.Clock) *Vendor {
	v := h.vendor(hc)
	v.client.clock = clk
	return v
}

// A 429 with Retry-After, on a read while planning (in seconds) and on the
// report (as an HTTP date), is waited out and the read repeated: the plan
// does not fail.
func TestThrottledReadsWaitRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		name, path string
		retryAfter func(now time.Time) string
		times      int
		want       time.Duration
	}{
		{"GetCertificateId, seconds", ccadbsim.GetIDPath, func(time.Time) string { return "7" }, 2, 14 * time.Second},
		{"report, HTTP date", ccadbsim.ReportPath, func(now time.Time) string { return now.Add(30 * time.Second).Format(http.TimeFormat) }, 1, 30 * time.Second},
		{"GetCertificateId, capped", ccadbsim.GetIDPath, func(time.Time) string { return "86400" }, 1, 2 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := sim.NewClock(time.Now().UTC().Truncate(time.Second))
			start := clk.Now()
			h := newHarness(t, ccadbsim.Options{Now: clk.Now})
			h.addIntermediates(1) // not in the CCADB: planning asks GetCertificateId
			h.sim.Faults().Add(sim.Fault{Method: "", Path: tc.path, Status: http.StatusTooManyRequests,
				Header: http.Header{"Retry-After": {tc.retryAfter(start)}}, Body: tooMany, Times: tc.times})
			p := plan(t, clocked(h, nil, clk), h.inventory(allFields))
			if len(p.Changes) != 1 {
				t.Fatalf("plan has %d changes, want the one add", len(p.Changes))
			}
			if got := h.sim.Faults().Count("" + methodOf(tc.path) + " " + tc.path); got != tc.times+1 {
				t.Errorf("%d requests to %s, want %d (each 429 repeated once)", got, tc.path, tc.times+1)
			}
			if waited := clk.Now().Sub(start); waited != tc.want {
				t.Errorf("waited %s, want %s", waited, tc.want)
			}
		})
	}
}

func methodOf(path string) string {
	if path == ccadbsim.ReportPath {
		return http.MethodGet
	}
	return http.MethodPost
}

// A write is never repeated within the CCADB's one-minute window for an
// identical request: after a 429 with a short Retry-After, and after an add
// whose answer was lost (so the repeat finds the record and adopts it). The
// simulator refuses a repeat within the window with 429; none is seen.
func TestRepeatedWriteWaitsPastTheDuplicateWindow(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault sim.Fault
	}{
		{"429 with Retry-After 5", sim.Fault{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"5"}}, Body: tooMany, Times: 1}},
		{"answer lost after commit", sim.Fault{DropAfterCommit: true, Times: 1}},
		{"503", sim.Fault{Status: http.StatusServiceUnavailable, Body: "Service Unavailable", Times: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := sim.NewClock(time.Now().UTC().Truncate(time.Second))
			h := newHarness(t, ccadbsim.Options{Now: clk.Now, DuplicateWindow: time.Minute})
			h.addIntermediates(1)
			inv := h.inventory(allFields)
			v := clocked(h, nil, clk)
			p := plan(t, v, inv)
			f := tc.fault
			f.Method, f.Path = http.MethodPost, ccadbsim.AddUpdatePath
			h.sim.Faults().Add(f)
			start := clk.Now()
			mustOK(t, run(t, v, p))
			if waited := clk.Now().Sub(start); waited < time.Minute {
				t.Errorf("the write was repeated after %s, inside the one-minute window", waited)
			}
			for _, e := range h.sim.APILog() {
				if e.Status == http.StatusTooManyRequests {
					t.Errorf("the simulator refused a repeat within its window: %s", e.Response)
				}
			}
			if n := len(h.sim.Records()); n != 2 {
				t.Errorf("records = %d, want root + 1", n)
			}
		})
	}
}

// API calls are paced after the token is fetched: a slow token endpoint does
// not eat into the interval between two API calls.
func TestPacedAfterTheTokenFetch(t *testing.T) {
	clk := sim.NewClock(time.Now().UTC().Truncate(time.Second))
	h := newHarness(t, ccadbsim.Options{Now: clk.Now})
	h.addIntermediates(3)
	var mu sync.Mutex
	var apex []time.Time
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		switch {
		case r.URL.Path == ccadbsim.TokenPath:
			clk.Advance(3 * time.Second) // a slow token endpoint
		case strings.HasPrefix(r.URL.Path, "/services/apexrest/"):
			mu.Lock()
			apex = append(apex, clk.Now())
			mu.Unlock()
		}
		return http.DefaultTransport.RoundTrip(r)
	})}
	v := clocked(h, hc, clk)
	v.client.pace = pacer(5 * time.Second)
	plan(t, v, h.inventory(nil)) // three GetCertificateId calls, one after another
	if len(apex) != 3 {
		t.Fatalf("%d API calls, want 3", len(apex))
	}
	for i := 1; i < len(apex); i++ {
		if gap := apex[i].Sub(apex[i-1]); gap < 5*time.Second {
			t.Errorf("API calls %d and %d were %s apart, want at least the 5 s interval", i, i+1, gap)
		}
	}
}
