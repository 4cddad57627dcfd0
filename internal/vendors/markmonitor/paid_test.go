package markmonitor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/certsync/certsync/internal/vendors/markmonitor/mmsim"
)

// Two hosts (two vendors, each with its own state) against one account:
// the second planned before the first ordered, and applies after. Right
// before buying it finds the first host's order for the item and adopts it:
// one order in all.
func TestSecondHostAdoptsInsteadOfBuying(t *testing.T) {
	h := newHarness(t, mmsim.Options{})
	hostA, hostB := h.vendor(), h.vendor()
	mustOK(t, run(t, hostA, plan(t, hostA, h.inventory()))) // the organization exists
	inv := h.inventory(orderYAML("www", ""))
	planB := plan(t, hostB, inv)
	if got := actions(planB)["markmonitor/order/www"]; got != "create" {
		t.Fatalf("host B plans %q, want create", got)
	}
	mustOK(t, run(t, hostA, plan(t, hostA, inv)))
	rep := run(t, hostB, planB)
	mustOK(t, rep)
	if n := len(h.sim.Orders()); n != 1 {
		t.Fatalf("%d orders after two hosts applied, want 1", n)
	}
	if msgs := strings.Join(rep.Results[len(rep.Results)-1].Messages, "; "); !strings.Contains(msgs, "appeared since the plan") {
		t.Errorf("host B does not say it adopted: %q", msgs)
	}
	// A host that starts after the order exists plans nothing for it.
	if p := plan(t, h.vendor(), inv); !p.Empty() {
		t.Fatalf("a third host plans:\n%s", textOf(p))
	}
}

// An order for the item that is not what this change would buy (another
// host with another inventory) stops the purchase: nothing is bought.
func TestOtherOrderAppearedStopsPurchase(t *testing.T) {
	h := newHarness(t, mmsim.Options{})
	hostA, hostB := h.vendor(), h.vendor()
	mustOK(t, run(t, hostA, plan(t, hostA, h.inventory()))) // the organization exists
	invB := h.inventory(orderYAML("www", ""))
	planB := plan(t, hostB, invB)
	invA := h.inventory(strings.Replace(orderYAML("www", ""), "dns_names: [www-alt.example.com]", "dns_names: [www-other.example.com]", 1))
	mustOK(t, run(t, hostA, plan(t, hostA, invA)))
	if len(planB.Changes) != 1 {
		t.Fatalf("host B plans %d changes, want 1", len(planB.Changes))
	}
	_, err := hostB.Apply(context.Background(), planB.Changes[0])
	if !errors.Is(err, ErrOrderAppeared) {
		t.Fatalf("host B: error %v, want ErrOrderAppeared", err)
	}
	if n := len(h.sim.Orders()); n != 1 {
		t.Fatalf("%d orders, want 1", n)
	}
}

// bulkOrders applies n new orders on a fake clock against the simulator's
// 100 requests/minute limit and returns the requests sent, the 429 answers
// and the simulated minutes the apply took.
func bulkOrders(tb testing.TB, n int) (requests, throttled int, minutes float64) {
	h := newHarness(tb, mmsim.Options{})
	var tooMany atomic.Int32
	h.hc = &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
		resp, err := http.DefaultTransport.RoundTrip(r)
		if err == nil && resp.StatusCode == http.StatusTooManyRequests {
			tooMany.Add(1)
		}
		return resp, err
	})}
	items := make([]string, n)
	for i := range items {
		items[i] = orderYAML(fmt.Sprintf("o%03d", i), "")
	}
	inv := h.inventory(items...)
	v := h.vendor()
	p := plan(tb, v, inv)
	h.sim.Faults().ResetCounts()
	start := h.clock.Now()
	mustOK(tb, run(tb, v, p))
	tb.Logf("creates %d, order lists and reads %d", h.sim.Faults().Count("POST /certs/v1/order"), h.sim.Faults().Count("GET /certs/v1/order"))
	if got := len(h.sim.Orders()); got != n {
		tb.Fatalf("%d orders placed, want %d", got, n)
	}
	return h.sim.Faults().Count(""), int(tooMany.Load()), h.clock.Now().Sub(start).Minutes()
}

// 300 new orders cost one request each plus a few checks and read-backs,
// and never a 429: at least 90 orders a simulated minute under the limit.
func TestBulkOrdersFitTheRateLimit(t *testing.T) {
	const n = 300
	requests, throttled, minutes := bulkOrders(t, n)
	if throttled != 0 {
		t.Errorf("%d answers 429", throttled)
	}
	// One create per order; besides: the organization's create, a list
	// of its orders every recheckMaxAge and a few read-backs (orders go
	// out in bursts of up to the limit, so a few of those checks overlap).
	if limit := n + n/20; requests > limit {
		t.Errorf("%d requests for %d orders, want at most %d", requests, n, limit)
	}
	if perMinute := float64(n) / minutes; perMinute < 90 {
		t.Errorf("%.1f new orders a simulated minute, want at least 90", perMinute)
	}
	t.Logf("%d new orders: %d requests, %d answers 429, %.2f simulated minutes, %.1f orders a minute", n, requests, throttled, minutes, float64(n)/minutes)
}

func BenchmarkBulkOrders300(b *testing.B) {
	for i := 0; i < b.N; i++ {
		requests, throttled, minutes := bulkOrders(b, 300)
		b.ReportMetric(300/minutes, "orders/sim-minute")
		b.ReportMetric(float64(requests), "requests")
		b.ReportMetric(float64(throttled), "429s")
	}
}

// A reissue planned by two hosts is sent once: the second finds the order
// changed since its plan and sends nothing.
func TestSecondHostDoesNotReissueAgain(t *testing.T) {
	h := newHarness(t, mmsim.Options{})
	hostA, hostB := h.vendor(), h.vendor()
	mustOK(t, run(t, hostA, plan(t, hostA, h.inventory(orderYAML("www", "")))))
	inv := h.inventory(strings.Replace(orderYAML("www", ""), "dns_names: [www-alt.example.com]", "dns_names: [www-alt.example.com, www2.example.com]", 1))
	planB := plan(t, hostB, inv)
	if len(planB.Changes) != 1 || planB.Changes[0].Action != Reissue {
		t.Fatalf("host B plans %v, want one reissue", actions(planB))
	}
	mustOK(t, run(t, hostA, plan(t, hostA, inv)))
	h.sim.Faults().ResetCounts()
	if _, err := hostB.Apply(context.Background(), planB.Changes[0]); !errors.Is(err, ErrOrderAppeared) {
		t.Fatalf("host B: error %v, want ErrOrderAppeared", err)
	}
	if n := h.sim.Faults().Count("PATCH "); n != 0 {
		t.Errorf("host B sent %d PATCH requests, want none", n)
	}
	if p := plan(t, hostB, inv); !p.Empty() {
		t.Fatalf("host B's next plan:\n%s", textOf(p))
	}
}
