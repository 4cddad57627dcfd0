package markmonitor

import (
	"crypto/x509"
	"os"

	"github.com/certsync/certsync/internal/inventory"
)

// Section is the `markmonitor` section: organizations with their
// contacts, and certificate orders through their whole life.
type Section struct {
	Pos           inventory.Pos
	Organizations []OrgItem   `yaml:"organizations"`
	Orders        []OrderItem `yaml:"orders"`
}

// OrgItem is an organization (the legal entity certificates are
// issued to). The API cannot modify an organization after creation: drift
// in these fields is reported for a person to fix in the portal.
type OrgItem struct {
	Pos inventory.Pos
	// Name is the legal name; it is also the key in plans
	// (markmonitor/organization/NAME) and how orders refer to it.
	Name        inventory.String `yaml:"name"`
	AssumedName inventory.String `yaml:"assumed_name"`
	Address1    inventory.String `yaml:"address1"`
	Address2    inventory.String `yaml:"address2"`
	City        inventory.String `yaml:"city"`
	State       inventory.String `yaml:"state"`
	Country     inventory.String `yaml:"country"`
	Zipcode     inventory.String `yaml:"zipcode"`
	Phone       inventory.String `yaml:"phone"`
	Contacts    []ContactItem    `yaml:"contacts"`
}

// ContactItem is an organization contact, keyed by e-mail within its
// organization.
type ContactItem struct {
	Pos            inventory.Pos
	Email          inventory.String  `yaml:"email"`
	FirstName      inventory.String  `yaml:"first_name"`
	LastName       inventory.String  `yaml:"last_name"`
	JobTitle       inventory.String  `yaml:"job_title"`
	Phone          inventory.String  `yaml:"phone"`
	PhoneExtension inventory.String  `yaml:"phone_extension"`
	Types          inventory.Strings `yaml:"types"`
	// State "absent" deletes the contact; that is the only way certsync
	// deletes one.
	State inventory.String `yaml:"state"`
}

// OrderItem is one certificate order, followed through renewals and reissues.
type OrderItem struct {
	Pos inventory.Pos
	// Name is the key in plans (markmonitor/order/NAME) and in the marker
	// certsync writes into the order's comments.
	Name         inventory.String `yaml:"name"`
	Organization inventory.String `yaml:"organization"`
	CertType     inventory.String `yaml:"cert_type"`
	CommonName   inventory.String `yaml:"common_name"`
	// DNSNames are the SANs besides the common name.
	DNSNames inventory.Strings `yaml:"dns_names"`
	// CSR is a PEM file; or PrivateKey, from which certsync makes the CSR
	// (and which it generates, mode 0600, when the file does not exist).
	CSR        inventory.String `yaml:"csr"`
	PrivateKey inventory.String `yaml:"private_key"`
	// KeyType is what to generate when PrivateKey does not exist:
	// rsa-2048 (default), rsa-3072, rsa-4096, ecdsa-p256, ecdsa-p384.
	KeyType          inventory.String  `yaml:"key_type"`
	Algorithm        inventory.String  `yaml:"algorithm"`
	ServerPlatform   inventory.String  `yaml:"server_platform"`
	DCVMethod        inventory.String  `yaml:"dcv_method"`
	AdditionalEmails inventory.Strings `yaml:"additional_emails"`
	// Contacts are e-mails of the organization's contacts; default: all of
	// them with their types.
	Contacts inventory.Strings `yaml:"contacts"`
	// RenewBefore is how long before expiry a new order replaces the
	// certificate, e.g. "30d" or "720h"; default: a third of the lifetime,
	// at least 30 days and at most 90.
	RenewBefore inventory.String `yaml:"renew_before"`
	Output      OutputFiles      `yaml:"output"`
	// State: "" or "present" (default), "cancelled" or "revoked".
	State inventory.String `yaml:"state"`
	// Validate asks Markmonitor to check the domain validation records
	// (validateDomains) while the order waits for them (see dcv.go).
	Validate inventory.Bool `yaml:"validate"`
	// Adopt names an existing order (its id) that is this item's (see
	// adopt.go).
	Adopt inventory.String `yaml:"adopt"`
	// Rekey allows certsync, when the private key file of an issued order
	// is missing, to reissue the certificate with a newly generated key.
	// Without it such an order needs attention; it acts only while the
	// key file is missing, so it is safe to leave set, but is meant to be
	// removed once the new certificate is in place.
	Rekey inventory.Bool `yaml:"rekey"`

	// Set by Load: the parsed CSR, when CSR is given, and the key file's
	// absolute path.
	ParsedCSR *x509.CertificateRequest `yaml:"-"`
	KeyPath   string                   `yaml:"-"`

	// checkedKey is the key file as the check parsed it; nil when it did
	// not (no file yet, a CSR, a bad key).
	checkedKey *checkedKey
}

// checkedKey is what plan needs of a key file the check already parsed:
// parsing it again (an EC key recomputes its public point, an RSA key its
// CRT values) was a large part of a plan of many orders.
type checkedKey struct {
	// stamp is the file's size and modification time before it was read;
	// the id stands only while the file still has it.
	stamp fileStamp
	// id is keyID of its public key.
	id string
}

