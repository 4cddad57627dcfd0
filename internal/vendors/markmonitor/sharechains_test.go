package markmonitor

import (
	"testing"
	"unsafe"
)

// Orders under the same CA share one copy of its PEMs; values are kept.
func TestShareChains(t *testing.T) {
	pem := func(s string) string { return string([]byte(s)) } // a fresh copy, as a decoder makes
	orders := []Order{
		{ID: "a", Cert: &Cert{IntermediateCert: pem("INT-1"), RootCert: pem("ROOT")}},
		{ID: "b"}, // not issued
		{ID: "c", Cert: &Cert{IntermediateCert: pem("INT-1"), RootCert: pem("ROOT")}},
		{ID: "d", Cert: &Cert{IntermediateCert: pem("INT-2"), RootCert: pem("ROOT")}},
	}
	shareChains(orders)
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
