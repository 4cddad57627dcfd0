package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/testfixture"
	"github.com/certsync/certsync/internal/vendors/ccadb/ccadbsim"
	"github.com/certsync/certsync/internal/vendors/quantil/quantilsim"
)

// recordingTransport records every request (method and path) and refuses
// those whose path starts with down, as an unreachable vendor would.
type recordingTransport struct {
	mu   sync.Mutex
	reqs []string
	down string
}

func (rt *recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rt.mu.Lock()
	rt.reqs = append(rt.reqs, r.Method+" "+r.URL.Path)
	rt.mu.Unlock()
	if rt.down != "" && strings.HasPrefix(r.URL.Path, rt.down) {
		return nil, errors.New("dial tcp: connect: connection refused")
	}
	return http.DefaultTransport.RoundTrip(r)
}

// take returns the requests recorded since the last call, sorted.
func (rt *recordingTransport) take() []string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	out := rt.reqs
	rt.reqs = nil
	sort.Strings(out)
	return out
}

// editPlan rewrites the saved plan at path with edit applied to the
// change at addr (its JSON form).
func editPlan(t *testing.T, path, addr string, edit func(c map[string]any)) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(data, &p); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range p["changes"].([]any) {
		if m := c.(map[string]any); m["address"] == addr {
			edit(m)
			found = true
		}
	}
	if !found {
		t.Fatalf("no change %s in the plan", addr)
	}
	out, _ := json.Marshal(p)
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// An edited saved plan is refused, naming the change and how it differs,
// and apply sends nothing beyond the reads a plan makes.
func TestEditedSavedPlanRefused(t *testing.T) {
	const order = "markmonitor/order/www"
	tests := []struct {
		name string
		addr string
		edit func(c map[string]any)
		want string
	}{
		{"certificate type sent", order, func(c map[string]any) {
			c["keys"].(map[string]any)["cert_type"] = "SSL_OV_SECURESITE_PRO"
		}, `markmonitor/order/www: keys.cert_type: the saved plan has "SSL_OV_SECURESITE_PRO", a plan made now has "SSL_OV_BASIC"`},
		{"output path", order, func(c map[string]any) {
			c["keys"].(map[string]any)["output_certificate"] = "/tmp/elsewhere.crt"
		}, `markmonitor/order/www: keys.output_certificate: the saved plan has "/tmp/elsewhere.crt"`},
		{"a shown field", order, func(c map[string]any) {
			for _, f := range c["fields"].([]any) {
				if f.(map[string]any)["field"] == "cert_type" {
					f.(map[string]any)["new"] = "SSL_EV_BASIC"
				}
			}
		}, "markmonitor/order/www: fields.cert_type:"},
		{"a desired value", "markmonitor/organization/Example Inc.", func(c map[string]any) {
			c["desired"].(map[string]any)["zipcode"] = "10001"
		}, `markmonitor/organization/Example Inc.: desired.zipcode: the saved plan has "10001", a plan made now has "83702"`},
		{"a dependency dropped", "ccadb/intermediate/tls-sub", func(c map[string]any) {
			delete(c, "depends_on")
		}, "ccadb/intermediate/tls-sub: depends_on:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			example := exampleCopy(t)
			r := newRunner(t)
			rt := &recordingTransport{}
			r.http = &http.Client{Transport: rt}
			planFile := filepath.Join(t.TempDir(), "plan.json")
			if res := r.run("plan", "--sandbox", "-i", example, "--out", planFile); res.code != ExitOK {
				t.Fatalf("plan: %d %s", res.code, res.stderr)
			}
			reads := rt.take()
			editPlan(t, planFile, tt.addr, tt.edit)
			res := r.run("apply", planFile, "--sandbox", "--auto-approve")
			if res.code != ExitError || !strings.Contains(res.stderr, tt.want) || !strings.Contains(res.stderr, "nothing was applied") {
				t.Fatalf("exit %d, want a refusal naming %q:\n%s%s", res.code, tt.want, res.stdout, res.stderr)
			}
			if strings.Contains(res.stdout, "Apply complete") {
				t.Fatal("the edited plan ran")
			}
			// The refused apply made the same requests as a plan: reads.
			if got := rt.take(); strings.Join(got, "\n") != strings.Join(reads, "\n") {
				t.Fatalf("the refused apply sent:\n%s\nwhile a plan sends:\n%s", strings.Join(got, "\n"), strings.Join(reads, "\n"))
			}
		})
	}
}

