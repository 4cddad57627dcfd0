package inventory_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/vendors"
)

// BenchmarkSyntaxErrorLocate measures locating a syntax error at the end of
// a large inventory, the worst case of the prefix search.
func BenchmarkSyntaxErrorLocate(b *testing.B) {
	for _, items := range []int{100, 10000} {
		var sb strings.Builder
		sb.WriteString("quantil:\n  certificates:\n")
		for i := range items {
			fmt.Fprintf(&sb, "    - name: cert-%d\n      comment: \"certificate number %d\"\n", i, i)
		}
		sb.WriteString("    - name: \"unclosed\n")
		data := []byte(sb.String())
		b.Run(fmt.Sprintf("%dKiB", len(data)>>10), func(b *testing.B) {
			for b.Loop() {
				if _, err := inventory.Parse("inv.yaml", data, vendors.Sections()); err == nil {
					b.Fatal("accepted")
				}
			}
		})
	}
}
