package markmonitor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/certsync/certsync/internal/apply"
	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/inventory"
)

// Domain control validation (DCV) in the plan.
//
// The order JSON says how a domain is validated (cert.dcvMethod, and for
// EMAIL the addresses in cert.dcvEmails) but has no field for the random
// value a DNS or HTTP validation needs. The order's history is where it
// shows, so for an order waiting for validation certsync reads that history
// (GET /order/{id}/history, one request per pending order and only for
// them) and takes the records from it:
//
//   - lines "DCV record: <TYPE> <name> <value>", one per record, when the
//     history carries them;
//   - else a line naming the random value ("random value: <value>" or
//     "token: <value>"), from which the records follow the API guide's
//     method descriptions: DNS_TXT_TOKEN a TXT record at each domain with
//     the value; DNS_CNAME_TOKEN a CNAME <value>.<domain> to
//     dcv.digicert.com; HTTP_TOKEN the value in the file
//     http://<domain>/.well-known/pki-validation/fileauth.txt. A wildcard
//     is validated at its base domain.
//
// The plan lists the records on the order's "no change planned" line and,
// as data, in the plan's JSON (info[].records), for a DNS tool to publish.
// The organization's validation status (OV/EV) is shown beside them.

// Validate asks Markmonitor to check the published DCV records now
// (PATCH /order/{id}/validateDomains). It costs nothing and is planned only
// when the order item sets validate: true and the order waits for domain
// validation.
const Validate diff.Action = "validate"

// Keys of a validate change.
const (
	kDCVKey = "dcv_submission"
)

// DCVEmail is one entry of cert.dcvEmails: where an EMAIL validation goes.
type DCVEmail struct {
	DNSName     string `json:"dnsName,omitempty"`
	EmailDomain string `json:"emailDomain,omitempty"`
	Email       string `json:"email,omitempty"`
}

// OrgValidation is one of an organization's validations (OV or EV).
type OrgValidation struct {
	Type               string     `json:"type"`
	Name               string     `json:"name,omitempty"`
	Status             string     `json:"status"`
	DateValidatedUntil *time.Time `json:"dateValidatedUntil,omitempty"`
}

// OrderHistory reads an order's whole history, oldest line first.
func (c *Client) OrderHistory(ctx context.Context, id string) ([]History, error) {
	h, err := listAll[History](ctx, c, "/order/"+url.PathEscape(id)+"/history", nil, nil)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(h, func(i, j int) bool { return h[i].DateCreated.Before(h[j].DateCreated) })
	return h, nil
}

// dcvPending reports the statuses in which an order waits for domain
// control validation: the only ones validateDomains and sendDcvEmail take.
func dcvPending(status string) bool {
	return status == StatusPending || status == StatusReissuePendingDigi
}

const dcvRecordPrefix = "DCV record: "

// randomValueRE finds a DCV random value named in a history line.
var randomValueRE = regexp.MustCompile(`(?i)(?:random value|token)\s*[:=]\s*([A-Za-z0-9_-]{16,})`)

// dcvRecords returns the records the order's current validation asks to
// publish, from its history (oldest first): the last group of record lines,
// else records made from the last random value named. how says where they
// came from, for the plan; nil records with how "" mean the history shows
// nothing usable.
func dcvRecords(o *Order, hist []History) (recs []diff.Record, how string) {
	var group []diff.Record
	inGroup := false
	token := ""
	for _, h := range hist {
		if r, ok := parseRecordLine(h.Text); ok {
			if !inGroup {
				group, inGroup = nil, true
			}
			group = append(group, r)
			continue
		}
		inGroup = false
		if m := randomValueRE.FindStringSubmatch(h.Text); m != nil {
			token = m[1]
			group = nil // a new random value replaces the records before it
		}
	}
	if len(group) > 0 {
		return group, "the order's history"
	}
	if token == "" || o.Cert == nil {
		return nil, ""
	}
	recs = recordsFor(o.Cert.DCVMethod, token, append([]string{o.Cert.CommonName}, o.Cert.DNSNames...))
	if len(recs) == 0 {
		return nil, ""
	}
	return recs, "the random value in the order's history"
}

