package engine_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/apply"
	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/engine"
	"github.com/certsync/certsync/internal/inventory"
)

// fake is a vendor with fixed pairs.
type fake struct {
	pairs    []diff.Pair
	err      error
	observed atomic.Int32
	applied  atomic.Int32
}

func (f *fake) Observe(context.Context, *inventory.Inventory) ([]diff.Pair, error) {
	f.observed.Add(1)
	return f.pairs, f.err
}

func (f *fake) Apply(context.Context, diff.Change) (apply.Outcome, error) {
	f.applied.Add(1)
	return apply.Outcome{}, nil
}

// down is a downstream fake: it plans a create for each fresh bundle.
type down struct {
	fake
	got diff.Artifacts
}

func (d *down) ObserveAfter(_ context.Context, _ *inventory.Inventory, up diff.Artifacts) ([]diff.Pair, error) {
	d.observed.Add(1)
	d.got = up
	var out []diff.Pair
	for a, b := range up {
		p := diff.Pair{Address: diff.Address{Vendor: "cdn", Kind: "cert", Name: a.Name}, DependsOn: []diff.Address{a}}
		if b.Fresh {
			p.Desired = &diff.Object{Fields: []diff.Field{{Name: "from", Value: b.CertificateFile}}}
		} else {
			p.NoChange, p.Info = true, []string{"waiting: " + b.Pending}
		}
		out = append(out, p)
	}
	return out, d.err
}

var (
	caAddr  = diff.Address{Vendor: "ca", Kind: "order", Name: "www"}
	cdnAddr = diff.Address{Vendor: "cdn", Kind: "cert", Name: "www"}
	inv     = &inventory.Inventory{File: "inventory.yaml"}
	stamp   = func() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) }
)

func members(ca engine.Vendor, cdn engine.Vendor) []engine.Member {
	return []engine.Member{
		{Name: "cdn", Vendor: cdn, Capabilities: map[string][]diff.Action{"cert": {diff.Create}}},
		{Name: "ca", Vendor: ca, Capabilities: map[string][]diff.Action{"order": {diff.Create, "renew"}},
			Actions: []diff.ActionSpec{{Action: "renew", Verb: "renewed", Symbol: "+", Paid: true}}},
	}
}

func TestPlanOrdersDownstreamAfterUpstream(t *testing.T) {
	tests := []struct {
		name    string
		bundle  diff.Bundle
		changes string
		info    string
	}{
		{"fresh bundle deploys after its change", diff.Bundle{CertificateFile: "/out/www.crt", Fresh: true}, "create cdn/cert/www; renew ca/order/www", ""},
		{"pending bundle waits, no change", diff.Bundle{Pending: "DCV pending"}, "renew ca/order/www", "waiting: DCV pending"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.bundle
			ca := &fake{pairs: []diff.Pair{{Address: caAddr, Action: "renew", Desired: &diff.Object{}, Bundle: &b}}}
			cdn := &down{}
			plan, pairs, err := engine.New(members(ca, cdn), stamp).Plan(context.Background(), inv)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range plan.Changes {
				got = append(got, string(c.Action)+" "+c.Address.String())
			}
			// Pairs keep the member order, whatever the observe order.
			if len(pairs) != 2 || pairs[0].Address != cdnAddr {
				t.Errorf("pairs %v, want the downstream member's first", pairs)
			}
			if strings.Join(got, "; ") != tt.changes {
				t.Errorf("changes %v, want %s", got, tt.changes)
			}
			if len(cdn.got) != 1 || cdn.got[caAddr] == nil {
				t.Errorf("downstream got artifacts %v", cdn.got)
			}
			if tt.info != "" && (len(plan.Info) != 1 || plan.Info[0].Message != tt.info) {
				t.Errorf("info %v, want %q", plan.Info, tt.info)
			}
			if s := plan.Spec("renew"); s.Verb != "renewed" || !s.Paid {
				t.Errorf("the plan does not describe renew: %+v", s)
			}
			if plan.Inventory != "inventory.yaml" || !plan.CreatedAt.Equal(stamp()) {
				t.Errorf("plan stamped %q %v", plan.Inventory, plan.CreatedAt)
			}
		})
	}
}

