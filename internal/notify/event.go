package notify

import (
	"fmt"
	"strconv"
	"time"
)

// Kind is the condition an Event reports. Together with the address it is
// the identity a Notifier dedupes on: one event per kind and address per run.
type Kind string

// The conditions certsync reports.
const (
	// RunFailed: the run as a whole failed (a settings, inventory or
	// vendor-wide error), not one change.
	RunFailed Kind = "run_failed"
	// ChangeFailed: one planned change failed while applying.
	ChangeFailed Kind = "change_failed"
	// NeedsAttention: an item certsync cannot fix by itself (a missing key
	// file, an object changed by hand that certsync will not overwrite).
	NeedsAttention Kind = "needs_attention"
	// DriftFound: a plan-only run found live state differing from the
	// inventory. One event per run, with the count and the addresses.
	DriftFound Kind = "drift_found"
	// DCVPending: an order waits for domain control validation.
	DCVPending Kind = "dcv_pending"
	// RenewalDue: a managed certificate is inside its renewal window.
	RenewalDue Kind = "renewal_due"
	// ExpiringSoon: a managed certificate expires within ExpiryHorizon.
	ExpiringSoon Kind = "expiring_soon"
)

// ExpiryHorizon is how close to its expiry a managed certificate must be for
// an ExpiringSoon event.
const ExpiryHorizon = 14 * 24 * time.Hour

// Severity ranks an event for the receiver (a chat channel, a pager rule).
type Severity string

// The severities, mildest first.
const (
	Info    Severity = "info"
	Warning Severity = "warning"
	Error   Severity = "error"
)

// label is the kind as words, for the human text.
func (k Kind) label() string {
	switch k {
	case RunFailed:
		return "run failed"
	case ChangeFailed:
		return "change failed"
	case NeedsAttention:
		return "needs attention"
	case DriftFound:
		return "drift found"
	case DCVPending:
		return "DCV pending"
	case RenewalDue:
		return "renewal due"
	case ExpiringSoon:
		return "expiring soon"
	}
	return string(k)
}

// defaultSeverity is the severity of a kind when the event names none.
func (k Kind) defaultSeverity() Severity {
	switch k {
	case RunFailed, ChangeFailed, ExpiringSoon:
		return Error
	case NeedsAttention, DriftFound, RenewalDue:
		return Warning
	}
	return Info
}

// Event is one condition to report. Only Kind and Message are required; the
// Notifier fills in Severity (from the kind), Time (now) and the run id.
//
// No field may hold key material or a secret. The Notifier is the safety net
// (it passes every string through the redactor and removes PEM blocks), not
// the plan: callers put identifiers, states and error texts here, never
// certificate or key bytes.
type Event struct {
	// Kind is the condition; see the Kind constants.
	Kind Kind `json:"kind"`
	// Severity defaults to the kind's severity when empty.
	Severity Severity `json:"severity"`
	// Address is the object concerned as VENDOR/KIND/NAME (diff.Address's
	// String form), or "" for events about the whole run.
	Address string `json:"address,omitempty"`
	// Message is one line for a person.
	Message string `json:"message"`
	// Time is when the condition was seen; the Notifier's clock when zero.
	Time time.Time `json:"time"`
	// RunID is set by the Notifier from Options.RunID; a value set by the
	// caller is overwritten.
	RunID string `json:"run_id,omitempty"`
	// Details are structured facts for programs (an order id, not_after,
	// the action). Values should be strings, numbers, booleans, times or
	// string slices; anything else is sent as its fmt.Sprint text.
	Details map[string]any `json:"details,omitempty"`
}

// key is the dedupe identity.
func (e Event) key() string { return string(e.Kind) + "\x00" + e.Address }

// RunFailedEvent reports that the run failed as a whole.
func RunFailedEvent(err error) Event {
	return Event{Kind: RunFailed, Message: "certsync run failed: " + errText(err)}
}

