package markmonitor

import (
	"encoding/json"
	"time"
)

// The client's view of the API's JSON (docs/vendors/markmonitor.md, "JSON shapes"). Decoding is
// tolerant: unknown fields are ignored, cert may be null, a status may be a
// value certsync does not know, and contacts may come as ids or objects.

// Organization is an organization with its embedded contacts.
type Organization struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	AssumedName string    `json:"assumedName,omitempty"`
	Address1    string    `json:"address1"`
	Address2    string    `json:"address2,omitempty"`
	City        string    `json:"city"`
	State       string    `json:"state"`
	Country     string    `json:"country"`
	Zipcode     string    `json:"zipcode"`
	Phone       string    `json:"phone"`
	Active      bool      `json:"active"`
	Provider    string    `json:"provider,omitempty"`
	Contacts    []Contact `json:"contacts"`
	// Validations are the organization's OV/EV validations (see dcv.go);
	// never sent.
	Validations []OrgValidation `json:"validations,omitempty"`
}

// ContactType is the API's {"type": ...} wrapper.
type ContactType struct {
	Type string `json:"type"`
}

// Contact is an organization contact.
type Contact struct {
	ID             string        `json:"id,omitempty"`
	FirstName      string        `json:"firstName"`
	LastName       string        `json:"lastName"`
	JobTitle       string        `json:"jobTitle"`
	Email          string        `json:"email"`
	Phone          string        `json:"phone"`
	PhoneExtension string        `json:"phoneExtension,omitempty"`
	OrganizationID string        `json:"organizationId,omitempty"`
	Provider       string        `json:"provider,omitempty"`
	ContactTypes   []ContactType `json:"contactTypes"`
}

// Cert is the certificate inside an order.
type Cert struct {
	ID               string     `json:"id,omitempty"`
	CommonName       string     `json:"commonName"`
	DNSNames         []string   `json:"dnsNames"`
	CSR              string     `json:"csr"`
	ServerPlatform   string     `json:"serverPlatform,omitempty"`
	AlgorithmHash    string     `json:"algorithmHash,omitempty"`
	RootHash         string     `json:"rootHash,omitempty"`
	DCVMethod        string     `json:"dcvMethod,omitempty"`
	DCVEmails        []DCVEmail `json:"dcvEmails,omitempty"`
	DateValidFrom    *time.Time `json:"dateValidFrom,omitempty"`
	DateValidUntil   *time.Time `json:"dateValidUntil,omitempty"`
	SerialNumber     string     `json:"serialNumber,omitempty"`
	RevokeStatus     string     `json:"revokeStatus,omitempty"`
	ProviderID       int64      `json:"providerId,omitempty"`
	EndEntityCert    string     `json:"endEntityCert,omitempty"`
	IntermediateCert string     `json:"intermediateCert,omitempty"`
	RootCert         string     `json:"rootCert,omitempty"`
}

// History is one line of an object's history.
type History struct {
	DateCreated time.Time `json:"dateCreated"`
	UserName    string    `json:"userName,omitempty"`
	Text        string    `json:"text"`
}

// Order is a certificate order.
type Order struct {
	ID               string     `json:"id"`
	DateCreated      time.Time  `json:"dateCreated"`
	Status           string     `json:"status"`
	Comments         string     `json:"comments"`
	AdditionalEmails []string   `json:"additionalEmails"`
	CertType         string     `json:"certType"`
	OrganizationID   string     `json:"organizationId,omitempty"`
	Contacts         contactIDs `json:"contacts"`
	ProviderID       int64      `json:"providerId,omitempty"`
	Cert             *Cert      `json:"cert"`
	History          []History  `json:"history,omitempty"`
}

// contactIDs decodes the order's contacts whether the API sends bare ids
// (as observed) or contact objects.
type contactIDs []string

func (c *contactIDs) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make([]string, 0, len(raw))
	for _, r := range raw {
		var id string
		if json.Unmarshal(r, &id) == nil {
			out = append(out, id)
			continue
		}
		var obj struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(r, &obj); err != nil {
			return err
		}
		out = append(out, obj.ID)
	}
	*c = out
	return nil
}

