package ccadb

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/sim"
	"github.com/certsync/certsync/internal/testfixture"
	"github.com/certsync/certsync/internal/vendors/ccadb/ccadbsim"
)

const serverDown = `[{"message":"Service Unavailable","errorCode":"SERVER_UNAVAILABLE"}]`

// description gives every intermediate a description of version v.
func description(v int) func(i int) string {
	return func(i int) string { return fmt.Sprintf("      description: \"version %d of ica%d\"\n", v, i) }
}

// An update of an existing record under a 5xx, a 429 or a lost answer ends
// with the field written, once, in one record: updates are idempotent and
// repeated after the CCADB's one-minute window.
func TestUpdateUnderFaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault sim.Fault
	}{
		{"503", sim.Fault{Status: http.StatusServiceUnavailable, Body: serverDown, Times: 2}},
		{"429 burst", sim.Fault{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"3"}}, Body: tooMany, Times: 3}},
		{"answer lost after commit", sim.Fault{DropAfterCommit: true, Times: 1}},
		{"connection dropped before commit", sim.Fault{Drop: true, Times: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := sim.NewClock(time.Now().UTC().Truncate(time.Second))
			h := newHarness(t, ccadbsim.Options{Now: clk.Now, DuplicateWindow: time.Minute})
			h.addIntermediates(3)
			mustOK(t, run(t, clocked(h, nil, clk), plan(t, clocked(h, nil, clk), h.inventory(description(1)))))
			clk.Advance(2 * time.Minute)

			inv := h.inventory(description(2))
			p := plan(t, clocked(h, nil, clk), inv)
			if len(p.Changes) != 3 {
				t.Fatalf("%d changes, want 3 updates", len(p.Changes))
			}
			f := tc.fault
			f.Method, f.Path = http.MethodPost, ccadbsim.AddUpdatePath
			h.sim.Faults().Add(f)
			mustOK(t, run(t, clocked(h, nil, clk), p))
			if p := plan(t, clocked(h, nil, clk), inv); !p.Empty() {
				t.Fatalf("not converged:\n%s", testfixture.Text(p))
			}
			if n := len(h.sim.Records()); n != 4 {
				t.Errorf("%d records, want root + 3", n)
			}
			for i, c := range h.certs {
				r, _ := h.sim.RecordBySHA256(c.SHA256())
				if want := fmt.Sprintf("version 2 of ica%d", i); r.Fields[ccadbsim.FieldDescription] != want {
					t.Errorf("ica%d description %q, want %q (a lost update)", i, r.Fields[ccadbsim.FieldDescription], want)
				}
			}
			for _, e := range h.sim.APILog() {
				if e.Status == http.StatusTooManyRequests {
					t.Errorf("the simulator refused a repeat within its window: %s", e.Response)
				}
			}
		})
	}
}

// Adds whose every attempt fails are reported as failed, with the CCADB's
// answer, after a bounded number of attempts; the next run adds each once.
func TestAddThatKeepsFailingIsReported(t *testing.T) {
	h := newHarness(t, ccadbsim.Options{})
	h.addIntermediates(3)
	inv := h.inventory(description(1))
	p := plan(t, h.vendor(nil), inv)
	h.sim.Faults().Add(sim.Fault{Method: http.MethodPost, Path: ccadbsim.AddUpdatePath, Status: http.StatusServiceUnavailable, Body: serverDown})
	rep := run(t, h.vendor(nil), p)
	for _, r := range rep.Results {
		if r.Status != "failed" || !strings.Contains(r.Error, "503") {
			t.Errorf("%s: %s %q, want failed naming the 503", r.Address, r.Status, r.Error)
		}
	}
	if n := h.sim.Faults().Count("POST " + ccadbsim.AddUpdatePath); n > 3*writePolicy.Attempts {
		t.Errorf("%d write attempts for 3 adds, want at most %d", n, 3*writePolicy.Attempts)
	}
	h.sim.Faults().Clear()
	runs := 0
	for ; runs < 3; runs++ {
		p := plan(t, h.vendor(nil), inv)
		if p.Empty() {
			break
		}
		mustOK(t, run(t, h.vendor(nil), p))
	}
	if runs != 1 {
		t.Errorf("converged after %d runs, want 1", runs)
	}
	if n := len(h.sim.Records()); n != 4 {
		t.Errorf("%d records, want root + 3", n)
	}
}

// A 5xx on a read while planning (the report, GetCertificateId) is retried
// and the plan is made; a read that keeps failing fails the plan with an
// error that names the vendor's answer, and nothing is sent.
func TestReadsUnder5xx(t *testing.T) {
	for _, tc := range []struct {
		name, path, method string
		times              int
		fails              bool
	}{
		{"report, two 503s", ccadbsim.ReportPath, http.MethodGet, 2, false},
		{"lookup, two 503s", ccadbsim.GetIDPath, "", 2, false},
		{"report, down", ccadbsim.ReportPath, http.MethodGet, 0, true},
		{"lookup, down", ccadbsim.GetIDPath, "", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, ccadbsim.Options{})
			h.addIntermediates(1) // not in the CCADB: planning looks it up
			h.sim.Faults().Add(sim.Fault{Method: tc.method, Path: tc.path, Status: http.StatusServiceUnavailable, Body: serverDown, Times: tc.times})
			v := h.vendor(nil)
			_, err := v.Observe(t.Context(), h.inventory(nil))
			switch {
			case tc.fails && err == nil:
				t.Fatal("a read that never succeeds made a plan")
			case tc.fails && !strings.Contains(err.Error(), "503"):
				t.Errorf("error %q does not name the 503", err)
			case !tc.fails && err != nil:
				t.Fatalf("two 503s failed the plan: %v", err)
			}
			if n := h.sim.Faults().Count("POST " + ccadbsim.AddUpdatePath); n != 0 {
				t.Errorf("%d writes while planning", n)
			}
		})
	}
}

// A session that expires between the plan and the apply, and again in the
// middle of the apply (INVALID_SESSION_ID), costs one token refresh each and
// no change.
func TestSessionExpiresDuringApply(t *testing.T) {
	h := newHarness(t, ccadbsim.Options{})
	h.addIntermediates(6)
	inv := h.inventory(description(1))
	v := h.vendor(nil)
	p := plan(t, v, inv)
	h.sim.ExpireAccessTokens()
	var writes atomic.Int32
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.URL.Path == ccadbsim.AddUpdatePath {
			if writes.Add(1) == 3 {
				h.sim.ExpireAccessTokens()
			}
		}
		return http.DefaultTransport.RoundTrip(r)
	})}
	mustOK(t, run(t, h.vendor(hc), p))
	if p := plan(t, h.vendor(nil), inv); !p.Empty() {
		t.Fatalf("not converged:\n%s", testfixture.Text(p))
	}
	if n := len(h.sim.Records()); n != 7 {
		t.Errorf("%d records, want root + 6", n)
	}
}
