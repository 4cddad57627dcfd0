package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/certsync/certsync/internal/diff"
)

// Attention items are counted per vendor, once per item, and go back to
// zero when the next plan has none.
func TestObserveAttention(t *testing.T) {
	m := New([]string{"ca", "cdn"})
	www := diff.Address{Vendor: "ca", Kind: "order", Name: "www"}
	api := diff.Address{Vendor: "ca", Kind: "order", Name: "api"}
	m.ObserveAttention(&diff.Plan{Attention: []diff.Info{{Address: www, Message: "key file gone"}, {Address: www, Message: "second note"}, {Address: api, Message: "x"}}})
	if got := testutil.ToFloat64(m.attention.WithLabelValues("ca")); got != 2 {
		t.Errorf("ca attention = %v, want 2", got)
	}
	if got := testutil.ToFloat64(m.attention.WithLabelValues("cdn")); got != 0 {
		t.Errorf("cdn attention = %v, want 0", got)
	}
	m.ObserveAttention(&diff.Plan{})
	if got := testutil.ToFloat64(m.attention.WithLabelValues("ca")); got != 0 {
		t.Errorf("after a clean plan ca attention = %v, want 0", got)
	}
}
