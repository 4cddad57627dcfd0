// Package ccadb keeps intermediate-certificate records in the Common CA
// Database in line with the inventory, through the CCADB's Salesforce API
// (GetCertificateIdAPI, AddUpdateIntermediateCertAPI) and its public report.
//
// The API has no read operation. Live values come from the public
// AllCertificateRecordsCSVFormatV5 report, fetched (streamed, keeping only
// the inventory's rows) once per plan and matched by SHA-256 and CA Owner:
// a plan makes that one request. A certificate the report does not list is
// planned as an add; if the CCADB has it after all, the add is answered as a
// duplicate naming the record, and apply updates that record instead. Fields
// the report never shows (revocation date and reason, descriptions, ...)
// are compared with what certsync last sent, which it keeps in its state
// directory together with each record's 18-character id (see ids.go).
package ccadb

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/certsync/certsync/internal/apply"
	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/httpx"
	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/pemutil"
	"github.com/certsync/certsync/internal/redact"
	"github.com/certsync/certsync/internal/state"
)

// Name is the vendor's key in addresses, the inventory and the environment.
const Name = "ccadb"

// Kind is the only object kind this vendor manages.
const Kind = "intermediate"

// Capabilities: the API can add and update records but not delete them, so
// the plan never holds a delete for the CCADB.
var Capabilities = map[string][]diff.Action{Kind: {diff.Create, diff.Update}}

// Deps are what the vendor borrows from the program.
type Deps struct {
	HTTP     *http.Client
	Log      *slog.Logger
	Redactor *redact.Redactor
	// State keeps the values certsync sent for fields the report lacks.
	State *state.Store
}

// Vendor implements the CCADB side of plan and apply.
type Vendor struct {
	client *Client
	log    *slog.Logger
	state  *state.Store

	mu sync.Mutex
	// items are the inventory's intermediates by SHA-256, from the last
	// Observe: apply flattens their PEMs when it sends them.
	items map[string]*Intermediate
	// dir is the directory of the inventory items came from, to read an
	// intermediate's certificate again when a change sends it.
	dir string
}

// ErrConfig means required settings are missing.
var ErrConfig = errors.New("missing CCADB settings")

