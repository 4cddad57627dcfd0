package mmsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// The wire types below carry the exact JSON field names of the Markmonitor
// Swagger samples (docs/vendors/markmonitor.md, "JSON shapes"). The simulator stores them as its
// own records too, so a test can decode any response into them and compare.

// TimeLayout is how the API writes timestamps: ISO-8601 UTC with
// milliseconds, e.g. 2024-10-08T19:04:39.980Z.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// Time is a timestamp in the API's form. The zero Time is written as JSON
// null, which is how the API shows a date that is not known yet (a
// certificate's validity before issuance). It reads any RFC 3339 form.
type Time struct{ time.Time }

// At returns t as a Time, in UTC.
func At(t time.Time) Time { return Time{t.UTC()} }

// MarshalJSON writes t in TimeLayout, or null when t is zero.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + t.UTC().Format(TimeLayout) + `"`), nil
}

// UnmarshalJSON reads an RFC 3339 timestamp or null.
func (t *Time) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*t = Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("timestamp: %w", err)
	}
	if s == "" {
		*t = Time{}
		return nil
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("timestamp: %w", err)
	}
	*t = Time{v.UTC()}
	return nil
}

// ContactType is one entry of contactTypes: an object, not a bare string.
type ContactType struct {
	Type string `json:"type"` // one of the ContactType* constants
}

// History is one history line of an organization, contact or order.
type History struct {
	DateCreated Time `json:"dateCreated"`
	// UserName is the API user whose request caused the line; empty (and
	// omitted) when the system made the change, as the API guide says.
	UserName string `json:"userName,omitempty"`
	Text     string `json:"text"`
	ID       string `json:"id"`
}

// Validation is an organization validation record (OV or EV).
type Validation struct {
	DateCreated         Time   `json:"dateCreated"`
	DateUpdated         Time   `json:"dateUpdated"`
	Type                string `json:"type"` // ValidationOV or ValidationEV
	Name                string `json:"name"`
	ProviderDateCreated Time   `json:"providerDateCreated"`
	// DateValidatedUntil is 13 months after validation (API guide §7.1); null
	// while pending.
	DateValidatedUntil Time   `json:"dateValidatedUntil"`
	Status             string `json:"status"` // ValidationPending or ValidationValidated
	ID                 string `json:"id"`
}

// Contact is an organization contact. In a create-organization body the
// contacts carry no id and no organizationId.
type Contact struct {
	DateCreated    Time          `json:"dateCreated"`
	DateUpdated    Time          `json:"dateUpdated"`
	FirstName      string        `json:"firstName"`
	LastName       string        `json:"lastName"`
	JobTitle       string        `json:"jobTitle"`
	Email          string        `json:"email"`
	Phone          string        `json:"phone"`
	PhoneExtension string        `json:"phoneExtension,omitempty"`
	OrganizationID string        `json:"organizationId"`
	Provider       string        `json:"provider"`
	Username       string        `json:"username,omitempty"`
	ContactTypes   []ContactType `json:"contactTypes"`
	ID             string        `json:"id"`
	// History is present in GET /contact/{id} only, as in the Swagger sample.
	History []History `json:"history,omitempty"`
}

// HasType reports whether c has the contact type typ.
func (c Contact) HasType(typ string) bool {
	for _, t := range c.ContactTypes {
		if t.Type == typ {
			return true
		}
	}
	return false
}

// Organization is the legal entity certificates are ordered for. It is also
// the create-organization body (with Contacts to create alongside).
type Organization struct {
	DateCreated Time         `json:"dateCreated"`
	DateUpdated Time         `json:"dateUpdated"`
	Name        string       `json:"name"`
	AssumedName string       `json:"assumedName,omitempty"`
	Address1    string       `json:"address1"`
	Address2    string       `json:"address2,omitempty"`
	City        string       `json:"city"`
	State       string       `json:"state"`
	Country     string       `json:"country"`
	Zipcode     string       `json:"zipcode"`
	Phone       string       `json:"phone"`
	Active      bool         `json:"active"`
	Contacts    []Contact    `json:"contacts"`
	Validations []Validation `json:"validations"`
	ProviderID  int64        `json:"providerId"` // DigiCert organization id
	Provider    string       `json:"provider"`
	ID          string       `json:"id"`
}

