// Package markmonitor keeps Markmonitor organizations, contacts and
// certificate orders in line with the inventory through the SSL Certs API,
// and writes issued certificates to disk.
//
// Live state is read with two paged lists per run (organizations with their
// contacts, orders with their certificates and chains): a steady-state plan
// makes no per-order request. Orders are tied to inventory items by a marker
// in their comments (see decide.go), so nothing is kept locally.
package markmonitor

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/certsync/certsync/internal/apply"
	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/httpx"
	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/pemutil"
	"github.com/certsync/certsync/internal/redact"
	"github.com/certsync/certsync/internal/state"
)

// Name is the vendor's key.
const Name = "markmonitor"

// Object kinds.
const (
	KindOrganization = "organization"
	KindContact      = "contact"
	KindOrder        = "order"
)

// The order lifecycle actions Markmonitor plans besides create and update.
const (
	// Renew places a new, paid order for a certificate that is due.
	Renew diff.Action = "renew"
	// Reissue replaces an issued certificate (new names or key) within its
	// order. It is declared paid: the CA may bill names a reissue adds,
	// so it runs only when in the plan shown and is never retried blindly.
	Reissue diff.Action = "reissue"
	// Cancel ends an order that is not issued yet.
	Cancel diff.Action = "cancel"
	// Revoke revokes issued certificates; it cannot be undone.
	Revoke diff.Action = "revoke"
	// Download writes the issued certificate to its output files.
	Download diff.Action = "download"
)

// Actions describes the lifecycle actions, for plans and guards.
var Actions = []diff.ActionSpec{
	{Vendor: Name, Kind: KindOrder, Action: diff.Create, Verb: "created", Symbol: "+", Paid: true},
	{Action: Renew, Verb: "renewed", Symbol: "+", Paid: true},
	{Action: Reissue, Verb: "reissued", Symbol: "~", Paid: true},
	{Action: Cancel, Verb: "cancelled", Symbol: "-", Destructive: true, Irreversible: true},
	{Action: Revoke, Verb: "revoked", Symbol: "-", Destructive: true, Irreversible: true},
	// Download only writes files on this machine: in CI mode it is
	// local-only, not a change to Markmonitor.
	{Action: Download, Verb: "downloaded", Symbol: "<=", Local: true},
	{Action: Validate, Verb: "validated", Symbol: "~"},
	{Action: Adopt, Verb: "adopted", Symbol: "<="},
}

// Capabilities: organizations can only be created (the API cannot modify
// them); contacts fully managed; orders through their lifecycle.
var Capabilities = map[string][]diff.Action{
	KindOrganization: {diff.Create},
	KindContact:      {diff.Create, diff.Update, diff.Delete},
	KindOrder:        {diff.Create, Renew, Reissue, diff.Update, Cancel, Revoke, Download, Validate, Adopt},
}

// ErrConfig means required settings are missing.
var ErrConfig = errors.New("missing Markmonitor settings")

// Deps are what the vendor borrows from the program.
type Deps struct {
	HTTP     *http.Client
	Log      *slog.Logger
	Redactor *redact.Redactor
	Clock    Clock
	// RequestsPerMinute overrides the client's pace (tests).
	RequestsPerMinute int
	// State keeps what the API cannot: adopted orders, validation
	// requests made (adopt.go, dcv.go). Nil keeps them in memory.
	State *state.Store
}

// Vendor implements the Markmonitor side of plan and apply.
type Vendor struct {
	client   *Client
	log      *slog.Logger
	clock    Clock
	state    *state.Store
	currency string

	mu   sync.Mutex
	orgs map[string]*Organization // by name, from Observe and creates

	paid paidGuard
}