// fileStamp identifies a file's content cheaply.
type fileStamp struct {
	size    int64
	modTime int64
}

// stampOf is path's stamp; ok is false when it cannot be read.
func stampOf(path string) (fileStamp, bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, false
	}
	return fileStamp{size: fi.Size(), modTime: fi.ModTime().UnixNano()}, true
}

// OutputFiles says where certsync writes what the order issued.
type OutputFiles struct {
	Certificate inventory.String `yaml:"certificate"`
	Chain       inventory.String `yaml:"chain"`
	FullChain   inventory.String `yaml:"full_chain"`
}

// Spec is the section's entry for inventory.Parse.
func Spec() inventory.SectionSpec {
	return inventory.SectionSpec{Key: Name, New: func() inventory.Section { return &Section{} }, Schema: schemaHints()}
}

// SectionOf returns the inventory's markmonitor section, or nil.
func SectionOf(inv *inventory.Inventory) *Section {
	s, _ := inv.Section(Name).(*Section)
	return s
}

// Order returns the order item with that name, or nil.
func (m *Section) Order(name string) *OrderItem {
	for i := range m.Orders {
		if m.Orders[i].Name.Value == name {
			return &m.Orders[i]
		}
	}
	return nil
}

// BundleFiles offers an order's output files and key to items of other
// vendors that deploy its certificate (markmonitor/order/NAME).
func (m *Section) BundleFiles(inv *inventory.Inventory, kind, name string) (inventory.BundleFiles, bool) {
	o := m.Order(name)
	if kind != KindOrder || o == nil {
		return inventory.BundleFiles{}, false
	}
	f := inventory.BundleFiles{
		Certificate: inv.Resolve(o.Output.Certificate),
		Chain:       inv.Resolve(o.Output.Chain),
		Key:         inv.Resolve(o.PrivateKey),
	}
	if f.Key == "" {
		f.NoKey = "the order uses a CSR, so certsync does not know its key"
	}
	return f, true
}

// Withdrawn says whether the order NAME is to be cancelled or revoked: it
// then publishes no certificate that other vendors' items may deploy.
func (m *Section) Withdrawn(kind, name string) (string, bool) {
	o := m.Order(name)
	if kind != KindOrder || o == nil {
		return "", false
	}
	switch o.State.Value {
	case "cancelled", "revoked":
		return "state: " + o.State.Value, true
	}
	return "", false
}

// CertificateNames returns the names the order NAME's certificate will
// carry: its common name and dns_names, which every request (new order,
// renewal, reissue) sends whatever the CSR says. ok is false without a
// common name (the order's own check reports it).
func (m *Section) CertificateNames(kind, name string) ([]string, bool) {
	o := m.Order(name)
	if kind != KindOrder || o == nil || o.CommonName.Value == "" {
		return nil, false
	}
	return append([]string{o.CommonName.Value}, o.DNSNames.Values...), true
}

func schemaHints() inventory.SchemaHints {
	return inventory.SchemaHints{
		Required: map[string][]string{
			"markmonitor.organizations[]":            {"name", "address1", "city", "state", "country", "zipcode", "phone", "contacts"},
			"markmonitor.organizations[].contacts[]": {"email"},
			"markmonitor.orders[]":                   {"name", "organization", "cert_type", "common_name", "dcv_method"},
		},
		Docs: map[string]string{
			"markmonitor":                       "Markmonitor SSL Certs API: organizations with contacts, certificate orders.",
			"markmonitor.orders[].private_key":  "Private key file certsync makes the CSR from; generated (mode 0600) when missing.",
			"markmonitor.orders[].renew_before": "How long before expiry to renew, e.g. 30d or 720h. Default: a third of the lifetime, 30 to 90 days.",
			"markmonitor.orders[].state":        "present (default), or cancelled / revoked: only then does certsync cancel or revoke.",
			"markmonitor.orders[].validate":     "true: while the order waits for domain validation, ask Markmonitor to check the published records (validateDomains), once per submission.",
			"markmonitor.orders[].adopt":        "Id of an existing order (placed in the portal) that is this item's: certsync follows and renews it instead of ordering again.",
			"markmonitor.orders[].rekey":        "true lets certsync replace an issued certificate whose private_key file is missing by one for a new key (a reissue). Acts only while the file is missing; remove it afterwards.",
		},
		Enums: []inventory.Enum{
			{Suffix: "orders[].cert_type", Values: CertTypes},
			{Suffix: "orders[].dcv_method", Values: DCVMethods},
			{Suffix: "orders[].algorithm", Values: Algorithms},
			{Suffix: "orders[].server_platform", Values: ServerPlatforms},
			{Suffix: "orders[].key_type", Values: KeyTypes},
			{Suffix: "orders[].state", Values: OrderStates},
			{Suffix: "contacts[].types[]", Values: ContactTypes},
			{Suffix: "contacts[].state", Values: []string{"present", "absent"}},
		},
	}
}