func parseRecordLine(text string) (diff.Record, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(text), dcvRecordPrefix)
	if !ok {
		return diff.Record{}, false
	}
	f := strings.Fields(rest)
	if len(f) != 3 {
		return diff.Record{}, false
	}
	return diff.Record{Type: strings.ToUpper(f[0]), Name: strings.TrimSuffix(f[1], "."), Value: f[2]}, true
}

// recordsFor makes the records of a DNS or HTTP validation with token for
// names (a wildcard's base domain once); none for EMAIL.
func recordsFor(method, token string, names []string) []diff.Record {
	var out []diff.Record
	seen := map[string]bool{}
	for _, n := range names {
		d := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(n), "*."))
		if d == "" || seen[d] {
			continue
		}
		seen[d] = true
		switch method {
		case "DNS_TXT_TOKEN":
			out = append(out, diff.Record{Type: "TXT", Name: d, Value: token})
		case "DNS_CNAME_TOKEN":
			out = append(out, diff.Record{Type: "CNAME", Name: token + "." + d, Value: "dcv.digicert.com"})
		case "HTTP_TOKEN":
			out = append(out, diff.Record{Type: "HTTP", Name: "http://" + d + "/.well-known/pki-validation/fileauth.txt", Value: token})
		}
	}
	return out
}

// orgValidationText describes an organization's validations, e.g.
// "organization validation: OV PENDING, EV VALIDATED until 2027-01-31".
func orgValidationText(org *Organization) string {
	if org == nil {
		return ""
	}
	if len(org.Validations) == 0 {
		return "organization validation: none reported yet"
	}
	var parts []string
	for _, v := range org.Validations {
		s := v.Type + " " + v.Status
		if v.DateValidatedUntil != nil {
			s += " until " + v.DateValidatedUntil.UTC().Format("2006-01-02")
		}
		parts = append(parts, s)
	}
	return "organization validation: " + strings.Join(parts, ", ")
}

