package quantil

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/vendors/quantil/quantilsim"
)

// BenchmarkObserve measures a steady-state observe of 3,334 CDN
// certificates from files (a third of a 10,000-item inventory): one list
// request, then the comparison of every item with what the CDN holds. The
// simulator is seeded directly; the inventory is loaded (and checked) once,
// outside the timed loop.
func BenchmarkObserve(b *testing.B) {
	const n = 3334
	h := newHarness(b)
	var text strings.Builder
	text.WriteString("quantil:\n  certificates:\n")
	for i := range n {
		name := fmt.Sprintf("site%04d.example.com", i)
		h.issue(name, time.Now().Add(90*24*time.Hour))
		text.WriteString(item(name))
		crt, err := os.ReadFile(filepath.Join(h.dir, name+".crt"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := h.sim.Seed(quantilsim.Certificate{Name: name, Comment: "managed by certsync", CertPEM: string(crt)}); err != nil {
			b.Fatal(err)
		}
	}
	inv := h.inventory(text.String())
	v := h.vendor()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		pairs, err := v.Observe(ctx, inv)
		if err != nil || len(pairs) != n {
			b.Fatalf("observe: %d pairs, %v", len(pairs), err)
		}
	}
}
