// Package quantil keeps SSL certificates on the QUANTIL CDN in line with the
// inventory, through the legacy XML API (/api/ssl/certificate), and deploys
// certificates that Markmonitor orders issue.
//
// Live state is one list request per run. Certificates are matched by name
// (unique per account) and compared by serial, expiry and names; key
// material is read only when a change is applied, and never appears in a
// plan.
package quantil

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/certsync/certsync/internal/apply"
	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/httpx"
	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/redact"
)

// Name is the vendor's key.
const Name = "quantil"

// Kind is the only object kind.
const Kind = "certificate"

// Capabilities: add, modify and (only when asked) delete.
var Capabilities = map[string][]diff.Action{Kind: {diff.Create, diff.Update, diff.Delete}}

// ErrConfig means required settings are missing.
var ErrConfig = errors.New("missing QUANTIL settings")

// Deps are what the vendor borrows from the program.
type Deps struct {
	HTTP     *http.Client
	Log      *slog.Logger
	Redactor *redact.Redactor
	Now      func() time.Time
}

// Vendor implements the QUANTIL side of plan and apply.
type Vendor struct {
	client *Client
	log    *slog.Logger
	now    func() time.Time
}

// New checks the configuration and builds the vendor. It sends nothing.
func New(cfg Config, d Deps) (*Vendor, error) {
	if m := cfg.Missing(); len(m) > 0 {
		return nil, fmt.Errorf("%w: set %s", ErrConfig, strings.Join(m, ", "))
	}
	// The DES "encryption" is keyed from the public Date header: only TLS
	// protects the private key in transit.
	if err := httpx.CheckURL("CERTSYNC_QUANTIL_URL", cfg.URL); err != nil {
		return nil, err
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Vendor{client: NewClient(cfg, d.HTTP, d.Log, d.Redactor, d.Now), log: d.Log, now: d.Now}, nil
}

// Client returns the API client.
func (v *Vendor) Client() *Client { return v.client }

// Keys of a change: where the PEMs come from (never the PEMs themselves).
const (
	kCertFile  = "certificate_file"
	kCertEnv   = "certificate_env"
	kChainFile = "chain_file"
	kChainEnv  = "chain_env"
	kKeyFile   = "key_file"
	kKeyEnv    = "key_env"
	kName      = "name"
	kComment   = "comment"
	// kExpect is the serial the plan showed: applying refuses another one.
	kExpect = "expect_serial"
	// kLiveSerial is the serial on the CDN when the plan was made: a
	// certificate from an order that produced nothing new in this run
	// leaves the change waiting rather than uploading the same again.
	kLiveSerial = "live_serial"
	// kFrom is the address of the item the files come from.
	kFrom = "from"
)

// fromAddress parses a from reference; the inventory checked it.
func fromAddress(from string) diff.Address {
	a, _ := diff.ParseAddress(from)
	return a
}

// Observe is ObserveAfter with no upstream artifacts.
func (v *Vendor) Observe(ctx context.Context, inv *inventory.Inventory) ([]diff.Pair, error) {
	return v.ObserveAfter(ctx, inv, nil)
}

// ObserveAfter lists the CDN's certificates once and returns one pair per
// inventory certificate. upstream are the bundles other vendors' items
// published: one that may be renewed in this run is deployed after its
// change.
func (v *Vendor) ObserveAfter(ctx context.Context, inv *inventory.Inventory, upstream diff.Artifacts) ([]diff.Pair, error) {
	sec := SectionOf(inv)
	if sec == nil || len(sec.Certificates) == 0 {
		return nil, nil
	}
	live, err := v.client.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("list certificates: %w", err)
	}
	byName := map[string]*Certificate{}
	for i := range live {
		byName[live[i].Name] = &live[i]
	}
	var pairs []diff.Pair
	for i := range sec.Certificates {
		want := &sec.Certificates[i]
		p, err := v.pair(inv, want, byName[want.Name.Value], upstream)
		if err != nil {
			return nil, err
		}
		pairs = append(pairs, p)
	}
	return pairs, nil
}

func address(name string) diff.Address { return diff.Address{Vendor: Name, Kind: Kind, Name: name} }

