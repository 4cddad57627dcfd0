package quantil

import (
	"context"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/apply"
	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/engine"
	"github.com/certsync/certsync/internal/pemutil"
)

// rewriteBundle is what an upstream item publishes when its only change in
// this run writes its issued certificate (the one in the file at path)
// again: the files may be missing here, the certificate is named.
func rewriteBundle(t *testing.T, dir string, certPEM []byte) diff.Artifacts {
	t.Helper()
	c, err := pemutil.Certificate(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	return diff.Artifacts{{Vendor: "up", Kind: "order", Name: "www"}: {
		CertificateFile: filepath.Join(dir, "www.example.com.crt"), KeyFile: filepath.Join(dir, "www.example.com.key"),
		Rewrite: true, Serial: serialOf(c), Expires: c.NotAfter.UTC().Format(time.RFC3339), Names: certNames(c),
	}}
}

func serialOf(c *x509.Certificate) string { return c.SerialNumber.Text(16) }

// An item deploying another item's certificate whose files are missing
// here (a CI runner, or files deleted), while that item writes its issued
// certificate again in this run: the serial the bundle names is compared
// with the CDN's. Equal is no change; different is an update that goes
// after the upstream change, reads the files it wrote, and waits while
// they are not there.
func TestRewrittenBundleWithFileMissing(t *testing.T) {
	h := newHarness(t)
	crt := filepath.Join(h.dir, "www.example.com.crt")
	const cdnItem = "quantil:\n  certificates:\n    - name: www.example.com\n      from: up/order/www\n"
	deployed := h.issue("www.example.com", time.Now().Add(90*24*time.Hour))
	inv, err := h.load(upOrder + cdnItem)
	if err != nil {
		t.Fatal(err)
	}
	mustApply(t, h.vendor(), plan(t, h.vendor(), inv))
	onCDN, _ := os.ReadFile(crt)

	// A renewed certificate the upstream issued on another machine.
	renewed := h.issue("www.example.com", time.Now().Add(200*24*time.Hour))
	newPEM, _ := os.ReadFile(crt)

	for _, tc := range []struct {
		name    string
		bundle  []byte
		changed bool
	}{
		{"same serial: no change", onCDN, false},
		{"other serial: update after the upstream change", newPEM, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.Remove(crt); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			inv, err := h.load(upOrder + cdnItem)
			if err != nil {
				t.Fatal(err)
			}
			pairs, err := h.vendor().ObserveAfter(context.Background(), inv, engine.Ready(rewriteBundle(t, h.dir, tc.bundle)))
			if err != nil {
				t.Fatal(err)
			}
			p := diff.Compute(pairs, time.Now())
			if len(p.Errors) != 0 || len(p.Info) != 0 || len(p.Attention) != 0 {
				t.Fatalf("errors %+v info %+v attention %+v", p.Errors, p.Info, p.Attention)
			}
			if !tc.changed {
				if !p.Empty() {
					t.Fatalf("want no change:\n%s", p.Summary())
				}
				return
			}
			if len(p.Changes) != 1 || p.Changes[0].Action != diff.Update {
				t.Fatalf("want one update:\n%s", p.Summary())
			}
			c := p.Changes[0]
			from := diff.Address{Vendor: "up", Kind: "order", Name: "www"}
			if !slices.Contains(c.DependsOn, from) {
				t.Errorf("the update does not go after %s: %v", from, c.DependsOn)
			}
			var serial *diff.FieldChange
			for i := range c.Fields {
				if c.Fields[i].Field == "serial" {
					serial = &c.Fields[i]
				}
			}
			if serial == nil || serial.Old != deployed || serial.New != renewed {
				t.Fatalf("serial change %+v, want %s -> %s", serial, deployed, renewed)
			}
			// The upstream change has not written the files yet: the
			// update waits, nothing is sent.
			if _, err := h.vendor().Apply(context.Background(), c); !errors.Is(err, apply.ErrNotReady) {
				t.Fatalf("apply with the file missing: %v, want not ready", err)
			}
			if got := h.sim.Certificates()[0].Serial; got != deployed {
				t.Fatalf("the CDN serves %s after a change that had to wait", got)
			}
			// Written by the upstream change: the update deploys it.
			h.write("www.example.com.crt", newPEM)
			if _, err := h.vendor().Apply(context.Background(), c); err != nil {
				t.Fatalf("apply after the upstream change: %v", err)
			}
			if got := h.sim.Certificates()[0].Serial; got != renewed {
				t.Fatalf("the CDN serves %s, want %s", got, renewed)
			}
		})
	}
}

// A certificate the bundle names but that another certificate replaced on
// disk is not deployed: apply refuses any serial but the one the plan
// showed.
func TestRewrittenBundleSerialIsEnforced(t *testing.T) {
	h := newHarness(t)
	const cdnItem = "quantil:\n  certificates:\n    - name: www.example.com\n      from: up/order/www\n"
	h.issue("www.example.com", time.Now().Add(90*24*time.Hour))
	inv, err := h.load(upOrder + cdnItem)
	if err != nil {
		t.Fatal(err)
	}
	mustApply(t, h.vendor(), plan(t, h.vendor(), inv))
	h.issue("www.example.com", time.Now().Add(200*24*time.Hour))
	named, _ := os.ReadFile(filepath.Join(h.dir, "www.example.com.crt"))
	other := h.issue("www.example.com", time.Now().Add(300*24*time.Hour))
	pairs, err := h.vendor().ObserveAfter(context.Background(), inv, engine.Ready(rewriteBundle(t, h.dir, named)))
	if err != nil {
		t.Fatal(err)
	}
	p := diff.Compute(pairs, time.Now())
	if len(p.Changes) != 1 {
		t.Fatalf("want one update:\n%s", p.Summary())
	}
	_, err = h.vendor().Apply(context.Background(), p.Changes[0])
	if err == nil || !strings.Contains(err.Error(), "make a new plan") {
		t.Fatalf("apply of a file holding %s: %v, want a refusal", other, err)
	}
}