// New checks the configuration and builds the vendor. It sends nothing.
func New(cfg Config, d Deps) (*Vendor, error) {
	if m := cfg.Missing(); len(m) > 0 {
		return nil, fmt.Errorf("%w: set %s", ErrConfig, strings.Join(m, ", "))
	}
	if err := errors.Join(httpx.CheckURL("CERTSYNC_MARKMONITOR_URL", cfg.URL), httpx.CheckURL("CERTSYNC_MARKMONITOR_AUTH_URL", cfg.AuthURL)); err != nil {
		return nil, err
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Clock == nil {
		d.Clock = realClock{}
	}
	if d.State == nil {
		st, err := state.Open("", Name)
		if err != nil {
			return nil, err
		}
		d.State = st
	}
	c := NewClient(cfg, ClientOptions{HTTP: d.HTTP, Log: d.Log, Clock: d.Clock, Redactor: d.Redactor, RequestsPerMinute: d.RequestsPerMinute})
	return &Vendor{client: c, log: d.Log, clock: d.Clock, state: d.State, currency: strings.TrimSpace(cfg.Currency), orgs: map[string]*Organization{}}, nil
}

// Client returns the API client.
func (v *Vendor) Client() *Client { return v.client }

func (v *Vendor) org(name string) *Organization {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.orgs[name]
}

// forgetOrg drops a cached organization whose contacts changed.
func (v *Vendor) forgetOrg(name string) {
	v.mu.Lock()
	delete(v.orgs, name)
	v.mu.Unlock()
}

func (v *Vendor) setOrg(o *Organization) {
	v.mu.Lock()
	v.orgs[o.Name] = o
	v.mu.Unlock()
}

// Observe reads organizations and orders once each and returns one pair per
// organization, contact and order of the inventory.
func (v *Vendor) Observe(ctx context.Context, inv *inventory.Inventory) ([]diff.Pair, error) {
	mm := SectionOf(inv)
	if mm == nil {
		return nil, nil
	}
	orgs, err := v.client.Organizations(ctx)
	if err != nil {
		return nil, fmt.Errorf("list organizations: %w", err)
	}
	byName := map[string]*Organization{}
	byID := map[string]*Organization{}
	for i := range orgs {
		o := &orgs[i]
		byID[o.ID] = o
		if _, dup := byName[o.Name]; !dup {
			byName[o.Name] = o // the API's name filter is fuzzy; match exactly here
		}
	}
	var orders []Order
	if len(mm.Orders) > 0 {
		if orders, err = v.client.Orders(ctx, nil); err != nil {
			return nil, fmt.Errorf("list orders: %w", err)
		}
	}
	// Contacts on an active order cannot be deleted (the API refuses).
	activeOrderOf := map[string]string{}
	for i := range orders {
		if !terminal(orders[i].Status) {
			for _, id := range orders[i].Contacts {
				activeOrderOf[id] = orders[i].ID
			}
		}
	}
	var pairs []diff.Pair
	for i := range mm.Organizations {
		want := &mm.Organizations[i]
		live := byName[want.Name.Value]
		if live != nil {
			v.setOrg(live)
		}
		pairs = append(pairs, orgPairs(want, live, activeOrderOf)...)
	}
	byMarker := map[string][]*Order{}
	for i := range orders {
		o := &orders[i]
		if m, ok := parseMarker(o.Comments); ok {
			byMarker[m.name] = append(byMarker[m.name], o)
		}
	}
	now := v.clock.Now()
	for i := range mm.Orders {
		want := &mm.Orders[i]
		hist := byMarker[want.Name.Value]
		sort.SliceStable(hist, func(a, b int) bool { return hist[a].DateCreated.After(hist[b].DateCreated) })
		hist, adopted, err := v.adopt(ctx, want, hist, orders, byID)
		var p diff.Pair
		if err == nil {
			p, err = orderPair(inv, want, hist, byID, byName[want.Organization.Value] == nil, now, diff.InCI(ctx))
		}
		if err != nil {
			// One bad item (its key file unreadable) must not stop the rest.
			p = diff.Pair{Address: orderAddress(want.Name.Value), Error: err.Error()}
		} else if adopted.problem == "" && len(hist) > 0 {
			v.describeDCV(ctx, inv, want, &p, hist[0], byName[want.Organization.Value])
		}
		if err == nil {
			planAdoption(&p, adopted)
		}
		p.Bundle = publish(inv, want, p)
		pairs = append(pairs, p)
	}
	v.priceChanges(ctx, pairs)
	return pairs, nil
}

// publish is the certificate bundle an order offers to items of other
// vendors that deploy it: its output files and key, which certificate the
// files hold after this run, and, while there is none, why.
//
//   - A change that may produce a new certificate (an order placed,
//     renewed, reissued or validated) makes the bundle Fresh: what it
//     writes is unknown until it is applied.
//   - A change that only writes local files (an action declared Local: a
//     download) writes the certificate already issued again, so the bundle
//     is a Rewrite naming that certificate, read from the order's JSON. In
//     CI mode, and whenever the files are missing, this is what lets the
//     items deploying it compare it with what they serve.
//   - Otherwise the files on disk are the certificate.
func publish(inv *inventory.Inventory, want *OrderItem, p diff.Pair) *diff.Bundle {
	b := &diff.Bundle{
		CertificateFile: inv.Resolve(want.Output.Certificate),
		ChainFile:       inv.Resolve(want.Output.Chain),
		KeyFile:         want.KeyPath,
	}
	if len(p.Info) > 0 {
		b.Pending = p.Info[0]
	}
	if len(p.Attention) > 0 {
		b.Pending = p.Attention[0] // e.g. an order that cannot be adopted
	}
	switch {
	case p.Action == diff.Create || p.Action == Renew || p.Action == Reissue || p.Action == Validate:
		b.Fresh = true
	case localOnly(p.Action):
		b.Rewrite = true
		if p.Desired != nil {
			// The order's JSON may lack the certificate for a moment after
			// issuance (the download then fetches it): the serial stays
			// unknown and the items deploying it wait for the download.
			describeCert(b, certOf(p.Desired.Keys[kLeaf]))
		}
	case b.CertificateFile != "":
		if data, err := pemutil.ReadFile(b.CertificateFile); err == nil {
			if c, err := pemutil.Certificate(data); err == nil {
				describeCert(b, c)
			}
		} else if b.Pending == "" && p.Action != "" {
			// The order is issued but its files are missing, and this run's
			// change is another one (an update of its e-mails, say): the
			// files come with a later run's download. Deploying items wait
			// for that instead of failing on a file that is not there yet.
			b.Pending = fmt.Sprintf("its certificate files are written by a later run (this run's change is %s)", p.Action)
		}
	}
	return b
}

// localOnly reports whether an order action is declared Local: it changes
// nothing at Markmonitor, only files on this machine.
func localOnly(a diff.Action) bool {
	return slices.ContainsFunc(Actions, func(s diff.ActionSpec) bool { return s.Action == a && s.Local })
}

// describeCert sets the bundle's Serial, Expires and Names from c (nothing
// when c is nil).
func describeCert(b *diff.Bundle, c *x509.Certificate) {
	if c == nil {
		return
	}
	b.Serial, b.Expires = fmt.Sprintf("%x", c.SerialNumber), c.NotAfter.UTC().Format(time.RFC3339)
	names := slices.Clone(c.DNSNames)
	if len(names) == 0 && c.Subject.CommonName != "" {
		names = []string{c.Subject.CommonName}
	}
	for i := range names {
		names[i] = strings.ToLower(names[i])
	}
	sort.Strings(names)
	b.Names = slices.Compact(names)
}

func orgAddress(name string) diff.Address {
	return diff.Address{Vendor: Name, Kind: KindOrganization, Name: name}
}

func contactAddress(org, email string) diff.Address {
	return diff.Address{Vendor: Name, Kind: KindContact, Name: org + "/" + strings.ToLower(email)}
}

// orgFields are the organization's managed fields; the API cannot change
// them after creation.
func orgFields(o *OrgItem) []diff.Field {
	var out []diff.Field
	for _, l := range inventory.Leaves(o) {
		if l.Set && l.Path != "name" {
			out = append(out, diff.Field{Name: l.Path, Value: l.Value})
		}
	}
	return out
}

func liveOrgFields(o *Organization) map[string]any {
	return map[string]any{
		"assumed_name": o.AssumedName, "address1": o.Address1, "address2": o.Address2, "city": o.City,
		"state": o.State, "country": o.Country, "zipcode": o.Zipcode, "phone": o.Phone,
	}
}

func contactFields(c *ContactItem) []diff.Field {
	var out []diff.Field
	for _, l := range inventory.Leaves(c) {
		if !l.Set || l.Path == "email" || l.Path == "state" {
			continue
		}
		if l.Path == "types" {
			t := slices.Clone(l.Value.([]string))
			sort.Strings(t)
			l.Value = t
		}
		out = append(out, diff.Field{Name: l.Path, Value: l.Value})
	}
	return out
}

func liveContactFields(c *Contact) map[string]any {
	types := []string{}
	for _, t := range c.ContactTypes {
		if t.Type != "TECHNICAL_CONTACT" {
			types = append(types, t.Type)
		}
	}
	sort.Strings(types)
	return map[string]any{
		"first_name": c.FirstName, "last_name": c.LastName, "job_title": c.JobTitle,
		"phone": c.Phone, "phone_extension": c.PhoneExtension, "types": types,
	}
}

func objectFrom(id string, fields []diff.Field, live map[string]any) *diff.Object {
	obj := &diff.Object{ID: id}
	for _, f := range fields {
		obj.Fields = append(obj.Fields, diff.Field{Name: f.Name, Value: live[f.Name]})
	}
	return obj
}

// orgPairs plans an organization and its contacts. A missing organization
// is created with its contacts in one request; drift in its own fields is
// reported, since only a person can change it. activeOrderOf maps a contact
// id to an active order naming it: such a contact cannot be deleted.
func orgPairs(want *OrgItem, live *Organization, activeOrderOf map[string]string) []diff.Pair {
	addr := orgAddress(want.Name.Value)
	desired := &diff.Object{Fields: orgFields(want)}
	if live == nil {
		body := wireOrg(want)
		for _, c := range want.Contacts {
			if c.State.Value != "absent" {
				desired.Fields = append(desired.Fields, diff.Field{Name: "contacts." + strings.ToLower(c.Email.Value) + ".types", Value: sortedCopy(c.Types.Values)})
			}
		}
		desired.Keys = map[string]string{kOrgJSON: mustJSON(body)}
		return []diff.Pair{{Address: addr, Desired: desired, Reason: "does not exist yet; created with its contacts"}}
	}
	var out []diff.Pair
	liveObj := objectFrom(live.ID, desired.Fields, liveOrgFields(live))
	org := diff.Pair{Address: addr, Live: liveObj}
	for _, fc := range diff.Fields(desired, liveObj) {
		org.Info = append(org.Info, fmt.Sprintf("%s is %s at Markmonitor but %s in the inventory; the API cannot modify organizations: change it in the Markmonitor portal (or with your DPA)",
			fc.Field, diff.FormatValue(fc.Old), diff.FormatValue(fc.New)))
	}
	out = append(out, org)
	for i := range want.Contacts {
		c := &want.Contacts[i]
		var lc *Contact
		for j := range live.Contacts {
			if strings.EqualFold(live.Contacts[j].Email, c.Email.Value) {
				lc = &live.Contacts[j]
				break
			}
		}
		p := diff.Pair{Address: contactAddress(want.Name.Value, c.Email.Value), Absent: c.State.Value == "absent"}
		fields := contactFields(c)
		keys := map[string]string{kOrg: want.Name.Value, kContactJSON: mustJSON(wireContact(c))}
		if !p.Absent {
			p.Desired = &diff.Object{Fields: fields, Keys: keys}
		}
		if lc != nil {
			p.Live = objectFrom(lc.ID, fields, liveContactFields(lc))
		}
		if !p.Absent && lc != nil && c.Types.Set && isEVApprover(lc) && !slices.Contains(c.Types.Values, "EXTENDED_VALIDATION_APPROVER") && !otherEVStays(want, live, lc) {
			p.Attention = append(p.Attention, fmt.Sprintf("contact %s is the organization's last EV approver, and Markmonitor refuses to take that type away: give another contact the EXTENDED_VALIDATION_APPROVER type first", lc.Email))
		}
		if p.Absent && lc != nil {
			p.Desired = &diff.Object{Keys: keys}
			if why := undeletable(want, live, lc, activeOrderOf); why != "" {
				// Known to be refused: a person must act, and nothing is
				// sent on every run.
				p.Attention = append(p.Attention, why)
			}
		}
		out = append(out, p)
	}
	return out
}

// undeletable says why Markmonitor would refuse to delete contact lc, or
// "": it is on an active order, or the organization would be left without
// a contact or without an EV approver (the technical contact Markmonitor
// adds does not count).
func undeletable(want *OrgItem, live *Organization, lc *Contact, activeOrderOf map[string]string) string {
	if id, ok := activeOrderOf[lc.ID]; ok {
		return fmt.Sprintf("contact %s is on active order %s, and Markmonitor refuses to delete it while that order lives (until it expires or is cancelled or revoked): keep the contact until then", lc.Email, id)
	}
	absent := map[string]bool{}
	for _, c := range want.Contacts {
		if c.State.Value == "absent" {
			absent[strings.ToLower(c.Email.Value)] = true
		}
	}
	isEV := isEVApprover
	others, otherEV := 0, 0
	for i := range live.Contacts {
		c := &live.Contacts[i]
		if c.ID == lc.ID || absent[strings.ToLower(c.Email)] || slices.ContainsFunc(c.ContactTypes, func(t ContactType) bool { return t.Type == "TECHNICAL_CONTACT" }) {
			continue
		}
		others++
		if isEV(c) {
			otherEV++
		}
	}
	switch {
	case others == 0:
		return fmt.Sprintf("contact %s is the organization's last contact, which Markmonitor refuses to delete: add another contact first", lc.Email)
	case isEV(lc) && otherEV == 0:
		return fmt.Sprintf("contact %s is the organization's last EV approver, which Markmonitor refuses to delete: give another contact the EXTENDED_VALIDATION_APPROVER type first", lc.Email)
	}
	return ""
}

func isEVApprover(c *Contact) bool {
	return slices.ContainsFunc(c.ContactTypes, func(t ContactType) bool { return t.Type == "EXTENDED_VALIDATION_APPROVER" })
}

// otherEVStays reports whether a live contact other than lc is an EV
// approver and stays one under the inventory.
func otherEVStays(want *OrgItem, live *Organization, lc *Contact) bool {
	for i := range live.Contacts {
		c := &live.Contacts[i]
		if c.ID == lc.ID || !isEVApprover(c) {
			continue
		}
		stays := true
		for _, w := range want.Contacts {
			if strings.EqualFold(w.Email.Value, c.Email) {
				stays = w.State.Value != "absent" && (!w.Types.Set || slices.Contains(w.Types.Values, "EXTENDED_VALIDATION_APPROVER"))
			}
		}
		if stays {
			return true
		}
	}
	return false
}

func sortedCopy(ts []string) []string {
	out := slices.Clone(ts)
	sort.Strings(out)
	return out
}

// Apply executes one change.
func (v *Vendor) Apply(ctx context.Context, c diff.Change) (apply.Outcome, error) {
	switch c.Address.Kind {
	case KindOrganization:
		return v.applyOrg(ctx, c)
	case KindContact:
		return v.applyContact(ctx, c)
	case KindOrder:
		return v.applyOrder(ctx, c)
	}
	return apply.Outcome{}, fmt.Errorf("unknown kind %q", c.Address.Kind)
}

// Keys of organization and contact changes: the request bodies, so that a
// saved plan applies exactly what it showed.
const (
	kOrgJSON     = "organization_json"
	kContactJSON = "contact_json"
)

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain structs of strings: cannot fail
	}
	return string(b)
}