// ChangeFailedEvent reports that the change action (create, update, order…)
// of the object at addr failed with err.
func ChangeFailedEvent(addr, action string, err error) Event {
	return Event{
		Kind:    ChangeFailed,
		Address: addr,
		Message: fmt.Sprintf("%s of %s failed: %s", action, addr, errText(err)),
		Details: map[string]any{"action": action, "error": errText(err)},
	}
}

// NeedsAttentionEvent reports that the object at addr needs a person; reason
// says why and what to do.
func NeedsAttentionEvent(addr, reason string) Event {
	return Event{Kind: NeedsAttention, Address: addr, Message: addr + " needs attention: " + reason}
}

// maxDriftAddresses bounds the address list of a DriftFound event, so a plan
// of hundreds of changes does not make a payload of hundreds of kilobytes.
const maxDriftAddresses = 50

// DriftFoundEvent reports that a plan-only run found changes changes; addrs
// are the addresses concerned (the first 50 are sent, with the total).
func DriftFoundEvent(changes int, addrs []string) Event {
	d := map[string]any{"changes": changes}
	if len(addrs) > 0 {
		shown := addrs[:min(len(addrs), maxDriftAddresses)]
		d["addresses"] = append([]string(nil), shown...)
		if len(addrs) > len(shown) {
			d["addresses_not_shown"] = len(addrs) - len(shown)
		}
	}
	noun := "changes"
	if changes == 1 {
		noun = "change"
	}
	return Event{
		Kind:    DriftFound,
		Message: fmt.Sprintf("live state differs from the inventory: %d %s planned, not applied", changes, noun),
		Details: d,
	}
}

// DCVPendingEvent reports that the order of the object at addr waits for
// domain control validation of domains.
func DCVPendingEvent(addr string, domains []string) Event {
	e := Event{Kind: DCVPending, Address: addr, Message: addr + " waits for domain control validation"}
	if len(domains) > 0 {
		e.Details = map[string]any{"domains": append([]string(nil), domains...)}
	}
	return e
}

// ExpiryEvent returns the event for a managed certificate at addr that
// expires at notAfter, seen at now, renewed renewBefore ahead of its expiry:
// ExpiringSoon within ExpiryHorizon (and once expired), else RenewalDue
// inside the renewal window, else ok is false and there is nothing to
// report. Only the more urgent of the two is returned, so a certificate
// does not raise two events for one cause.
func ExpiryEvent(addr string, notAfter, now time.Time, renewBefore time.Duration) (e Event, ok bool) {
	left := notAfter.Sub(now)
	d := map[string]any{
		"not_after": notAfter.UTC().Format(time.RFC3339),
		"days_left": int(left.Hours() / 24),
	}
	switch {
	case left <= 0:
		return Event{Kind: ExpiringSoon, Address: addr, Details: d,
			Message: fmt.Sprintf("%s expired on %s", addr, notAfter.UTC().Format(time.DateOnly))}, true
	case left <= ExpiryHorizon:
		return Event{Kind: ExpiringSoon, Address: addr, Details: d,
			Message: fmt.Sprintf("%s expires in %s, on %s", addr, days(left), notAfter.UTC().Format(time.DateOnly))}, true
	case renewBefore > 0 && left <= renewBefore:
		d["renew_before_days"] = int(renewBefore.Hours() / 24)
		return Event{Kind: RenewalDue, Address: addr, Details: d,
			Message: fmt.Sprintf("%s is inside its renewal window: expires in %s, on %s", addr, days(left), notAfter.UTC().Format(time.DateOnly))}, true
	}
	return Event{}, false
}

func days(d time.Duration) string {
	n := int(d.Hours() / 24)
	if n == 1 {
		return "1 day"
	}
	if n == 0 {
		return "less than a day"
	}
	return strconv.Itoa(n) + " days"
}

func errText(err error) string {
	if err == nil {
		return "unknown error"
	}
	return err.Error()
}
