package vendors_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"

	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/sim"
	"github.com/certsync/certsync/internal/vendors"
	"github.com/certsync/certsync/internal/vendors/markmonitor/mmsim"
)

// injectBoth puts faults on both vendors at once: the order's answer is
// lost after commit, the CDN add fails with a 503 and both are throttled
// once.
func injectBoth(p *pipeline) {
	throttle := http.Header{"Retry-After": {"1"}}
	p.mm.Faults().Add(sim.Fault{Method: "POST", Path: "/certs/v1/order", DropAfterCommit: true, Times: 1})
	p.mm.Faults().Add(sim.Fault{Method: "GET", Path: "/certs/v1/order", Status: http.StatusTooManyRequests, Header: throttle,
		Body: `{"errors":[{"code":"request.tooManyRequests","message":"slow down"}]}`, Times: 1})
	p.cdn.Faults().Add(sim.Fault{Method: "POST", Path: "/api/ssl/certificate", Status: http.StatusServiceUnavailable, Times: 1})
	p.cdn.Faults().Add(sim.Fault{Method: "GET", Path: "/api/ssl/certificate", Status: http.StatusTooManyRequests, Header: throttle, Times: 1})
}

// convergeAndCheck applies fresh plans until one is empty (at most two more
// applies) and checks that the vendors hold one order and one CDN
// certificate, the order's.
func convergeAndCheck(t *testing.T, p *pipeline) {
	t.Helper()
	if p.mm.Faults().Count("POST /certs/v1/order") == 0 || p.cdn.Faults().Count("POST /api/ssl/certificate") == 0 {
		t.Fatal("the faulty apply sent no order or no CDN add: the faults were never met")
	}
	for runs := 0; ; runs++ {
		pl := p.plan()
		if pl.Empty() {
			break
		}
		if runs == 2 {
			t.Fatalf("not converged after 2 more applies: %s", actions(pl))
		}
		p.apply(pl)
	}
	if n := len(p.mm.Orders()); n != 1 {
		t.Errorf("%d orders, want 1", n)
	}
	certs := p.cdn.Certificates()
	if len(certs) != 1 || certs[0].Serial != p.orderSerial() {
		t.Errorf("CDN certificates %d, want 1 carrying the order's certificate", len(certs))
	}
}

// Faults in two vendors in the same run: each vendor recovers or reports on
// its own, and the next runs converge with nothing ordered or deployed twice.
func TestFaultsInSeveralVendorsAtOnce(t *testing.T) {
	p := newPipeline(t, mmsim.Options{})
	pl := p.plan()
	injectBoth(p)
	rep := p.apply(pl)
	for _, r := range rep.Results {
		if r.Status == "failed" && r.Error == "" {
			t.Errorf("%s failed without an error", r.Address)
		}
	}
	convergeAndCheck(t, p)
}

// A plan saved as JSON, read back and applied under faults in both vendors:
// the saved plan re-derives from a plan made now (as `certsync apply PLAN`
// does), the re-derived plan is applied and recovers or reports, and fresh
// plans converge without duplicates.
func TestSavedPlanAppliedUnderFaults(t *testing.T) {
	p := newPipeline(t, mmsim.Options{})
	pl := p.plan()
	var buf bytes.Buffer
	if err := diff.JSON(&buf, pl); err != nil {
		t.Fatal(err)
	}
	saved, err := diff.Decode(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	vendors.Describe(saved)
	injectBoth(p)
	e := p.engine()
	fresh, pairs, err := e.Plan(context.Background(), p.inv)
	if err != nil {
		t.Fatalf("planning under throttling failed: %v", err)
	}
	run, stale := e.Rederive(saved, fresh, pairs)
	if len(stale) > 0 {
		t.Fatalf("the saved plan is stale before anything moved: %v", stale)
	}
	p.apply(run)
	convergeAndCheck(t, p)
}
