package sim

import (
	"net/http/httptest"
	"testing"
)

// A fault with a Probability hits about that share of matching requests, the same
// ones again for the same seed, and never a request it does not match.
func TestFaultProbabilitySeeded(t *testing.T) {
	hits := func(seed uint64) []bool {
		var in Injector
		in.Seed(seed)
		in.Add(Fault{Method: "POST", Status: 503, Probability: 0.1})
		var out []bool
		for i := 0; i < 2000; i++ {
			if f, _ := in.match(httptest.NewRequest("GET", "/read", nil)); f != nil {
				t.Fatal("a GET matched a POST fault")
			}
			f, _ := in.match(httptest.NewRequest("POST", "/write", nil))
			out = append(out, f != nil)
		}
		return out
	}
	a, b, c := hits(7), hits(7), hits(8)
	n, same, differ := 0, true, false
	for i := range a {
		if a[i] {
			n++
		}
		same = same && a[i] == b[i]
		differ = differ || a[i] != c[i]
	}
	if n < 120 || n > 280 {
		t.Errorf("%d of 2000 requests hit at probability 0.1, want about 200", n)
	}
	if !same {
		t.Error("the same seed hit different requests")
	}
	if !differ {
		t.Error("seeds 7 and 8 hit the same requests")
	}

	// Times still caps a fault with a probability.
	var in Injector
	in.Add(Fault{Status: 503, Probability: 0.5, Times: 3})
	got := 0
	for i := 0; i < 200; i++ {
		if f, _ := in.match(httptest.NewRequest("POST", "/", nil)); f != nil {
			got++
		}
	}
	if got != 3 {
		t.Errorf("%d hits, want Times = 3", got)
	}
}
