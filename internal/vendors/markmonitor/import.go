package markmonitor

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/certsync/certsync/internal/engine"
	"github.com/certsync/certsync/internal/pemutil"
)

var unsafeFileName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Import writes the account's organizations (with their contacts) and the
// newest order of each certificate as the markmonitor section. An order
// certsync placed is keyed by the name in its marker; any other order by
// its common name, and adopted (adopt: ORDER_ID) where the inventory has
// that key. Private keys cannot be read: an issued order is followed
// through its CSR (written beside the inventory with the issued
// certificate and chain), and a comment says where its key would go.
func (v *Vendor) Import(ctx context.Context, o engine.ImportOptions) (*engine.ImportResult, error) {
	orgs, err := v.client.Organizations(ctx)
	if err != nil {
		return nil, fmt.Errorf("list organizations: %w", err)
	}
	orders, err := v.client.Orders(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("list orders: %w", err)
	}
	res := &engine.ImportResult{}
	sec := engine.NewYAMLMap()
	sec.Node.HeadComment = "Imported from Markmonitor: organizations with their contacts, and the newest order of each certificate."
	byID := map[string]*Organization{}
	var orgItems []*yaml.Node
	for i := range orgs {
		org := &orgs[i]
		byID[org.ID] = org
		orgItems = append(orgItems, importOrg(org))
	}
	if len(orgItems) > 0 {
		sec.Set("organizations", engine.YAMLList(orgItems...))
	}

	// The newest order of each item: by marker name, else by common name.
	type group struct {
		name    string
		marked  bool
		newest  *Order
		current *Order // newest with a certificate
	}
	groups := map[string]*group{}
	var keys []string
	for i := range orders {
		ord := &orders[i]
		g := group{}
		if m, ok := parseMarker(ord.Comments); ok {
			g.name, g.marked = m.name, true
		} else if ord.Cert != nil && ord.Cert.CommonName != "" {
			g.name = strings.ToLower(ord.Cert.CommonName)
		} else {
			continue
		}
		k := fmt.Sprintf("%t/%s", g.marked, g.name)
		have, ok := groups[k]
		if !ok {
			have = &g
			groups[k] = have
			keys = append(keys, k)
		}
		if have.newest == nil || ord.DateCreated.After(have.newest.DateCreated) {
			have.newest = ord
		}
		if hasCert(ord) && (have.current == nil || ord.DateCreated.After(have.current.DateCreated)) {
			have.current = ord
		}
	}
	sort.Strings(keys)
	canAdopt := hasInventoryKey(reflect.TypeOf(OrderItem{}), "adopt")
	names := map[string]bool{}
	var orderItems []*yaml.Node
	for _, k := range keys {
		g := groups[k]
		if g.marked {
			names[g.name] = true
		}
	}
	for _, k := range keys {
		g := groups[k]
		name := g.name
		if !g.marked {
			base := unsafeFileName.ReplaceAllString(strings.TrimPrefix(name, "*."), "-")
			name = base
			for n := 2; names[name]; n++ {
				name = fmt.Sprintf("%s-%d", base, n)
			}
			names[name] = true
		}
		item, files, offer, note := importOrder(name, g.current, g.newest, byID, o.FilesDir, g.marked, canAdopt)
		res.Files = append(res.Files, files...)
		if note != "" {
			res.Notes = append(res.Notes, "markmonitor: "+note)
		}
		if item != nil {
			orderItems = append(orderItems, item)
		}
		if offer != nil {
			res.Offers = append(res.Offers, *offer)
		}
	}
	if len(orderItems) > 0 {
		sec.Set("orders", engine.YAMLList(orderItems...))
	}
	if sec.Len() == 0 {
		sec.Node.FootComment = "The account has no organization and no order."
	}
	res.Section = sec.Node
	return res, nil
}

// hasInventoryKey reports whether t reads the YAML key (a key another
// version of certsync may not have yet).
func hasInventoryKey(t reflect.Type, key string) bool {
	for i := 0; i < t.NumField(); i++ {
		if strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0] == key {
			return true
		}
	}
	return false
}

func importOrg(org *Organization) *yaml.Node {
	m := engine.NewYAMLMap()
	m.Set("name", org.Name)
	opt := func(k, v string) {
		if v != "" {
			m.Set(k, v)
		}
	}
	opt("assumed_name", org.AssumedName)
	m.Set("address1", org.Address1)
	opt("address2", org.Address2)
	m.Set("city", org.City)
	m.Set("state", org.State)
	m.Set("country", org.Country)
	m.Set("zipcode", org.Zipcode)
	m.Set("phone", org.Phone)
	m.Node.Content[0].LineComment = "organization " + org.ID
	var contacts []*yaml.Node
	var technical []string
	for i := range org.Contacts {
		c := &org.Contacts[i]
		if !slices.ContainsFunc(c.ContactTypes, func(t ContactType) bool { return t.Type != "TECHNICAL_CONTACT" }) {
			technical = append(technical, c.Email)
			continue
		}
		cm := engine.NewYAMLMap()
		cm.Set("email", c.Email)
		copt := func(k, v string) {
			if v != "" {
				cm.Set(k, v)
			}
		}
		copt("first_name", c.FirstName)
		copt("last_name", c.LastName)
		copt("job_title", c.JobTitle)
		copt("phone", c.Phone)
		copt("phone_extension", c.PhoneExtension)
		types := []string{}
		for _, t := range c.ContactTypes {
			if t.Type != "TECHNICAL_CONTACT" { // given by the API to every contact; not settable
				types = append(types, t.Type)
			}
		}
		sort.Strings(types)
		cm.Set("types", types)
		contacts = append(contacts, cm.Node)
	}
	k := m.Set("contacts", engine.YAMLList(contacts...))
	if len(technical) > 0 {
		// The inventory's types are the settable ones; a contact without
		// any cannot be written, and a contact left out is not managed.
		k.HeadComment = "Left out (only the technical-contact type, which the inventory does not set; not managed): " + strings.Join(technical, ", ")
	}
	return m.Node
}

