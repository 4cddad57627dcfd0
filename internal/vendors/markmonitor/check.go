package markmonitor

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"net/mail"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/parallel"
	"github.com/certsync/certsync/internal/pemutil"
)

var hostnameRE = regexp.MustCompile(`^(\*\.)?([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$`)

func checkHostname(r *inventory.Report, path string, pos inventory.Pos, name string) {
	if len(name) > 253 || !hostnameRE.MatchString(name) {
		r.Add(pos, path, "%q is not a valid DNS name (a wildcard is allowed only as the leftmost label)", name)
	}
}

// Check runs the offline rules of organizations, contacts and orders, and
// sets each order's KeyPath and ParsedCSR.
// Check runs the offline rules of organizations, contacts and orders, and
// sets each order's KeyPath and ParsedCSR.
func (m *Section) Check(r *inventory.Report, inv *inventory.Inventory) {
	const base = "markmonitor"
	orgs := map[string]*OrgItem{}
	for i := range m.Organizations {
		o := &m.Organizations[i]
		path := fmt.Sprintf("%s.organizations[%d]", base, i)
		if inventory.Required(r, path+".name", o.Name, o.Pos) {
			if _, dup := orgs[o.Name.Value]; dup {
				r.Add(o.Name.Pos, path+".name", "%q is already the name of another organization", o.Name.Value)
			} else if strings.Contains(o.Name.Value, "/") {
				r.Add(o.Name.Pos, path+".name", "must not contain '/'")
			} else {
				orgs[o.Name.Value] = o
			}
		}
		for _, f := range []struct {
			name string
			v    inventory.String
		}{{"address1", o.Address1}, {"city", o.City}, {"state", o.State}, {"country", o.Country}, {"zipcode", o.Zipcode}, {"phone", o.Phone}} {
			inventory.Required(r, path+"."+f.name, f.v, o.Pos)
		}
		if o.Country.Value != "" && !regexp.MustCompile(`^[A-Za-z]{2}$`).MatchString(o.Country.Value) {
			r.Add(o.Country.Pos, path+".country", "%q is not a two-letter ISO 3166 country code", o.Country.Value)
		}
		present := 0
		emails := map[string]bool{}
		for j := range o.Contacts {
			c := &o.Contacts[j]
			cp := fmt.Sprintf("%s.contacts[%d]", path, j)
			if inventory.Required(r, cp+".email", c.Email, c.Pos) {
				if _, err := mail.ParseAddress(c.Email.Value); err != nil || strings.ContainsAny(c.Email.Value, "<> ") {
					r.Add(c.Email.Pos, cp+".email", "%q is not an e-mail address", c.Email.Value)
				}
				key := strings.ToLower(c.Email.Value)
				if emails[key] {
					r.Add(c.Email.Pos, cp+".email", "%q is listed twice in this organization", c.Email.Value)
				}
				emails[key] = true
			}
			inventory.OneOfExact(r, cp+".state", c.State, []string{"present", "absent"})
			if c.State.Value == "absent" {
				continue
			}
			present++
			for _, f := range []struct {
				name string
				v    inventory.String
			}{{"first_name", c.FirstName}, {"last_name", c.LastName}, {"job_title", c.JobTitle}, {"phone", c.Phone}} {
				inventory.Required(r, cp+"."+f.name, f.v, c.Pos)
			}
			if !c.Types.Set || len(c.Types.Values) == 0 {
				r.Add(c.Pos, cp+".types", "is required: one or more of %s", inventory.QuoteAll(ContactTypes))
			}
			for k, t := range c.Types.Values {
				inventory.OneOfExact(r, fmt.Sprintf("%s.types[%d]", cp, k), inventory.String{Value: t, Set: true, Pos: c.Types.Items[k]}, ContactTypes)
			}
		}
		if present == 0 {
			r.Add(o.Pos, path+".contacts", "needs at least one contact: Markmonitor validates an organization through its contacts and creates both together")
		}
	}

	names := map[string]bool{}
	adopted := map[string]string{} // order id -> the item that adopts it
	files := map[string]string{}   // path -> the field that writes it
	keys := readOrderKeys(inv, m.Orders)
	for i := range m.Orders {
		o := &m.Orders[i]
		path := fmt.Sprintf("%s.orders[%d]", base, i)
		if inventory.Required(r, path+".name", o.Name, o.Pos) {
			switch {
			case names[o.Name.Value]:
				r.Add(o.Name.Pos, path+".name", "%q is already the name of another order", o.Name.Value)
			case strings.ContainsAny(o.Name.Value, "/ "):
				r.Add(o.Name.Pos, path+".name", "must not contain '/' or spaces (it goes into the order's comments as a marker)")
			}
			names[o.Name.Value] = true
		}
		var org *OrgItem
		if inventory.Required(r, path+".organization", o.Organization, o.Pos) {
			if org = orgs[o.Organization.Value]; org == nil {
				r.Add(o.Organization.Pos, path+".organization", "%q is not an organization of this inventory (markmonitor.organizations[].name)", o.Organization.Value)
			}
		}
		inventory.RequireOneOf(r, path+".cert_type", o.CertType, o.Pos, CertTypes)
		inventory.RequireOneOf(r, path+".dcv_method", o.DCVMethod, o.Pos, DCVMethods)
		inventory.OneOfExact(r, path+".algorithm", o.Algorithm, Algorithms)
		inventory.OneOfExact(r, path+".server_platform", o.ServerPlatform, ServerPlatforms)
		inventory.OneOfExact(r, path+".key_type", o.KeyType, KeyTypes)
		inventory.OneOfExact(r, path+".state", o.State, OrderStates)
		if inventory.Required(r, path+".common_name", o.CommonName, o.Pos) {
			checkHostname(r, path+".common_name", o.CommonName.Pos, o.CommonName.Value)
		}
		seen := map[string]bool{strings.ToLower(o.CommonName.Value): true}
		for k, n := range o.DNSNames.Values {
			p := fmt.Sprintf("%s.dns_names[%d]", path, k)
			checkHostname(r, p, o.DNSNames.Items[k], n)
			if seen[strings.ToLower(n)] {
				r.Add(o.DNSNames.Items[k], p, "%q is listed twice (the common name is always included)", n)
			}
			seen[strings.ToLower(n)] = true
		}
		for k, e := range o.AdditionalEmails.Values {
			if _, err := mail.ParseAddress(e); err != nil || strings.ContainsAny(e, "<> ") {
				r.Add(o.AdditionalEmails.Items[k], fmt.Sprintf("%s.additional_emails[%d]", path, k), "%q is not an e-mail address", e)
			}
		}
		if org != nil {
			byEmail := map[string]ContactItem{}
			for _, c := range org.Contacts {
				if c.State.Value != "absent" {
					byEmail[strings.ToLower(c.Email.Value)] = c
				}
			}
			for k, e := range o.Contacts.Values {
				if _, ok := byEmail[strings.ToLower(e)]; !ok {
					r.Add(o.Contacts.Items[k], fmt.Sprintf("%s.contacts[%d]", path, k), "%q is not a contact of organization %q", e, org.Name.Value)
				}
			}
			if strings.HasPrefix(o.CertType.Value, "SSL_EV_") && !hasEVApprover(org) {
				r.Add(o.CertType.Pos, path+".cert_type", "%s needs an EXTENDED_VALIDATION_APPROVER contact in organization %q", o.CertType.Value, org.Name.Value)
			}
		}
		if o.RenewBefore.Set {
			if _, err := inventory.ParseDuration(o.RenewBefore.Value); err != nil {
				r.Add(o.RenewBefore.Pos, path+".renew_before", "%v", err)
			}
		}
		checkOrderKey(r, inv, path, o, keys[i])
		checkOrderExtras(r, path, o, adopted)
		if o.Rekey.Value && o.CSR.Value != "" {
			r.Add(o.Rekey.Pos, path+".rekey", "needs private_key: certsync cannot make a new key for an order that gives a csr")
		}
		// Two orders writing one file would overwrite each other's key or
		// certificate.
		for _, f := range []struct {
			field string
			v     inventory.String
		}{{"private_key", o.PrivateKey}, {"output.certificate", o.Output.Certificate}, {"output.chain", o.Output.Chain}, {"output.full_chain", o.Output.FullChain}} {
			if f.v.Value == "" {
				continue
			}
			abs := inv.Resolve(f.v)
			if prev, dup := files[abs]; dup {
				r.Add(f.v.Pos, path+"."+f.field, "%s is also written by %s; every order needs its own files", f.v.Value, prev)
				continue
			}
			files[abs] = path + "." + f.field
		}
	}
}

