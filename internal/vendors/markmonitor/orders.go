package markmonitor

import (
	"bytes"
	"context"
	"crypto"
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

// desiredKey returns the key id the order should use, and the key itself
// when it exists on disk.
func desiredKey(want *OrderItem) (string, crypto.Signer, error) {
	if want.ParsedCSR != nil {
		return keyID(want.ParsedCSR.PublicKey), nil, nil
	}
	k, ok, err := loadKey(want.KeyPath)
	if err != nil {
		return "", nil, err
	}
	if !ok {
		kt := want.KeyType.Value
		if kt == "" {
			kt = "rsa-2048"
		}
		return fmt.Sprintf(keyGenerated, kt), nil, nil
	}
	return keyID(k.Public()), k, nil
}

// liveKey is the key id of an order's certificate (or of its CSR).
func liveKey(o *Order) string {
	if o == nil || o.Cert == nil {
		return ""
	}
	if c := certOf(o.Cert.EndEntityCert); c != nil {
		return keyID(c.PublicKey)
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

// filesDiffer reports whether any configured output file differs from what
// the order issued.
func filesDiffer(outCert, outChain, outFull, leaf, chain string) bool {
	check := func(path, want string) bool {
		if path == "" {
			return false
		}
		got, err := pemutil.ReadFile(path)
		return err != nil || !bytes.Equal(got, []byte(want))
	}
	return check(outCert, leaf) || check(outChain, chain) || check(outFull, leaf+chain)
}

// orderPair applies the renew/reissue rule (see README, "Orders") to one
// inventory order and its marked orders, newest first.
func orderPair(inv *inventory.Inventory, want *OrderItem, hist []*Order, orgsByID map[string]*Organization, orgMissing bool, now time.Time) (diff.Pair, error) {
	name := want.Name.Value
	addr := orderAddress(name)
	sans := normNames(want.DNSNames.Values, want.CommonName.Value)
	key, _, err := desiredKey(want)
	if err != nil {
		return diff.Pair{}, err
	}
	spec := specHash(want.Organization.Value, want.CertType.Value, want.CommonName.Value, sans)
	outCert, outChain, outFull := inv.Resolve(want.Output.Certificate), inv.Resolve(want.Output.Chain), inv.Resolve(want.Output.FullChain)

	desired := &diff.Object{Keys: map[string]string{
		kOrg: want.Organization.Value, kCN: want.CommonName.Value, kCertType: want.CertType.Value,
		kDCV: want.DCVMethod.Value, kPlatform: want.ServerPlatform.Value, kKeyType: want.KeyType.Value,
		kOutCert: outCert, kOutChain: outChain, kOutFull: outFull,
		kSANs: strings.Join(sans, ","), kContacts: strings.Join(orderContacts(inv, want), ","),
		kEmails: strings.Join(want.AdditionalEmails.Values, ","),
	}}
	if want.ParsedCSR != nil {
		desired.Keys[kCSRFile] = inv.Resolve(want.CSR)
	} else {
		desired.Keys[kKeyFile] = want.KeyPath
	}
	desired.Fields = []diff.Field{
		{Name: "organization", Value: want.Organization.Value},
		{Name: "cert_type", Value: want.CertType.Value},
		{Name: "common_name", Value: want.CommonName.Value},
		{Name: "dns_names", Value: sans},
		{Name: "key", Value: key},
	}
	if want.AdditionalEmails.Set {
		desired.Fields = append(desired.Fields, diff.Field{Name: "additional_emails", Value: sortedCopy(want.AdditionalEmails.Values)})
	}
	// The vendor decides every order change itself (p.Action); a pair
	// left without one plans nothing.
	p := diff.Pair{Address: addr, NoChange: true}
	if orgMissing {
		p.DependsOn = []diff.Address{orgAddress(want.Organization.Value)}
	}
	// Contacts the order names may be created or changed in the same run:
	// the order goes after them (dependencies not in the plan are ignored).
	for _, e := range orderContacts(inv, want) {
		p.DependsOn = append(p.DependsOn, contactAddress(want.Organization.Value, e))
	}

	var latest, current *Order
	if len(hist) > 0 {
		latest = hist[0]
	}

	for _, o := range hist {
		if hasCert(o) {
			current = o
			break
		}
	}
	liveOf := func(o *Order) *diff.Object {
		obj := &diff.Object{ID: o.ID}
		orgName := ""
		if org := orgsByID[o.OrganizationID]; org != nil {
			orgName = org.Name
		} else if m, ok := parseMarker(o.Comments); ok && m.name == name {
			// The organization list did not show it (another user's?); the
			// marker says the order is this item's, so no paid replacement
			// is planned just because the list was incomplete.
			orgName = want.Organization.Value
		}
		var liveSANs []string
		if o.Cert != nil {
			liveSANs = normNames(o.Cert.DNSNames, o.Cert.CommonName)
		}
		cn := ""
		if o.Cert != nil {
			cn = o.Cert.CommonName
		}
		obj.Fields = []diff.Field{
			{Name: "organization", Value: orgName},
			{Name: "cert_type", Value: o.CertType},
			{Name: "common_name", Value: cn},
			{Name: "dns_names", Value: liveSANs},
			{Name: "key", Value: liveKey(o)},
			{Name: "additional_emails", Value: sortedCopy(o.AdditionalEmails)},
			{Name: "status", Value: o.Status},
		}
		if o.Cert != nil && o.Cert.DateValidUntil != nil {
			obj.Fields = append(obj.Fields, diff.Field{Name: "expires", Value: o.Cert.DateValidUntil.UTC().Format(time.RFC3339)})
		}
		return obj
	}
	if latest != nil {
		p.Live = liveOf(latest)
	}
	setMarker := func(prev string) {
		desired.Keys[kMarker] = marker{name: name, spec: spec, prev: shortID(prev)}.String()
		ids := make([]string, 0, len(hist))
		for _, o := range hist {
			ids = append(ids, o.ID)
		}
		desired.Keys[kKnown] = strings.Join(ids, ",")
	}
	plan := func(a diff.Action, reason string, o *Order) diff.Pair {
		p.Action, p.Reason, p.Desired, p.Live, p.NoChange = a, reason, desired, nil, false
		if o != nil {
			p.Live = liveOf(o)
			desired.Keys[kOrderID] = o.ID
		}
		return p
	}

	switch want.State.Value {
	case "cancelled":
		switch {
		case latest == nil:
			p.Info = append(p.Info, "state is cancelled and there is no order: nothing to do")
		case latest.Status == StatusCanceled:
		case cancellable(latest.Status):
			desired.Fields = nil
			p = plan(Cancel, fmt.Sprintf("the inventory asks to cancel order %s (%s)", latest.ID, latest.Status), latest)
			p.Desired.Keys[kCancelFrom] = latest.Status
			return p, nil
		default:
			p.Info = append(p.Info, fmt.Sprintf("order %s is %s and cannot be cancelled (only CREATED, DIGI_PENDING, DIGI_WAITING_PICKUP, DIGI_NEEDS_APPROVAL or a pending reissue can); an issued certificate is revoked instead (state: revoked)", latest.ID, latest.Status))
		}
		return p, nil
	case "revoked":
		// Every still-valid certificate of the item goes: an older one kept
		// by a renewal usually shares the key that is being revoked for.
		var ids []string
		for _, o := range hist {
			if hasCert(o) && o.Status == StatusIssued {
				ids = append(ids, o.ID)
			}
		}
		switch {
		case len(ids) > 0:
			desired.Fields = nil // a revoke changes no field; the reason says it all
			p = plan(Revoke, fmt.Sprintf("the inventory asks to revoke order(s) %s; this cannot be undone", strings.Join(ids, ", ")), current)
			p.Desired.Keys[kRevokeIDs] = strings.Join(ids, ",")
			return p, nil
		case current != nil:
			p.Info = append(p.Info, fmt.Sprintf("order %s is %s: a certificate with a pending reissue cannot be revoked; cancel the reissue or wait for it", current.ID, current.Status))
		case latest != nil && latest.Status == StatusRevoked:
		default:
			p.Info = append(p.Info, "state is revoked but no issued certificate exists to revoke")
		}
		return p, nil
	}

	// state present
	if latest == nil {
		setMarker("")
		p.Notes = append(p.Notes, "a new certificate order is paid for")
		return plan(diff.Create, "no order yet", nil), nil
	}
	if pending(latest.Status) {
		p.Info = append(p.Info, fmt.Sprintf("order %s is %s: %s", latest.ID, latest.Status, dcvHint(latest)))
		if current == nil || current == latest {
			return p, nil
		}
		// An older certificate is still in use while its renewal is pending.
	}
	// A renewal or replacement that the CA rejected (or could not make) is
	// not placed again and again by cron: only a change to the item does.
	m, _ := parseMarker(latest.Comments)
	blocked := latest != current && (latest.Status == StatusRejected || latest.Status == StatusFailed) && m.spec == spec
	if blocked {
		p.Info = append(p.Info, fmt.Sprintf("order %s ended %s; certsync does not order the same certificate again by itself: change the order in the inventory, or look at the order's history", latest.ID, latest.Status))
		if current == nil {
			return p, nil
		}
	}
	if current == nil {
		if latest.Status == StatusExpired {
			setMarker(latest.ID)
			return plan(Renew, fmt.Sprintf("order %s expired", latest.ID), latest), nil
		}
		setMarker(latest.ID)
		p.Notes = append(p.Notes, "a new certificate order is paid for")
		return plan(diff.Create, fmt.Sprintf("the last order %s ended %s", latest.ID, latest.Status), latest), nil
	}

	live := liveOf(current)
	leaf, chain := bundle(current)
	desired.Keys[kLeaf], desired.Keys[kChain] = leaf, chain
	liveKeyID := liveKey(current)
	liveSANs := normNames(current.Cert.DNSNames, current.Cert.CommonName)
	lf := func(n string) any {
		for _, f := range live.Fields {
			if f.Name == n {
				return f.Value
			}
		}
		return nil
	}
	switch {
	case lf("organization") != want.Organization.Value || current.CertType != want.CertType.Value || !strings.EqualFold(current.Cert.CommonName, want.CommonName.Value):
		if pending(latest.Status) && latest != current || blocked {
			return p, nil // the replacement is already on its way, or was refused
		}
		setMarker(current.ID)
		p.Notes = append(p.Notes, "a new certificate order is paid for; the current one is left as it is (set state: revoked on a separate item to revoke it)")
		return plan(diff.Create, "the organization, type or common name changed, which a reissue cannot do: a new order replaces "+current.ID, current), nil
	case !sameSet(sans, liveSANs) || (liveKeyID != "" && key != liveKeyID):
		if current.Status != StatusIssued {
			p.Info = append(p.Info, fmt.Sprintf("order %s is %s; a reissue waits until it is DIGI_ISSUED", current.ID, current.Status))
			return p, nil
		}
		why := "the DNS names changed"
		if sameSet(sans, liveSANs) {
			why = "the key or CSR changed"
		}
		return plan(Reissue, why+": reissue order "+current.ID, current), nil
	}
	until := current.Cert.DateValidUntil.UTC()
	from := until.Add(-397 * 24 * time.Hour)
	if current.Cert.DateValidFrom != nil {
		from = current.Cert.DateValidFrom.UTC()
	}
	var renewBefore time.Duration
	if want.RenewBefore.Set {
		renewBefore, _ = inventory.ParseDuration(want.RenewBefore.Value)
	}
	due := renewAt(name, renewalWindow(renewBefore, from, until), until)
	if !now.Before(due) && !(pending(latest.Status) && latest != current) && !blocked {
		setMarker(current.ID)
		p.Notes = append(p.Notes, "a new certificate order is paid for")
		return plan(Renew, fmt.Sprintf("expires %s; renewal due since %s", until.Format("2006-01-02"), due.Format("2006-01-02")), current), nil
	}
	if want.AdditionalEmails.Set && !sameSet(sortedCopy(want.AdditionalEmails.Values), sortedCopy(current.AdditionalEmails)) {
		return plan(diff.Update, "additional e-mails differ", current), nil
	}
	if leaf != "" && filesDiffer(outCert, outChain, outFull, leaf, chain) || leaf == "" && outCert != "" && onDisk(outCert) == nil {
		desired.Fields = append(desired.Fields, diff.Field{Name: "certificate_file", Value: certSummary(leaf)})
		if desired.Fields[len(desired.Fields)-1].Value == nil {
			desired.Fields[len(desired.Fields)-1].Value = "(downloaded on apply)"
		}
		p = plan(Download, "the issued certificate is not on disk as configured", current)
		p.Live.Fields = append(p.Live.Fields, diff.Field{Name: "certificate_file", Value: onDisk(outCert)})
		return p, nil
	}
	return p, nil
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
		emails := splitList(k[kEmails])
		o, err := v.client.Action(ctx, k[kOrderID], "updateAdditionalEmails", ActionRequest{AdditionalEmails: emails}, true)
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
	sans := splitList(k[kSANs])
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
	o, err := v.client.CreateOrder(ctx, req)
	if errors.Is(err, ErrAmbiguous) {
		adopted, lerr := v.findMarked(ctx, org.ID, k[kMarker], splitList(k[kKnown]))
		if lerr != nil {
			return out, fmt.Errorf("%w; listing orders to check for it failed too (%v): nothing is re-sent; run certsync again", err, lerr)
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
	return v.afterIssue(ctx, k, o, "", out)
}

// findMarked lists the organization's orders and returns the one whose
// comments carry the marker.
// findMarked lists the organization's orders and returns the one whose
// marker is exactly mark and that was not there when the plan was made (an
// older order from an earlier, cancelled attempt may carry the same marker).
func (v *Vendor) findMarked(ctx context.Context, orgID, mark string, known []string) (*Order, error) {
	want, ok := parseMarker(mark)
	if !ok {
		return nil, fmt.Errorf("the change carries no marker")
	}
	orders, err := v.client.Orders(ctx, map[string][]string{"organizationId": {orgID}})
	if err != nil {
		return nil, err
	}
	for i := range orders {
		if m, ok := parseMarker(orders[i].Comments); ok && m == want && !slices.Contains(known, orders[i].ID) {
			return &orders[i], nil
		}
	}
	return nil, nil
}

// afterIssue reads the order once more and, if it is issued with a
// certificate other than oldSerial, writes the output files: with an instant
// CA (the sandbox) the certificate lands in the same run.
func (v *Vendor) afterIssue(ctx context.Context, k map[string]string, o *Order, oldSerial string, out apply.Outcome) (apply.Outcome, error) {
	if o.Status != StatusIssued || o.Cert == nil || o.Cert.EndEntityCert == "" {
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
	sans := splitList(k[kSANs])
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
	return v.afterIssue(ctx, k, o, oldSerial, out)
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
