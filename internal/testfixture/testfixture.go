// Package testfixture holds the test helpers that several packages' tests
// share: plan and apply one vendor the way the engine would, load an
// inventory written by a test, and the inventory snippets tests reuse.
// Only tests import it.
package testfixture

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/apply"
	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/engine"
	"github.com/certsync/certsync/internal/inventory"
)

// Plan observes one vendor and computes its plan; an observe error fails
// the test.
func Plan(t testing.TB, v engine.Vendor, inv *inventory.Inventory) *diff.Plan {
	t.Helper()
	pairs, err := v.Observe(context.Background(), inv)
	if err != nil {
		t.Fatalf("observe: %v", err)
	}
	return diff.Compute(pairs, time.Now())
}

// Apply runs the plan's changes with v as the applier of vendor name,
// four at a time.
func Apply(t testing.TB, name string, v apply.Applier, p *diff.Plan) *apply.Report {
	t.Helper()
	return apply.Run(context.Background(), p, map[string]apply.Applier{name: v}, apply.Options{Concurrency: 4})
}

// MustOK fails the test at the first change that did not end OK.
func MustOK(t testing.TB, rep *apply.Report) {
	t.Helper()
	for _, r := range rep.Results {
		if r.Status != apply.OK {
			t.Fatalf("%s %s: %s %s", r.Action, r.Address, r.Status, r.Error)
		}
	}
}

// Actions maps each change's address to its action.
func Actions(p *diff.Plan) map[string]diff.Action {
	out := map[string]diff.Action{}
	for _, c := range p.Changes {
		out[c.Address.String()] = c.Action
	}
	return out
}

// Text renders the plan as the terminal shows it, without colour.
func Text(p *diff.Plan) string {
	var b strings.Builder
	_ = diff.Text(&b, p, false)
	return b.String()
}

// Load loads an inventory that must be valid.
func Load(t testing.TB, path string, sections ...inventory.SectionSpec) *inventory.Inventory {
	t.Helper()
	inv, err := inventory.Load(path, sections)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// KeyPEM encodes a private key as PKCS #8 PEM.
func KeyPEM(t testing.TB, key any) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// MarkmonitorOrg is a markmonitor section with one valid organization
// (Example Inc.) and one contact (pki@example.com) of the given types, e.g.
// "ORGANIZATION_CONTACT"; orders may follow at two spaces.
func MarkmonitorOrg(types ...string) string {
	return fmt.Sprintf(`markmonitor:
  organizations:
    - name: Example Inc.
      address1: 1 Example Way
      city: Boise
      state: Idaho
      country: US
      zipcode: "83702"
      phone: "+1 208 555 0100"
      contacts:
        - email: pki@example.com
          first_name: Pat
          last_name: Example
          job_title: PKI Lead
          phone: "+1 208 555 0101"
          types: [%s]
`, strings.Join(types, ", "))
}
