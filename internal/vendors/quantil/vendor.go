// Package quantil keeps SSL certificates on the QUANTIL CDN in line with the
// inventory, and binds them to the CDN domains that should serve them. It
// reads through the legacy XML API (/api/ssl/certificate) and writes
// through it or the V2 JSON API (/api/certificate), as CERTSYNC_QUANTIL_API
// says; certificates other vendors' items issue are deployed by address.
//
// Live state is one list request per run. Certificates are matched by name
// (unique per account) and compared by serial, expiry and names; a bundle
// is verified once, by the inventory check, and key material is read again
// only when a change is applied. It never appears in a plan.
package quantil

import (
	"context"
	"crypto/x509"
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
	"github.com/certsync/certsync/internal/engine"
	"github.com/certsync/certsync/internal/httpx"
	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/pemutil"
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
	if _, err := cfg.api(); err != nil {
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
	// kDomains are the CDN domains to bind, comma-separated and sorted;
	// absent when the item does not manage domains.
	kDomains = "domains"
)

// fromAddress parses a from reference; the inventory checked it.
func fromAddress(from string) diff.Address {
	a, _ := diff.ParseAddress(from)
	return a
}

// Observe is ObserveAfter with no upstream artifacts.
func (v *Vendor) Observe(ctx context.Context, inv *inventory.Inventory) ([]diff.Pair, error) {
	return v.ObserveAfter(ctx, inv, engine.Ready(nil))
}

// ObserveAfter lists the CDN's certificates once and returns one pair per
// inventory certificate. upstreamOf waits for the bundles other vendors'
// items published (called only after the list was read, so that the list
// request overlaps theirs): one that may be renewed in this run is
// deployed after its change. On the V2 API the domains using a certificate to delete are read
// again from its own route; a steady-state plan is one request on either
// API.
func (v *Vendor) ObserveAfter(ctx context.Context, inv *inventory.Inventory, upstreamOf engine.Upstream) ([]diff.Pair, error) {
	sec := SectionOf(inv)
	if sec == nil || len(sec.Certificates) == 0 {
		return nil, nil
	}
	live, err := v.client.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("list certificates: %w", err)
	}
	o := &observation{byName: map[string]*Certificate{}, holder: map[string]*Certificate{}, claims: map[string]string{}}
	for i := range live {
		c := &live[i]
		o.byName[c.Name] = c
		for _, d := range c.domains() {
			o.holder[d] = c
		}
	}
	for i := range sec.Certificates {
		c := &sec.Certificates[i]
		if c.State.Value != "absent" {
			for _, d := range wantedDomains(c) {
				o.claims[d] = c.Name.Value
			}
		}
	}
	// The list above was read while the upstream vendors were still being
	// observed; only the pairs need their artifacts.
	upstream := upstreamOf()
	pairs := make([]diff.Pair, 0, len(sec.Certificates))
	for i := range sec.Certificates {
		pairs = append(pairs, v.pair(ctx, inv, &sec.Certificates[i], o, upstream))
	}
	return pairs, nil
}

// observation is what one list showed, with the inventory's domain claims.
type observation struct {
	byName map[string]*Certificate
	// holder is the certificate each CDN domain serves now.
	holder map[string]*Certificate
	// claims is the item that binds each domain, by domain.
	claims map[string]string
}

func address(name string) diff.Address { return diff.Address{Vendor: Name, Kind: Kind, Name: name} }

// liveObject is the live side of a pair. bound, when domains are managed,
// are the wanted domains the certificate serves already.
func liveObject(c *Certificate, comment bool, bound []string) *diff.Object {
	obj := &diff.Object{ID: c.ID, Fields: []diff.Field{{Name: "serial", Value: c.serial()}}}
	if t, ok := c.expires(); ok {
		obj.Fields = append(obj.Fields, diff.Field{Name: "expires", Value: t.Format(time.RFC3339)})
	}
	if comment {
		obj.Fields = append(obj.Fields, diff.Field{Name: "comment", Value: c.Comment})
	}
	if bound != nil {
		obj.Fields = append(obj.Fields, diff.Field{Name: "domains", Value: bound})
	}
	return obj
}

// leafFacts is what a plan compares of the certificate an item deploys.
type leafFacts struct {
	serial   string // lower-case hex, as the CDN reports it
	notAfter time.Time
	names    []string // certNames
}

func factsOf(leaf *x509.Certificate) leafFacts {
	return leafFacts{serial: fmt.Sprintf("%x", leaf.SerialNumber), notAfter: leaf.NotAfter, names: certNames(leaf)}
}