// ContactRef is how an order request names a contact.
type ContactRef struct {
	ID           string        `json:"id"`
	ContactTypes []ContactType `json:"contactTypes"`
}

// CertRequest is the cert part of an order or reissue request.
type CertRequest struct {
	CommonName string `json:"commonName,omitempty"`
	// DNSNames is always sent, [] included: a reissue without it keeps
	// the old names, so "no extra names" must be an explicit [].
	DNSNames       []string `json:"dnsNames"`
	CSR            string   `json:"csr"`
	ServerPlatform string   `json:"serverPlatform,omitempty"`
	AlgorithmHash  string   `json:"algorithmHash,omitempty"`
	Provider       string   `json:"provider,omitempty"`
	DCVMethod      string   `json:"dcvMethod,omitempty"`
	DCVEmails      []any    `json:"dcvEmails,omitempty"`
}

// OrderRequest is the body of POST /order.
type OrderRequest struct {
	OrganizationID   string       `json:"organizationId"`
	Contacts         []ContactRef `json:"contacts"`
	CertType         string       `json:"certType"`
	Locale           string       `json:"locale"`
	Provider         string       `json:"provider"`
	Comments         string       `json:"comments"`
	AdditionalEmails []string     `json:"additionalEmails,omitempty"`
	SkipPrice        bool         `json:"skipPrice"`
	Cert             CertRequest  `json:"cert"`
}

// ActionRequest is the body of PATCH /order/{id}/{action}; the API needs at
// least {} (an empty body fails with order.getError).
type ActionRequest struct {
	Cert *CertRequest `json:"cert,omitempty"`
	// AdditionalEmails is sent only by updateAdditionalEmails, which
	// replaces the list: a pointer so that an empty list (clear them all)
	// is sent as [] while other actions send no such key.
	AdditionalEmails *[]string `json:"additionalEmails,omitempty"`
}

// page is the Spring paging envelope, with the legacy top-level totals as a
// fallback.
type page[T any] struct {
	Content []T `json:"content"`
	Page    *struct {
		Size          int `json:"size"`
		TotalElements int `json:"totalElements"`
		TotalPages    int `json:"totalPages"`
		Number        int `json:"number"`
	} `json:"page"`
	TotalPages *int `json:"totalPages"`
}

func (p page[T]) totalPages() int {
	if p.Page != nil {
		return p.Page.TotalPages
	}
	if p.TotalPages != nil {
		return *p.TotalPages
	}
	return 1
}

// Order statuses (API guide §7.4.2 and the two the Swagger enum adds).
const (
	StatusCreated               = "CREATED"
	StatusReissueRequestPending = "REISSUE_REQUEST_PENDING"
	StatusReissuePending        = "REISSUE_PENDING"
	StatusPending               = "DIGI_PENDING"
	StatusReissuePendingDigi    = "DIGI_REISSUE_PENDING"
	StatusReissueFailed         = "DIGI_REISSUE_FAILED"
	StatusProcessing            = "DIGI_PROCESSING"
	StatusIssued                = "DIGI_ISSUED"
	StatusRevoked               = "DIGI_REVOKED"
	StatusCanceled              = "DIGI_CANCELED"
	StatusNeedsCSR              = "DIGI_NEEDS_CSR"
	StatusNeedsApproval         = "DIGI_NEEDS_APPROVAL"
	StatusWaitingPickup         = "DIGI_WAITING_PICKUP"
	StatusRejected              = "DIGI_REJECTED"
	StatusExpired               = "DIGI_EXPIRED"
	StatusFailed                = "DIGI_FAILED"
)

// terminal statuses end an order's life; a new order is needed after them.
func terminal(status string) bool {
	switch status {
	case StatusRevoked, StatusCanceled, StatusRejected, StatusExpired, StatusFailed:
		return true
	}
	return false
}

// cancellable statuses, per API guide §7.4.8.1 (and DigiCert's needs_approval).
func cancellable(status string) bool {
	switch status {
	case StatusCreated, StatusPending, StatusWaitingPickup, StatusNeedsApproval, StatusReissuePendingDigi:
		return true
	}
	return false
}
