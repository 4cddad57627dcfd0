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

func (d *down) ObserveAfter(_ context.Context, _ *inventory.Inventory, upstream engine.Upstream) ([]diff.Pair, error) {
	d.observed.Add(1)
	up := upstream()
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

// fixedDown is a downstream vendor with fixed pairs.
type fixedDown struct{ fake }

func (d *fixedDown) ObserveAfter(context.Context, *inventory.Inventory, engine.Upstream) ([]diff.Pair, error) {
	d.observed.Add(1)
	return d.pairs, d.err
}

// A vendor that cannot be observed fails its own items and the items of
// other vendors that use them; everything else is planned.
func TestVendorsFailAlone(t *testing.T) {
	mmAddr := diff.Address{Vendor: "mm", Kind: "order", Name: "shop"}
	cdnShop := diff.Address{Vendor: "cdn", Kind: "cert", Name: "shop"}
	ca := &fake{err: errors.New("dial tcp: connection refused")}
	mm := &fake{pairs: []diff.Pair{{Address: mmAddr, Desired: &diff.Object{Fields: []diff.Field{{Name: "x", Value: "1"}}}}}}
	cdn := &fixedDown{fake{pairs: []diff.Pair{
		{Address: cdnAddr, Uses: []diff.Address{caAddr}, NoChange: true, Info: []string{"waiting"}},
		{Address: cdnShop, Uses: []diff.Address{mmAddr}, Desired: &diff.Object{Fields: []diff.Field{{Name: "serial", Value: "01"}}}},
	}}}
	e := engine.New([]engine.Member{
		{Name: "ca", Vendor: ca},
		{Name: "mm", Vendor: mm, Capabilities: map[string][]diff.Action{"order": {diff.Create}}},
		{Name: "cdn", Vendor: cdn, Capabilities: map[string][]diff.Action{"cert": {diff.Create}}},
	}, stamp)
	plan, _, err := e.Plan(context.Background(), inv)
	if err != nil {
		t.Fatal(err)
	}
	var changes []string
	for _, c := range plan.Changes {
		changes = append(changes, c.Address.String())
	}
	if got := strings.Join(changes, ", "); got != "mm/order/shop, cdn/cert/shop" {
		t.Errorf("changes %q, want the healthy vendors' items planned", got)
	}
	if len(plan.Errors) != 2 || plan.Errors[0].Address != diff.VendorWide("ca") || !strings.Contains(plan.Errors[0].Message, "connection refused") {
		t.Fatalf("errors %+v, want ca's own error first", plan.Errors)
	}
	if plan.Errors[1].Address != cdnAddr || !strings.Contains(plan.Errors[1].Message, "uses ca/order/www") {
		t.Errorf("the downstream item using ca is not an error: %+v", plan.Errors[1])
	}
	if len(plan.Info) != 0 {
		t.Errorf("an item failed for its upstream still says %v", plan.Info)
	}
	if got := engine.FailedVendors(plan); len(got) != 1 || got[0] != "ca" {
		t.Errorf("FailedVendors = %v", got)
	}
	// --target keeps the vendor-wide error of a targeted vendor.
	if tp := plan.Targets([]diff.Address{caAddr}); len(tp.Errors) != 1 || tp.Errors[0].Address != diff.VendorWide("ca") {
		t.Errorf("targeted errors %+v", tp.Errors)
	}
}

// --target observes only the vendors it needs: a downstream target needs
// every upstream vendor, an upstream one only itself.
func TestNeeded(t *testing.T) {
	ca, mm, cdn := &fake{}, &fake{}, &fixedDown{}
	e := engine.New([]engine.Member{{Name: "ca", Vendor: ca}, {Name: "mm", Vendor: mm}, {Name: "cdn", Vendor: cdn}}, stamp)
	tests := []struct {
		targets []diff.Address
		want    string
	}{
		{nil, "ca mm cdn"},
		{[]diff.Address{{Vendor: "mm", Kind: "order", Name: "a"}}, "mm"},
		{[]diff.Address{{Vendor: "cdn", Kind: "cert", Name: "a"}}, "ca mm cdn"},
		{[]diff.Address{{Vendor: "ca", Kind: "x", Name: "a"}, {Vendor: "mm", Kind: "order", Name: "a"}}, "ca mm"},
	}
	for _, tt := range tests {
		sub := e.Needed(tt.targets)
		var got []string
		for _, n := range []string{"ca", "mm", "cdn"} {
			if _, ok := sub.Member(n); ok {
				got = append(got, n)
			}
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("Needed(%v) = %v, want %s", tt.targets, got, tt.want)
		}
	}
}

func TestPlanRefusesUndeclaredAction(t *testing.T) {
	ca := &fake{pairs: []diff.Pair{{Address: caAddr, Action: "revoke", Desired: &diff.Object{}}}}
	_, _, err := engine.New(members(ca, &down{}), stamp).Plan(context.Background(), inv)
	if err == nil || !strings.Contains(err.Error(), "cannot revoke") {
		t.Fatalf("err = %v", err)
	}
}

// longOld gives c's first field a long old value that differs from the
// edited long field case's in one byte in the middle.
func longOld(c diff.Change) diff.Change {
	c.Fields[0].Old = strings.Repeat("A", 150) + "y" + strings.Repeat("B", 150)
	return c
}

func TestRederive(t *testing.T) {
	live := &diff.Object{ID: "1", Fields: []diff.Field{{Name: "serial", Value: "01"}}}
	moved := &diff.Object{ID: "1", Fields: []diff.Field{{Name: "serial", Value: "02"}}}
	base := func() diff.Change {
		return diff.Change{
			Address: caAddr, Action: "renew", Fingerprint: diff.Fingerprint(live), LiveID: "1",
			Fields:    []diff.FieldChange{{Field: "type", Old: "OV", New: "OV"}},
			Desired:   map[string]any{"type": "OV", "names": []string{"a", "b"}},
			Keys:      map[string]string{"cert_type": "OV", "output_certificate": "/out/www.crt"},
			DependsOn: []diff.Address{cdnAddr},
		}
	}
	other := diff.Change{Address: diff.Address{Vendor: "ca", Kind: "order", Name: "other"}, Action: diff.Create}
	pairs := []diff.Pair{{Address: caAddr, Live: live}, {Address: other.Address}}
	tests := []struct {
		name  string
		edit  func(saved *diff.Change)
		pairs []diff.Pair
		fresh []diff.Change
		want  string
	}{
		{"identical", nil, pairs, []diff.Change{base(), other}, ""},
		{"edited key", func(c *diff.Change) { c.Keys["cert_type"] = "EV" }, pairs, []diff.Change{base()}, `keys.cert_type: the saved plan has "EV", a plan made now has "OV"`},
		{"added key", func(c *diff.Change) { c.Keys["extra"] = "x" }, pairs, []diff.Change{base()}, `keys.extra: the saved plan has "x", a plan made now has absent`},
		{"edited desired", func(c *diff.Change) { c.Desired["names"] = []string{"a"} }, pairs, []diff.Change{base()}, `desired.names[1]: the saved plan has absent, a plan made now has "b"`},
		{"edited desired element", func(c *diff.Change) { c.Desired["names"] = []string{"a", "c"} }, pairs, []diff.Change{base()}, `desired.names[1]: the saved plan has "c", a plan made now has "b"`},
		{"edited field", func(c *diff.Change) { c.Fields[0].New = "EV" }, pairs, []diff.Change{base()}, `fields.type.new: the saved plan has "EV", a plan made now has "OV"`},
		// A long value shows the part around the difference, not its
		// first 120 bytes on both sides.
		{"edited long field", func(c *diff.Change) { c.Fields[0].Old = strings.Repeat("A", 150) + "x" + strings.Repeat("B", 150) }, pairs,
			[]diff.Change{longOld(base())}, "fields.type.old: the saved plan has ..." + strings.Repeat("A", 40) + "x" + strings.Repeat("B", 79) + "... (303 bytes), a plan made now has ..." + strings.Repeat("A", 40) + "y" + strings.Repeat("B", 79) + "... (303 bytes)"},
		{"edited action", func(c *diff.Change) { c.Action = diff.Create }, pairs, []diff.Change{base()}, "action: the saved plan says create, a plan made now says renew"},
		{"dropped dependency", func(c *diff.Change) { c.DependsOn = nil }, pairs, []diff.Change{base()}, `depends_on[0]: the saved plan has absent, a plan made now has "cdn/cert/www"`},
		{"edited live id", func(c *diff.Change) { c.LiveID = "9" }, pairs, []diff.Change{base()}, "live_id:"},
		{"live moved", nil, []diff.Pair{{Address: caAddr, Live: moved}}, []diff.Change{base()}, "live state moved"},
		{"gone from the inventory", nil, nil, []diff.Change{base()}, "no longer in the inventory"},
		{"not planned now", nil, pairs, nil, "a plan made now plans no change"},
	}
	e := engine.New(members(&fake{}, &down{}), stamp)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base()
			if tt.edit != nil {
				tt.edit(&c)
			}
			// The saved plan goes through its JSON form, as a file does.
			var b strings.Builder
			if err := diff.JSON(&b, &diff.Plan{FormatVersion: diff.FormatVersion, Changes: []diff.Change{c}}); err != nil {
				t.Fatal(err)
			}
			saved, err := diff.Decode([]byte(b.String()))
			if err != nil {
				t.Fatal(err)
			}
			fresh := &diff.Plan{Changes: tt.fresh}
			run, msgs := e.Rederive(saved, fresh, tt.pairs)
			got := strings.Join(msgs, "\n")
			if tt.want == "" {
				if got != "" || run == nil || len(run.Changes) != 1 {
					t.Fatalf("Rederive = %v %q, want the fresh change alone", run, got)
				}
				if run.Changes[0].Keys["cert_type"] != "OV" {
					t.Fatalf("runs %+v", run.Changes[0])
				}
				return
			}
			if run != nil || !strings.Contains(got, tt.want) {
				t.Errorf("Rederive = %v, %q; want refusal naming %q", run, got, tt.want)
			}
		})
	}
	forged := &diff.Plan{Changes: []diff.Change{{Address: caAddr, Action: "revoke"}}}
	if _, got := e.Rederive(forged, forged, []diff.Pair{{Address: caAddr}}); len(got) != 1 || !strings.Contains(got[0], "cannot revoke") {
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
	// renew is paid: a limit of 0 refuses the apply, nothing sent.
	res, err = e.RunCycle(context.Background(), inv, engine.Cycle{Apply: true, Guards: &diff.Guards{MaxPaid: 0, MaxDestructive: 3}})
	if err != nil || !errors.Is(res.Refused, engine.ErrGuardTripped) || res.Report != nil || ca.applied.Load() != 1 || len(res.Plan.Tripped) != 1 {
		t.Errorf("a tripped guard: %+v %v, applied %d", res, err, ca.applied.Load())
	}
	res, err = e.RunCycle(context.Background(), inv, engine.Cycle{Apply: true, Guards: &diff.Guards{MaxPaid: 1}})
	if err != nil || res.Refused != nil || ca.applied.Load() != 2 {
		t.Errorf("within the guards: %+v %v", res, err)
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

// gated is an upstream vendor whose observation cannot finish before the
// downstream one has started reading: it proves the two overlap.
type gated struct {
	fake
	started <-chan struct{}
}

func (g *gated) Observe(ctx context.Context, inv *inventory.Inventory) ([]diff.Pair, error) {
	select {
	case <-g.started:
	case <-time.After(10 * time.Second): // a guard against a hang, not a measurement
		return nil, errors.New("the downstream vendor did not start reading while the upstream one was observed")
	}
	return g.fake.Observe(ctx, inv)
}

// early is a downstream vendor that reads its own state before it asks for
// the upstream artifacts.
type early struct {
	down
	started chan struct{}
}

func (e *early) ObserveAfter(ctx context.Context, inv *inventory.Inventory, upstream engine.Upstream) ([]diff.Pair, error) {
	close(e.started) // its own list request would be here
	return e.down.ObserveAfter(ctx, inv, upstream)
}

// A downstream vendor's own reading overlaps the upstream vendors': only
// its use of their artifacts waits for them.
func TestDownstreamReadsWhileUpstreamIsObserved(t *testing.T) {
	started := make(chan struct{})
	b := diff.Bundle{CertificateFile: "/out/www.crt", Fresh: true}
	ca := &gated{fake: fake{pairs: []diff.Pair{{Address: caAddr, Action: "renew", Desired: &diff.Object{}, Bundle: &b}}}, started: started}
	cdn := &early{started: started}
	plan, _, err := engine.New(members(ca, cdn), stamp).Plan(context.Background(), inv)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Errors) != 0 {
		t.Fatalf("plan errors: %v", plan.Errors)
	}
	if cdn.got[caAddr] == nil || len(plan.Changes) != 2 {
		t.Errorf("the downstream vendor got %v and the plan has %d changes, want the upstream bundle and 2", cdn.got, len(plan.Changes))
	}
}
