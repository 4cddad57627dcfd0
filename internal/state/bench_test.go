package state

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// benchValue is about the size of what the CCADB vendor keeps per record.
type benchValue struct {
	Fields map[string]string `json:"fields"`
}

func newBenchValue(i int) benchValue {
	v := benchValue{Fields: map[string]string{}}
	for f := range 8 {
		v.Fields[fmt.Sprintf("Field%d", f)] = fmt.Sprintf("value %d of record %d", f, i)
	}
	return v
}

// BenchmarkPut measures one Put into a store that already holds n entries.
// The store is seeded by writing its file directly, so seeding is not what is
// measured. Constant ns/op across sizes means a Put does not grow with the
// store.
func BenchmarkPut(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			seed := make(map[string]benchValue, n)
			for i := range n {
				seed[fmt.Sprintf("%064X", i)] = newBenchValue(i)
			}
			data, err := json.Marshal(seed)
			if err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "v.json"), data, 0o600); err != nil {
				b.Fatal(err)
			}
			s, err := Open(dir, "v")
			if err != nil {
				b.Fatal(err)
			}
			v := newBenchValue(-1)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				// Overwrite existing keys, so the store stays at n entries.
				if err := s.Put(fmt.Sprintf("%064X", i%n), v); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkPutParallel measures Puts from several goroutines on one store of
// 1,000 entries: concurrent Puts share an fsync instead of queueing for a
// whole-file rewrite each, so ns/op falls below BenchmarkPut's.
func BenchmarkPutParallel(b *testing.B) {
	s, err := Open(b.TempDir(), "v")
	if err != nil {
		b.Fatal(err)
	}
	v := newBenchValue(-1)
	b.ReportAllocs()
	b.SetParallelism(4)
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.Put(fmt.Sprintf("%064X", next.Add(1)%1000), v); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
