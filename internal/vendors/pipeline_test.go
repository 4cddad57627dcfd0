package vendors_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/apply"
	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/engine"
	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/pemutil"
	"github.com/certsync/certsync/internal/sim"
	"github.com/certsync/certsync/internal/testfixture"
	"github.com/certsync/certsync/internal/vendors"
	"github.com/certsync/certsync/internal/vendors/markmonitor"
	"github.com/certsync/certsync/internal/vendors/markmonitor/mmsim"
	"github.com/certsync/certsync/internal/vendors/quantil"
	"github.com/certsync/certsync/internal/vendors/quantil/quantilsim"
)

type clock = sim.Clock

var pipelineInventory = testfixture.MarkmonitorOrg("ORGANIZATION_CONTACT") + `  orders:
    - name: www
      organization: Example Inc.
      cert_type: SSL_OV_BASIC
      common_name: www.example.com
      private_key: keys/www.key
      key_type: ecdsa-p256
      dcv_method: DNS_TXT_TOKEN
      renew_before: 30d
      output:
        certificate: out/www.crt
        chain: out/www.chain.pem
quantil:
  certificates:
    - name: www.example.com
      from: markmonitor/order/www
`

type pipeline struct {
	t     *testing.T
	clock *clock
	mm    *mmsim.Server
	cdn   *quantilsim.Server
	inv   *inventory.Inventory
	mmV   *markmonitor.Vendor
	cdnV  *quantil.Vendor
}

