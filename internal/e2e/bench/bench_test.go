package main

import (
	"crypto/x509"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/sim"
	"github.com/certsync/certsync/internal/vendors"
	"github.com/certsync/certsync/internal/vendors/ccadb/ccadbsim"
	"github.com/certsync/certsync/internal/vendors/markmonitor/mmsim"
	"github.com/certsync/certsync/internal/vendors/quantil/quantilsim"
)

// Every vendor's signature checks go through the inventory's cache: the
// first load checks each (intermediate, parent) and (leaf, chain) pair,
// a second load with the same cache checks none.
func TestLoadChecksEachSignatureOnce(t *testing.T) {
	f, err := generate(t.TempDir(), 7)
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	c := inventory.NewVerifyCacheFunc(func(child, parent *x509.Certificate) error {
		calls.Add(1)
		return child.CheckSignatureFrom(parent)
	})
	for run, want := range []string{"each pair", "none"} {
		calls.Store(0)
		if _, err := inventory.LoadWith(f.inventory, vendors.Sections(), inventory.LoadOptions{Verified: c}); err != nil {
			t.Fatal(err)
		}
		n := calls.Load()
		// 3 CCADB intermediates against their parent, 3 QUANTIL leaves
		// against their chain.
		if (run == 0 && n < 2*int64(f.perKind)) || (run == 1 && n != 0) {
			t.Errorf("load %d: %d signature checks, want %s", run+1, n, want)
		}
	}
}

// The generated inventory is valid, splits the items evenly, and the seeded
// simulators hold one live object per item (plus what the CCADB report of
// other CAs adds). Whether that is a steady state is what the harness itself
// checks against the real binary (a non-empty plan fails it).
func TestGenerateAndSeed(t *testing.T) {
	dir := t.TempDir()
	f, err := generate(dir, 7)
	if err != nil {
		t.Fatal(err)
	}
	if f.perKind != 3 {
		t.Fatalf("7 items make %d of each kind, want 3", f.perKind)
	}
	inv, err := inventory.Load(f.inventory, vendors.Sections())
	if err != nil {
		t.Fatal(err)
	}
	// Markmonitor's section holds the organization too.
	for name, want := range map[string]int{"ccadb": 3, "markmonitor": 4, "quantil": 3} {
		if n := inv.SectionItems(name); n != want {
			t.Errorf("%s: %d items, want %d", name, n, want)
		}
	}
	state := filepath.Join(dir, "sandbox")
	if err := seed(f, state, 20); err != nil {
		t.Fatal(err)
	}
	cc, err := ccadbsim.New(ccadbsim.Options{ClientID: sim.SandboxUser, ClientSecret: "x", StatePath: filepath.Join(state, ccadbState)})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(cc.Records()); n != 20+1+3 {
		t.Errorf("CCADB holds %d records, want 24 (20 other CAs', the root, 3 intermediates)", n)
	}
	if _, ok := cc.RecordBySHA256(f.intermediates[2].SHA256()); !ok {
		t.Error("CCADB misses the third intermediate")
	}
	mm, err := mmsim.New(mmsim.Options{APIKey: "x", Username: "u", Password: "p", StatePath: filepath.Join(state, mmState)})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(mm.Orders()); n != 3 {
		t.Errorf("Markmonitor holds %d orders, want 3", n)
	}
	q, err := quantilsim.New(quantilsim.Options{User: "u", APIKey: "k", StatePath: filepath.Join(state, quantilState)})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(q.Certificates()); n != 3 {
		t.Errorf("QUANTIL holds %d certificates, want 3", n)
	}
}

// The applies' inventory holds CCADB intermediates only, and seeding it
// leaves the other simulators empty.
func TestGenerateCCADBOnly(t *testing.T) {
	dir := t.TempDir()
	f, err := generateCCADB(dir, 4)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.Load(f.inventory, vendors.Sections())
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]int{"ccadb": 4, "markmonitor": 0, "quantil": 0} {
		if n := inv.SectionItems(name); n != want {
			t.Errorf("%s: %d items, want %d", name, n, want)
		}
	}
	state := filepath.Join(dir, "sandbox")
	if err := seed(f, state, 0); err != nil {
		t.Fatal(err)
	}
	cc, err := ccadbsim.New(ccadbsim.Options{ClientID: sim.SandboxUser, ClientSecret: "x", StatePath: filepath.Join(state, ccadbState)})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(cc.Records()); n != 1+4 {
		t.Errorf("CCADB holds %d records, want 5 (the root, 4 intermediates)", n)
	}
}

func TestInts(t *testing.T) {
	tests := []struct {
		in   string
		want []int
		ok   bool
	}{
		{"300,3000", []int{300, 3000}, true},
		{" 10_000 ", []int{10000}, true},
		{"", nil, true},
		{"0", nil, false},
		{"3k", nil, false},
	}
	for _, tt := range tests {
		got, err := ints(tt.in)
		if (err == nil) != tt.ok || len(got) != len(tt.want) || (len(got) > 0 && got[0] != tt.want[0]) {
			t.Errorf("ints(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// BenchmarkLoadInventory10000 measures loading and validating an inventory
// of 10,000 generated items (3,334 of each kind) with every vendor's
// section: what every plan, apply and run starts with.
func BenchmarkLoadInventory10000(b *testing.B) { benchmarkLoad(b, 10000) }

// BenchmarkLoadInventory3000 is the same at 3,000 items.
func BenchmarkLoadInventory3000(b *testing.B) { benchmarkLoad(b, 3000) }

// BenchmarkLoadInventory10000Warm is BenchmarkLoadInventory10000 as a
// steady-state plan does it: with the signature cache a previous run
// saved, read before and written after each load.
func BenchmarkLoadInventory10000Warm(b *testing.B) { benchmarkLoadWarm(b, 10000) }

func benchmarkLoadWarm(b *testing.B, n int) {
	f, err := generate(b.TempDir(), n)
	if err != nil {
		b.Fatal(err)
	}
	specs := vendors.Sections()
	cacheFile := filepath.Join(b.TempDir(), "verified.json")
	prime := inventory.NewVerifyCache()
	if _, err := inventory.LoadWith(f.inventory, specs, inventory.LoadOptions{Verified: prime}); err != nil {
		b.Fatal(err)
	}
	if err := prime.Save(cacheFile); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := inventory.ReadVerifyCache(cacheFile)
		if err != nil {
			b.Fatal(err)
		}
		inv, err := inventory.LoadWith(f.inventory, specs, inventory.LoadOptions{Verified: c})
		if err != nil {
			b.Fatal(err)
		}
		if inv.Items() != 3*f.perKind+1 {
			b.Fatalf("%d items loaded, want %d", inv.Items(), 3*f.perKind+1)
		}
		if err := c.Save(cacheFile); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(3*f.perKind), "µs/item")
}

func benchmarkLoad(b *testing.B, n int) {
	f, err := generate(b.TempDir(), n)
	if err != nil {
		b.Fatal(err)
	}
	specs := vendors.Sections()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		inv, err := inventory.Load(f.inventory, specs)
		if err != nil {
			b.Fatal(err)
		}
		if inv.Items() != 3*f.perKind+1 { // and the organization
			b.Fatalf("%d items loaded, want %d", inv.Items(), 3*f.perKind+1)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(3*f.perKind), "µs/item")
}