func hasEVApprover(org *OrgItem) bool {
	for _, c := range org.Contacts {
		if c.State.Value != "absent" && slices.Contains(c.Types.Values, "EXTENDED_VALIDATION_APPROVER") {
			return true
		}
	}
	return false
}

// checkOrderKey checks the CSR or private key: exactly one, parseable, a key
// the CA accepts (RSA >= 2048 bits, ECDSA on a named curve P-256/P-384), and
// a CSR whose CN, if any, is the order's common name.
func checkOrderKey(r *inventory.Report, inv *inventory.Inventory, path string, o *OrderItem, k orderKey) {
	hasCSR, hasKey := o.CSR.Value != "", o.PrivateKey.Value != ""
	switch {
	case hasCSR && hasKey:
		r.Add(o.CSR.Pos, path+".csr", "set either csr or private_key, not both")
		return
	case !hasCSR && !hasKey:
		r.Add(o.Pos, path+".private_key", "is required (or csr): certsync makes the CSR from the key, and generates the key if the file does not exist yet")
		return
	}
	if hasCSR {
		file := inv.Resolve(o.CSR)
		data, err := pemutil.ReadFile(file)
		if err != nil {
			r.Add(o.CSR.Pos, path+".csr", "cannot read %s: %v", file, inventory.UnwrapPathErr(err))
			return
		}
		ders, err := pemutil.Blocks(data, "CERTIFICATE REQUEST")
		if err != nil {
			r.Add(o.CSR.Pos, path+".csr", "is not a PEM certificate request: %v", err)
			return
		}
		csr, err := x509.ParseCertificateRequest(ders[0])
		if err != nil {
			r.Add(o.CSR.Pos, path+".csr", "cannot be parsed: %v", err)
			return
		}
		if err := csr.CheckSignature(); err != nil {
			r.Add(o.CSR.Pos, path+".csr", "has a bad signature: %v", err)
			return
		}
		if msg := keyProblem(csr.PublicKey); msg != "" {
			r.Add(o.CSR.Pos, path+".csr", "%s", msg)
		}
		if cn := csr.Subject.CommonName; cn != "" && o.CommonName.Value != "" && !strings.EqualFold(cn, o.CommonName.Value) {
			r.Add(o.CSR.Pos, path+".csr", "has CN %q but common_name is %q", cn, o.CommonName.Value)
		}
		checkAlgorithm(r, path, o, csr.PublicKey)
		o.ParsedCSR = csr
		return
	}
	o.KeyPath = k.path
	if os.IsNotExist(k.readErr) {
		return // generated at apply time, per key_type
	}
	if k.readErr != nil {
		r.Add(o.PrivateKey.Pos, path+".private_key", "cannot read %s: %v", o.KeyPath, inventory.UnwrapPathErr(k.readErr))
		return
	}
	if k.parseErr != nil {
		r.Add(o.PrivateKey.Pos, path+".private_key", "%v", k.parseErr)
		return
	}
	key, stamp, stamped := k.key, k.stamp, k.stamped
	if msg := keyProblem(key.Public()); msg != "" {
		r.Add(o.PrivateKey.Pos, path+".private_key", "%s", msg)
	}
	if stamped {
		o.checkedKey = &checkedKey{stamp: stamp, id: keyID(key.Public())}
	}
	// key_type is ignored once the key exists: it only says what to generate.
	checkAlgorithm(r, path, o, key.Public())
}