func wireOrg(want *OrgItem) Organization {
	body := Organization{
		Name: want.Name.Value, AssumedName: want.AssumedName.Value, Address1: want.Address1.Value, Address2: want.Address2.Value,
		City: want.City.Value, State: want.State.Value, Country: want.Country.Value, Zipcode: want.Zipcode.Value,
		Phone: want.Phone.Value, Provider: "DIGICERT",
	}
	for i := range want.Contacts {
		if want.Contacts[i].State.Value != "absent" {
			body.Contacts = append(body.Contacts, wireContact(&want.Contacts[i]))
		}
	}
	return body
}

func wireContact(c *ContactItem) Contact {
	out := Contact{
		FirstName: c.FirstName.Value, LastName: c.LastName.Value, JobTitle: c.JobTitle.Value,
		Email: c.Email.Value, Phone: c.Phone.Value, PhoneExtension: c.PhoneExtension.Value, Provider: "DIGICERT",
	}
	for _, t := range c.Types.Values {
		out.ContactTypes = append(out.ContactTypes, ContactType{Type: t})
	}
	return out
}

// lookupOrg returns the organization by exact name, from what this vendor
// has seen, else by listing organizations once more.
func (v *Vendor) lookupOrg(ctx context.Context, name string) (*Organization, error) {
	if o := v.org(name); o != nil {
		return o, nil
	}
	orgs, err := v.client.Organizations(ctx)
	if err != nil {
		return nil, err
	}
	for i := range orgs {
		if orgs[i].Name == name {
			v.setOrg(&orgs[i])
			return &orgs[i], nil
		}
	}
	return nil, fmt.Errorf("organization %q does not exist at Markmonitor", name)
}