func certNames(leaf *x509.Certificate) []string {
	names := slices.Clone(leaf.DNSNames)
	if len(names) == 0 && leaf.Subject.CommonName != "" {
		names = []string{leaf.Subject.CommonName}
	}
	for i := range names {
		names[i] = strings.ToLower(names[i])
	}
	sort.Strings(names)
	return names
}

// wantedDomains are the item's domains, normalised and sorted.
func wantedDomains(c *CertificateItem) []string {
	out := make([]string, 0, len(c.Domains.Values))
	for _, d := range c.Domains.Values {
		out = append(out, normalDomain(d))
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// users returns the domains that use live, for a delete: from the list on
// v1, from the certificate's own domain route on V2.
func (v *Vendor) users(ctx context.Context, live *Certificate) ([]string, error) {
	if !v.client.v2 {
		return live.domains(), nil
	}
	d, err := v.client.Domains(ctx, live.ID)
	if err != nil {
		return nil, fmt.Errorf("read the domains using certificate %s: %w", live.ID, err)
	}
	return d, nil
}

func (v *Vendor) deletePair(ctx context.Context, p diff.Pair, live *Certificate, o *observation) diff.Pair {
	name := p.Address.Name
	p.Absent = true
	if live == nil {
		return p
	}
	p.Live = liveObject(live, false, nil)
	p.Desired = &diff.Object{Keys: map[string]string{kName: name}}
	users, err := v.users(ctx, live)
	if err != nil {
		p.Error, p.Desired = err.Error(), nil
		return p
	}
	if len(users) == 0 {
		p.Notes = []string{"deleting cannot be undone; no CDN domain uses this certificate"}
		return p
	}
	var stay []string
	movers := map[string]bool{}
	for _, d := range users {
		if item := o.claims[d]; item != "" && item != name {
			movers[item] = true
		} else {
			stay = append(stay, d)
		}
	}
	if len(stay) > 0 {
		// Known to be refused: a person decides where those domains go.
		p.Attention = []string{fmt.Sprintf("not deleted: the CDN domains %s use this certificate, and QUANTIL refuses to delete a certificate in use; list them under domains: of the certificate that should serve them, or remove them from the CDN first", strings.Join(stay, ", "))}
		p.Desired = nil
		return p
	}
	for item := range movers {
		p.DependsOn = append(p.DependsOn, address(item))
	}
	slices.SortFunc(p.DependsOn, func(a, b diff.Address) int { return strings.Compare(a.Name, b.Name) })
	p.Notes = []string{fmt.Sprintf("deleting cannot be undone; the CDN domains %s using it move to another certificate first", strings.Join(users, ", "))}
	return p
}

func (v *Vendor) pair(ctx context.Context, inv *inventory.Inventory, want *CertificateItem, o *observation, up diff.Artifacts) diff.Pair {
	name := want.Name.Value
	live := o.byName[name]
	p := diff.Pair{Address: address(name)}
	if want.State.Value == "absent" {
		return v.deletePair(ctx, p, live, o)
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
	wanted := wantedDomains(want)
	if want.Domains.Set {
		keys[kDomains] = strings.Join(wanted, ",")
	}
	desired := &diff.Object{Keys: keys}
	if live != nil {
		var bound []string
		if want.Domains.Set {
			bound = []string{}
			for _, d := range live.domains() {
				if slices.Contains(wanted, d) {
					bound = append(bound, d)
				}
			}
		}
		p.Live = liveObject(live, want.Comment.Set, bound)
		keys[kLiveSerial] = live.serial()
	}
	var art *diff.Bundle // what the item deployed from published, if observed
	if src.From != "" {
		art = up[fromAddress(src.From)]
	}
	if art != nil && (art.Fresh || art.Rewrite && art.Serial == "") {
		// The item is changed in this run and may write a new certificate
		// (until then its files may even disagree, mid-reissue), or writes
		// one its vendor did not name: deploy whatever it writes, after it.
		from := fromAddress(src.From)
		desired.Fields = []diff.Field{{Name: "serial", Value: fmt.Sprintf("(the certificate %s writes in this run)", from)}}
		p.DependsOn = []diff.Address{from}
		what := "may write a new certificate"
		if !art.Fresh {
			what = "writes its issued certificate"
		}
		if live != nil {
			p.Action, p.Reason = diff.Update, fmt.Sprintf("%s %s in this run", from, what)
		} else {
			p.Action, p.Reason = diff.Create, fmt.Sprintf("not on the CDN; %s %s in this run", from, what)
		}
		p.Notes = append(p.Notes, "if the order does not issue a certificate in this run, this change waits for the next run")
	} else {
		dc, err := v.deployed(want, src, art)
		if err != nil {
			if msg, ok := waiting(err, want, src, art); ok {
				p.Info = append(p.Info, msg)
				p.NoChange = true // nothing to compare yet; not a create
				return p
			}
			// This item cannot be deployed; the others go on.
			p.Error = err.Error()
			return p
		}
		keys[kExpect] = dc.serial
		desired.Fields = []diff.Field{{Name: "serial", Value: dc.serial}}
		// The expiry is shown with a new serial, never compared on its own:
		// the CDN's date format and precision are undocumented, and a
		// spurious difference would re-upload the key on every run.
		if live == nil || live.serial() != dc.serial {
			desired.Fields = append(desired.Fields, diff.Field{Name: "expires", Value: dc.notAfter.UTC().Format(time.RFC3339)})
		}
		if live == nil {
			desired.Fields = append(desired.Fields, diff.Field{Name: "dns_names", Value: dc.names})
		}
		if uncovered := uncoveredDomains(dc.names, wanted); len(uncovered) > 0 {
			p.Error = fmt.Sprintf("the certificate (names %s) does not cover the domains %s it is to serve", strings.Join(dc.names, ", "), strings.Join(uncovered, ", "))
			return p
		}
		switch {
		case dc.rewritten:
			// The files are written again in this run (they may be missing
			// here, as on a CI runner): a change reads them after that.
			p.DependsOn = []diff.Address{fromAddress(src.From)}
			if live != nil && live.serial() != dc.serial {
				p.Notes = append(p.Notes, fmt.Sprintf("the certificate is read from the files %s writes in this run", src.From))
			}
		case src.From != "" && live == nil:
			p.DependsOn = []diff.Address{fromAddress(src.From)}
		}
	}
	if want.Comment.Set {
		desired.Fields = append(desired.Fields, diff.Field{Name: "comment", Value: want.Comment.Value})
	}
	if want.Domains.Set {
		desired.Fields = append(desired.Fields, diff.Field{Name: "domains", Value: wanted})
		p.Notes = append(p.Notes, moves(name, wanted, o)...)
	}
	p.Desired = desired
	// The list's related-domains say which domains an update reaches; the
	// V2 per-certificate route is kept for deletes, which are few, so that
	// a mass renewal costs no request per certificate at plan time.
	if live != nil && (p.Action != "" || len(diff.Fields(desired, p.Live)) > 0) {
		if users := live.domains(); len(users) > 0 {
			p.Notes = append(p.Notes, "used by the CDN domains "+strings.Join(users, ", "))
		}
	}
	return p
}

// moves describes the wanted domains that do not serve certificate name
// yet: which certificate each one leaves.
func moves(name string, wanted []string, o *observation) []string {
	var out []string
	for _, d := range wanted {
		h := o.holder[d]
		switch {
		case h != nil && h.Name == name:
		case h != nil:
			out = append(out, fmt.Sprintf("%s moves from certificate %s (id %s)", d, h.Name, h.ID))
		default:
			out = append(out, fmt.Sprintf("%s will serve this certificate (the list shows it serving none now)", d))
		}
	}
	return out
}

// uncoveredDomains are the domains no name of the certificate covers (an
// exact name, or a wildcard one label deep); a CDN would serve them with
// certificate errors, and QUANTIL refuses such a binding.
func uncoveredDomains(names, domains []string) []string {
	var out []string
	for _, d := range domains {
		ok := false
		for _, n := range names {
			base, wild := strings.CutPrefix(n, "*.")
			_, rest, _ := strings.Cut(d, ".")
			if n == d || wild && rest == base {
				ok = true
				break
			}
		}
		if !ok {
			out = append(out, d)
		}
	}
	return out
}

// deployedCert is what plans compare of the certificate an item deploys.
type deployedCert struct {
	serial   string // lower-case hex
	notAfter time.Time
	names    []string // lower case, sorted
	// rewritten means the certificate was named by a bundle whose item
	// writes its files in this run (diff.Bundle.Rewrite), not read from
	// disk.
	rewritten bool
}

// fromBundle reports whether the item's certificate is the one its from
// publishes (not a file or variable of its own).
func fromBundle(want *CertificateItem) bool {
	return want.From.Value != "" && !want.Certificate.Set && !want.CertificateEnv.Set
}

// deployed is the certificate the item deploys after this run: the one its
// from's bundle names when that item writes its files again in this run
// (whether or not they are on this machine now), else the one on disk.
func (v *Vendor) deployed(want *CertificateItem, src Sources, art *diff.Bundle) (deployedCert, error) {
	if art != nil && art.Rewrite && art.Serial != "" && fromBundle(want) {
		notAfter, err := time.Parse(time.RFC3339, art.Expires)
		if err != nil {
			return deployedCert{}, fmt.Errorf("%s names certificate %s with no readable expiry (%q)", src.From, art.Serial, art.Expires)
		}
		if v.now().After(notAfter) {
			return deployedCert{}, bundleErr("certificate", "the certificate %s of %s expired on %s", art.Serial, src.From, notAfter.UTC().Format("2006-01-02"))
		}
		return deployedCert{serial: art.Serial, notAfter: notAfter, names: art.Names, rewritten: true}, nil
	}
	leaf, err := v.leaf(want, src)
	if err != nil {
		return deployedCert{}, err
	}
	// leaf's names may be shared with the checked item: copy them.
	return deployedCert{serial: leaf.serial, notAfter: leaf.notAfter, names: slices.Clone(leaf.names)}, nil
}

// leaf is the certificate an item deploys now: the one the offline check
// verified, or (for a from, whose files change as its order is reissued)
// its certificate read from disk. Neither key nor chain is read here:
// apply reads and verifies the whole bundle before sending it.
func (v *Vendor) leaf(want *CertificateItem, src Sources) (leafFacts, error) {
	if ch := want.checked; ch != nil && src.From == "" && ch.stamp == src.Certificate.stamp() {
		return ch.leaf, nil
	}
	data, err := src.Certificate.Read()
	if err != nil {
		return leafFacts{}, bundleErr("certificate", "certificate: %w", err)
	}
	leaf, err := pemutil.Certificate(data)
	if err != nil {
		return leafFacts{}, bundleErr("certificate", "certificate %s: %w", src.Certificate, err)
	}
	if v.now().After(leaf.NotAfter) {
		return leafFacts{}, bundleErr("certificate", "the certificate %s expired on %s", src.Certificate, leaf.NotAfter.UTC().Format("2006-01-02"))
	}
	return factsOf(leaf), nil
}

// waiting says whether err only means that the item the certificate comes
// from has not issued it yet, as that item's bundle says: the change then
// waits. Any other missing or broken source (a mistyped variable or path)
// is an error for the item.
func waiting(err error, want *CertificateItem, src Sources, art *diff.Bundle) (string, bool) {
	var be *BundleError
	if src.From == "" || art == nil || art.Pending == "" || !errors.Is(err, ErrSourceMissing) || !errors.As(err, &be) {
		return "", false
	}
	own := map[string]bool{
		"certificate": want.Certificate.Set || want.CertificateEnv.Set,
		"chain":       want.Chain.Set || want.ChainEnv.Set,
		"private_key": want.PrivateKey.Set || want.PrivateKeyEnv.Set,
	}
	if own[be.Field] {
		return "", false
	}
	return fmt.Sprintf("waiting for %s to issue its certificate (%v): %s", src.From, err, art.Pending), true
}

// Apply executes one change: a delete, or an upload (add or modify) when
// more than the domains differ, then a binding of the wanted domains when
// they differ.
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
	bind := false
	upload := c.Action == diff.Create
	for _, f := range c.Fields {
		if f.Field == "domains" {
			bind = true
		} else {
			upload = true
		}
	}
	out := apply.Outcome{ID: c.LiveID}
	if upload {
		var err error
		if out, err = v.upload(ctx, c); err != nil {
			return out, err
		}
	}
	if d := k[kDomains]; bind && d != "" {
		domains := strings.Split(d, ",")
		if err := v.client.Bind(ctx, out.ID, domains); err != nil {
			return out, fmt.Errorf("bind the CDN domains %s to certificate %s: %w", d, out.ID, err)
		}
		out.Messages = append(out.Messages, "serves the CDN domains "+strings.Join(domains, ", "))
	}
	return out, nil
}

// upload reads, verifies and sends the bundle (add or modify).
func (v *Vendor) upload(ctx context.Context, c diff.Change) (apply.Outcome, error) {
	k := c.Keys
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
	if d := k[kDomains]; d != "" {
		if uncovered := uncoveredDomains(certNames(b.Leaf), strings.Split(d, ",")); len(uncovered) > 0 {
			return apply.Outcome{}, fmt.Errorf("the certificate %s does not cover the domains %s it is to serve; nothing was sent", serial, strings.Join(uncovered, ", "))
		}
	}
	u := Upload{Name: k[kName], CertPEM: b.CertPEM, KeyPEM: b.KeyPEM, Chain: b.ChainPEM}
	if cm, managed := k[kComment]; managed {
		u.Comment = &cm
	}
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
