package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"

	"github.com/certsync/certsync/internal/apply"
	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/notify"
)

// newNotifier returns a Notifier for one run, or nil when
// CERTSYNC_NOTIFY_URL is empty (a nil Notifier does nothing).
func (a *app) newNotifier() *notify.Notifier {
	if a.cfg == nil || len(a.cfg.NotifyURLs) == 0 {
		return nil
	}
	id := make([]byte, 4)
	_, _ = rand.Read(id)
	n, err := notify.New(a.cfg.NotifyURLs, notify.Options{
		RunID:    a.now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(id),
		Redactor: a.redactor,
		Log:      a.log,
		HTTP:     a.io.HTTP,
		Now:      a.now,
	})
	if err != nil {
		// The URLs were checked at start-up; this cannot fail the run.
		a.log.Warn("notifications are off for this run", "error", err)
		return nil
	}
	return n
}

// finishRun reports a run that failed as a whole (err; not a change that
// failed, which has its own event) and sends the run's notifications.
// Sending never fails the run and is not cut short by a cancelled run:
// an interrupted run is worth reporting too. Flush bounds its own time
// and logs what it could not deliver.
func (a *app) finishRun(ctx context.Context, n *notify.Notifier, err error) {
	var items itemsError
	if err != nil && err != errReported && !errors.Is(err, errHelp) && !errors.As(err, &items) {
		n.Add(notify.RunFailedEvent(err))
	}
	_ = n.Flush(context.WithoutCancel(ctx))
}

// notePlan adds the events a plan brings: items that could not be planned
// (a run_failed event for the item) or need attention,
// pending domain validation (Info marked diff.InfoDCVPending), managed
// certificates inside their renewal window or close to expiry (from the
// live "expires" field, as metrics read it) and, for a run that only plans,
// drift: changes found and not applied.
func (a *app) notePlan(n *notify.Notifier, plan *diff.Plan, pairs []diff.Pair, drift bool) {
	if n == nil || plan == nil {
		return
	}
	for _, in := range plan.Errors {
		addr := in.Address.String()
		n.Add(notify.Event{Kind: notify.RunFailed, Address: addr, Message: addr + " could not be planned: " + in.Message})
	}
	for _, in := range plan.Attention {
		n.Add(notify.NeedsAttentionEvent(in.Address.String(), in.Message))
	}
	for _, in := range plan.Info {
		if in.Kind == diff.InfoDCVPending {
			e := notify.DCVPendingEvent(in.Address.String(), nil)
			e.Message += ": " + in.Message
			n.Add(e)
		}
	}
	now := a.now()
	for _, pr := range pairs {
		notAfter, ok := pr.Expires()
		if !ok || pr.Absent {
			continue
		}
		var renewBefore = notAfter.Sub(pr.RenewAt)
		if pr.RenewAt.IsZero() {
			renewBefore = 0
		}
		if e, ok := notify.ExpiryEvent(pr.Address.String(), notAfter, now, renewBefore); ok {
			n.Add(e)
		}
	}
	if drift && !plan.Empty() {
		addrs := make([]string, len(plan.Changes))
		for i, c := range plan.Changes {
			addrs[i] = c.Address.String()
		}
		n.Add(notify.DriftFoundEvent(len(plan.Changes), addrs))
	}
}

// noteResult adds the event of a change that failed.
func noteResult(n *notify.Notifier, r apply.Result) {
	if r.Status == apply.Failed {
		n.Add(notify.ChangeFailedEvent(r.Address.String(), string(r.Action), errors.New(r.Error)))
	}
}