// importOrder writes one order item from the item's orders: current is the
// newest with a certificate, newest the newest of all. A nil item means
// the order is only described in note (it cannot be written so that it
// plans no change). offer is the issued certificate the item publishes to
// other vendors' items (nil when it writes none).
func importOrder(name string, current, newest *Order, orgs map[string]*Organization, filesDir string, marked, canAdopt bool) (item *yaml.Node, files []engine.ImportFile, offer *engine.ImportOffer, note string) {
	o := current
	if o == nil {
		o = newest
	}
	org := orgs[o.OrganizationID]
	if org == nil {
		return nil, nil, nil, fmt.Sprintf("order %s (%s) belongs to an organization this account does not list; left out", o.ID, name)
	}
	if o.Cert == nil || o.Cert.CommonName == "" {
		return nil, nil, nil, fmt.Sprintf("order %s (%s) shows no certificate request; left out", o.ID, name)
	}
	m := engine.NewYAMLMap()
	nameKey := m.Set("name", name)
	nameKey.LineComment = fmt.Sprintf("order %s, %s", o.ID, o.Status)
	if !marked {
		if !canAdopt {
			return nil, nil, nil, fmt.Sprintf("order %s for %s was placed outside certsync; this version of certsync cannot adopt an existing order, so it is left out (writing it would plan a new, paid order)", o.ID, o.Cert.CommonName)
		}
		m.Set("adopt", o.ID).LineComment = "placed outside certsync: certsync follows and renews it instead of ordering again"
		note = fmt.Sprintf("order %s for %s was placed outside certsync and is adopted: the first plan shows one adopt (certsync records the link in its state; nothing is sent or paid)", o.ID, o.Cert.CommonName)
	}
	m.Set("organization", org.Name)
	m.Set("cert_type", o.CertType)
	m.Set("common_name", o.Cert.CommonName)
	if sans := normNames(o.Cert.DNSNames, o.Cert.CommonName); len(sans) > 0 {
		m.Set("dns_names", sans)
	}
	base := path.Join(filepath.ToSlash(filesDir), Name, unsafeFileName.ReplaceAllString(name, "_"))
	keyHint := fmt.Sprintf("certsync cannot read private keys. To let it make the key of the next reissue or renewal, put this order's key at %s.key (mode 0600) and replace csr: with private_key: %s.key", base, base)
	csr := pemNL(o.Cert.CSR)
	usesCSR := false
	if k := csrKey(csr); k != nil && strings.HasPrefix(csr, "-----BEGIN") && (liveKey(o) == "" || liveKey(o) == keyID(k)) {
		usesCSR = true
		files = append(files, engine.ImportFile{Path: base + ".csr", Data: []byte(csr), Mode: 0o644})
		m.Set("csr", base+".csr")
		m.Node.Content[len(m.Node.Content)-2].HeadComment = "The order's own CSR: it carries the certificate's public key, so the key is unchanged.\n" + keyHint
	} else {
		m.Node.Content[len(m.Node.Content)-2].FootComment = keyHint
		m.Set("private_key", base+".key").LineComment = "not readable from Markmonitor: put the key here; without it certsync plans a reissue with a new key"
	}
	dcv := o.Cert.DCVMethod
	if dcv == "" {
		dcv = "DNS_TXT_TOKEN"
		m.Set("dcv_method", dcv).LineComment = "the order does not show its DCV method; used for new orders only"
	} else {
		m.Set("dcv_method", dcv)
	}
	if o.Cert.ServerPlatform != "" {
		m.Set("server_platform", o.Cert.ServerPlatform)
	}
	if len(o.AdditionalEmails) > 0 {
		m.Set("additional_emails", sortedCopy(o.AdditionalEmails))
	}
	if current != nil {
		leaf, chain := bundle(current)
		out := engine.NewYAMLMap()
		if leaf != "" {
			files = append(files, engine.ImportFile{Path: base + ".crt", Data: []byte(leaf), Mode: 0o644})
			out.Set("certificate", base+".crt")
			if chain != "" {
				files = append(files, engine.ImportFile{Path: base + ".chain.pem", Data: []byte(chain), Mode: 0o644},
					engine.ImportFile{Path: base + ".fullchain.pem", Data: []byte(leaf + chain), Mode: 0o644})
				out.Set("chain", base+".chain.pem")
				out.Set("full_chain", base+".fullchain.pem")
			}
		}
		if out.Len() > 0 {
			m.Set("output", out).HeadComment = "Written from the issued certificate (" + certLine(leaf) + ")."
		}
		if c, err := pemutil.Certificate([]byte(leaf)); err == nil {
			offer = &engine.ImportOffer{Address: Name + "/" + KindOrder + "/" + name, Serial: engine.NormalSerial(c.SerialNumber.Text(16))}
			if usesCSR {
				offer.KeyFile = base + ".key"
			}
		}
	}
	if newest != nil && newest != current {
		m.Node.FootComment = fmt.Sprintf("Newer order %s is %s.", newest.ID, newest.Status)
	}
	return m.Node, files, offer, note
}

func certLine(leaf string) string {
	c, err := pemutil.Certificate([]byte(leaf))
	if err != nil {
		return "not parsed"
	}
	return fmt.Sprintf("serial %X, expires %s", c.SerialNumber, c.NotAfter.UTC().Format("2006-01-02"))
}
