package sim

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var testVendors = []string{"ccadb", "markmonitor", "quantil"}

func TestParseFaults(t *testing.T) {
	const file = `# every kind once
- vendor: ccadb
  kind: error
  method: post
  path: /services/apexrest/
  status: 502
  body: '{"message":"down"}'
  probability: 0.1
- vendor: markmonitor
  kind: throttle
  retry_after: 30
  count: 3
- vendor: quantil
  kind: drop
  skip: 2
- vendor: quantil
  kind: drop_after_commit
  method: PUT
- vendor: ccadb
  kind: latency
  delay: 1500ms
`
	got, err := ParseFaults("f.yaml", []byte(file), testVendors)
	if err != nil {
		t.Fatal(err)
	}
	want := []VendorFault{
		{Vendor: "ccadb", Kind: KindError, Fault: Fault{Method: "POST", Path: "/services/apexrest/", Status: 502, Body: `{"message":"down"}`, Probability: 0.1}},
		{Vendor: "markmonitor", Kind: KindThrottle, Fault: Fault{Status: 429, Header: http.Header{"Retry-After": {"30"}}, Times: 3}},
		{Vendor: "quantil", Kind: KindDrop, Fault: Fault{Drop: true, Skip: 2}},
		{Vendor: "quantil", Kind: KindDropAfterCommit, Fault: Fault{Method: "PUT", DropAfterCommit: true}},
		{Vendor: "ccadb", Kind: KindLatency, Fault: Fault{Delay: 1500 * time.Millisecond}},
	}
	if d := cmp.Diff(want, got, cmpopts.IgnoreUnexported(Fault{})); d != "" {
		t.Fatalf("(-want +got)\n%s", d)
	}
}

func TestParseFaultsDefaults(t *testing.T) {
	got, err := ParseFaults("f.yaml", []byte("- {vendor: ccadb, kind: error}\n- {vendor: ccadb, kind: throttle}\n"), testVendors)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Fault.Status != 503 || got[1].Fault.Status != 429 || got[1].Fault.Header.Get("Retry-After") != "1" {
		t.Fatalf("defaults: %+v", got)
	}
	if got, err := ParseFaults("f.yaml", []byte("# nothing yet\n"), testVendors); err != nil || len(got) != 0 {
		t.Fatalf("empty file: %v %v", got, err)
	}
}

func TestParseFaultsErrors(t *testing.T) {
	tests := []struct {
		name, file string
		want       []string
	}{
		{"not a list", "vendor: ccadb\n", []string{"f.yaml:1:1: must be a list"}},
		{"syntax", "- vendor: [ccadb\n", []string{"f.yaml:"}},
		{"item not a mapping", "- ccadb\n", []string{"f.yaml:1:3: [0]: must be a mapping"}},
		{"missing vendor and kind", "- method: GET\n", []string{"f.yaml:1:3: [0]: vendor is required", "f.yaml:1:3: [0]: kind is required"}},
		{"unknown vendor", "- vendor: digicert\n  kind: drop\n", []string{`f.yaml:1:11: [0].vendor: unknown vendor "digicert" (one of ccadb, markmonitor, quantil)`}},
		{"unknown kind", "- vendor: ccadb\n  kind: explode\n", []string{`f.yaml:2:9: [0].kind: unknown kind "explode"`}},
		{"unknown key", "- vendor: ccadb\n  kind: drop\n  propability: 0.5\n", []string{`f.yaml:3:3: [0]: unknown key "propability"`}},
		{"duplicate key", "- vendor: ccadb\n  kind: drop\n  kind: error\n", []string{"f.yaml:3:3: [0].kind: appears twice"}},
		{"not a scalar", "- vendor: ccadb\n  kind: drop\n  path: [/a]\n", []string{"f.yaml:3:9: [0].path: must be a single value"}},
		{"status not 5xx", "- vendor: ccadb\n  kind: error\n  status: 429\n", []string{"f.yaml:3:11: [0].status: must be a 5xx status (500-599), not 429; use kind throttle"}},
		{"status not a number", "- vendor: ccadb\n  kind: error\n  status: bad\n", []string{`f.yaml:3:11: [0].status: must be a whole number, not "bad"`}},
		{"key of another kind", "- vendor: ccadb\n  kind: drop\n  status: 503\n", []string{"f.yaml:3:11: [0].status: does not apply to kind drop"}},
		{"retry_after negative", "- vendor: ccadb\n  kind: throttle\n  retry_after: -1\n", []string{"f.yaml:3:16: [0].retry_after: must be whole seconds"}},
		{"latency without delay", "- vendor: ccadb\n  kind: latency\n", []string{"f.yaml:1:3: [0]: delay is required"}},
		{"bad delay", "- vendor: ccadb\n  kind: latency\n  delay: 2\n", []string{`f.yaml:3:10: [0].delay: must be a duration`}},
		{"probability zero", "- vendor: ccadb\n  kind: drop\n  probability: 0\n", []string{"f.yaml:3:16: [0].probability: must be a number above 0"}},
		{"probability above one", "- vendor: ccadb\n  kind: drop\n  probability: 10%\n", []string{"f.yaml:3:16: [0].probability: must be a number above 0"}},
		{"count zero", "- vendor: ccadb\n  kind: drop\n  count: 0\n", []string{"f.yaml:3:10: [0].count: must be at least 1"}},
		{"skip negative", "- vendor: ccadb\n  kind: drop\n  skip: -2\n", []string{"f.yaml:3:9: [0].skip: must not be negative"}},
		{"bad method", "- vendor: ccadb\n  kind: drop\n  method: GET /x\n", []string{"f.yaml:3:11: [0].method: must be an HTTP method"}},
		{"relative path", "- vendor: ccadb\n  kind: drop\n  path: services\n", []string{"f.yaml:3:9: [0].path: must be a URL path starting with /"}},
		{"every rule checked", "- vendor: x\n  kind: drop\n- vendor: ccadb\n  kind: y\n", []string{"f.yaml:1:11: [0].vendor", "f.yaml:4:9: [1].kind"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFaults("f.yaml", []byte(tt.file), testVendors)
			if !errors.Is(err, ErrFaultFile) {
				t.Fatalf("got %v, %v; want an error wrapping ErrFaultFile", got, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadFaults(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "faults.yaml")
	if err := os.WriteFile(path, []byte("- {vendor: quantil, kind: drop, count: 1}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := LoadFaults(path, testVendors)
	if err != nil || len(got) != 1 || !got[0].Fault.Drop {
		t.Fatalf("LoadFaults = %+v, %v", got, err)
	}
	if _, err := LoadFaults(filepath.Join(dir, "missing.yaml"), testVendors); err == nil || errors.Is(err, ErrFaultFile) {
		t.Fatalf("a missing file: %v, want a read error", err)
	}
}