func (v *Vendor) applyOrg(ctx context.Context, c diff.Change) (apply.Outcome, error) {
	if c.Action != diff.Create {
		return apply.Outcome{}, fmt.Errorf("the API cannot %s an organization", c.Action)
	}
	var body Organization
	if err := json.Unmarshal([]byte(c.Keys[kOrgJSON]), &body); err != nil {
		return apply.Outcome{}, fmt.Errorf("the change carries no organization: %w", err)
	}
	created, err := v.client.CreateOrganization(ctx, body)
	if errors.Is(err, ErrAmbiguous) {
		// Look before creating again: the first request may have landed.
		v.forgetOrg(body.Name)
		if o, lerr := v.lookupOrg(ctx, body.Name); lerr == nil {
			return apply.Outcome{ID: o.ID, Messages: []string{"the answer was lost, but the organization was created"}}, nil
		}
		return apply.Outcome{}, fmt.Errorf("%w; no such organization exists, so nothing was created: run certsync again", err)
	}
	if err != nil {
		return apply.Outcome{}, err
	}
	v.setOrg(created)
	return apply.Outcome{ID: created.ID, Messages: []string{"submitted for organization validation; Markmonitor's CA partner will contact the organization"}}, nil
}

func (v *Vendor) applyContact(ctx context.Context, c diff.Change) (apply.Outcome, error) {
	defer v.forgetOrg(c.Keys[kOrg]) // the organization's contacts change
	if c.Action == diff.Delete {
		return apply.Outcome{}, v.client.DeleteContact(ctx, c.LiveID)
	}
	var body Contact
	if err := json.Unmarshal([]byte(c.Keys[kContactJSON]), &body); err != nil {
		return apply.Outcome{}, fmt.Errorf("the change carries no contact: %w", err)
	}
	switch c.Action {
	case diff.Update:
		out, err := v.client.PatchContact(ctx, c.LiveID, body)
		if err != nil {
			return apply.Outcome{}, err
		}
		var msgs []string
		if slices.Contains(body.ContactTypes, ContactType{Type: "EXTENDED_VALIDATION_APPROVER"}) {
			msgs = append(msgs, "an EV approver changed: Markmonitor re-submits the organization for validation")
		}
		return apply.Outcome{ID: out.ID, Messages: msgs}, nil
	case diff.Create:
	default:
		return apply.Outcome{}, fmt.Errorf("cannot %s a contact", c.Action)
	}
	org, err := v.lookupOrg(ctx, c.Keys[kOrg])
	if err != nil {
		return apply.Outcome{}, err
	}
	body.OrganizationID = org.ID
	out, err := v.client.CreateContact(ctx, body)
	v.forgetOrg(org.Name) // its contact list changes (or may have)
	if errors.Is(err, ErrAmbiguous) {
		if o, lerr := v.lookupOrg(ctx, org.Name); lerr == nil {
			for _, lc := range o.Contacts {
				if strings.EqualFold(lc.Email, body.Email) {
					return apply.Outcome{ID: lc.ID, Messages: []string{"the answer was lost, but the contact was created"}}, nil
				}
			}
		}
		return apply.Outcome{}, fmt.Errorf("%w; the contact was not found afterwards: run certsync again", err)
	}
	if err != nil {
		return apply.Outcome{}, err
	}
	return apply.Outcome{ID: out.ID}, nil
}
