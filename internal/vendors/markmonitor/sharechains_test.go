package markmonitor

import (
	"testing"
	"unsafe"
)

// Orders under the same CA share one copy of its PEMs, across the pages
// shared one by one; values are kept.
func TestShareChains(t *testing.T) {
	pem := func(s string) string { return string([]byte(s)) } // a fresh copy, as a decoder makes
	orders := []Order{
		{ID: "a", Cert: &Cert{IntermediateCert: pem("INT-1"), RootCert: pem("ROOT")}},
		{ID: "b"}, // not issued
		{ID: "c", Cert: &Cert{IntermediateCert: pem("INT-1"), RootCert: pem("ROOT")}},
		{ID: "d", Cert: &Cert{IntermediateCert: pem("INT-2"), RootCert: pem("ROOT")}},
	}
	var pool chains
	pool.share(orders[:2]) // one page
	pool.share(orders[2:]) // the next
	a, c, d := orders[0].Cert, orders[2].Cert, orders[3].Cert
	if c.IntermediateCert != "INT-1" || d.IntermediateCert != "INT-2" || d.RootCert != "ROOT" {
		t.Fatalf("values changed: %+v %+v", c, d)
	}
	if unsafe.StringData(a.IntermediateCert) != unsafe.StringData(c.IntermediateCert) {
		t.Error("equal intermediates are not shared")
	}
	if unsafe.StringData(a.RootCert) != unsafe.StringData(d.RootCert) {
		t.Error("equal roots are not shared")
	}
	if unsafe.StringData(a.IntermediateCert) == unsafe.StringData(d.IntermediateCert) {
		t.Error("different intermediates share storage")
	}
}

// Only a pending order's history is ever read: the others' is dropped as
// each page is decoded, and a pending one keeps its own.
func TestDropSettledHistory(t *testing.T) {
	h := []History{{Text: "DCV token abc"}}
	orders := []Order{
		{ID: "issued", Status: StatusIssued, History: h},
		{ID: "revoked", Status: StatusRevoked, History: h},
		{ID: "pending", Status: StatusPending, History: h},
		{ID: "needs-csr", Status: StatusNeedsCSR, History: h},
	}
	dropSettledHistory(orders)
	for _, o := range orders {
		keep := o.ID == "pending" || o.ID == "needs-csr"
		if (len(o.History) > 0) != keep {
			t.Errorf("%s: history %v, want kept=%v", o.ID, o.History, keep)
		}
	}
}