func TestObserveFailure(t *testing.T) {
	ca := &fake{err: errors.New("boom")}
	cdn := &down{}
	e := engine.New(members(ca, cdn), stamp)
	obs := e.Observe(context.Background(), inv)
	if cdn.observed.Load() != 0 {
		t.Error("the downstream vendor was observed with incomplete inputs")
	}
	var caErr, cdnErr error
	for _, r := range obs.Results {
		switch r.Vendor {
		case "ca":
			caErr = r.Err
		case "cdn":
			cdnErr = r.Err
		}
	}
	if caErr == nil || !errors.Is(cdnErr, engine.ErrUpstreamFailed) {
		t.Errorf("per-vendor errors: ca %v, cdn %v", caErr, cdnErr)
	}
	if _, _, err := e.Plan(context.Background(), inv); err == nil || err.Error() != "ca: boom" {
		t.Errorf("Plan error = %v, want only the failed vendor's line", err)
	}
}

func TestPlanRefusesUndeclaredAction(t *testing.T) {
	ca := &fake{pairs: []diff.Pair{{Address: caAddr, Action: "revoke", Desired: &diff.Object{}}}}
	_, _, err := engine.New(members(ca, &down{}), stamp).Plan(context.Background(), inv)
	if err == nil || !strings.Contains(err.Error(), "cannot revoke") {
		t.Fatalf("err = %v", err)
	}
}

func TestCheckSaved(t *testing.T) {
	live := &diff.Object{ID: "1", Fields: []diff.Field{{Name: "serial", Value: "01"}}}
	moved := &diff.Object{ID: "1", Fields: []diff.Field{{Name: "serial", Value: "02"}}}
	saved := &diff.Plan{Changes: []diff.Change{{Address: caAddr, Action: "renew", Fingerprint: diff.Fingerprint(live)}}}
	tests := []struct {
		name  string
		pairs []diff.Pair
		fresh []diff.Change
		want  string
	}{
		{"still valid", []diff.Pair{{Address: caAddr, Live: live}}, []diff.Change{{Address: caAddr, Action: "renew"}}, ""},
		{"live moved", []diff.Pair{{Address: caAddr, Live: moved}}, []diff.Change{{Address: caAddr, Action: "renew"}}, "live state moved"},
		{"gone from the inventory", nil, []diff.Change{{Address: caAddr, Action: "renew"}}, "no longer in the inventory"},
		{"not planned now", []diff.Pair{{Address: caAddr, Live: live}}, nil, "a plan made now says absent"},
	}
	e := engine.New(members(&fake{}, &down{}), stamp)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(e.CheckSaved(saved, &diff.Plan{Changes: tt.fresh}, tt.pairs), "\n")
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Errorf("CheckSaved = %q, want %q", got, tt.want)
			}
		})
	}
	forged := &diff.Plan{Changes: []diff.Change{{Address: caAddr, Action: "revoke"}}}
	if got := e.CheckSaved(forged, forged, []diff.Pair{{Address: caAddr}}); len(got) != 1 || !strings.Contains(got[0], "cannot revoke") {
		t.Errorf("an undeclared action in a saved plan: %v", got)
	}
}

func TestRunCycle(t *testing.T) {
	ca := &fake{pairs: []diff.Pair{{Address: caAddr, Action: "renew", Desired: &diff.Object{}}}}
	e := engine.New(members(ca, &down{}), stamp)
	var shown *diff.Plan
	res, err := e.RunCycle(context.Background(), inv, engine.Cycle{Apply: true, BeforeApply: func(p *diff.Plan) { shown = p }})
	if err != nil {
		t.Fatal(err)
	}
	if shown == nil || res.Applied != shown || res.Report == nil || res.Report.Count(apply.OK) != 1 || ca.applied.Load() != 1 {
		t.Fatalf("cycle: shown %v, result %+v", shown, res)
	}
	if ca.observed.Load() != 2 {
		t.Errorf("observed %d times, want a second look after a successful apply", ca.observed.Load())
	}
	res, err = e.RunCycle(context.Background(), inv, engine.Cycle{})
	if err != nil || res.Report != nil || ca.applied.Load() != 1 {
		t.Errorf("a plan-only cycle applied: %+v %v", res, err)
	}
}

func TestTargets(t *testing.T) {
	pairs := []diff.Pair{{Address: caAddr}, {Address: cdnAddr}}
	if got, err := engine.Targets([]string{"ca/order/www"}, pairs); err != nil || len(got) != 1 || got[0] != caAddr {
		t.Errorf("Targets = %v, %v", got, err)
	}
	if _, err := engine.Targets([]string{"ca/order/nope"}, pairs); !errors.Is(err, engine.ErrUnknownTarget) {
		t.Errorf("unknown target: %v", err)
	}
}