// DcvEmail names a domain-control-validation e-mail recipient.
type DcvEmail struct {
	DNSName     string `json:"dnsName,omitempty"`
	EmailDomain string `json:"emailDomain,omitempty"`
	Email       string `json:"email,omitempty"`
}

// PriceProduct is one line of a Price.
type PriceProduct struct {
	Product string  `json:"product"`
	Item    string  `json:"item"`
	Price   float64 `json:"price"`
}

// Price is the price of one certificate type (GET /order/prices, and an
// order's price).
type Price struct {
	CertType   string         `json:"certType"`
	Provider   string         `json:"provider"`
	Term       int            `json:"term"` // years (the unit is undocumented)
	TotalPrice float64        `json:"totalPrice"`
	Products   []PriceProduct `json:"products"`
	// ErrorMessage is always null here; the API uses it when a price cannot
	// be computed.
	ErrorMessage *string `json:"errorMessage"`
}

// Cert is the certificate of an order (one per order; API guide §7.3). Absent
// values are null or omitted: the dates and daysRemaining until issuance,
// endEntityCert/intermediateCert/rootCert until the certificate exists.
type Cert struct {
	DateCreated         Time       `json:"dateCreated"`
	DateUpdated         Time       `json:"dateUpdated"`
	CommonName          string     `json:"commonName"`
	DNSNames            []string   `json:"dnsNames"` // SANs besides the CN, as sent
	ProviderDateCreated Time       `json:"providerDateCreated"`
	DateValidFrom       Time       `json:"dateValidFrom"`
	DateValidUntil      Time       `json:"dateValidUntil"`
	DaysRemaining       *int       `json:"daysRemaining"`
	CSR                 string     `json:"csr"`
	ServerPlatform      string     `json:"serverPlatform,omitempty"`
	AlgorithmHash       string     `json:"algorithmHash"`
	RootHash            string     `json:"rootHash,omitempty"`
	OrganizationUnits   []string   `json:"organizationUnits"`
	ProviderID          int64      `json:"providerId,omitempty"` // DigiCert certificate id; changes on reissue
	SerialNumber        string     `json:"serialNumber,omitempty"`
	RevokeStatus        string     `json:"revokeStatus,omitempty"` // RevokePending or RevokeRevoked once revoked
	Provider            string     `json:"provider"`
	DcvMethod           string     `json:"dcvMethod"`
	DcvEmails           []DcvEmail `json:"dcvEmails"`
	IntermediateCert    string     `json:"intermediateCert,omitempty"`
	EndEntityCert       string     `json:"endEntityCert,omitempty"`
	RootCert            string     `json:"rootCert,omitempty"`
	ID                  string     `json:"id"`
}

// Order is a certificate order. Contacts are bare contact ids in responses.
// Cert is null while the order is CREATED (a quirk clients have seen).
type Order struct {
	DateCreated                  Time     `json:"dateCreated"`
	DateUpdated                  Time     `json:"dateUpdated"`
	Comments                     string   `json:"comments,omitempty"`
	AdditionalEmails             []string `json:"additionalEmails"`
	RenewalNotificationsDisabled bool     `json:"renewalNotificationsDisabled"`
	Locale                       string   `json:"locale"`
	Cert                         *Cert    `json:"cert"`
	CertType                     string   `json:"certType"`
	Price                        *Price   `json:"price"`
	GroupID                      string   `json:"groupId,omitempty"`
	OrganizationID               string   `json:"organizationId"`
	Contacts                     []string `json:"contacts"`
	// ProviderID is the DigiCert order id, assigned when the order reaches
	// DigiCert (so absent while CREATED) and stable across reissues.
	ProviderID int64  `json:"providerId,omitempty"`
	Provider   string `json:"provider"`
	Status     string `json:"status"`
	ID         string `json:"id"`
	// History is embedded in single-order answers, not in list entries.
	History []History `json:"history,omitempty"`
}