// orderKey is an order's private key file as read before its rules run.
type orderKey struct {
	path              string
	stamp             fileStamp
	stamped           bool
	key               crypto.Signer
	readErr, parseErr error
}

// readOrderKeys reads and parses the key file of every order that names
// one (and no CSR), spread over the cores: parsing keys is most of what
// checking many orders costs.
func readOrderKeys(inv *inventory.Inventory, orders []OrderItem) []orderKey {
	out := make([]orderKey, len(orders))
	parallel.Each(len(orders), func(i int) {
		o := &orders[i]
		if o.PrivateKey.Value == "" || o.CSR.Value != "" {
			return
		}
		k := &out[i]
		k.path = inv.Resolve(o.PrivateKey)
		k.stamp, k.stamped = stampOf(k.path) // before the read: see checkedKey
		var data []byte
		if data, k.readErr = pemutil.ReadFile(k.path); k.readErr == nil {
			k.key, k.parseErr = pemutil.PrivateKey(data)
		}
	})
	return out
}

func keyProblem(pub any) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return fmt.Sprintf("has a %d-bit RSA key; the CA needs at least 2048 bits", k.N.BitLen())
		}
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() && k.Curve != elliptic.P384() {
			return fmt.Sprintf("uses the curve %s; the CA accepts only the named curves P-256 and P-384", k.Curve.Params().Name)
		}
	default:
		return fmt.Sprintf("has a %T key; the CA accepts RSA and ECC (ECDSA) keys only", pub)
	}
	return ""
}

func checkAlgorithm(r *inventory.Report, path string, o *OrderItem, pub any) {
	want := "RSA"
	if _, ok := pub.(*ecdsa.PublicKey); ok {
		want = "ECC"
	}
	if o.Algorithm.Value != "" && o.Algorithm.Value != want {
		r.Add(o.Algorithm.Pos, path+".algorithm", "is %s but the key is %s", o.Algorithm.Value, want)
	}
}
