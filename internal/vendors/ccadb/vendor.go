// Package ccadb keeps intermediate-certificate records in the Common CA
// Database in line with the inventory, through the CCADB's Salesforce API
// (GetCertificateIdAPI, AddUpdateIntermediateCertAPI) and its public report.
//
// The API has no read operation. Live values come from the public
// AllCertificateRecordsCSVFormatV5 report, fetched once per run and matched by
// SHA-256; a certificate the report does not list yet is looked up with
// GetCertificateIdAPI. Fields the report never shows (revocation date and
// reason, descriptions, ...) are compared with what certsync last sent,
// which it keeps in its state directory.
package ccadb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

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
}

// ErrConfig means required settings are missing.
var ErrConfig = errors.New("missing CCADB settings")

// New checks the configuration and builds the vendor. It sends nothing.
func New(cfg Config, d Deps) (*Vendor, error) {
	if m := cfg.Missing(); len(m) > 0 {
		return nil, fmt.Errorf("%w: set %s", ErrConfig, strings.Join(m, ", "))
	}
	if err := errors.Join(httpx.CheckURL("CERTSYNC_CCADB_URL", cfg.URL), httpx.CheckURL("CERTSYNC_CCADB_REPORT_URL", cfg.ReportURL)); err != nil {
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

// applied is what certsync last sent for one record, by field path.
type applied map[string]any

// Observe reads live state for every intermediate of the inventory and
// returns one pair per intermediate, in inventory order. It fetches the
// report once and calls GetCertificateIdAPI only for certificates the report
// does not list.
func (v *Vendor) Observe(ctx context.Context, inv *inventory.Inventory) ([]diff.Pair, error) {
	sec := SectionOf(inv)
	if sec == nil || len(sec.Intermediates) == 0 {
		return nil, nil
	}
	rep, err := v.client.Report(ctx)
	if err != nil {
		return nil, err
	}
	its := sec.Intermediates
	addrBySHA := map[string]diff.Address{}
	for i := range its {
		addrBySHA[pemutil.SHA256(its[i].Cert.Raw)] = address(its[i].Name.Value)
	}
	pairs := make([]diff.Pair, 0, len(its))
	for i := range its {
		it := &its[i]
		desired := desiredObject(it)
		sha := desired.Keys[keySHA256]
		pr := diff.Pair{Address: address(it.Name.Value), Desired: desired}

		parentSHA := pemutil.SHA256(it.ParentCert.Raw)
		if dep, ok := addrBySHA[parentSHA]; ok {
			pr.DependsOn = []diff.Address{dep}
		}
		var last applied
		if _, err := v.state.Get(sha, &last); err != nil {
			return nil, fmt.Errorf("%s: read state: %w", pr.Address, err)
		}
		if row, ok := rep.rows[sha]; ok {
			pr.Live = liveObject(row["Salesforce Record ID"], row, last)
		} else {
			id, err := v.client.CertificateID(ctx, desired.Keys[keyCertPEM], sha)
			switch {
			case errors.Is(err, ErrNotFound):
				if _, parentListed := rep.rows[parentSHA]; !parentListed && len(pr.DependsOn) == 0 && !rep.hasRoot(parentSHA) {
					pr.Notes = append(pr.Notes, "the parent certificate is not in the CCADB report; the add fails unless its record exists by then")
				}
			case err != nil:
				return nil, fmt.Errorf("%s: %w", pr.Address, err)
			default:
				pr.Live = liveObject(id, nil, last)
				pr.Notes = append(pr.Notes, fmt.Sprintf("record %s exists but is not in the CCADB report yet, so its fields cannot be read; every managed field is sent", id))
			}
		}
		pairs = append(pairs, pr)
	}
	return pairs, nil
}

func address(name string) diff.Address { return diff.Address{Vendor: Name, Kind: Kind, Name: name} }

// Apply executes one create or update.
func (v *Vendor) Apply(ctx context.Context, c diff.Change) (apply.Outcome, error) {
	var out apply.Outcome
	switch c.Action {
	case diff.Create, diff.Update:
	default:
		return out, fmt.Errorf("the CCADB API cannot %s a record", c.Action)
	}
	if c.Keys[keyCertPEM] == "" {
		return out, fmt.Errorf("the change carries no certificate PEM")
	}
	id := c.LiveID
	resp, err := v.client.AddUpdate(ctx, requestBody(c, id))
	var rej *RejectedError
	if id == "" && errors.As(err, &rej) && rej.Response.SalesforceID != "" && onlyDuplicate(rej.Response.Messages) {
		// Added meanwhile (by a person, or by a first attempt whose answer was
		// lost): take the existing record and set its fields.
		id = rej.Response.SalesforceID
		out.Messages = append(out.Messages, fmt.Sprintf("the record already existed as %s; updated it instead", id))
		resp, err = v.client.AddUpdate(ctx, requestBody(c, id))
	}
	if resp != nil {
		out.ID = resp.ID()
		if resp.ProcessingStatus == "SuccessWithWarnings" || (err == nil && len(resp.Messages) > 0) {
			for _, m := range resp.Messages {
				out.Messages = append(out.Messages, "CCADB warning: "+m)
			}
		}
	}
	if err != nil {
		return out, err
	}
	// Remember what was sent for the fields the report cannot show.
	last := applied{}
	_, _ = v.state.Get(c.Keys[keySHA256], &last)
	for _, f := range fields {
		if val, ok := c.Desired[f.path]; ok {
			last[f.path] = val
		}
	}
	if err := v.state.Put(c.Keys[keySHA256], last); err != nil {
		out.Messages = append(out.Messages, "the change was made but certsync could not record it: "+err.Error())
	}
	return out, nil
}

func onlyDuplicate(msgs []string) bool {
	return len(msgs) == 1 && strings.Contains(msgs[0], "already exists")
}
