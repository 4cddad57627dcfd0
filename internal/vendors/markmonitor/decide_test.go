package markmonitor

import (
	"fmt"
	"testing"
	"time"
)

// Renewals of certificates issued together are spread over a quarter of the
// window, deterministically: no 6-hour cron slot gets a large share.
func TestRenewalSpread(t *testing.T) {
	until := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	window := 30 * 24 * time.Hour
	slots := map[int64]int{}
	for i := 0; i < 500; i++ {
		name := fmt.Sprintf("site-%03d", i)
		at := renewAt(name, window, until)
		if at.After(until.Add(-window)) || at.Before(until.Add(-window-window/4)) {
			t.Fatalf("%s renews at %s, outside [%s, %s]", name, at, until.Add(-window-window/4), until.Add(-window))
		}
		if again := renewAt(name, window, until); !again.Equal(at) {
			t.Fatal("renewal time is not deterministic")
		}
		slots[at.Unix()/(6*3600)]++
	}
	for slot, n := range slots {
		if n > 40 {
			t.Errorf("slot %d holds %d of 500 renewals", slot, n)
		}
	}
	if len(slots) < 25 {
		t.Errorf("renewals fall in only %d six-hour slots", len(slots))
	}
}

func TestRenewalWindow(t *testing.T) {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	for _, tc := range []struct {
		life, renewBefore, want time.Duration
	}{
		{397 * day, 0, 90 * day}, // a third is 132 days: capped at 90
		{180 * day, 0, 60 * day},
		{47 * day, 0, 30 * day}, // short lifetimes still get 30 days
		{397 * day, 14 * day, 14 * day},
	} {
		if got := renewalWindow(tc.renewBefore, from, from.Add(tc.life)); got != tc.want {
			t.Errorf("life %s renew_before %s: window %s, want %s", tc.life, tc.renewBefore, got, tc.want)
		}
	}
}

func TestMarkerRoundTrip(t *testing.T) {
	m := marker{name: "www", spec: specHash("Org", "SSL_OV_BASIC", "WWW.example.com", []string{"b.example.com", "a.example.com", "www.example.com"}), prev: shortID("0123456789abcdef")}
	got, ok := parseMarker("Requested by ops. " + m.String())
	if !ok || got != m {
		t.Fatalf("parseMarker = %+v %v, want %+v", got, ok, m)
	}
	if specHash("Org", "SSL_OV_BASIC", "www.example.com", []string{"a.example.com", "B.example.com"}) != m.spec {
		t.Error("spec hash depends on case, order or the CN among the SANs")
	}
	if _, ok := parseMarker("no marker here"); ok {
		t.Error("found a marker in plain text")
	}
}
