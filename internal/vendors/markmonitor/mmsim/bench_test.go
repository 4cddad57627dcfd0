package mmsim

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/sim"
)

// BenchmarkSeedOrder measures one change (an issued order added, saved as the
// API's create saves it) on a simulator whose state file already holds n
// orders. Constant ns/op across sizes means a change's persistence does not
// grow with the state.
func BenchmarkSeedOrder(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("orders=%d", n), func(b *testing.B) {
			o := testOptions(sim.NewClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)))
			o.StatePath = filepath.Join(b.TempDir(), "markmonitor.json")
			s, err := New(o)
			if err != nil {
				b.Fatal(err)
			}
			org, err := s.SeedOrganization(orgBody("Bench Inc.", false))
			if err != nil {
				b.Fatal(err)
			}
			var contact string
			for _, c := range org.Contacts {
				if !c.HasType(ContactTypeTechnical) {
					contact = c.ID
				}
			}
			csr := noCNCSR()
			reqs := make([]OrderRequest, n)
			for i := range reqs {
				reqs[i] = orderReq(org, contact, fmt.Sprintf("host%05d.example.com", i), csr)
			}
			if _, err := s.SeedIssuedOrders(reqs); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			i := n
			for b.Loop() {
				if _, err := s.SeedIssuedOrder(orderReq(org, contact, fmt.Sprintf("host%05d.example.com", i), csr)); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
