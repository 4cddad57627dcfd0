package cli

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/notify"
	"github.com/certsync/certsync/internal/redact"
)

// notePlan turns a plan into events: attention, DCV pending (by the Info's
// kind, not its text), expiry from the live "expires" field and the
// vendor's renewal start, and drift only when asked.
func TestNotePlan(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	expiring := func(name string, left, renewBefore time.Duration) diff.Pair {
		notAfter := now.Add(left)
		p := diff.Pair{
			Address: diff.Address{Vendor: "quantil", Kind: "certificate", Name: name},
			Live:    &diff.Object{ID: "1", Fields: []diff.Field{{Name: diff.ExpiresField, Value: notAfter.Format(time.RFC3339)}}},
		}
		if renewBefore > 0 {
			p.RenewAt = notAfter.Add(-renewBefore)
		}
		return p
	}
	pairs := []diff.Pair{
		expiring("soon", 10*24*time.Hour, 0),
		expiring("window", 40*24*time.Hour, 60*24*time.Hour),
		expiring("fine", 200*24*time.Hour, 60*24*time.Hour),
		{Address: diff.Address{Vendor: "markmonitor", Kind: "order", Name: "no-live"}},
	}
	plan := &diff.Plan{
		Changes:   []diff.Change{{Address: diff.Address{Vendor: "ccadb", Kind: "intermediate", Name: "x"}, Action: diff.Update}},
		Attention: []diff.Info{{Address: diff.Address{Vendor: "markmonitor", Kind: "order", Name: "nokey"}, Message: "the key file is missing"}},
		Errors:    []diff.Info{{Address: diff.Address{Vendor: "ccadb", Kind: "intermediate", Name: "bad"}, Message: "unreadable"}},
		Info: []diff.Info{
			{Address: diff.Address{Vendor: "markmonitor", Kind: "order", Name: "www"}, Message: "order 7 is DIGI_PENDING", Kind: diff.InfoDCVPending},
			{Address: diff.Address{Vendor: "markmonitor", Kind: "order", Name: "other"}, Message: "waiting for DCV in the text only"},
		},
	}
	for _, drift := range []bool{false, true} {
		h := newHook(t)
		a := &app{now: func() time.Time { return now }, log: slog.New(slog.DiscardHandler)}
		n, err := notify.New([]string{h.URL + "/hook"}, notify.Options{Redactor: &redact.Redactor{}, Now: a.now})
		if err != nil {
			t.Fatal(err)
		}
		a.notePlan(n, plan, pairs, drift)
		if err := n.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := kinds(h.take(t))
		slices.Sort(got)
		want := []string{
			"dcv_pending markmonitor/order/www",
			"expiring_soon quantil/certificate/soon",
			"needs_attention markmonitor/order/nokey",
			"renewal_due quantil/certificate/window",
			"run_failed ccadb/intermediate/bad",
		}
		if drift {
			want = append(want, "drift_found ")
			slices.Sort(want)
		}
		if !slices.Equal(got, want) {
			t.Errorf("drift=%v: events\n%q\nwant\n%q", drift, got, want)
		}
	}
}
