package markmonitor

import (
	"context"

	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/certsync/certsync/internal/apply"
	"github.com/certsync/certsync/internal/atomicfile"
	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/pemutil"
)

// Keys of an order change: what Apply needs besides the desired fields.
const (
	kOrderID    = "order_id"
	kOrg        = "organization"
	kMarker     = "marker"
	kLeaf       = "certificate_pem"
	kChain      = "chain_pem"
	kOutCert    = "output_certificate"
	kOutChain   = "output_chain"
	kOutFull    = "output_full_chain"
	kCSRFile    = "csr_file"
	kKeyFile    = "key_file"
	kKeyType    = "key_type"
	kCN         = "common_name"
	kCertType   = "cert_type"
	kDCV        = "dcv_method"
	kPlatform   = "server_platform"
	kContacts   = "contacts"
	kSANs       = "dns_names"
	kEmails     = "additional_emails"
	kRevokeIDs  = "revoke_order_ids"
	kCancelFrom = "cancel_from_status"
	// kKnown lists the item's orders seen when planning: after a lost
	// answer, only an order not among them can be the one just placed.
	kKnown       = "known_order_ids"
	fileUnknown  = "(not written yet)"
	keyGenerated = "(generated on apply: %s)"
)

// liveKey is the key id of an order's certificate (or of its CSR).
func liveKey(o *Order) string {
	if o == nil || o.Cert == nil {
		return ""
	}
	if k := certKey(o.Cert.EndEntityCert); k != nil {
		return keyID(k)
	}
	if k := csrKey(o.Cert.CSR); k != nil {
		return keyID(k)
	}
	return ""
}

// onDisk describes the certificate file as plans show it: its serial and
// expiry, or nil when there is none.
func onDisk(path string) any {
	if path == "" {
		return nil
	}
	data, err := pemutil.ReadFile(path)
	if err != nil {
		return nil
	}
	if s := certSummary(string(data)); s != nil {
		return s
	}
	return "(not a certificate)"
}

func certSummary(pemText string) any {
	c := certOf(pemText)
	if c == nil {
		return nil
	}
	return fmt.Sprintf("serial %X, expires %s", c.SerialNumber, c.NotAfter.UTC().Format("2006-01-02"))
}

// bundle returns the leaf and the chain (intermediates, no root) PEMs of an
// issued order.
func bundle(o *Order) (leaf, chain string) {
	if o == nil || o.Cert == nil {
		return "", ""
	}
	return pemNL(o.Cert.EndEntityCert), pemNL(o.Cert.IntermediateCert)
}

func pemNL(s string) string {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	if s == "" {
		return ""
	}
	return s + "\n"
}

// readOutputs reads the configured output files for decide; a file that
// is missing or unreadable has no entry.
func readOutputs(paths ...string) outputFiles {
	out := outputFiles{}
	for _, p := range paths {
		if p == "" {
			continue
		}
		if data, err := pemutil.ReadFile(p); err == nil {
			out[p] = data
		}
	}
	return out
}

// wantOf reads what decide needs from the inventory item: the key id (from
// the CSR, or the key file when it exists) and the output files.
func wantOf(inv *inventory.Inventory, want *OrderItem) (orderWant, error) {
	w := orderWant{
		Name: want.Name.Value, Org: want.Organization.Value, CertType: want.CertType.Value, CN: want.CommonName.Value,
		SANs: normNames(want.DNSNames.Values, want.CommonName.Value), State: want.State.Value, Rekey: want.Rekey.Value,
		Emails: sortedCopy(want.AdditionalEmails.Values), EmailsSet: want.AdditionalEmails.Set,
		OutCert: inv.Resolve(want.Output.Certificate), OutChain: inv.Resolve(want.Output.Chain), OutFull: inv.Resolve(want.Output.FullChain),
	}
	if w.State == "" {
		w.State = "present"
	}
	if want.RenewBefore.Set {
		w.RenewBefore, _ = inventory.ParseDuration(want.RenewBefore.Value) // checked by validate
	}
	if want.ParsedCSR != nil {
		w.Key = keyID(want.ParsedCSR.PublicKey)
		return w, nil
	}
	w.KeyFile = want.KeyPath
	if ck := want.checkedKey; ck != nil {
		if now, ok := stampOf(want.KeyPath); ok && now == ck.stamp {
			w.Key = ck.id // parsed by the check, unchanged since
			return w, nil
		}
	}
	k, ok, err := loadKey(want.KeyPath)
	if err != nil {
		return w, err
	}
	if ok {
		w.Key = keyID(k.Public())
	}
	return w, nil
}