func newPipeline(t *testing.T, o mmsim.Options) *pipeline {
	c := sim.NewClock(time.Now().UTC().Truncate(time.Second))
	o.APIKey, o.Username, o.Password, o.Now = "k-0123456789", "u", "p-secret", c.Now
	mm, err := mmsim.New(o)
	if err != nil {
		t.Fatal(err)
	}
	cdn, err := quantilsim.New(quantilsim.Options{User: "cdn", APIKey: "cdn-key", Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	mmSrv, cdnSrv := httptest.NewServer(mm), httptest.NewServer(cdn)
	t.Cleanup(mmSrv.Close)
	t.Cleanup(cdnSrv.Close)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "inventory.yaml"), []byte(pipelineInventory), 0o644); err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.Load(filepath.Join(dir, "inventory.yaml"), vendors.Sections())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	mmV, err := markmonitor.New(markmonitor.Config{URL: mmSrv.URL + "/certs/v1", AuthURL: mmSrv.URL + "/auth/v1", APIKey: o.APIKey, Username: o.Username, Password: o.Password},
		markmonitor.Deps{Log: log, Clock: c})
	if err != nil {
		t.Fatal(err)
	}
	cdnV, err := quantil.New(quantil.Config{URL: cdnSrv.URL, User: "cdn", APIKey: "cdn-key"}, quantil.Deps{Log: log, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return &pipeline{t: t, clock: c, mm: mm, cdn: cdn, inv: inv, mmV: mmV, cdnV: cdnV}
}

// engine is the pipeline the commands run, over the two vendors as the
// vendor table describes them.
func (p *pipeline) engine() *engine.Engine {
	p.t.Helper()
	var members []engine.Member
	for _, e := range vendors.All() {
		switch e.Name {
		case markmonitor.Name:
			members = append(members, e.Member(p.mmV))
		case quantil.Name:
			members = append(members, e.Member(p.cdnV))
		}
	}
	return engine.New(members, p.clock.Now)
}

// plan observes like the commands do: Markmonitor first, then QUANTIL with
// what its orders published.
func (p *pipeline) plan() *diff.Plan {
	p.t.Helper()
	var _ engine.Downstream = p.cdnV
	pl, _, err := p.engine().Plan(context.Background(), p.inv)
	if err != nil {
		p.t.Fatal(err)
	}
	return pl
}

func (p *pipeline) apply(pl *diff.Plan) *apply.Report {
	p.t.Helper()
	return p.engine().Apply(context.Background(), pl, apply.Options{})
}

func actions(pl *diff.Plan) string {
	var s []string
	for _, c := range pl.Changes {
		s = append(s, fmt.Sprintf("%s %s", c.Action, c.Address))
	}
	return strings.Join(s, "; ")
}

func (p *pipeline) orderSerial() string {
	p.t.Helper()
	data, err := os.ReadFile(filepath.Join(p.inv.Dir, "out/www.crt"))
	if err != nil {
		p.t.Fatal(err)
	}
	c, err := pemutil.Certificate(data)
	if err != nil {
		p.t.Fatal(err)
	}
	return fmt.Sprintf("%x", c.SerialNumber)
}

// Order -> certificate file -> CDN in one apply; the renewal rolls out to
// the CDN by itself; the next plans are clean.
func TestOrderToCDNPipeline(t *testing.T) {
	p := newPipeline(t, mmsim.Options{Validity: 90 * 24 * time.Hour})
	pl := p.plan()
	want := "create markmonitor/organization/Example Inc.; create markmonitor/order/www; create quantil/certificate/www.example.com"
	if got := actions(pl); got != want {
		t.Fatalf("first plan: %s\nwant %s", got, want)
	}
	if dep := pl.Changes[2].DependsOn; len(dep) != 1 || dep[0].String() != "markmonitor/order/www" {
		t.Fatalf("the CDN change depends on %v", dep)
	}
	rep := p.apply(pl)
	if !rep.OK() || rep.Count(apply.OK) != 3 {
		t.Fatalf("apply: %+v", rep.Results)
	}
	certs := p.cdn.Certificates()
	if len(certs) != 1 || certs[0].Serial != p.orderSerial() {
		t.Fatalf("the CDN holds %+v, want the order's serial %s", certs, p.orderSerial())
	}
	if pl := p.plan(); !pl.Empty() {
		t.Fatalf("second plan: %s", actions(pl))
	}

	p.clock.Advance(75 * 24 * time.Hour) // inside the 30-day window
	pl = p.plan()
	if got := actions(pl); got != "renew markmonitor/order/www; update quantil/certificate/www.example.com" {
		t.Fatalf("renewal plan: %s", got)
	}
	old := certs[0].Serial
	if rep := p.apply(pl); !rep.OK() || rep.Count(apply.OK) != 2 {
		t.Fatalf("renewal apply: %+v", rep.Results)
	}
	certs = p.cdn.Certificates()
	if len(certs) != 1 || certs[0].Serial == old || certs[0].Serial != p.orderSerial() {
		t.Fatalf("after renewal the CDN holds serial %s (old %s, order %s)", certs[0].Serial, old, p.orderSerial())
	}
	if pl := p.plan(); !pl.Empty() {
		t.Fatalf("plan after renewal: %s", actions(pl))
	}
}

// While the order is pending the CDN certificate waits, with the order's
// status; the run is not a failure.
func TestCDNWaitsForPendingOrder(t *testing.T) {
	p := newPipeline(t, mmsim.Options{HoldPending: true})
	rep := p.apply(p.plan())
	if !rep.OK() {
		t.Fatalf("apply with a pending order failed: %+v", rep.Results)
	}
	var cdn apply.Result
	for _, r := range rep.Results {
		if r.Address.Vendor == quantil.Name {
			cdn = r
		}
	}
	if cdn.Status != apply.Waiting {
		t.Fatalf("the CDN change is %s (%s), want waiting", cdn.Status, cdn.Error)
	}
	pl := p.plan()
	if !pl.Empty() {
		t.Fatalf("plan while pending: %s", actions(pl))
	}
	var msg string
	for _, in := range pl.Info {
		if in.Address.Vendor == quantil.Name {
			msg = in.Message
		}
	}
	if !strings.Contains(msg, "waiting for markmonitor/order/www") || !strings.Contains(msg, "DIGI_PENDING") {
		t.Fatalf("CDN info = %q, want waiting with the order's status", msg)
	}
	if n := len(p.cdn.Certificates()); n != 0 {
		t.Fatalf("%d certificates on the CDN before issuance", n)
	}
}

// askRekey deletes the order's key file and sets rekey: true, which is how
// a person asks for a new key (without rekey a missing key needs
// attention), and reloads the inventory.
func (p *pipeline) askRekey() {
	p.t.Helper()
	if err := os.Remove(filepath.Join(p.inv.Dir, "keys/www.key")); err != nil {
		p.t.Fatal(err)
	}
	text := strings.Replace(pipelineInventory, "      key_type: ecdsa-p256\n", "      key_type: ecdsa-p256\n      rekey: true\n", 1)
	if err := os.WriteFile(p.inv.File, []byte(text), 0o644); err != nil {
		p.t.Fatal(err)
	}
	inv, err := inventory.Load(p.inv.File, vendors.Sections())
	if err != nil {
		p.t.Fatalf("the inventory is invalid after removing the key: %v", err)
	}
	p.inv = inv
}

// Rotating the order's key (deleting the key file, rekey: true) is a
// reissue with a new key, and the CDN follows in the same run; the
// inventory stays valid while the key on disk is newer than the certificate.
func TestKeyRotationRollsOutToTheCDN(t *testing.T) {
	p := newPipeline(t, mmsim.Options{})
	if rep := p.apply(p.plan()); !rep.OK() {
		t.Fatalf("first apply: %+v", rep.Results)
	}
	old := p.orderSerial()
	p.askRekey()
	pl := p.plan()
	if got := actions(pl); got != "reissue markmonitor/order/www; update quantil/certificate/www.example.com" {
		t.Fatalf("plan after removing the key: %s", got)
	}
	if rep := p.apply(pl); !rep.OK() || rep.Count(apply.OK) != 2 {
		t.Fatalf("apply: %+v", rep.Results)
	}
	certs := p.cdn.Certificates()
	if len(certs) != 1 || certs[0].Serial == old || certs[0].Serial != p.orderSerial() {
		t.Fatalf("the CDN holds %s (old %s, order %s)", certs[0].Serial, old, p.orderSerial())
	}
	if pl := p.plan(); !pl.Empty() {
		t.Fatalf("plan after the rotation: %s", actions(pl))
	}
}

// While a key rotation's reissue is pending, the key on disk is newer than
// the certificate: the CDN waits (no plan error, the run succeeds), and
// follows once the reissue is issued.
func TestPendingReissueKeepsCDNWaiting(t *testing.T) {
	p := newPipeline(t, mmsim.Options{HoldPending: true})
	if rep := p.apply(p.plan()); !rep.OK() {
		t.Fatalf("first apply: %+v", rep.Results)
	}
	order := p.mm.Orders()[0].ID
	if err := p.mm.ApproveDCV(order); err != nil {
		t.Fatal(err)
	}
	if rep := p.apply(p.plan()); !rep.OK() || len(p.cdn.Certificates()) != 1 {
		t.Fatalf("deploy after issuance: %+v", rep.Results)
	}
	first := p.cdn.Certificates()[0].Serial

	p.askRekey()
	rep := p.apply(p.plan()) // reissue with a new key; the CA holds it
	if !rep.OK() {
		t.Fatalf("reissue apply: %+v", rep.Results)
	}
	for _, r := range rep.Results {
		if r.Address.Vendor == quantil.Name && r.Status != apply.Waiting {
			t.Fatalf("CDN change: %s %s, want waiting", r.Status, r.Error)
		}
	}
	pl := p.plan()
	if len(pl.Errors) != 0 || !pl.Empty() {
		t.Fatalf("plan mid-reissue: errors %+v, changes %s", pl.Errors, actions(pl))
	}
	if p.cdn.Certificates()[0].Serial != first {
		t.Fatal("the CDN changed before the reissue was issued")
	}
	if err := p.mm.ApproveDCV(order); err != nil {
		t.Fatal(err)
	}
	if rep := p.apply(p.plan()); !rep.OK() {
		t.Fatalf("apply after the reissue: %+v", rep.Results)
	}
	if got := p.cdn.Certificates()[0].Serial; got == first || got != p.orderSerial() {
		t.Fatalf("the CDN holds %s (first %s, order %s)", got, first, p.orderSerial())
	}
	if pl := p.plan(); !pl.Empty() {
		t.Fatalf("final plan: %s", actions(pl))
	}
}
