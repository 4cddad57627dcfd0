package inventory

import "crypto/x509"

// Markmonitor is the `markmonitor` section: organizations with their
// contacts, and certificate orders through their whole life.
type Markmonitor struct {
	Pos           Pos
	Organizations []MMOrganization `yaml:"organizations"`
	Orders        []MMOrder        `yaml:"orders"`
}

// MMOrganization is an organization (the legal entity certificates are
// issued to). The API cannot modify an organization after creation: drift
// in these fields is reported for a person to fix in the portal.
type MMOrganization struct {
	Pos Pos
	// Name is the legal name; it is also the key in plans
	// (markmonitor/organization/NAME) and how orders refer to it.
	Name        String      `yaml:"name"`
	AssumedName String      `yaml:"assumed_name"`
	Address1    String      `yaml:"address1"`
	Address2    String      `yaml:"address2"`
	City        String      `yaml:"city"`
	State       String      `yaml:"state"`
	Country     String      `yaml:"country"`
	Zipcode     String      `yaml:"zipcode"`
	Phone       String      `yaml:"phone"`
	Contacts    []MMContact `yaml:"contacts"`
}

// MMContact is an organization contact, keyed by e-mail within its
// organization.
type MMContact struct {
	Pos            Pos
	Email          String  `yaml:"email"`
	FirstName      String  `yaml:"first_name"`
	LastName       String  `yaml:"last_name"`
	JobTitle       String  `yaml:"job_title"`
	Phone          String  `yaml:"phone"`
	PhoneExtension String  `yaml:"phone_extension"`
	Types          Strings `yaml:"types"`
	// State "absent" deletes the contact; that is the only way certsync
	// deletes one.
	State String `yaml:"state"`
}

// MMOrder is one certificate order, followed through renewals and reissues.
type MMOrder struct {
	Pos Pos
	// Name is the key in plans (markmonitor/order/NAME) and in the marker
	// certsync writes into the order's comments.
	Name         String `yaml:"name"`
	Organization String `yaml:"organization"`
	CertType     String `yaml:"cert_type"`
	CommonName   String `yaml:"common_name"`
	// DNSNames are the SANs besides the common name.
	DNSNames Strings `yaml:"dns_names"`
	// CSR is a PEM file; or PrivateKey, from which certsync makes the CSR
	// (and which it generates, mode 0600, when the file does not exist).
	CSR        String `yaml:"csr"`
	PrivateKey String `yaml:"private_key"`
	// KeyType is what to generate when PrivateKey does not exist:
	// rsa-2048 (default), rsa-3072, rsa-4096, ecdsa-p256, ecdsa-p384.
	KeyType          String  `yaml:"key_type"`
	Algorithm        String  `yaml:"algorithm"`
	ServerPlatform   String  `yaml:"server_platform"`
	DCVMethod        String  `yaml:"dcv_method"`
	AdditionalEmails Strings `yaml:"additional_emails"`
	// Contacts are e-mails of the organization's contacts; default: all of
	// them with their types.
	Contacts Strings `yaml:"contacts"`
	// RenewBefore is how long before expiry a new order replaces the
	// certificate, e.g. "30d" or "720h"; default: a third of the lifetime,
	// at least 30 days and at most 90.
	RenewBefore String   `yaml:"renew_before"`
	Output      MMOutput `yaml:"output"`
	// State: "" or "present" (default), "cancelled" or "revoked".
	State String `yaml:"state"`

	// Set by Load: the parsed CSR, when CSR is given, and the key file's
	// absolute path.
	ParsedCSR *x509.CertificateRequest `yaml:"-"`
	KeyPath   string                   `yaml:"-"`
}

// MMOutput says where certsync writes what the order issued.
type MMOutput struct {
	Certificate String `yaml:"certificate"`
	Chain       String `yaml:"chain"`
	FullChain   String `yaml:"full_chain"`
}
