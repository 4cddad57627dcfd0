package quantil

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/sim"
)

// The client's five operations against the simulator, and its errors.
func TestClientOperations(t *testing.T) {
	h := newHarness(t)
	serial := h.issue("www.example.com", time.Now().Add(60*24*time.Hour))
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(h.dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	c := h.vendor().client
	ctx := context.Background()
	u := Upload{Name: "www", Comment: ptr("c"), CertPEM: read("www.example.com.crt"), KeyPEM: read("www.example.com.key"), Chain: read("www.example.com.chain.pem")}
	id, err := c.Add(ctx, u)
	if err != nil || id == "" {
		t.Fatalf("Add = %q, %v", id, err)
	}
	got, err := c.View(ctx, id)
	if err != nil || got.Name != "www" || got.serial() != serial {
		t.Fatalf("View = %+v, %v (want serial %s)", got, err, serial)
	}
	if exp, ok := got.expires(); !ok || exp.IsZero() {
		t.Error("View carries no expiry")
	}
	list, err := c.List(ctx)
	if err != nil || len(list) != 1 || list[0].ID != id {
		t.Fatalf("List = %+v, %v", list, err)
	}
	u.Comment = ptr("changed")
	if err := c.Modify(ctx, id, u); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Add(ctx, u); err == nil {
		t.Error("a second certificate with the same name was accepted")
	}
	if err := c.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, id); err != nil {
		t.Errorf("deleting twice: %v (a gone certificate counts as deleted)", err)
	}
	_, err = c.View(ctx, id)
	var apiErr *APIError
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &apiErr) || apiErr.Code != "NoSuchSsl" || apiErr.RequestID == "" {
		t.Fatalf("View of a deleted id = %v; want NoSuchSsl with the x-cnc-request-id", err)
	}
	// A bad certificate: the documented 403 InvalidCertificate, with its id.
	bad := u
	bad.KeyPEM = []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
	_, err = c.Add(ctx, bad)
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusForbidden || apiErr.Code != "InvalidCertificate" || !strings.Contains(err.Error(), "x-cnc-request-id") {
		t.Fatalf("bad key: %v", err)
	}
	// Reads are retried on 5xx.
	h.sim.Faults().Add(sim.Fault{Method: "GET", Status: 503, Times: 1})
	if _, err := c.List(ctx); err != nil {
		t.Fatalf("List after one 503: %v", err)
	}
}

// A 429 is waited out for its Retry-After (seconds or an HTTP date) and the
// request sent again, for a read and for an add alike (a 429 was refused
// before processing); a 502 on an add is not repeated, since the
// certificate may have been created.
func TestClientThrottledAndAmbiguous(t *testing.T) {
	const body = `<?xml version="1.0" encoding="UTF-8"?><error><code>TooManyRequests</code><message>slow down</message></error>`
	for _, tc := range []struct {
		name       string
		method     string
		status     int
		retryAfter func(now time.Time) string
		sends      int
		wait       time.Duration
		ambiguous  bool
	}{
		{"list, 429 in seconds", "GET", http.StatusTooManyRequests, func(time.Time) string { return "12" }, 2, 12 * time.Second, false},
		{"add, 429 as a date", "POST", http.StatusTooManyRequests, func(now time.Time) string { return now.Add(45 * time.Second).Format(http.TimeFormat) }, 2, 45 * time.Second, false},
		{"add, 502", "POST", http.StatusBadGateway, func(time.Time) string { return "1" }, 1, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.issue("www.example.com", time.Now().Add(60*24*time.Hour))
			read := func(name string) []byte {
				b, err := os.ReadFile(filepath.Join(h.dir, name))
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			c := h.vendor().client
			clk := sim.NewClock(time.Now().UTC().Truncate(time.Second))
			c.clock = clk
			start := clk.Now()
			h.sim.Faults().Add(sim.Fault{Method: tc.method, Path: "/api/ssl/certificate", Status: tc.status,
				Header: http.Header{"Retry-After": {tc.retryAfter(start)}}, Body: body, Times: 1})
			var err error
			if tc.method == "GET" {
				_, err = c.List(context.Background())
			} else {
				_, err = c.Add(context.Background(), Upload{Name: "www", CertPEM: read("www.example.com.crt"), KeyPEM: read("www.example.com.key"), Chain: read("www.example.com.chain.pem")})
			}
			if tc.ambiguous != errors.Is(err, ErrAmbiguous) || (!tc.ambiguous && err != nil) {
				t.Fatalf("err = %v, want ambiguous %v", err, tc.ambiguous)
			}
			if n := h.sim.Faults().Count(tc.method + " /api/ssl/certificate"); n != tc.sends {
				t.Errorf("%d requests, want %d", n, tc.sends)
			}
			if waited := clk.Now().Sub(start); waited != tc.wait {
				t.Errorf("waited %s, want %s", waited, tc.wait)
			}
		})
	}
}

func ptr(s string) *string { return &s }