// orderPair is the I/O around decide for one inventory order and its marked
// orders, newest first: it reads the key and output files, asks decide, and
// turns the decision into the pair a plan shows and the keys Apply needs.
//
// ci is CI mode (diff.InCI): a missing key file is expected there.
func orderPair(inv *inventory.Inventory, want *OrderItem, hist []*Order, orgsByID map[string]*Organization, orgMissing bool, now time.Time, ci bool) (diff.Pair, error) {
	w, err := wantOf(inv, want)
	if err != nil {
		return diff.Pair{}, err
	}
	w.KeyElsewhere = ci && w.KeyFile != "" && w.Key == ""
	h := orderHistory{Orders: hist, OrgOf: map[string]string{}, keys: map[*Order]string{}}
	for _, o := range hist {
		if org := orgsByID[o.OrganizationID]; org != nil {
			h.OrgOf[o.ID] = org.Name
		} else {
			// The organization list did not show it (another user's?); the
			// marker says the order is this item's, so no paid replacement
			// is planned just because the list was incomplete.
			h.OrgOf[o.ID] = w.Org
		}
	}
	files := readOutputs(w.OutCert, w.OutChain, w.OutFull)
	d := decide(w, h, files, now)

	p := diff.Pair{Address: orderAddress(w.Name), NoChange: d.Action == "", Info: d.Info, Attention: d.Attention, Notes: d.Notes, RenewAt: d.RenewAt}
	if orgMissing {
		p.DependsOn = []diff.Address{orgAddress(w.Org)}
	}
	// Contacts the order names may be created or changed in the same run:
	// the order goes after them (dependencies not in the plan are ignored).
	contacts := orderContacts(inv, want)
	for _, e := range contacts {
		p.DependsOn = append(p.DependsOn, contactAddress(w.Org, e))
	}
	if d.Action == "" {
		if len(hist) > 0 {
			p.Live = liveOrder(hist[0], h)
		}
		return p, nil
	}
	p.Action, p.Reason = d.Action, d.Reason
	p.Desired = desiredOrder(inv, want, w)
	k := p.Desired.Keys
	if d.On != nil {
		p.Live = liveOrder(d.On, h)
		k[kOrderID] = d.On.ID
	}
	switch d.Action {
	case diff.Create, Renew:
		prev := ""
		if d.On != nil {
			prev = d.On.ID
		}
		k[kMarker] = marker{name: w.Name, spec: w.spec(), prev: shortID(prev)}.String()
		ids := make([]string, 0, len(hist))
		for _, o := range hist {
			ids = append(ids, o.ID)
		}
		k[kKnown] = strings.Join(ids, ",")
	case Cancel:
		p.Desired.Fields = nil // a cancel changes no field; the reason says it all
		k[kCancelFrom] = d.On.Status
	case Revoke:
		p.Desired.Fields = nil
		k[kRevokeIDs] = strings.Join(d.RevokeIDs, ",")
	case Download:
		leaf, _ := bundle(d.On)
		var got any = "(downloaded on apply)"
		if s := certSummary(leaf); s != nil {
			got = s
		}
		p.Desired.Fields = append(p.Desired.Fields, diff.Field{Name: "certificate_file", Value: got})
		p.Live.Fields = append(p.Live.Fields, diff.Field{Name: "certificate_file", Value: onDisk(w.OutCert)})
	}
	if d.On != nil && d.Action != Cancel && d.Action != Revoke {
		k[kLeaf], k[kChain] = bundle(d.On)
	}
	return p, nil
}

