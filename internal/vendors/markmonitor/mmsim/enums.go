package mmsim

import "strings"

// ProviderDigiCert is the only provider (DigiCert fronts every order).
const ProviderDigiCert = "DIGICERT"

// Order statuses: the API guide's fourteen plus REISSUE_PENDING and
// DIGI_NEEDS_CSR from the Swagger enum (docs/vendors/markmonitor.md, "Order statuses").
const (
	StatusCreated               = "CREATED"
	StatusReissueRequestPending = "REISSUE_REQUEST_PENDING"
	StatusReissuePending        = "REISSUE_PENDING"
	StatusDigiPending           = "DIGI_PENDING"
	StatusDigiReissuePending    = "DIGI_REISSUE_PENDING"
	StatusDigiReissueFailed     = "DIGI_REISSUE_FAILED"
	StatusDigiProcessing        = "DIGI_PROCESSING"
	StatusDigiIssued            = "DIGI_ISSUED"
	StatusDigiRevoked           = "DIGI_REVOKED"
	StatusDigiCanceled          = "DIGI_CANCELED"
	StatusDigiNeedsCSR          = "DIGI_NEEDS_CSR"
	StatusDigiNeedsApproval     = "DIGI_NEEDS_APPROVAL"
	StatusDigiWaitingPickup     = "DIGI_WAITING_PICKUP"
	StatusDigiRejected          = "DIGI_REJECTED"
	StatusDigiExpired           = "DIGI_EXPIRED"
	StatusDigiFailed            = "DIGI_FAILED"
)

// Statuses returns every order status.
func Statuses() []string {
	return []string{
		StatusCreated, StatusReissueRequestPending, StatusReissuePending, StatusDigiPending,
		StatusDigiReissuePending, StatusDigiReissueFailed, StatusDigiProcessing, StatusDigiIssued,
		StatusDigiRevoked, StatusDigiCanceled, StatusDigiNeedsCSR, StatusDigiNeedsApproval,
		StatusDigiWaitingPickup, StatusDigiRejected, StatusDigiExpired, StatusDigiFailed,
	}
}

// terminal reports whether an order in status st is over: it no longer
// counts as active for the contact-delete rule and accepts no action.
func terminal(st string) bool {
	switch st {
	case StatusDigiRevoked, StatusDigiCanceled, StatusDigiRejected, StatusDigiExpired, StatusDigiFailed:
		return true
	}
	return false
}

// Certificate types (API guide §7.4).
const (
	CertTypeEVBasic             = "SSL_EV_BASIC"
	CertTypeOVBasic             = "SSL_OV_BASIC"
	CertTypeEVSecureSite        = "SSL_EV_SECURESITE"
	CertTypeOVSecureSite        = "SSL_OV_SECURESITE"
	CertTypeEVSecureSitePro     = "SSL_EV_SECURESITE_PRO"
	CertTypeOVSecureSitePro     = "SSL_OV_SECURESITE_PRO"
	CertTypeDVGeoTrust          = "SSL_DV_GEOTRUST"
	CertTypeOVGeoTrustTrueBizID = "SSL_OV_GEOTRUST_TRUEBIZID"
	CertTypeEVGeoTrustTrueBizID = "SSL_EV_GEOTRUST_TRUEBIZID"
	CertTypeDVThawte            = "SSL_DV_THAWTE"
	CertTypeEVThawteWebServer   = "SSL_EV_THAWTE_WEBSERVER"
	CertTypeOVThawteWebServer   = "SSL_OV_THAWTE_WEBSERVER"
)

// CertTypes returns the twelve certificate types, in the API guide's order.
func CertTypes() []string {
	return []string{
		CertTypeEVBasic, CertTypeOVBasic, CertTypeEVSecureSite, CertTypeOVSecureSite,
		CertTypeEVSecureSitePro, CertTypeOVSecureSitePro, CertTypeDVGeoTrust,
		CertTypeOVGeoTrustTrueBizID, CertTypeEVGeoTrustTrueBizID, CertTypeDVThawte,
		CertTypeEVThawteWebServer, CertTypeOVThawteWebServer,
	}
}

// isEV reports whether a certificate type is Extended Validation.
func isEV(certType string) bool { return strings.Contains(certType, "_EV_") }

// isDV reports whether a certificate type is Domain Validation only.
func isDV(certType string) bool { return strings.Contains(certType, "_DV_") }

// Order actions, the camelCase path segments of PATCH /order/{id}/{action}.
const (
	ActionCancel                 = "cancel"
	ActionRevoke                 = "revoke"
	ActionReissue                = "reissue"
	ActionSendDcvEmail           = "sendDcvEmail"
	ActionValidateDomains        = "validateDomains"
	ActionUpdateAdditionalEmails = "updateAdditionalEmails"
	ActionSendCertificateEmail   = "sendCertificateEmail"
)

// Contact types. TECHNICAL_CONTACT is Markmonitor's own contact, added to
// every organization and order; clients cannot create it.
const (
	ContactTypeOrganization = "ORGANIZATION_CONTACT"
	ContactTypeEVApprover   = "EXTENDED_VALIDATION_APPROVER"
	ContactTypeTechnical    = "TECHNICAL_CONTACT"
)

// DCV methods (API guide §6.1.2).
const (
	DcvMethodEmail    = "EMAIL"
	DcvMethodDNSCNAME = "DNS_CNAME_TOKEN"
	DcvMethodHTTP     = "HTTP_TOKEN"
	DcvMethodDNSTXT   = "DNS_TXT_TOKEN"
)

// Key algorithms (algorithmHash). DSA exists in the Swagger enum but is
// refused, as the live API does.
const (
	AlgorithmRSA = "RSA"
	AlgorithmECC = "ECC"
)

// RootHashSHA1 is the only rootHash value; empty means the default chain.
const RootHashSHA1 = "SHA_1"

// Server platforms (Swagger enum).
const (
	PlatformApache  = "APACHE"
	PlatformNginx   = "NGINX"
	PlatformDefault = "DEFAULT"
	PlatformIIS10   = "MICROSOFT_IIS_10"
	PlatformIIS8    = "MICROSOFT_IIS_8"
	PlatformIIS7    = "MICROSOFT_IIS_7"
	PlatformIIS5or6 = "MICROSOFT_IIS_5_OR_6"
)

// Revocation states of Cert.RevokeStatus.
const (
	RevokePending = "PENDING"
	RevokeRevoked = "REVOKED"
)

// Organization validation types and states.
const (
	ValidationOV        = "OV"
	ValidationEV        = "EV"
	ValidationPending   = "PENDING"
	ValidationValidated = "VALIDATED"
)

func oneOf(v string, allowed ...string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

func validStatus(v string) bool   { return oneOf(v, Statuses()...) }
func validCertType(v string) bool { return oneOf(v, CertTypes()...) }
func validDcvMethod(v string) bool {
	return oneOf(v, DcvMethodEmail, DcvMethodDNSCNAME, DcvMethodHTTP, DcvMethodDNSTXT)
}
func validAlgorithm(v string) bool { return oneOf(v, AlgorithmRSA, AlgorithmECC) }
func validPlatform(v string) bool {
	return oneOf(v, PlatformApache, PlatformNginx, PlatformDefault, PlatformIIS10, PlatformIIS8, PlatformIIS7, PlatformIIS5or6)
}
func validRootHash(v string) bool { return v == RootHashSHA1 }
func validContactType(v string) bool {
	return oneOf(v, ContactTypeOrganization, ContactTypeEVApprover, ContactTypeTechnical)
}
