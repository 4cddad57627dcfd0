package quantil

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/sim"
	"github.com/certsync/certsync/internal/testfixture"
)

const throttled = `<?xml version="1.0" encoding="UTF-8"?><error><code>TooManyRequests</code><message>slow down</message></error>`

// converge plans and applies inv until the plan is empty, at most maxRuns
// applies whatever each reports; it returns the applies it took.
func converge(t *testing.T, h *harness, inv *inventory.Inventory, maxRuns int) int {
	t.Helper()
	for runs := 0; ; runs++ {
		p := plan(t, h.vendor(), inv)
		if p.Empty() {
			return runs
		}
		if runs == maxRuns {
			t.Fatalf("not converged after %d applies:\n%s", maxRuns, testfixture.Text(p))
		}
		testfixture.Apply(t, Name, h.vendor(), p)
	}
}

// A modify (a new certificate for a name already on the CDN) under a 5xx, a
// 429 burst, a lost answer or a connection dropped before commit ends with
// the new certificate in the same CDN certificate, once.
func TestModifyUnderFaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault sim.Fault
	}{
		{"503", sim.Fault{Status: http.StatusServiceUnavailable, Times: 1}},
		{"429 burst", sim.Fault{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"3"}}, Body: throttled, Times: 3}},
		{"answer lost after commit", sim.Fault{DropAfterCommit: true, Times: 1}},
		{"connection dropped before commit", sim.Fault{Drop: true, Times: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			text := "quantil:\n  certificates:\n"
			for i := 0; i < 3; i++ {
				name := fmt.Sprintf("site%d.example.com", i)
				h.issue(name, time.Now().Add(30*24*time.Hour))
				text += item(name)
			}
			inv := h.inventory(text)
			mustApply(t, h.vendor(), plan(t, h.vendor(), inv))
			ids := map[string]string{}
			for _, c := range h.sim.Certificates() {
				ids[c.Name] = c.ID
			}
			want := map[string]string{}
			for i := 0; i < 3; i++ {
				name := fmt.Sprintf("site%d.example.com", i)
				want[name] = h.issue(name, time.Now().Add(90*24*time.Hour))
			}
			f := tc.fault
			f.Method, f.Path = http.MethodPut, "/api/ssl/certificate/"
			h.sim.Faults().Add(f)
			h.sim.Faults().ResetCounts()
			testfixture.Apply(t, Name, h.vendor(), plan(t, h.vendor(), inv))
			runs := converge(t, h, inv, 2)
			certs := h.sim.Certificates()
			if len(certs) != 3 {
				t.Fatalf("%d CDN certificates, want 3", len(certs))
			}
			for _, c := range certs {
				if c.ID != ids[c.Name] || c.Serial != want[c.Name] {
					t.Errorf("%s: id %s serial %s, want id %s serial %s (a lost update, or a new certificate)", c.Name, c.ID, c.Serial, ids[c.Name], want[c.Name])
				}
			}
			if n := h.sim.Faults().Count("POST /api/ssl/certificate"); n != 0 {
				t.Errorf("%d adds while modifying", n)
			}
			t.Logf("converged after %d more applies", runs)
		})
	}
}

// An add under a 5xx (maybe created: looked for by name, never sent twice
// blindly) or a 429 burst (refused before processing: waited out) ends
// with each certificate on the CDN once.
func TestAddUnderFaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault sim.Fault
	}{
		{"503", sim.Fault{Status: http.StatusServiceUnavailable, Times: 1}},
		{"answers lost after commit", sim.Fault{DropAfterCommit: true, Times: 2}},
		{"429 burst", sim.Fault{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"2"}}, Body: throttled, Times: 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			text := "quantil:\n  certificates:\n"
			for i := 0; i < 4; i++ {
				name := fmt.Sprintf("site%d.example.com", i)
				h.issue(name, time.Now().Add(90*24*time.Hour))
				text += item(name)
			}
			inv := h.inventory(text)
			f := tc.fault
			f.Method, f.Path = http.MethodPost, "/api/ssl/certificate"
			h.sim.Faults().Add(f)
			testfixture.Apply(t, Name, h.vendor(), plan(t, h.vendor(), inv))
			converge(t, h, inv, 2)
			names := map[string]int{}
			for _, c := range h.sim.Certificates() {
				names[c.Name]++
			}
			if len(names) != 4 {
				t.Errorf("certificates by name: %v, want 4 names", names)
			}
			if n := h.sim.Faults().Count("POST /api/ssl/certificate"); n > 4+f.Times {
				t.Errorf("%d adds for 4 certificates and %d faults", n, f.Times)
			}
		})
	}
}

// A delete under a 5xx or a lost answer removes the certificate once and
// converges; the other certificates are untouched.
func TestDeleteUnderFaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault sim.Fault
	}{
		{"503", sim.Fault{Status: http.StatusServiceUnavailable, Times: 1}},
		{"answer lost after commit", sim.Fault{DropAfterCommit: true, Times: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.issue("keep.example.com", time.Now().Add(90*24*time.Hour))
			h.issue("gone.example.com", time.Now().Add(90*24*time.Hour))
			mustApply(t, h.vendor(), plan(t, h.vendor(), h.inventory("quantil:\n  certificates:\n"+item("keep.example.com")+item("gone.example.com"))))
			inv := h.inventory("quantil:\n  certificates:\n" + item("keep.example.com") + "    - name: gone.example.com\n      state: absent\n")
			h.sim.Faults().Add(sim.Fault{Method: http.MethodDelete, Path: "/api/ssl/certificate/", Status: tc.fault.Status, DropAfterCommit: tc.fault.DropAfterCommit, Times: 1})
			testfixture.Apply(t, Name, h.vendor(), plan(t, h.vendor(), inv))
			converge(t, h, inv, 2)
			if c := h.sim.Certificates(); len(c) != 1 || c[0].Name != "keep.example.com" {
				t.Errorf("after the delete: %+v", c)
			}
		})
	}
}
