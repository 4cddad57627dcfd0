package markmonitor

import "testing"

// The seeded comments are what Observe recognises as the item's own order.
func TestOrderComments(t *testing.T) {
	c := OrderComments("www", "Example Inc.", "SSL_OV_BASIC", "WWW.example.com", []string{"example.com", "www.example.com"})
	m, ok := parseMarker(c)
	if !ok || m.name != "www" || m.prev != "-" || m.spec != specHash("Example Inc.", "SSL_OV_BASIC", "www.example.com", []string{"example.com"}) {
		t.Fatalf("OrderComments = %q, parsed %+v %v", c, m, ok)
	}
}
