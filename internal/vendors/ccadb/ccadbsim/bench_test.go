package ccadbsim

import (
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkSeedOne measures one change (a record seeded, saved as the API's
// add saves it) on a simulator whose state file already holds n records.
// Constant ns/op across sizes means a change's persistence does not grow
// with the state.
func BenchmarkSeedOne(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			s, err := New(Options{ClientID: "id", ClientSecret: "secret", StatePath: filepath.Join(b.TempDir(), "ccadb.json")})
			if err != nil {
				b.Fatal(err)
			}
			recs := make([]Record, n)
			for i := range recs {
				recs[i] = Record{SHA256: fmt.Sprintf("%064X", i), Fields: map[string]string{"Description": "seeded"}}
			}
			if _, err := s.SeedAll(recs); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			i := n
			for b.Loop() {
				if _, err := s.Seed(Record{SHA256: fmt.Sprintf("%064X", i), Fields: map[string]string{"Description": "added"}}); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
