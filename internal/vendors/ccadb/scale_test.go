package ccadb

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/testfixture"
	"github.com/certsync/certsync/internal/vendors/ccadb/ccadbsim"
)

// seedSteadyState makes n intermediates that the CCADB already holds with
// exactly the inventory's values.
func seedSteadyState(tb testing.TB, h *harness, n int) {
	h.addIntermediates(n)
	root, _ := h.sim.RecordBySHA256(h.root.SHA256())
	recs := make([]ccadbsim.Record, n)
	for i, c := range h.certs {
		recs[i] = ccadbsim.Record{
			RecordType: "Intermediate Certificate", CAOwner: testOwner, Name: c.Cert.Subject.CommonName,
			PEM: c.PEM(), ParentID: root.ID, ParentSHA256: root.SHA256,
			Fields: map[string]string{"Auditor": "Auditor Name", "AuditorLocation": "United States"},
		}
	}
	if _, err := h.sim.SeedAll(recs); err != nil {
		tb.Fatal(err)
	}
}

func steadyExtra(int) string {
	return "      auditor:\n        name: Auditor Name\n        location: United States\n"
}

// A steady-state plan of 1,000 intermediates makes one request: the report
// (no token, no lookup).
func TestSteadyState1000Requests(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 1,000 certificates")
	}
	h := newHarness(t, ccadbsim.Options{})
	seedSteadyState(t, h, 1000)
	inv := h.inventory(steadyExtra)
	h.sim.Faults().ResetCounts()

	start := time.Now()
	p := plan(t, h.vendor(nil), inv)
	took := time.Since(start)
	if !p.Empty() {
		t.Fatalf("steady state planned changes: %s", p.Summary())
	}
	got := h.sim.Faults().Count("")
	if got != 1 {
		t.Fatalf("steady-state plan of 1,000 made %d requests, want 1", got)
	}
	t.Logf("steady-state plan of 1,000 intermediates: %d request(s), %s", got, took)
}

// BenchmarkSteadyStatePlan1000 measures Observe+Compute for 1,000 records
// already in the CCADB (one report fetch over loopback per iteration).
func BenchmarkSteadyStatePlan1000(b *testing.B) {
	h := newHarness(b, ccadbsim.Options{})
	seedSteadyState(b, h, 1000)
	inv := h.inventory(steadyExtra)
	v := h.vendor(nil)
	h.sim.Faults().ResetCounts()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if p := plan(b, v, inv); !p.Empty() {
			b.Fatal("not steady")
		}
	}
	b.ReportMetric(float64(h.sim.Faults().Count(""))/float64(b.N), "requests/op")
}

// BenchmarkLoadIntermediates1000 loads (and so checks) an inventory of
// 1,000 intermediates of one parent: reading and parsing each certificate
// and checking its signature are most of it.
func BenchmarkLoadIntermediates1000(b *testing.B) {
	h := newHarness(b, ccadbsim.Options{})
	h.addIntermediates(1000)
	h.inventory(steadyExtra)
	path := filepath.Join(h.dir, "inventory.yaml")
	b.ReportAllocs()
	for b.Loop() {
		testfixture.Load(b, path, Spec())
	}
}
