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