// ContactRef names a contact in an order request. It also accepts a bare id
// string, the shape the API uses in responses.
type ContactRef struct {
	ID           string        `json:"id"`
	ContactTypes []ContactType `json:"contactTypes,omitempty"`
}

// UnmarshalJSON accepts {"id":…,"contactTypes":[…]} or "id".
func (c *ContactRef) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		*c = ContactRef{}
		return json.Unmarshal(b, &c.ID)
	}
	type plain ContactRef
	return json.Unmarshal(b, (*plain)(c))
}

// CertRequest is the cert part of an order request.
type CertRequest struct {
	CommonName        string     `json:"commonName"`
	DNSNames          []string   `json:"dnsNames,omitempty"`
	CSR               string     `json:"csr"`
	ServerPlatform    string     `json:"serverPlatform,omitempty"`
	AlgorithmHash     string     `json:"algorithmHash,omitempty"` // derived from the CSR key when empty
	RootHash          string     `json:"rootHash,omitempty"`
	OrganizationUnits []string   `json:"organizationUnits,omitempty"`
	Provider          string     `json:"provider,omitempty"`
	DcvMethod         string     `json:"dcvMethod"`
	DcvEmails         []DcvEmail `json:"dcvEmails,omitempty"`
}

// OrderRequest is the body of POST /order.
type OrderRequest struct {
	AdditionalEmails []string     `json:"additionalEmails,omitempty"`
	OrganizationID   string       `json:"organizationId"`
	GroupID          string       `json:"groupId,omitempty"`
	SkipPrice        bool         `json:"skipPrice,omitempty"` // true leaves the order's price null
	Contacts         []ContactRef `json:"contacts"`
	Comments         string       `json:"comments,omitempty"`
	Cert             CertRequest  `json:"cert"`
	CertType         string       `json:"certType"`
	Locale           string       `json:"locale,omitempty"`   // default "en"
	Provider         string       `json:"provider,omitempty"` // default DIGICERT, the only value
}

// ActionCert is the cert part of an action body; reissue reads it. The common
// name cannot change on reissue, so there is no commonName (one that differs
// from the order's is refused).
type ActionCert struct {
	CommonName     string   `json:"commonName,omitempty"`
	DNSNames       []string `json:"dnsNames,omitempty"`
	CSR            string   `json:"csr,omitempty"`
	ServerPlatform string   `json:"serverPlatform,omitempty"`
	AlgorithmHash  string   `json:"algorithmHash,omitempty"`
	RootHash       string   `json:"rootHash,omitempty"`
}

// ActionRequest is the body of PATCH /order/{id}/{action}, one schema for
// every action. Send {} at least: an empty body fails.
type ActionRequest struct {
	Cert             *ActionCert `json:"cert,omitempty"`
	IgnoreOrgCheck   bool        `json:"ignoreOrgCheck,omitempty"`
	AdditionalEmails []string    `json:"additionalEmails,omitempty"`
}

// ParsedCSR is one answer of POST /cert/parse. The API guide lists the content
// ("CSR, common name, organization name, organizational unit, locale, state,
// country, email, signature algorithm, etc."); the field names are this
// simulator's.
type ParsedCSR struct {
	CSR                string   `json:"csr"`
	CommonName         string   `json:"commonName"`
	Organization       string   `json:"organization,omitempty"`
	OrganizationUnits  []string `json:"organizationUnits"`
	Locality           string   `json:"locality,omitempty"`
	State              string   `json:"state,omitempty"`
	Country            string   `json:"country,omitempty"`
	Email              string   `json:"email,omitempty"`
	DNSNames           []string `json:"dnsNames"`
	SignatureAlgorithm string   `json:"signatureAlgorithm"` // Go's name, e.g. "ECDSA-SHA256"
	KeyAlgorithm       string   `json:"keyAlgorithm"`       // AlgorithmRSA or AlgorithmECC
	KeySize            int      `json:"keySize"`            // bits
}

// Token is the answer of authenticate and refresh.
type Token struct {
	Token     string `json:"token"`
	ExpiresIn int64  `json:"expiresIn"` // seconds
}

// Credentials is the authenticate body.
type Credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}