// New checks the configuration and builds the vendor. It sends nothing.
func New(cfg Config, d Deps) (*Vendor, error) {
	if m := cfg.Missing(); len(m) > 0 {
		return nil, fmt.Errorf("%w: set %s", ErrConfig, strings.Join(m, ", "))
	}
	if err := errors.Join(httpx.CheckURL("CERTSYNC_CCADB_URL", cfg.URL), httpx.CheckURL("CERTSYNC_CCADB_REPORT_URL", cfg.ReportURL), checkOptionalURL("CERTSYNC_CCADB_PEM_REPORT_URL", cfg.PEMReportURL)); err != nil {
		return nil, err
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.State == nil {
		d.State, _ = state.Open("", Name)
	}
	return &Vendor{client: NewClient(cfg, d.HTTP, d.Log, d.Redactor), log: d.Log, state: d.State}, nil
}

// Client returns the API client (for ccadb-login and tests).
func (v *Vendor) Client() *Client { return v.client }

// load reads what certsync keeps about a certificate. State written before
// record ids were kept (a flat map of field path to value sent) is read as
// Sent.
func (v *Vendor) load(sha string) (stored, error) {
	var raw map[string]json.RawMessage
	if _, err := v.state.Get(sha, &raw); err != nil || raw == nil {
		return stored{}, err
	}
	var st stored
	_, hasID := raw["id"]
	_, hasSent := raw["sent"]
	if hasID || hasSent {
		b, _ := json.Marshal(raw)
		err := json.Unmarshal(b, &st)
		return st, err
	}
	st.Sent = make(map[string]any, len(raw))
	for k, r := range raw {
		var val any
		if err := json.Unmarshal(r, &val); err != nil {
			return stored{}, err
		}
		st.Sent[k] = val
	}
	return st, nil
}

// Observe reads live state for every intermediate of the inventory and
// returns one pair per intermediate, in inventory order. It makes one
// request: the report.
func (v *Vendor) Observe(ctx context.Context, inv *inventory.Inventory) ([]diff.Pair, error) {
	sec := SectionOf(inv)
	if sec == nil || len(sec.Intermediates) == 0 {
		return nil, nil
	}
	its := sec.Intermediates
	shas := make([]string, len(its))
	parentSHAs := make([]string, len(its))
	shaOf := map[*x509.Certificate]string{} // each parent is hashed once
	hash := func(c *x509.Certificate) string {
		if s, ok := shaOf[c]; ok {
			return s
		}
		s := pemutil.SHA256(c.Raw)
		shaOf[c] = s
		return s
	}
	want := make(map[string]bool, 2*len(its))
	items := make(map[string]*Intermediate, len(its))
	addrBySHA := make(map[string]diff.Address, len(its))
	for i := range its {
		shas[i], parentSHAs[i] = its[i].CertSHA256, hash(its[i].ParentCert)
		want[shas[i]], want[parentSHAs[i]] = true, true
		items[shas[i]] = &its[i]
		addrBySHA[shas[i]] = address(its[i].Name.Value)
	}
	v.mu.Lock()
	v.items, v.dir = items, inv.Dir
	v.mu.Unlock()
	rep, err := v.client.Report(ctx, want)
	if err != nil {
		return nil, err
	}
	pairs := make([]diff.Pair, 0, len(its))
	for i := range its {
		it := &its[i]
		sha, parentSHA := shas[i], parentSHAs[i]
		desired := desiredObject(it, sha)
		pr := diff.Pair{Address: address(it.Name.Value), Desired: desired}
		if dep, ok := addrBySHA[parentSHA]; ok {
			pr.DependsOn = []diff.Address{dep}
		}
		st, err := v.load(sha)
		if err != nil {
			return nil, fmt.Errorf("%s: read state: %w", pr.Address, err)
		}
		row, listed := rep.row(sha, it.CAOwner.Value, it.SubordinateCAOwner.Value)
		switch {
		case listed:
			pr.Live = liveObject(row.col(colCCADBID), desired, row, st.Sent)
			pr.Notes = append(pr.Notes, "CCADB id "+pr.Live.ID)
		case st.ID != "":
			// Added (or updated) by certsync, and the report, which lags,
			// does not list it yet: compared with what certsync sent.
			pr.Live = liveObject(st.ID, desired, nil, st.Sent)
			pr.Notes = append(pr.Notes, fmt.Sprintf("record %s is not in the CCADB report yet; compared with what certsync last sent", st.ID))
		default:
			if !rep.listed(parentSHA) && len(pr.DependsOn) == 0 && !rep.hasRoot(parentSHA) {
				pr.Notes = append(pr.Notes, "the parent certificate is not in the CCADB report; the add fails unless its record exists by then")
			}
		}
		pairs = append(pairs, pr)
	}
	return pairs, nil
}

func address(name string) diff.Address { return diff.Address{Vendor: Name, Kind: Kind, Name: name} }

// Apply executes one create or update. An update needs the record's
// 18-character id: from certsync's state, else from GetCertificateIdAPI
// (a fresh state directory). The report's id is never sent.
func (v *Vendor) Apply(ctx context.Context, c diff.Change) (apply.Outcome, error) {
	var out apply.Outcome
	switch c.Action {
	case diff.Create, diff.Update:
	default:
		return out, fmt.Errorf("the CCADB API cannot %s a record", c.Action)
	}
	sha := c.Keys[keySHA256]
	v.mu.Lock()
	it, dir := v.items[sha], v.dir
	v.mu.Unlock()
	if it == nil || it.CertSHA256 == "" || it.ParentCert == nil {
		return out, fmt.Errorf("the change's certificate (SHA-256 %q) is not in the inventory this run read; plan again", sha)
	}
	certPEM, parentPEM, err := flatPEMs(it, dir)
	if err != nil {
		return out, err
	}
	st, err := v.load(sha)
	if err != nil {
		return out, fmt.Errorf("read state: %w", err)
	}
	id, lookedUp := "", false
	if c.Action == diff.Update {
		id = st.ID
		if id == "" {
			if id, err = v.client.CertificateID(ctx, certPEM, sha); err != nil {
				return out, fmt.Errorf("look up the record id: %w", err)
			}
			lookedUp = true
		}
	}
	resp, err := v.client.AddUpdate(ctx, requestBody(c, id, certPEM, parentPEM))
	var rej *RejectedError
	if lookedUp && errors.As(err, &rej) && mentionsOwner(rej.Response.Messages) {
		// GetCertificateIdAPI answers the first record with the fingerprint,
		// which can be another CA owner's. An add names our own record in
		// its duplicate answer, which the next step updates.
		id = ""
		resp, err = v.client.AddUpdate(ctx, requestBody(c, id, certPEM, parentPEM))
	}
	if id == "" && errors.As(err, &rej) && isRecordID(rej.Response.SalesforceID) && onlyDuplicate(rej.Response.Messages) {
		// The CCADB has it (added by a person, or by a first attempt whose
		// answer was lost, or not in the lagging report): set its fields.
		id = rej.Response.SalesforceID
		out.Messages = append(out.Messages, fmt.Sprintf("the record already existed as %s; updated it instead", id))
		resp, err = v.client.AddUpdate(ctx, requestBody(c, id, certPEM, parentPEM))
	}
	if resp != nil {
		if rid := resp.ID(); isRecordID(rid) {
			id = rid
		}
		out.ID = id
		if resp.ProcessingStatus == "SuccessWithWarnings" || (err == nil && len(resp.Messages) > 0) {
			for _, m := range resp.Messages {
				out.Messages = append(out.Messages, "CCADB warning: "+m)
			}
		}
	}
	if err != nil {
		return out, err
	}
	// Remember the record id and what was sent, for the fields the report
	// cannot show and for the time the report does not list the record.
	if st.Sent == nil {
		st.Sent = map[string]any{}
	}
	for _, f := range fields {
		if val, ok := c.Desired[f.path]; ok {
			st.Sent[f.path] = val
		}
	}
	if id != "" {
		st.ID = id
	}
	if err := v.state.Put(sha, st); err != nil {
		out.Messages = append(out.Messages, "the change was made but certsync could not record it: "+err.Error())
	}
	return out, nil
}

// mentionsOwner reports whether a refusal is about the CA Owner (the record
// is outside the API user's hierarchy).
func mentionsOwner(msgs []string) bool {
	for _, m := range msgs {
		if strings.Contains(m, "CA Owner") {
			return true
		}
	}
	return false
}

func onlyDuplicate(msgs []string) bool {
	return len(msgs) == 1 && strings.Contains(msgs[0], "already exists")
}