func liveObject(c *Certificate, comment bool) *diff.Object {
	obj := &diff.Object{ID: c.ID, Fields: []diff.Field{{Name: "serial", Value: c.serial()}}}
	if t, ok := c.expires(); ok {
		obj.Fields = append(obj.Fields, diff.Field{Name: "expires", Value: t.Format(time.RFC3339)})
	}
	if comment {
		obj.Fields = append(obj.Fields, diff.Field{Name: "comment", Value: c.Comment})
	}
	return obj
}

func certNames(b *Bundle) []string {
	names := slices.Clone(b.Leaf.DNSNames)
	if len(names) == 0 && b.Leaf.Subject.CommonName != "" {
		names = []string{b.Leaf.Subject.CommonName}
	}
	for i := range names {
		names[i] = strings.ToLower(names[i])
	}
	sort.Strings(names)
	return names
}

func (v *Vendor) pair(inv *inventory.Inventory, want *CertificateItem, live *Certificate, up diff.Artifacts) (diff.Pair, error) {
	name := want.Name.Value
	p := diff.Pair{Address: address(name)}
	if want.State.Value == "absent" {
		p.Absent = true
		if live != nil {
			p.Live = liveObject(live, false)
			p.Desired = &diff.Object{Keys: map[string]string{kName: name}}
			p.Notes = []string{"deleting cannot be undone; QUANTIL refuses to delete a certificate its domains still use"}
		}
		return p, nil
	}
	src := SourcesOf(inv, want)
	if src.From != "" {
		p.Uses = []diff.Address{fromAddress(src.From)} // fails with its vendor
	}
	keys := map[string]string{
		kName: name, kCertFile: src.Certificate.File, kCertEnv: src.Certificate.Env,
		kChainFile: src.Chain.File, kChainEnv: src.Chain.Env, kKeyFile: src.Key.File, kKeyEnv: src.Key.Env,
		kFrom: src.From,
	}
	if want.Comment.Set {
		keys[kComment] = want.Comment.Value
	}
	desired := &diff.Object{Keys: keys}
	if live != nil {
		p.Live = liveObject(live, want.Comment.Set)
	}
	var art *diff.Bundle // what the item deployed from published, if observed
	if src.From != "" {
		art = up[fromAddress(src.From)]
	}
	if live != nil {
		keys[kLiveSerial] = live.serial()
	}
	b, err := LoadBundle(src, v.now())
	switch {
	case art != nil && art.Fresh:
		// The item is changed in this run and may write a new certificate
		// (until then its files may even disagree, mid-reissue): deploy
		// whatever it produces, after it.
		from := fromAddress(src.From)
		desired.Fields = []diff.Field{{Name: "serial", Value: fmt.Sprintf("(the certificate %s writes in this run)", from)}}
		p.DependsOn = []diff.Address{from}
		p.Desired = desired
		if live != nil {
			p.Action, p.Reason = diff.Update, fmt.Sprintf("%s may write a new certificate in this run", from)
		} else {
			p.Action, p.Reason = diff.Create, fmt.Sprintf("not on the CDN; %s may write its certificate in this run", from)
		}
		p.Notes = append(p.Notes, "if the order does not issue a certificate in this run, this change waits for the next run")
		return p, nil
	case err == nil:
		keys[kExpect] = fmt.Sprintf("%x", b.Leaf.SerialNumber)
		desired.Fields = []diff.Field{{Name: "serial", Value: keys[kExpect]}}
		// The expiry is shown with a new serial, never compared on its own:
		// the CDN's date format and precision are undocumented, and a
		// spurious difference would re-upload the key on every run.
		if live == nil || live.serial() != keys[kExpect] {
			desired.Fields = append(desired.Fields, diff.Field{Name: "expires", Value: b.Leaf.NotAfter.UTC().Format(time.RFC3339)})
		}
		if live == nil {
			desired.Fields = append(desired.Fields, diff.Field{Name: "dns_names", Value: certNames(b)})
		}
	case errors.Is(err, ErrSourceMissing) || src.From != "":
		// An order's files are missing, or out of step (a reissue with a
		// new key still pending): certsync writes them, so wait for it.
		msg := fmt.Sprintf("waiting: %v", err)
		if src.From != "" {
			msg = fmt.Sprintf("waiting for %s to issue its certificate (%v)", src.From, err)
			if art != nil && art.Pending != "" {
				msg += ": " + art.Pending
			}
		}
		p.Info = append(p.Info, msg)
		p.NoChange, p.Desired = true, nil // nothing to compare yet; not a create
		return p, nil
	default:
		// This item cannot be deployed; the others go on.
		p.Error, p.Desired = err.Error(), nil
		return p, nil
	}
	if want.Comment.Set {
		desired.Fields = append(desired.Fields, diff.Field{Name: "comment", Value: want.Comment.Value})
	}
	p.Desired = desired
	if src.From != "" && live == nil {
		p.DependsOn = []diff.Address{fromAddress(src.From)}
	}
	return p, nil
}

