package markmonitor

import (
	"strings"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/diff"
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