// submissionKey identifies one submission of an order for validation: a
// validate that succeeded for it is not planned again, while a reissue (a
// new certificate id, new records) is a new submission.
func submissionKey(o *Order, recs []diff.Record) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s", o.ID, o.Status)
	if o.Cert != nil {
		fmt.Fprintf(h, "\x00%d", o.Cert.ProviderID)
	}
	for _, r := range recs {
		fmt.Fprintf(h, "\x00%s", r)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// validatedEntry is what the state remembers of a validate that succeeded.
type validatedEntry struct {
	Submission string    `json:"submission"`
	At         time.Time `json:"at"`
}

func validatedKey(name string) string { return "validated/" + name }

// describeDCV adds to an order's pair what its pending validation needs:
// the method, the records (read from the order's history), the order's and
// the organization's validation status; and plans Validate when the item
// asks for it and nothing else is planned. latest is the item's newest
// order.
func (v *Vendor) describeDCV(ctx context.Context, inv *inventory.Inventory, want *OrderItem, p *diff.Pair, latest *Order, org *Organization) {
	if latest == nil || !dcvPending(latest.Status) {
		return
	}
	method := ""
	if latest.Cert != nil {
		method = latest.Cert.DCVMethod
	}
	msg := fmt.Sprintf("domain validation of order %s (%s) by %s", latest.ID, latest.Status, orNoneText(method))
	var recs []diff.Record
	switch method {
	case "EMAIL":
		var to []string
		for _, e := range latest.Cert.DCVEmails {
			if e.Email != "" {
				to = append(to, e.Email)
			}
		}
		if len(to) == 0 {
			msg += ": approve the e-mail sent to each domain's registered DCV contacts"
		} else {
			msg += ": approve the e-mail sent to " + strings.Join(to, ", ")
		}
	default:
		hist := latest.History
		if len(hist) == 0 {
			var err error
			if hist, err = v.client.OrderHistory(ctx, latest.ID); err != nil {
				setDCVInfo(p, latest, fmt.Sprintf("%s: its history could not be read (%v), so the records to publish are not shown", msg, err))
				return
			}
		}
		var how string
		recs, how = dcvRecords(latest, hist)
		if len(recs) == 0 {
			msg += ": the order's history does not show the random value; find it in the Markmonitor portal"
		} else {
			msg += fmt.Sprintf(": publish the %d record(s) listed (from %s)", len(recs), how)
		}
	}
	if t := orgValidationText(org); t != "" && !strings.HasPrefix(want.CertType.Value, "SSL_DV_") {
		msg += "; " + t
	}
	sub := submissionKey(latest, recs)
	var done validatedEntry
	ok, _ := v.state.Get(validatedKey(want.Name.Value), &done)
	already := ok && done.Submission == sub
	switch {
	case already:
		msg += fmt.Sprintf("; validation was requested at %s, waiting for the CA", done.At.UTC().Format(time.RFC3339))
	case !want.Validate.Set || !want.Validate.Value:
		msg += "; once published, set validate: true on the order to ask for the check now"
	}
	setDCVInfo(p, latest, msg)
	p.Records = recs

	if already || !want.Validate.Value || p.Action != "" {
		return
	}
	p.Action, p.NoChange = Validate, false
	p.Reason = "the inventory asks Markmonitor to check the domain validation of order " + latest.ID + " now"
	p.Notes = append(p.Notes, "validateDomains costs nothing; it fails, and changes nothing, while a record is not published")
	p.Desired = &diff.Object{Keys: map[string]string{
		kOrderID: latest.ID, kDCVKey: sub,
		kOutCert: inv.Resolve(want.Output.Certificate), kOutChain: inv.Resolve(want.Output.Chain), kOutFull: inv.Resolve(want.Output.FullChain),
	}}
}

// setDCVInfo puts msg first among the pair's info lines, since the records
// go with the first one (diff.Pair.Records), in place of the shorter line
// the decision made about the same pending order.
func setDCVInfo(p *diff.Pair, latest *Order, msg string) {
	rest := p.Info[:0:0]
	for _, in := range p.Info {
		if !strings.HasPrefix(in, "order "+latest.ID+" is "+latest.Status+":") {
			rest = append(rest, in)
		}
	}
	p.Info = append([]string{msg}, rest...)
	p.InfoKind = diff.InfoDCVPending
}

func orNoneText(s string) string {
	if s == "" {
		return "an unknown method"
	}
	return s
}

// validate runs validateDomains once. It is not repeated after an
// ambiguous failure: the order is read back, and only a status that moved
// on counts as done. A success is remembered for this submission, so the
// next plan does not ask again while the CA works.
func (v *Vendor) validate(ctx context.Context, c diff.Change) (apply.Outcome, error) {
	k := c.Keys
	id := k[kOrderID]
	o, err := v.client.Action(ctx, id, "validateDomains", ActionRequest{}, false)
	if errors.Is(err, ErrAmbiguous) {
		got, gerr := v.client.Order(ctx, id)
		if gerr != nil || dcvPending(got.Status) {
			return apply.Outcome{}, fmt.Errorf("%w; the order does not show the check, so it is not re-sent in this run: run certsync again", err)
		}
		o, err = got, nil
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusBadRequest {
		return apply.Outcome{}, fmt.Errorf("Markmonitor did not find the domain validation records (%w); publish the records the plan lists and run certsync again", err)
	}
	if err != nil {
		return apply.Outcome{}, err
	}
	if o.ID == "" {
		// The answer's shape is not documented; without an order in it,
		// afterIssue reads the order.
		o = &Order{ID: id}
	}
	if perr := v.state.Put(validatedKey(c.Address.Name), validatedEntry{Submission: k[kDCVKey], At: v.clock.Now().UTC()}); perr != nil {
		v.log.Warn("markmonitor: could not remember the validation request; the next plan asks again", "order", id, "error", perr)
	}
	out := apply.Outcome{ID: o.ID, Messages: []string{"validation requested for order " + o.ID}}
	return v.afterIssue(ctx, k, o, "", out, true) // free, and rare: read back so an issued order lands in this run
}