// Apply executes one change.
func (v *Vendor) Apply(ctx context.Context, c diff.Change) (apply.Outcome, error) {
	k := c.Keys
	if c.Action == diff.Delete {
		if err := v.client.Delete(ctx, c.LiveID); err != nil {
			return apply.Outcome{}, err
		}
		return apply.Outcome{ID: c.LiveID}, nil
	}
	if c.Action != diff.Create && c.Action != diff.Update {
		return apply.Outcome{}, fmt.Errorf("cannot %s a CDN certificate", c.Action)
	}
	src := Sources{
		Certificate: PEMSource{File: k[kCertFile], Env: k[kCertEnv]},
		Chain:       PEMSource{File: k[kChainFile], Env: k[kChainEnv]},
		Key:         PEMSource{File: k[kKeyFile], Env: k[kKeyEnv]},
	}
	b, err := LoadBundle(src, v.now())
	if err != nil && k[kFrom] != "" && len(c.DependsOn) > 0 {
		// The order changed in this run has not (yet) left a complete,
		// matching set of files: a pending reissue, say.
		return apply.Outcome{}, fmt.Errorf("%s has not written a usable certificate yet (%v): %w", k[kFrom], err, apply.ErrNotReady)
	}
	if err != nil {
		return apply.Outcome{}, err
	}
	serial := fmt.Sprintf("%x", b.Leaf.SerialNumber)
	if e := k[kExpect]; e != "" && e != serial {
		return apply.Outcome{}, fmt.Errorf("the certificate is now serial %s, not the %s the plan showed: make a new plan", serial, e)
	}
	if l := k[kLiveSerial]; l != "" && l == serial && k[kExpect] == "" {
		return apply.Outcome{}, fmt.Errorf("%s produced no new certificate in this run: %w", k[kFrom], apply.ErrNotReady)
	}
	u := Upload{Name: k[kName], Comment: k[kComment], CertPEM: b.CertPEM, KeyPEM: b.KeyPEM, Chain: b.ChainPEM}
	out := apply.Outcome{Messages: []string{fmt.Sprintf("serial %s, expires %s", serial, b.Leaf.NotAfter.UTC().Format("2006-01-02"))}}
	if c.Action == diff.Update {
		out.ID = c.LiveID
		return out, v.client.Modify(ctx, c.LiveID, u)
	}
	id, err := v.client.Add(ctx, u)
	if errors.Is(err, ErrAmbiguous) {
		// Names are unique per account: if one exists now, it is ours.
		list, lerr := v.client.List(ctx)
		if lerr != nil {
			return out, fmt.Errorf("%w; and listing to check failed: %v", err, lerr)
		}
		for _, lc := range list {
			if lc.Name == u.Name {
				out.ID = lc.ID
				out.Messages = append(out.Messages, "the answer was lost, but the certificate was stored")
				return out, nil
			}
		}
		return out, fmt.Errorf("%w; it is not on the CDN, so nothing was stored: run certsync again", err)
	}
	out.ID = id
	return out, err
}

// expiresIfAny is expires on a possibly nil certificate.
func (c *Certificate) expiresIfAny() (time.Time, bool) {
	if c == nil {
		return time.Time{}, false
	}
	return c.expires()
}
