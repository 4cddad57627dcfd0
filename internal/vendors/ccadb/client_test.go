package ccadb

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/diff"
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

// A 429 with Retry-After on the report while planning (in seconds or as an
// HTTP date, capped) is waited out and the read repeated: the plan does not
// fail.
func TestThrottledReportWaitsRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		name       string
		retryAfter func(now time.Time) string
		times      int
		want       time.Duration
	}{
		{"seconds", func(time.Time) string { return "7" }, 2, 14 * time.Second},
		{"HTTP date", func(now time.Time) string { return now.Add(30 * time.Second).Format(http.TimeFormat) }, 1, 30 * time.Second},
		{"capped", func(time.Time) string { return "86400" }, 1, 2 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := sim.NewClock(time.Now().UTC().Truncate(time.Second))
			start := clk.Now()
			h := newHarness(t, ccadbsim.Options{Now: clk.Now})
			h.addIntermediates(1)
			h.sim.Faults().Add(sim.Fault{Path: ccadbsim.ReportPath, Status: http.StatusTooManyRequests,
				Header: http.Header{"Retry-After": {tc.retryAfter(start)}}, Body: tooMany, Times: tc.times})
			p := plan(t, clocked(h, nil, clk), h.inventory(allFields))
			if len(p.Changes) != 1 {
				t.Fatalf("plan has %d changes, want the one add", len(p.Changes))
			}
			if got := h.sim.Faults().Count("GET " + ccadbsim.ReportPath); got != tc.times+1 {
				t.Errorf("%d report requests, want %d (each 429 repeated once)", got, tc.times+1)
			}
			if waited := clk.Now().Sub(start); waited != tc.want {
				t.Errorf("waited %s, want %s", waited, tc.want)
			}
		})
	}
}

// An update whose record id certsync does not know (a fresh state
// directory) looks it up once, waiting out a throttled lookup; the next
// update needs no lookup: the id is kept.
func TestUpdateLooksUpTheIDOnce(t *testing.T) {
	h := newHarness(t, ccadbsim.Options{})
	h.addIntermediates(1)
	first := h.vendor(nil)
	mustOK(t, run(t, first, plan(t, first, h.inventory(allFields))))
	h.stateDir = t.TempDir()
	h.clock.Advance(2 * time.Minute)

	for i, tc := range []struct {
		desc        string
		wantLookups int
	}{{"Issuing CA v2", 2}, {"Issuing CA v3", 0}} {
		inv := h.inventory(func(i int) string { return strings.Replace(allFields(i), "Issuing CA", tc.desc, 1) })
		h.sim.Faults().ResetCounts()
		if i == 0 {
			h.sim.Faults().Add(sim.Fault{Path: ccadbsim.GetIDPath, Status: http.StatusTooManyRequests,
				Header: http.Header{"Retry-After": {"3"}}, Body: tooMany, Times: 1})
		}
		v := h.vendor(nil)
		p := plan(t, v, inv)
		if len(p.Changes) != 1 || p.Changes[0].Action != diff.Update || !strings.HasPrefix(p.Changes[0].LiveID, "A0") {
			t.Fatalf("want one update of the report's A0… record, got %s", p.Summary())
		}
		mustOK(t, run(t, v, p))
		if got := h.sim.Faults().Count("POST " + ccadbsim.GetIDPath); got != tc.wantLookups {
			t.Errorf("%s: %d lookups, want %d", tc.desc, got, tc.wantLookups)
		}
		h.clock.Advance(2 * time.Minute)
		if again := plan(t, h.vendor(nil), inv); !again.Empty() {
			t.Errorf("%s: plan after apply: %s", tc.desc, again.Summary())
		}
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
	mustOK(t, run(t, v, plan(t, v, h.inventory(nil)))) // three adds
	if len(apex) != 3 {
		t.Fatalf("%d API calls, want 3", len(apex))
	}
	for i := 1; i < len(apex); i++ {
		if gap := apex[i].Sub(apex[i-1]); gap < 5*time.Second {
			t.Errorf("API calls %d and %d were %s apart, want at least the 5 s interval", i, i+1, gap)
		}
	}
}
