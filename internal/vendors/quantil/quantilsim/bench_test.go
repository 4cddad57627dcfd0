package quantilsim

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/sim"
)

// BenchmarkModify measures one change (a comment modified through the HTTP
// handler, in-process) on a simulator with a state file that holds n
// certificates. Constant ns/op across sizes means a change's persistence does
// not grow with the state.
func BenchmarkModify(b *testing.B) {
	leaf := newLeaf(b, leafOpts{})
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("certificates=%d", n), func(b *testing.B) {
			clock := sim.NewClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
			s, err := New(Options{User: testUser, APIKey: testKey, Now: clock.Now, StatePath: filepath.Join(b.TempDir(), "quantil.json")})
			if err != nil {
				b.Fatal(err)
			}
			ids := make([]string, n)
			for i := range n {
				c, err := s.Seed(Certificate{CertPEM: leaf.PEM(), KeyPEM: leaf.keyPEM})
				if err != nil {
					b.Fatal(err)
				}
				ids[i] = c.ID
			}
			date := clock.Now().UTC().Format(http.TimeFormat)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				body := xmlBody(elem{"comment", fmt.Sprint("change ", i)})
				req := httptest.NewRequest("PUT", CertificatePath+"/"+ids[i%n], strings.NewReader(body))
				req.Header.Set("Date", date)
				req.Header.Set("Authorization", basic(testUser, testKey, date))
				req.Header.Set("Content-Type", "application/xml")
				rec := httptest.NewRecorder()
				s.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("modify: %d %s", rec.Code, rec.Body)
				}
				i++
			}
		})
	}
}
