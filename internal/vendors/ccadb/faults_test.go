package ccadb

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/diff"
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
			// A run applies with the vendor that planned it: Apply reads the
			// certificates that run's Observe loaded.
			v := clocked(h, nil, clk)
			mustOK(t, run(t, v, plan(t, v, h.inventory(description(1)))))
			clk.Advance(2 * time.Minute)

			inv := h.inventory(description(2))
			v = clocked(h, nil, clk)
			p := plan(t, v, inv)
			if len(p.Changes) != 3 {
				t.Fatalf("%d changes, want 3 updates", len(p.Changes))
			}
			f := tc.fault
			f.Method, f.Path = http.MethodPost, ccadbsim.AddUpdatePath
			h.sim.Faults().Add(f)
			mustOK(t, run(t, v, p))
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
	v := h.vendor(nil)
	p := plan(t, v, inv)
	h.sim.Faults().Add(sim.Fault{Method: http.MethodPost, Path: ccadbsim.AddUpdatePath, Status: http.StatusServiceUnavailable, Body: serverDown})
	rep := run(t, v, p)
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
		v := h.vendor(nil)
		p := plan(t, v, inv)
		if p.Empty() {
			break
		}
		mustOK(t, run(t, v, p))
	}
	if runs != 1 {
		t.Errorf("converged after %d runs, want 1", runs)
	}
	if n := len(h.sim.Records()); n != 4 {
		t.Errorf("%d records, want root + 3", n)
	}
}

// A 5xx on the report while planning is retried and the plan is made; a
// report that keeps failing fails the plan with an error that names the
// vendor's answer, and nothing is sent.
func TestReportUnder5xx(t *testing.T) {
	for _, tc := range []struct {
		name  string
		times int
		fails bool
	}{
		{"two 503s", 2, false},
		{"down", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, ccadbsim.Options{})
			h.addIntermediates(1)
			h.sim.Faults().Add(sim.Fault{Method: http.MethodGet, Path: ccadbsim.ReportPath, Status: http.StatusServiceUnavailable, Body: serverDown, Times: tc.times})
			_, err := h.vendor(nil).Observe(t.Context(), h.inventory(nil))
			switch {
			case tc.fails && err == nil:
				t.Fatal("a report that never loads made a plan")
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

// An update from a state directory that lost the record's id looks the id
// up (GetCertificateIdAPI) when it is applied. Two 503s on the look-up are
// retried and the update lands; a look-up that keeps failing fails that
// update with the vendor's answer, and no write is sent with a guessed id.
func TestLookupUnder5xx(t *testing.T) {
	for _, tc := range []struct {
		name  string
		times int
		fails bool
	}{
		{"two 503s", 2, false},
		{"down", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, ccadbsim.Options{})
			h.addIntermediates(1)
			v := h.vendor(nil)
			mustOK(t, run(t, v, plan(t, v, h.inventory(description(1)))))
			h.stateDir = t.TempDir() // certsync has no record of the id
			inv := h.inventory(description(2))
			v = h.vendor(nil)
			p := plan(t, v, inv)
			if len(p.Changes) != 1 || p.Changes[0].Action != diff.Update {
				t.Fatalf("want one update, got:\n%s", testfixture.Text(p))
			}
			h.sim.Faults().Add(sim.Fault{Path: ccadbsim.GetIDPath, Status: http.StatusServiceUnavailable, Body: serverDown, Times: tc.times})
			writes := h.sim.Faults().Count("POST " + ccadbsim.AddUpdatePath)
			rep := run(t, v, p)
			if h.sim.Faults().Count("GET "+ccadbsim.GetIDPath)+h.sim.Faults().Count("POST "+ccadbsim.GetIDPath) == 0 {
				t.Fatal("the update never looked the id up: the fault was never met")
			}
			sent := h.sim.Faults().Count("POST "+ccadbsim.AddUpdatePath) - writes
			r := rep.Results[0]
			switch {
			case tc.fails && (r.Status != "failed" || !strings.Contains(r.Error, "503")):
				t.Errorf("%s %q, want failed naming the 503", r.Status, r.Error)
			case tc.fails && sent != 0:
				t.Errorf("%d writes after a failed look-up, want none", sent)
			case !tc.fails:
				mustOK(t, rep)
				if p := plan(t, h.vendor(nil), inv); !p.Empty() {
					t.Errorf("not converged:\n%s", testfixture.Text(p))
				}
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
	var writes atomic.Int32
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.URL.Path == ccadbsim.AddUpdatePath {
			if writes.Add(1) == 3 {
				h.sim.ExpireAccessTokens()
			}
		}
		return http.DefaultTransport.RoundTrip(r)
	})}
	v := h.vendor(hc)
	p := plan(t, v, inv)
	h.sim.ExpireAccessTokens()
	mustOK(t, run(t, v, p))
	if p := plan(t, h.vendor(nil), inv); !p.Empty() {
		t.Fatalf("not converged:\n%s", testfixture.Text(p))
	}
	if n := len(h.sim.Records()); n != 7 {
		t.Errorf("%d records, want root + 6", n)
	}
}