// desiredOrder is the inventory's view of an order as plans show it, with
// the keys Apply needs to send it.
func desiredOrder(inv *inventory.Inventory, want *OrderItem, w orderWant) *diff.Object {
	key := w.Key
	if key == "" {
		kt := want.KeyType.Value
		if kt == "" {
			kt = "rsa-2048"
		}
		key = fmt.Sprintf(keyGenerated, kt)
	}
	desired := &diff.Object{Keys: map[string]string{
		kOrg: w.Org, kCN: w.CN, kCertType: w.CertType,
		kDCV: want.DCVMethod.Value, kPlatform: want.ServerPlatform.Value, kKeyType: want.KeyType.Value,
		kOutCert: w.OutCert, kOutChain: w.OutChain, kOutFull: w.OutFull,
		kSANs: strings.Join(w.SANs, ","), kContacts: strings.Join(orderContacts(inv, want), ","),
		kEmails: strings.Join(want.AdditionalEmails.Values, ","),
	}}
	if want.ParsedCSR != nil {
		desired.Keys[kCSRFile] = inv.Resolve(want.CSR)
	} else {
		desired.Keys[kKeyFile] = want.KeyPath
	}
	desired.Fields = []diff.Field{
		{Name: "organization", Value: w.Org},
		{Name: "cert_type", Value: w.CertType},
		{Name: "common_name", Value: w.CN},
		{Name: "dns_names", Value: w.SANs},
		{Name: "key", Value: key},
	}
	if w.EmailsSet {
		desired.Fields = append(desired.Fields, diff.Field{Name: "additional_emails", Value: w.Emails})
	}
	return desired
}

// liveOrder is an order as plans show it.
func liveOrder(o *Order, h orderHistory) *diff.Object {
	var liveSANs []string
	cn := ""
	if o.Cert != nil {
		liveSANs = normNames(o.Cert.DNSNames, o.Cert.CommonName)
		cn = o.Cert.CommonName
	}
	obj := &diff.Object{ID: o.ID, Fields: []diff.Field{
		{Name: "organization", Value: h.OrgOf[o.ID]},
		{Name: "cert_type", Value: o.CertType},
		{Name: "common_name", Value: cn},
		{Name: "dns_names", Value: liveSANs},
		{Name: "key", Value: h.liveKey(o)},
		{Name: "additional_emails", Value: sortedCopy(o.AdditionalEmails)},
		{Name: "status", Value: o.Status},
	}}
	if o.Cert != nil && o.Cert.DateValidUntil != nil {
		obj.Fields = append(obj.Fields, diff.Field{Name: "expires", Value: o.Cert.DateValidUntil.UTC().Format(time.RFC3339)})
	}
	return obj
}

// applyOrder runs an order change.
func (v *Vendor) applyOrder(ctx context.Context, c diff.Change) (apply.Outcome, error) {
	k := c.Keys
	if c.Action != Adopt {
		// A change of an item whose adoption the plan showed records it
		// first: the adoption stands on its own (adopt.go).
		if err := v.recordAdoption(c); err != nil {
			return apply.Outcome{}, err
		}
	}
	switch c.Action {
	case Adopt:
		return v.applyAdopt(ctx, c)
	case Validate:
		return v.validate(ctx, c)
	case diff.Create, Renew:
		return v.placeOrder(ctx, c)
	case Reissue:
		return v.reissue(ctx, c)
	case diff.Update:
		emails := nonNilList(k[kEmails])
		o, err := v.client.Action(ctx, k[kOrderID], "updateAdditionalEmails", ActionRequest{AdditionalEmails: &emails}, true)
		if err != nil {
			return apply.Outcome{}, err
		}
		return apply.Outcome{ID: o.ID}, nil
	case Cancel:
		// Cancelling a pending reissue returns the order to issued; for any
		// other order, issued would mean the cancel did not happen.
		if k[kCancelFrom] == StatusReissuePendingDigi {
			return v.endOrder(ctx, k[kOrderID], "cancel", StatusCanceled, StatusIssued)
		}
		return v.endOrder(ctx, k[kOrderID], "cancel", StatusCanceled)
	case Revoke:
		var out apply.Outcome
		for _, id := range splitList(k[kRevokeIDs]) {
			o, err := v.endOrder(ctx, id, "revoke", StatusRevoked)
			out.Messages = append(out.Messages, o.Messages...)
			if err != nil {
				return out, fmt.Errorf("order %s: %w", id, err)
			}
		}
		return out, nil
	case Download:
		leaf, chain := k[kLeaf], k[kChain]
		if leaf == "" {
			all, err := v.client.Download(ctx, k[kOrderID])
			if err != nil {
				return apply.Outcome{}, err
			}
			leaf, chain = splitBundle(all)
		}
		if err := writeOutputs(k, leaf, chain); err != nil {
			return apply.Outcome{}, err
		}
		return apply.Outcome{ID: k[kOrderID], Messages: []string{"wrote " + outputsList(k)}}, nil
	}
	return apply.Outcome{}, fmt.Errorf("cannot %s an order", c.Action)
}

