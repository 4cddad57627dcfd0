package markmonitor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/vendors/markmonitor/mmsim"
)

// In CI mode a missing key file is expected: an issued order is neither
// "needs attention" nor reissued (even with rekey), and a missing
// certificate file is a local-only download. Outside CI mode the same
// item needs attention.
func TestDecideKeyElsewhereInCI(t *testing.T) {
	f := newDecideFixture(t)
	day := 24 * time.Hour
	issued := func() *Order {
		return f.order("o1", StatusIssued, f.now.Add(-30*day), f.key, f.now.Add(-30*day), f.now.Add(300*day))
	}
	for _, tc := range []struct {
		name      string
		elsewhere bool
		rekey     bool
		files     bool
		action    diff.Action
		attention bool
	}{
		{name: "not CI: attention", attention: true, files: true},
		{name: "CI: nothing", elsewhere: true, files: true},
		{name: "CI with rekey: no reissue", elsewhere: true, rekey: true, files: true},
		{name: "CI, certificate file missing: download", elsewhere: true, action: Download},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := f.want()
			w.Key, w.KeyElsewhere, w.Rekey = "", tc.elsewhere, tc.rekey
			o := issued()
			files := outputFiles{}
			if tc.files {
				files = filesOf(w, o)
			}
			d := decide(w, f.history(o), files, f.now)
			if d.Action != tc.action || (len(d.Attention) > 0) != tc.attention {
				t.Fatalf("action %q attention %q, want %q attention %v", d.Action, d.Attention, tc.action, tc.attention)
			}
			if tc.elsewhere && !strings.Contains(strings.Join(d.Info, "\n"), "not on this machine (CI mode)") {
				t.Errorf("info does not say the key was not compared: %q", d.Info)
			}
		})
	}
}

// The decision carries when renewal falls due, for notifications.
func TestDecideRenewAt(t *testing.T) {
	f := newDecideFixture(t)
	day := 24 * time.Hour
	from, until := f.now.Add(-30*day), f.now.Add(300*day)
	o := f.order("o1", StatusIssued, from, f.key, from, until)
	d := decide(f.want(), f.history(o), filesOf(f.want(), o), f.now)
	want := renewAt("www", renewalWindow(0, from, until), until)
	if d.Action != "" || !d.RenewAt.Equal(want) {
		t.Errorf("action %q RenewAt %s, want none and %s", d.Action, d.RenewAt, want)
	}
	if d := decide(f.want(), f.history(), outputFiles{}, f.now); !d.RenewAt.IsZero() {
		t.Errorf("no order: RenewAt %s, want zero", d.RenewAt)
	}
}

// Download only writes local files: CI mode lists it apart.
func TestDownloadIsLocal(t *testing.T) {
	p := &diff.Plan{}
	p.Describe(Actions...)
	a := diff.Address{Vendor: Name, Kind: KindOrder, Name: "www"}
	if !p.SpecOf(a, Download).Local {
		t.Error("download is not declared Local")
	}
	if p.SpecOf(a, Reissue).Local {
		t.Error("reissue is declared Local")
	}
}

// An order whose only change is a download (an action declared Local)
// publishes a bundle that says no new certificate comes (Rewrite, not
// Fresh) and names the issued certificate from the order's JSON, in and
// out of CI mode, whether the files are missing or stale; a new order
// publishes a Fresh bundle naming nothing.
func TestDownloadPublishesIssuedCertificate(t *testing.T) {
	h := newHarness(t, mmsim.Options{})
	inv := h.inventory(orderYAML("www", ""))
	v := h.vendor()
	first := plan(t, v, inv)
	pairs, err := v.Observe(context.Background(), inv)
	if err != nil {
		t.Fatal(err)
	}
	if b := orderBundle(t, pairs); !b.Fresh || b.Rewrite || b.Serial != "" {
		t.Fatalf("new order: bundle %+v, want Fresh and no serial", b)
	}
	mustOK(t, run(t, v, first))
	issued := certOf(h.sim.Orders()[0].Cert.EndEntityCert)
	if issued == nil {
		t.Fatal("the simulator issued no certificate")
	}
	wantSerial, wantExpires := fmt.Sprintf("%x", issued.SerialNumber), issued.NotAfter.UTC().Format(time.RFC3339)
	for _, tc := range []struct {
		name  string
		ci    bool
		setup func(t *testing.T)
	}{
		{"files missing", false, func(t *testing.T) { removeAll(t, h.dir, "out/www.crt", "out/www.chain.pem", "out/www.full.pem") }},
		{"stale file", false, func(t *testing.T) { writeTo(t, filepath.Join(h.dir, "out/www.crt"), "stale") }},
		{"CI mode: files and key missing", true, func(t *testing.T) {
			removeAll(t, h.dir, "out/www.crt", "out/www.chain.pem", "out/www.full.pem", "keys/www.key")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.setup(t)
			ctx := context.Background()
			if tc.ci {
				ctx = diff.WithCI(ctx)
			}
			pairs, err := h.vendor().Observe(ctx, reload(t, h))
			if err != nil {
				t.Fatal(err)
			}
			b := orderBundle(t, pairs)
			if b.Fresh || !b.Rewrite {
				t.Errorf("bundle Fresh=%v Rewrite=%v, want a rewrite of the issued certificate", b.Fresh, b.Rewrite)
			}
			if b.Serial != wantSerial || b.Expires != wantExpires || !slices.Equal(b.Names, []string{"www-alt.example.com", "www.example.com"}) {
				t.Errorf("bundle names %s %s %v, want %s %s", b.Serial, b.Expires, b.Names, wantSerial, wantExpires)
			}
		})
	}
}

func orderBundle(t *testing.T, pairs []diff.Pair) *diff.Bundle {
	t.Helper()
	for _, p := range pairs {
		if p.Address == orderAddress("www") {
			if p.Bundle == nil {
				t.Fatal("the order published no bundle")
			}
			return p.Bundle
		}
	}
	t.Fatal("no pair for the order")
	return nil
}

func removeAll(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := os.Remove(filepath.Join(dir, n)); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
}

func writeTo(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// An issued order whose files are missing while this run's change is
// another one (an e-mail update) publishes a pending bundle: the files come
// with a later run's download, and the items deploying it wait for that
// rather than fail on a file that is not there yet.
func TestOtherChangeWithFilesMissingIsPending(t *testing.T) {
	h := newHarness(t, mmsim.Options{})
	v := h.vendor()
	mustOK(t, run(t, v, plan(t, v, h.inventory(orderYAML("www", "")))))
	removeAll(t, h.dir, "out/www.crt", "out/www.chain.pem", "out/www.full.pem")
	inv := h.inventory(orderYAML("www", "      additional_emails: [ops@example.com]\n"))
	pairs, err := h.vendor().Observe(context.Background(), inv)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pairs {
		if p.Address == orderAddress("www") && p.Action != diff.Update {
			t.Skipf("the order plans %q, not an update: this case does not arise", p.Action)
		}
	}
	if b := orderBundle(t, pairs); b.Fresh || b.Rewrite || b.Pending == "" {
		t.Errorf("bundle %+v, want pending (files written by a later run)", b)
	}
}
