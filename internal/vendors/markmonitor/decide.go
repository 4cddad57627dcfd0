package markmonitor

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/certsync/certsync/internal/diff"
)

// An order certsync placed carries a marker in its comments:
//
//	certsync name=<inventory name> spec=<8 hex> prev=<order it replaces, or ->
//
// It ties the order to its inventory item without any local state, and it is
// what an ambiguous POST is reconciled by: after a timeout or a dropped
// connection, certsync lists the orders and adopts the one carrying the exact
// marker it sent instead of ordering (and paying) twice. prev makes a
// renewal's marker differ from the order it renews.
var markerRE = regexp.MustCompile(`certsync name=(\S+) spec=([0-9a-f]{8}) prev=(\S+)`)

type marker struct{ name, spec, prev string }

func (m marker) String() string {
	return fmt.Sprintf("certsync name=%s spec=%s prev=%s", m.name, m.spec, m.prev)
}

func parseMarker(comments string) (marker, bool) {
	m := markerRE.FindStringSubmatch(comments)
	if m == nil {
		return marker{}, false
	}
	return marker{name: m[1], spec: m[2], prev: m[3]}, true
}

func shortID(id string) string {
	if id == "" {
		return "-"
	}
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// specHash covers what a new order is for; it changes when an order can no
// longer serve the inventory item (another organization, type or name set).
func specHash(org, certType, cn string, sans []string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s", org, certType, strings.ToLower(cn))
	for _, s := range normNames(sans, cn) {
		fmt.Fprintf(h, "\x00%s", s)
	}
	return hex.EncodeToString(h.Sum(nil))[:8]
}

// normNames is the SAN set as certsync compares it: lower case, sorted,
// without the common name (Markmonitor always includes it).
func normNames(names []string, cn string) []string {
	out := []string{}
	seen := map[string]bool{strings.ToLower(cn): true}
	for _, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		if n != "" && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// hasCert reports statuses in which the order holds a valid certificate
// (issued, or issued with a reissue in progress or failed).
func hasCert(o *Order) bool {
	switch o.Status {
	case StatusIssued, StatusReissueRequestPending, StatusReissuePending, StatusReissuePendingDigi, StatusReissueFailed:
		return o.Cert != nil && o.Cert.DateValidUntil != nil
	}
	return false
}

// pending reports statuses on the way to a certificate.
func pending(status string) bool {
	return !terminal(status) && status != StatusIssued && status != StatusReissueFailed
}

// renewalWindow is how long before expiry the renewal opens: renew_before,
// else a third of the lifetime, at least 30 and at most 90 days (DigiCert
// renews from 90 days before expiry).
func renewalWindow(renewBefore time.Duration, from, until time.Time) time.Duration {
	if renewBefore > 0 {
		return renewBefore
	}
	w := until.Sub(from) / 3
	return min(max(w, 30*24*time.Hour), 90*24*time.Hour)
}

// renewAt spreads renewals: each item renews a fixed fraction of a quarter
// window earlier, derived from its name, so hundreds of certificates issued
// the same day do not all fall due in the same run.
func renewAt(name string, window time.Duration, until time.Time) time.Time {
	sum := sha256.Sum256([]byte(name))
	frac := float64(binary.BigEndian.Uint16(sum[:2])) / 65536
	return until.Add(-window - time.Duration(frac*float64(window/4)))
}

// dcvHint tells the user what domain validation needs, from the method and
// the order's history (the public JSON has no field for the token).
func dcvHint(o *Order) string {
	method := ""
	if o.Cert != nil {
		method = o.Cert.DCVMethod
	}
	var what string
	switch method {
	case "EMAIL":
		what = "approve the validation e-mail sent to the domain's contacts"
	case "DNS_TXT_TOKEN":
		what = "publish the DNS TXT record with the order's token"
	case "DNS_CNAME_TOKEN":
		what = "publish a CNAME from the token to dcv.digicert.com"
	case "HTTP_TOKEN":
		what = "serve the token at /.well-known/pki-validation/fileauth.txt"
	default:
		what = "complete domain and organization validation"
	}
	for i := len(o.History) - 1; i >= 0; i-- {
		t := o.History[i].Text
		if strings.Contains(strings.ToLower(t), "token") || strings.Contains(t, "DCV") {
			return what + " (" + t + ")"
		}
	}
	return what
}

// sameSet compares two already-normalised lists.
func sameSet(a, b []string) bool { return slices.Equal(a, b) }

// orderAddress is the order address for an inventory name.
func orderAddress(name string) diff.Address {
	return diff.Address{Vendor: Name, Kind: KindOrder, Name: name}
}

// orderWant is what the inventory asks of one order item, in the form the
// rules compare: names normalised, the key as its id.
type orderWant struct {
	Name, Org, CertType, CN string
	// SANs are normNames of dns_names (the common name left out).
	SANs []string
	// Key is the id of the key the certificate should carry (of the CSR,
	// or of the private key file); "" when the key file does not exist.
	Key string
	// KeyFile is the private key's path ("" when the item gives a CSR).
	KeyFile string
	// Rekey allows replacing a certificate whose key file is gone by one
	// for a new key.
	Rekey bool
	// State is "present", "cancelled" or "revoked".
	State       string
	RenewBefore time.Duration
	// Emails are the sorted additional e-mails, compared only when
	// EmailsSet (the item names the list, even empty).
	Emails    []string
	EmailsSet bool
	// Output paths, "" when not configured.
	OutCert, OutChain, OutFull string
	// KeyElsewhere: the key file is missing because the plan is made in
	// CI mode (diff.InCI), on a machine that does not hold it. The key is
	// then not compared: no attention, no reissue.
	KeyElsewhere bool
}

// spec is the hash of what the item orders (see specHash).
func (w orderWant) spec() string { return specHash(w.Org, w.CertType, w.CN, w.SANs) }

// orderHistory is what Markmonitor holds for one item: its marked orders,
// newest first, and the organization name of each (by order id) as the
// organization list shows it.
type orderHistory struct {
	Orders []*Order
	OrgOf  map[string]string
	// keys memoises liveKey for the planning of one item (decide and the
	// live object both need it); nil works out every key afresh.
	keys map[*Order]string
}

// liveKey is liveKey(o), worked out once per order when h memoises.
func (h orderHistory) liveKey(o *Order) string {
	if h.keys == nil {
		return liveKey(o)
	}
	k, ok := h.keys[o]
	if !ok {
		k = liveKey(o)
		h.keys[o] = k
	}
	return k
}

// outputFiles are the current contents of the item's output files by path;
// a missing or unreadable file has no entry.
type outputFiles map[string][]byte

// decision is what decide makes of one order item. Action "" means no
// change; Info, Attention and Notes go on the pair as they are.
type decision struct {
	Action diff.Action
	Reason string
	// On is the order the change acts on (or replaces); nil for a first
	// order.
	On *Order
	// RevokeIDs are the orders a revoke ends.
	RevokeIDs []string
	Info      []string
	Attention []string
	Notes     []string
	// RenewAt is when the current certificate's renewal falls due (see
	// renewAt); zero when no order holds a valid certificate.
	RenewAt time.Time
}

func (d decision) with(a diff.Action, on *Order, reason string) decision {
	d.Action, d.On, d.Reason = a, on, reason
	return d
}

const paidNote = "a new certificate order is paid for"

// decide applies the rules of the README's "How orders are planned" to one
// order item: it reads nothing and changes nothing, so every rule has a
// table test (decide_test.go). The first rule that applies wins.
func decide(want orderWant, hist orderHistory, files outputFiles, now time.Time) decision {
	switch want.State {
	case "cancelled":
		return decideCancelled(hist)
	case "revoked":
		return decideRevoked(hist)
	}
	return decidePresent(want, hist, files, now)
}

// latestAndCurrent returns the newest order and the newest one holding a
// valid certificate.
func latestAndCurrent(hist orderHistory) (latest, current *Order) {
	if len(hist.Orders) > 0 {
		latest = hist.Orders[0]
	}
	for _, o := range hist.Orders {
		if hasCert(o) {
			return latest, o
		}
	}
	return latest, nil
}

// decideCancelled cancels the newest order when its status allows it; an
// order that can no longer be cancelled needs a person (the inventory asks
// for what the API refuses).
func decideCancelled(hist orderHistory) decision {
	latest, _ := latestAndCurrent(hist)
	var d decision
	switch {
	case latest == nil:
		d.Info = append(d.Info, "state is cancelled and there is no order: nothing to do")
	case latest.Status == StatusCanceled:
	case cancellable(latest.Status):
		return d.with(Cancel, latest, fmt.Sprintf("the inventory asks to cancel order %s (%s)", latest.ID, latest.Status))
	default:
		d.Attention = append(d.Attention, fmt.Sprintf("order %s is %s and cannot be cancelled (only CREATED, DIGI_PENDING, DIGI_WAITING_PICKUP, DIGI_NEEDS_APPROVAL or a pending reissue can); an issued certificate is revoked instead (state: revoked)", latest.ID, latest.Status))
	}
	return d
}

// decideRevoked revokes every still-valid certificate of the item: an older
// one kept by a renewal usually shares the key that is being revoked for.
func decideRevoked(hist orderHistory) decision {
	latest, current := latestAndCurrent(hist)
	var d decision
	for _, o := range hist.Orders {
		if hasCert(o) && o.Status == StatusIssued {
			d.RevokeIDs = append(d.RevokeIDs, o.ID)
		}
	}
	switch {
	case len(d.RevokeIDs) > 0:
		return d.with(Revoke, current, fmt.Sprintf("the inventory asks to revoke order(s) %s; this cannot be undone", strings.Join(d.RevokeIDs, ", ")))
	case current != nil:
		d.Info = append(d.Info, fmt.Sprintf("order %s is %s: a certificate with a pending reissue cannot be revoked; cancel the reissue or wait for it", current.ID, current.Status))
	case latest != nil && latest.Status == StatusRevoked:
	default:
		d.Info = append(d.Info, "state is revoked but no issued certificate exists to revoke")
	}
	return d
}

// decidePresent is rules 1-8 of "How orders are planned".
func decidePresent(want orderWant, hist orderHistory, files outputFiles, now time.Time) decision {
	latest, current := latestAndCurrent(hist)
	var d decision
	// Rule 1: no order yet.
	if latest == nil {
		d.Notes = append(d.Notes, paidNote)
		return d.with(diff.Create, nil, "no order yet")
	}
	// Rule 2: the newest order is on its way. An older certificate may
	// still be in use while its renewal is pending: the rules below then
	// look at it, but order nothing new.
	replacing := pending(latest.Status) && latest != current
	if pending(latest.Status) {
		d.Info = append(d.Info, fmt.Sprintf("order %s is %s: %s", latest.ID, latest.Status, dcvHint(latest)))
		if current == nil || current == latest {
			return d
		}
	}
	// Rule 3: a replacement the CA rejected (or could not make) for the
	// same request is not placed again and again by cron: only a change to
	// the item does.
	m, _ := parseMarker(latest.Comments)
	blocked := latest != current && (latest.Status == StatusRejected || latest.Status == StatusFailed) && m.spec == want.spec()
	if blocked {
		msg := fmt.Sprintf("order %s ended %s; certsync does not order the same certificate again by itself: change the order in the inventory, or look at the order's history", latest.ID, latest.Status)
		if current == nil {
			d.Attention = append(d.Attention, msg)
			return d
		}
		d.Info = append(d.Info, msg)
	}
	if current == nil {
		if latest.Status == StatusExpired {
			d.Notes = append(d.Notes, paidNote)
			return d.with(Renew, latest, fmt.Sprintf("order %s expired", latest.ID))
		}
		d.Notes = append(d.Notes, paidNote)
		return d.with(diff.Create, latest, fmt.Sprintf("the last order %s ended %s", latest.ID, latest.Status))
	}
	// Rule 4: what a reissue cannot change needs a new order.
	if hist.OrgOf[current.ID] != want.Org || current.CertType != want.CertType || !strings.EqualFold(current.Cert.CommonName, want.CN) {
		if replacing || blocked {
			return d // the replacement is already on its way, or was refused
		}
		d.Notes = append(d.Notes, "a new certificate order is paid for; the current one is left as it is (set state: revoked on a separate item to revoke it)")
		return d.with(diff.Create, current, "the organization, type or common name changed, which a reissue cannot do: a new order replaces "+current.ID)
	}
	due := renewAt(want.Name, renewalWindow(want.RenewBefore, validFrom(current), current.Cert.DateValidUntil.UTC()), current.Cert.DateValidUntil.UTC())
	d.RenewAt = due
	renewing := !now.Before(due) && !replacing && !blocked
	// The key the certificate was issued for is gone: replacing it with a
	// new key is a person's decision (rekey), never a side effect.
	liveKeyID := hist.liveKey(current)
	if want.KeyElsewhere {
		d.Info = append(d.Info, "the private key file "+want.KeyFile+" is not on this machine (CI mode): the key is not compared")
	}
	if want.KeyFile != "" && want.Key == "" && liveKeyID != "" && !want.KeyElsewhere {
		if !want.Rekey {
			d.Attention = append(d.Attention, fmt.Sprintf("the private key %s of order %s (certificate key %s) is missing: restore it from a backup, or set rekey: true on this item to replace the certificate with one for a new key", want.KeyFile, current.ID, liveKeyID))
			return d
		}
		if renewing {
			d.Notes = append(d.Notes, paidNote+" with a new key")
			return d.with(Renew, current, "the key file is missing, rekey is set and renewal is due: a new order with a new key")
		}
		if current.Status != StatusIssued {
			d.Info = append(d.Info, fmt.Sprintf("order %s is %s; a reissue waits until it is DIGI_ISSUED", current.ID, current.Status))
			return d
		}
		return d.with(Reissue, current, "the key file is missing and rekey is set: reissue order "+current.ID+" with a new key")
	}
	// Rule 5: names or key changed.
	liveSANs := normNames(current.Cert.DNSNames, current.Cert.CommonName)
	if namesChanged, keyChanged := !sameSet(want.SANs, liveSANs), liveKeyID != "" && want.Key != liveKeyID && !want.KeyElsewhere; namesChanged || keyChanged {
		if current.Status != StatusIssued {
			d.Info = append(d.Info, fmt.Sprintf("order %s is %s; a reissue waits until it is DIGI_ISSUED", current.ID, current.Status))
			return d
		}
		why := "the DNS names changed"
		if !namesChanged {
			why = "the key or CSR changed"
		}
		return d.with(Reissue, current, why+": reissue order "+current.ID)
	}
	// Rule 6: renewal window.
	if renewing {
		d.Notes = append(d.Notes, paidNote)
		return d.with(Renew, current, fmt.Sprintf("expires %s; renewal due since %s", current.Cert.DateValidUntil.UTC().Format("2006-01-02"), due.Format("2006-01-02")))
	}
	// Rule 7: additional e-mails.
	if want.EmailsSet && !sameSet(want.Emails, sortedCopy(current.AdditionalEmails)) {
		return d.with(diff.Update, current, "additional e-mails differ")
	}
	// Rule 8: the files on disk.
	if filesStale(want, files, current) {
		return d.with(Download, current, "the issued certificate is not on disk as configured")
	}
	return d
}

// validFrom is when the certificate's validity began (397 days before
// its end when the order does not say).
func validFrom(o *Order) time.Time {
	if o.Cert.DateValidFrom != nil {
		return o.Cert.DateValidFrom.UTC()
	}
	return o.Cert.DateValidUntil.UTC().Add(-397 * 24 * time.Hour)
}

// filesStale reports whether a configured output file differs from what
// the order issued; when the order's JSON carries no certificate, whether
// the certificate file is missing.
func filesStale(want orderWant, files outputFiles, o *Order) bool {
	leaf, chain := bundle(o)
	if leaf == "" {
		_, ok := files[want.OutCert]
		return want.OutCert != "" && !ok
	}
	differs := func(path, content string) bool {
		if path == "" {
			return false
		}
		got, ok := files[path]
		return !ok || string(got) != content
	}
	return differs(want.OutCert, leaf) || differs(want.OutChain, chain) || differs(want.OutFull, leaf+chain)
}