// nonNilList is splitList for lists the API must receive even when empty.
func nonNilList(s string) []string {
	if l := splitList(s); l != nil {
		return l
	}
	return []string{}
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func outputsList(k map[string]string) string {
	var out []string
	for _, f := range []string{k[kOutCert], k[kOutChain], k[kOutFull]} {
		if f != "" {
			out = append(out, f)
		}
	}
	return strings.Join(out, ", ")
}

// writeOutputs writes the certificate, chain and full chain atomically.
func writeOutputs(k map[string]string, leaf, chain string) error {
	for _, f := range []struct{ path, data string }{
		{k[kOutCert], leaf}, {k[kOutChain], chain}, {k[kOutFull], leaf + chain},
	} {
		if f.path == "" {
			continue
		}
		if err := atomicfile.Write(f.path, []byte(f.data), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", f.path, err)
		}
	}
	return nil
}

// splitBundle splits a pem_all download (leaf, intermediates, root) into the
// leaf and the chain without the root.
func splitBundle(all string) (leaf, chain string) {
	const end = "-----END CERTIFICATE-----"
	var blocks []string
	rest := all
	for {
		i := strings.Index(rest, end)
		if i < 0 {
			break
		}
		blocks = append(blocks, strings.TrimSpace(rest[:i+len(end)])+"\n")
		rest = rest[i+len(end):]
	}
	if len(blocks) == 0 {
		return "", ""
	}
	leaf = blocks[0]
	for _, b := range blocks[1:] {
		if c := certOf(b); c != nil && c.CheckSignatureFrom(c) == nil {
			continue // the self-signed root stays out of the chain
		}
		chain += b
	}
	return leaf, chain
}

// csrFor returns the CSR to send: the inventory's CSR file, or one made from
// the private key, which is generated (0600) first when it does not exist;
// the outcome says so.
func csrFor(k map[string]string, sans []string) (string, apply.Outcome, error) {
	var out apply.Outcome
	if f := k[kCSRFile]; f != "" {
		data, err := pemutil.ReadFile(f)
		return string(data), out, err
	}
	key, ok, err := loadKey(k[kKeyFile])
	if err != nil {
		return "", out, err
	}
	if !ok {
		if key, err = generateKey(k[kKeyFile], k[kKeyType]); err != nil {
			return "", out, err
		}
		out.Messages = append(out.Messages, "generated a new private key in "+k[kKeyFile])
	}
	csr, err := makeCSR(key, k[kCN], sans)
	return csr, out, err
}

// placeOrder posts a new order (create or renew) exactly once. An ambiguous
// failure is reconciled by listing orders and adopting the one that carries
// this change's marker; if none does, nothing is re-sent in this run.
func (v *Vendor) placeOrder(ctx context.Context, c diff.Change) (apply.Outcome, error) {
	k := c.Keys
	org, err := v.lookupOrg(ctx, k[kOrg])
	if err != nil {
		return apply.Outcome{}, err
	}
	refs, missing := contactRefs(org, splitList(k[kContacts]))
	if len(missing) > 0 {
		// Created in this run after the organization was read: read again.
		v.forgetOrg(org.Name)
		if org, err = v.lookupOrg(ctx, k[kOrg]); err != nil {
			return apply.Outcome{}, err
		}
		if refs, missing = contactRefs(org, splitList(k[kContacts])); len(missing) > 0 {
			return apply.Outcome{}, fmt.Errorf("contact(s) %s of organization %q do not exist at Markmonitor; nothing was ordered", strings.Join(missing, ", "), org.Name)
		}
	}
	sans := nonNilList(k[kSANs])
	csr, out, err := csrFor(k, sans)
	if err != nil {
		return apply.Outcome{}, err
	}
	req := OrderRequest{
		OrganizationID: org.ID, Contacts: refs, CertType: k[kCertType], Locale: "en", Provider: "DIGICERT",
		Comments: k[kMarker], AdditionalEmails: splitList(k[kEmails]), SkipPrice: true,
		Cert: CertRequest{
			CommonName: k[kCN], DNSNames: sans, CSR: csr, ServerPlatform: k[kPlatform],
			AlgorithmHash: algorithmOf(csrKey(csr)), Provider: "DIGICERT", DCVMethod: k[kDCV],
		},
	}
	// Two hosts: an order of this item placed since the plan (by another
	// certsync) is adopted, or stops the purchase.
	known := splitList(k[kKnown])
	if o, err := v.appeared(ctx, org.ID, k[kMarker], known, recheckMaxAge); err != nil {
		return out, fmt.Errorf("before ordering: %w", err)
	} else if o != nil {
		out.ID = o.ID
		out.Messages = append(out.Messages, "order "+o.ID+" carrying this change's marker appeared since the plan (another host?): adopted it, bought nothing")
		return v.afterIssue(ctx, k, o, "", out, false)
	}
	readBack := v.notePlaced()
	o, err := v.client.CreateOrder(ctx, req)
	if errors.Is(err, ErrAmbiguous) {
		adopted, lerr := v.appeared(ctx, org.ID, k[kMarker], known, 0)
		if lerr != nil {
			return out, fmt.Errorf("%w; checking for it failed too (%v): nothing is re-sent; run certsync again", err, lerr)
		}
		if adopted == nil {
			return out, fmt.Errorf("%w; no order carries its marker, so none was placed: nothing is re-sent in this run; run certsync again", err)
		}
		out.Messages = append(out.Messages, "the answer was lost; adopted order "+adopted.ID+" that carries this change's marker instead of ordering again")
		o, err = adopted, nil
	}
	if err != nil {
		return out, err
	}
	out.ID = o.ID
	return v.afterIssue(ctx, k, o, "", out, readBack)
}

// afterIssue writes the output files when o is issued with a certificate
// other than oldSerial. When it is not and readBack allows, it reads the
// order once more first: with an instant CA (the sandbox) the certificate
// then lands in the same run.
func (v *Vendor) afterIssue(ctx context.Context, k map[string]string, o *Order, oldSerial string, out apply.Outcome, readBack bool) (apply.Outcome, error) {
	if readBack && (o.Status != StatusIssued || o.Cert == nil || o.Cert.EndEntityCert == "") {
		got, err := v.client.Order(ctx, o.ID)
		if err != nil {
			out.Messages = append(out.Messages, "placed; reading it back failed: "+err.Error())
			return out, nil
		}
		o = got
	}
	if o.Status != StatusIssued || o.Cert == nil || o.Cert.EndEntityCert == "" || o.Cert.SerialNumber == oldSerial {
		out.Messages = append(out.Messages, fmt.Sprintf("order %s is %s: %s", o.ID, o.Status, dcvHint(o)))
		return out, nil
	}
	leaf, chain := bundle(o)
	if err := writeOutputs(k, leaf, chain); err != nil {
		return out, err
	}
	if f := outputsList(k); f != "" {
		out.Messages = append(out.Messages, "issued; wrote "+f)
	}
	return out, nil
}

// reissue sends PATCH reissue once; an ambiguous failure is reconciled by
// reading the order back.
func (v *Vendor) reissue(ctx context.Context, c diff.Change) (apply.Outcome, error) {
	k := c.Keys
	sans := nonNilList(k[kSANs])
	csr, out, err := csrFor(k, sans)
	if err != nil {
		return apply.Outcome{}, err
	}
	before, err := v.client.Order(ctx, k[kOrderID])
	if err != nil {
		return out, err
	}
	oldSerial := ""
	if before.Cert != nil {
		oldSerial = before.Cert.SerialNumber
	}
	// Two hosts: the order must still be what the plan saw; a reissue by
	// another host since then is not sent again.
	if leaf, _ := bundle(before); before.Status != StatusIssued || k[kLeaf] != "" && leaf != k[kLeaf] {
		return out, fmt.Errorf("%w: order %s is %s with another certificate than the plan saw (reissued by someone else, for example certsync on another host?); nothing was sent: plan again", ErrOrderAppeared, before.ID, before.Status)
	}
	body := ActionRequest{Cert: &CertRequest{DNSNames: sans, CSR: csr, AlgorithmHash: algorithmOf(csrKey(csr)), ServerPlatform: k[kPlatform]}}
	o, err := v.client.Action(ctx, k[kOrderID], "reissue", body, false)
	if errors.Is(err, ErrAmbiguous) {
		got, gerr := v.client.Order(ctx, k[kOrderID])
		if gerr == nil && (got.Status != StatusIssued || got.Cert != nil && got.Cert.SerialNumber != oldSerial) {
			out.Messages = append(out.Messages, "the answer was lost, but the reissue was accepted ("+got.Status+")")
			o, err = got, nil
		} else {
			return out, fmt.Errorf("%w; the order shows no reissue, so none is re-sent in this run: run certsync again", err)
		}
	}
	if err != nil {
		return out, err
	}
	out.ID = o.ID
	return v.afterIssue(ctx, k, o, oldSerial, out, true)
}

// endOrder cancels or revokes one order, once; an ambiguous failure is
// reconciled by reading the order back.
func (v *Vendor) endOrder(ctx context.Context, id, action string, want ...string) (apply.Outcome, error) {
	o, err := v.client.Action(ctx, id, action, ActionRequest{}, false)
	if errors.Is(err, ErrAmbiguous) {
		got, gerr := v.client.Order(ctx, id)
		if gerr == nil && (slices.Contains(want, got.Status) || action == "revoke" && got.Cert != nil && got.Cert.RevokeStatus != "") {
			return apply.Outcome{ID: got.ID, Messages: []string{"the answer was lost, but order " + id + " is " + got.Status}}, nil
		}
		return apply.Outcome{}, fmt.Errorf("%w; the order does not show it, so nothing is re-sent in this run: run certsync again", err)
	}
	if err != nil {
		return apply.Outcome{}, err
	}
	return apply.Outcome{ID: o.ID, Messages: []string{"order " + o.ID + " is now " + o.Status}}, nil
}

// orderContacts are the e-mails of the contacts an order names: its
// contacts list, or every contact of its organization that the inventory
// does not mark absent.
func orderContacts(inv *inventory.Inventory, want *OrderItem) []string {
	if want.Contacts.Set && len(want.Contacts.Values) > 0 {
		return want.Contacts.Values
	}
	var out []string
	sec := SectionOf(inv)
	if sec == nil {
		return out
	}
	for _, o := range sec.Organizations {
		if o.Name.Value != want.Organization.Value {
			continue
		}
		for _, c := range o.Contacts {
			if c.State.Value != "absent" {
				out = append(out, strings.ToLower(c.Email.Value))
			}
		}
	}
	return out
}

// contactRefs builds the order's contact list and names the wanted e-mails
// the organization does not have.
func contactRefs(org *Organization, wanted []string) (refs []ContactRef, missing []string) {
	for _, e := range wanted {
		i := slices.IndexFunc(org.Contacts, func(c Contact) bool { return strings.EqualFold(c.Email, e) })
		if i < 0 {
			missing = append(missing, e)
			continue
		}
		var types []ContactType
		for _, t := range org.Contacts[i].ContactTypes {
			if t.Type != "TECHNICAL_CONTACT" {
				types = append(types, t)
			}
		}
		if len(types) > 0 {
			refs = append(refs, ContactRef{ID: org.Contacts[i].ID, ContactTypes: types})
		}
	}
	return refs, missing
}
