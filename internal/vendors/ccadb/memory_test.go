package ccadb

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/vendors/ccadb/ccadbsim"
)

// realSizeReport is a V5 report as large as the live one (about 9 MB):
// others rows of other CAs' certificates, filled like real rows, then one
// row per inventory certificate with the values steadyExtra manages.
func realSizeReport(h *harness, others int) []byte {
	header := ccadbsim.ReportV5Header()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(header)
	row := make([]string, len(header))
	set := func(col, v string) {
		for i, c := range header {
			if c == col {
				row[i] = v
			}
		}
	}
	for i := 0; i < others; i++ {
		clear(row)
		set("CA Owner", fmt.Sprintf("Other CA %d", i%900))
		set("Salesforce Record ID", fmt.Sprintf("A%06d", 100000+i))
		set("Certificate Name", fmt.Sprintf("Other Issuing CA %d", i))
		set("Certificate Record Type", "Intermediate Certificate")
		set("SHA-256 Fingerprint", fmt.Sprintf("%064X", i+1))
		set("Parent SHA-256 Fingerprint", fmt.Sprintf("%064X", i/10+1))
		set("Authority Key Identifier", "q3d2d0Y5TJ3c1ZpbWMTdnIcD0Ho=")
		set("Subject Key Identifier", "3JzZW0Jd2k8Jp6fS1mQ2bXo3p2U=")
		set("JSON Array of All Full CRL URLs", fmt.Sprintf(`["http://crl.other-ca-%d.example/issuing-%d.crl"]`, i%900, i))
		set("JSON Array of Partitioned CRLs", `[""]`)
		set("Audit Firm", "BDO International Limited")
		set("Audit Firm Location", "Netherlands")
		for _, a := range []string{"Standard Audit", "TLS BR Audit", "NetSec Audit"} {
			set(a+" URL", fmt.Sprintf("https://www.cpacanada.ca/webtrustseal?sealid=%d", 10000+i))
			set(a+" Type", "WebTrust")
			set(a+" Statement Date", "2025-06-18")
			set(a+" Period Start Date", "2024-04-01")
			set(a+" Period End Date", "2025-03-31")
		}
		set("CA Document Repository", fmt.Sprintf("https://repository.other-ca-%d.example/", i%900))
		set("Certificate Practice Statement (CPS) URL", fmt.Sprintf("https://repository.other-ca-%d.example/cps-v%d.pdf", i%900, i%7))
		set("CPS Effective Date", "2025-02-01")
		_ = w.Write(row)
	}
	for _, c := range h.certs {
		clear(row)
		set("CA Owner", testOwner)
		set("Salesforce Record ID", "A000999")
		set("Certificate Name", c.Cert.Subject.CommonName)
		set("Certificate Record Type", "Intermediate Certificate")
		set("SHA-256 Fingerprint", c.SHA256())
		set("Audit Firm", "Auditor Name")
		set("Audit Firm Location", "United States")
		_ = w.Write(row)
	}
	w.Flush()
	return b.Bytes()
}

// peakHeap runs f while sampling the live heap and returns the highest
// HeapAlloc seen, in MiB, above the heap after a GC before f.
func peakHeap(f func()) (peakMiB float64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > peak.Load() {
				peak.Store(m.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	f()
	close(stop)
	wg.Wait()
	p := peak.Load()
	if p < base {
		return 0
	}
	return float64(p-base) / (1 << 20)
}

// BenchmarkPlanRealSizeReport measures a steady-state plan against a report
// of the live one's size (about 11,000 other CAs' rows, about 9 MB): the
// peak heap above the loaded inventory, for 10 and 10,000 intermediates.
// The report is streamed and only the inventory's rows are kept, so the
// peak grows with the inventory, not with the report.
func BenchmarkPlanRealSizeReport(b *testing.B) {
	for _, n := range []int{10, 10000} {
		b.Run(fmt.Sprintf("intermediates=%d", n), func(b *testing.B) {
			h := newHarness(b, ccadbsim.Options{})
			h.addIntermediates(n)
			body := realSizeReport(h, 11000)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/csv")
				_, _ = w.Write(body)
			}))
			b.Cleanup(srv.Close)
			inv := h.inventory(steadyExtra)
			v := h.vendor(nil)
			v.client.reportURL = srv.URL
			var peak float64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p := peakHeap(func() {
					if pl := plan(b, v, inv); !pl.Empty() {
						b.Fatalf("not steady: %s", pl.Summary())
					}
				})
				peak = max(peak, p)
			}
			b.ReportMetric(peak, "peak-heap-MiB")
			b.ReportMetric(float64(len(body))/(1<<20), "report-MiB")
			if !strings.Contains(string(body[:200]), "Salesforce Record ID") {
				b.Fatal("report header missing")
			}
		})
	}
}
