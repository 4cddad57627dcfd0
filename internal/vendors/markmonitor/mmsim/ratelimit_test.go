package mmsim

import (
	"net/http"
	"testing"
	"time"
)

func TestRateLimit(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.RateLimit = 0 }) // the default: 100
	// The fixture's authenticate call was the first request of the window.
	get := func() *http.Response {
		resp, _ := f.request(http.MethodGet, api+"/order/prices", nil)
		return resp
	}
	for i := 0; i < 49; i++ {
		if resp := get(); resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d: %d", i+2, resp.StatusCode)
		}
	}
	f.clock.Advance(30 * time.Second)
	for i := 0; i < 50; i++ {
		if resp := get(); resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d: %d", i+51, resp.StatusCode)
		}
	}
	// The 101st request within a minute.
	resp, data := f.request(http.MethodGet, api+"/order/prices", nil)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("101st request: %d, want 429", resp.StatusCode)
	}
	if ra := resp.Header.Get("Retry-After"); ra != "30" {
		t.Errorf("Retry-After %q, want 30 (the first 50 free a minute after they came)", ra)
	}
	if string(data) == "" || f.fail(http.MethodGet, api+"/order/prices", nil, http.StatusTooManyRequests).code() != CodeTooManyRequests {
		t.Errorf("429 body %s", data)
	}
	// Auth requests count and are limited too.
	f.fail(http.MethodPost, AuthenticatePath, Credentials{Username: testUser, Password: testPassword}, http.StatusTooManyRequests)

	f.clock.Advance(29 * time.Second)
	if resp := get(); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" {
		t.Errorf("1 s before the window slides: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	f.clock.Advance(time.Second)
	for i := 0; i < 50; i++ {
		if resp := get(); resp.StatusCode != http.StatusOK {
			t.Fatalf("after the window slid, request %d: %d", i, resp.StatusCode)
		}
	}
	if resp := get(); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("51st request in the new window: %d, want 429", resp.StatusCode)
	}
	// MaxPerMinute counts what the client sent, rejected requests too: in
	// the window ending now, 50 accepted and 3 rejected at +30 s, 1 rejected
	// at +59 s, 50 accepted and 1 rejected at +60 s.
	if got := f.s.MaxPerMinute(); got != 105 {
		t.Errorf("MaxPerMinute %d, want 105", got)
	}
	// Requests without the key are not the key's: 403, not counted.
	f.fail(http.MethodGet, api+"/order/prices", nil, http.StatusForbidden, "X-API-KEY", "")

	f.s.SetRateLimit(-1)
	for i := 0; i < 20; i++ {
		if resp := get(); resp.StatusCode != http.StatusOK {
			t.Fatalf("limit disabled: %d", resp.StatusCode)
		}
	}
	f.s.SetRateLimit(2)
	f.clock.Advance(time.Minute)
	get()
	get()
	if resp := get(); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "60" {
		t.Errorf("limit 2: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

func TestMaxPerMinutePacedClient(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.RateLimit = 0 })
	// A client pacing at one request every 0.7 s sends at most 86 in any
	// minute (plus the authenticate at t=0).
	for i := 0; i < 300; i++ {
		f.clock.Advance(700 * time.Millisecond)
		if resp, _ := f.request(http.MethodGet, api+"/order/prices", nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("paced request %d: %d", i, resp.StatusCode)
		}
	}
	if got := f.s.MaxPerMinute(); got != 86 {
		t.Errorf("MaxPerMinute %d, want 86", got)
	}
}