// twelveOrders is an inventory with one organization and n new orders.
func twelveOrders(t *testing.T, n int, extra string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(testfixture.MarkmonitorOrg("ORGANIZATION_CONTACT", "EXTENDED_VALIDATION_APPROVER"))
	b.WriteString("  orders:\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `    - name: o%[1]d
      organization: Example Inc.
      cert_type: SSL_OV_BASIC
      common_name: o%[1]d.example.com
      private_key: out/o%[1]d.key
      key_type: ecdsa-p256
      dcv_method: DNS_TXT_TOKEN
      output:
        certificate: out/o%[1]d.crt
`, i)
	}
	b.WriteString(extra)
	return writeFile(t, t.TempDir(), "inventory.yaml", b.String())
}

// A plan placing more paid orders than the guard allows is refused by
// apply, nothing sent; --force (or a raised limit) applies it.
func TestGuardOnPaidOrders(t *testing.T) {
	inv := twelveOrders(t, 12, "")
	r := newRunner(t)
	rt := &recordingTransport{}
	r.http = &http.Client{Transport: rt}
	res := r.run("plan", "--sandbox", "-i", inv)
	if res.code != ExitOK || !strings.Contains(res.stdout, "Guards tripped") || !strings.Contains(res.stdout, "12 paid change(s), more than the limit of 10") {
		t.Fatalf("plan does not show the guard: %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if res := r.run("plan", "--sandbox", "-i", inv, "--max-paid", "12"); strings.Contains(res.stdout, "Guards tripped") {
		t.Fatalf("--max-paid 12 still trips:\n%s", res.stdout)
	}
	reads := rt.take()
	res = r.run("apply", "--sandbox", "--auto-approve", "-i", inv)
	if res.code != ExitError || !strings.Contains(res.stderr, "trips a guard") || !strings.Contains(res.stderr, "--force") || strings.Contains(res.stdout, "Apply complete") {
		t.Fatalf("apply over the guard: %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if got := rt.take(); len(got) != len(reads)/2 {
		t.Fatalf("the refused apply made %d request(s), a plan makes %d:\n%s", len(got), len(reads)/2, strings.Join(got, "\n"))
	}
	// The inventory's limit applies too, and a flag wins over it.
	low := twelveOrders(t, 12, "guards:\n  max_paid: 20\n")
	if res := r.run("plan", "--sandbox", "-i", low); strings.Contains(res.stdout, "Guards tripped") {
		t.Fatalf("guards.max_paid: 20 still trips:\n%s", res.stdout)
	}
	if res := r.run("plan", "--sandbox", "-i", low, "--max-paid", "3"); !strings.Contains(res.stdout, "12 paid change(s), more than the limit of 3") {
		t.Fatalf("--max-paid 3 does not win over the inventory:\n%s", res.stdout)
	}
	res = r.run("apply", "--sandbox", "--auto-approve", "--force", "-i", inv)
	if res.code != ExitOK || !strings.Contains(res.stdout, "Apply complete: 13 ok") {
		t.Fatalf("apply --force: %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}

func TestGuardLimits(t *testing.T) {
	set := func(v int) inventory.Int { return inventory.Int{Value: v, Set: true} }
	tests := []struct {
		name       string
		inv        inventory.Guards
		paid, dest int
		force      bool
		want       *diff.Guards
	}{
		{"defaults", inventory.Guards{}, -1, -1, false, &diff.Guards{MaxPaid: 10, MaxDestructive: 3}},
		{"inventory", inventory.Guards{MaxPaid: set(20), MaxDestructive: set(0)}, -1, -1, false, &diff.Guards{MaxPaid: 20, MaxDestructive: 0}},
		{"flags win", inventory.Guards{MaxPaid: set(20), MaxDestructive: set(0)}, 5, 1, false, &diff.Guards{MaxPaid: 5, MaxDestructive: 1}},
		{"flag zero", inventory.Guards{}, 0, -1, false, &diff.Guards{MaxPaid: 0, MaxDestructive: 3}},
		{"force", inventory.Guards{MaxPaid: set(1)}, 1, 1, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := guardFlags{maxPaid: &tt.paid, maxDestructive: &tt.dest, force: &tt.force}
			got := g.limits(&inventory.Inventory{Guards: tt.inv})
			if (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
				t.Fatalf("limits = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// With QUANTIL unreachable, plan still plans CCADB and Markmonitor and
// exits 1 naming QUANTIL; apply applies them; --target on another vendor
// does not even ask QUANTIL.
func TestVendorFailsAlone(t *testing.T) {
	example := exampleCopy(t)
	r := newRunner(t)
	rt := &recordingTransport{down: "/api/"}
	r.http = &http.Client{Transport: rt}
	res := r.run("plan", "--sandbox", "-i", example)
	if res.code != ExitError || !strings.Contains(res.stderr, "vendor(s) quantil could not be observed") {
		t.Fatalf("plan: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	for _, want := range []string{"ccadb/intermediate/tls-sub will be created", "markmonitor/order/www will be created", "quantil/*/*: vendor quantil could not be observed", "connection refused", "Plan: 6 to create"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("plan lacks %q:\n%s", want, res.stdout)
		}
	}
	res = r.run("apply", "--sandbox", "--auto-approve", "-i", example)
	if res.code != ExitError || !strings.Contains(res.stdout, "Apply complete: 6 ok, 0 failed") || !strings.Contains(res.stderr, "quantil") {
		t.Fatalf("apply: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	rt.take()
	res = r.run("plan", "--sandbox", "-i", example, "--target", "markmonitor/order/www", "--detailed-exitcode")
	if res.code != ExitOK {
		t.Fatalf("targeted plan: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	for _, q := range rt.take() {
		if strings.Contains(q, "/api/") || strings.Contains(q, "/services/") {
			t.Errorf("a plan targeting markmonitor asked another vendor: %s", q)
		}
	}
	// A targeted item of the failed vendor is an error, not silence.
	res = r.run("plan", "--sandbox", "-i", example, "--target", "quantil/certificate/www.example.com")
	if res.code != ExitError || !strings.Contains(res.stdout, "quantil/*/*") {
		t.Fatalf("targeting the failed vendor: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}

// A vendor without credentials fails its own items and the items that
// deploy from them; the configured vendors are planned.
func TestUnconfiguredVendorFailsAlone(t *testing.T) {
	example := exampleCopy(t)
	s, err := ccadbsim.New(ccadbsim.Options{ClientID: "cid", ClientSecret: "cs", CAOwner: "Example CA"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	cdn, err := quantilsim.New(quantilsim.Options{User: "cdn-user", APIKey: "cdn-key"})
	if err != nil {
		t.Fatal(err)
	}
	cdnSrv := httptest.NewServer(cdn)
	defer cdnSrv.Close()
	r := newRunner(t)
	for k, v := range map[string]string{
		"CERTSYNC_CCADB_URL": srv.URL, "CERTSYNC_CCADB_CLIENT_ID": "cid", "CERTSYNC_CCADB_CLIENT_SECRET": "cs",
		"CERTSYNC_CCADB_REFRESH_TOKEN": s.NewRefreshToken(), "CERTSYNC_CCADB_REPORT_URL": srv.URL + ccadbsim.ReportPath,
		"CERTSYNC_CCADB_REQUEST_INTERVAL": "0s",
		"CERTSYNC_QUANTIL_URL":            cdnSrv.URL, "CERTSYNC_QUANTIL_USER": "cdn-user", "CERTSYNC_QUANTIL_API_KEY": "cdn-key",
	} {
		r.env[k] = v
	}
	res := r.run("plan", "-i", example)
	if res.code != ExitError || !strings.Contains(res.stderr, "vendor(s) markmonitor could not be observed") {
		t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	for _, want := range []string{
		"ccadb/intermediate/tls-sub will be created",
		"markmonitor/*/*: vendor markmonitor could not be observed",
		"CERTSYNC_MARKMONITOR_",
		"quantil/certificate/www.example.com: uses markmonitor/order/www, whose vendor markmonitor could not be observed",
		"Plan: 4 to create",
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("plan lacks %q:\n%s", want, res.stdout)
		}
	}
}
