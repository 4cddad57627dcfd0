package mmsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Error bodies. The API has two documented shapes (docs/vendors/markmonitor.md, "Error bodies"):
//
//	400  {"validations":[{"field":"cert.csr","code":"…","message":"…"}]}
//	else {"errors":[{"code":"request.genericError","message":"…"}]}
//
// plus the API gateway's {"message":"Forbidden"} for a missing or wrong
// x-api-key. Only request.genericError, request.badRequest and order.getError
// (with its message MsgOrderGetError) are evidenced; every other code and
// message below is this simulator's invention, in the same dotted area.key
// style.

// Codes of {"errors":[…]} bodies.
const (
	CodeUnauthorized       = "auth.unauthorized"       // 401: missing, invalid or expired JWT (body undocumented)
	CodeInvalidCredentials = "auth.invalidCredentials" // 401: wrong username or password
	CodeTooManyRequests    = "request.tooManyRequests" // 429
	CodeBadRequest         = "request.badRequest"      // 400: malformed JSON, bad query parameter
	CodeInvalidID          = "request.invalidId"       // 400: a path id that is not a UUID
	CodeNotFound           = "request.notFound"        // 404: unknown path
	CodeMethodNotAllowed   = "request.methodNotAllowed"
	CodeGenericError       = "request.genericError" // 500
	CodeOrgNotFound        = "organization.notFound"
	CodeOrgDuplicate       = "organization.duplicate" // 409: same name and country
	CodeContactNotFound    = "contact.notFound"
	CodeContactActiveOrder = "contact.activeOrder"           // 409
	CodeContactLast        = "contact.lastContact"           // 409
	CodeContactLastEV      = "contact.lastEvContact"         // 409
	CodeContactTechnical   = "contact.technicalContact"      // 409: Markmonitor's own contact
	CodeOrderNotFound      = "order.notFound"                // 404
	CodeOrderGetError      = "order.getError"                // 400: empty or non-JSON action body (live-observed)
	CodeOrderInvalidStatus = "order.invalidStatus"           // 409: action not allowed in the current status
	CodeOrderInvalidAction = "order.invalidAction"           // 400: unknown action path segment
	CodeOrderCertNotReady  = "order.certificateNotAvailable" // 409: download before issuance
	CodeHistoryNotFound    = "history.notFound"              // 404
)

// Messages with a fixed wording.
const (
	MsgOrderGetError = "Error retrieving order information" // with CodeOrderGetError (live-observed)
	MsgForbidden     = "Forbidden"                          // the API gateway's 403 {"message":…}
)

// Codes of {"validations":[…]} entries (400).
const (
	VCodeRequired          = "validation.required"
	VCodeInvalidValue      = "validation.invalidValue" // not a value of the enum
	VCodeInvalidUUID       = "validation.invalidUuid"
	VCodeInvalidEmail      = "validation.invalidEmail"
	VCodeInvalidDomain     = "validation.invalidDomain"
	VCodeInvalidFormat     = "validation.invalidFormat"
	VCodeOrgNotFound       = "organization.notFound"
	VCodeContactNotFound   = "contact.notFound"
	VCodeContactWrongOrg   = "contact.organizationMismatch"
	VCodeEVApproverNeeded  = "contact.evApproverRequired"
	VCodeCSRInvalid        = "csr.invalid"
	VCodeCSRSignature      = "csr.signatureInvalid"
	VCodeCSRKeyTooSmall    = "csr.keyTooSmall"
	VCodeCSRExplicitCurve  = "csr.explicitCurve"
	VCodeCSRUnsupportedKey = "csr.unsupportedKey"
	VCodeCSRCurve          = "csr.unsupportedCurve"
	VCodeAlgorithmMismatch = "csr.algorithmMismatch"
	VCodeCNMismatch        = "csr.commonNameMismatch"
	VCodeCNChange          = "order.commonNameChange"
	VCodeOrgChange         = "contact.organizationChange"
)

// ErrorItem is one entry of an {"errors":[…]} body.
type ErrorItem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// FieldError is one entry of a 400 {"validations":[…]} body. Field is a
// dotted JSON path such as "cert.csr" or "contacts[0].id".
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ErrorResponse decodes any error body the simulator sends.
type ErrorResponse struct {
	Errors      []ErrorItem  `json:"errors,omitempty"`
	Validations []FieldError `json:"validations,omitempty"`
	Message     string       `json:"message,omitempty"` // API gateway 403 only
}

// ValidationError is the error the Go seeding methods return for a request
// the API would answer with 400.
type ValidationError struct{ Fields []FieldError }

// Error lists the failures as "field: message (code)".
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = fmt.Sprintf("%s: %s (%s)", f.Field, f.Message, f.Code)
	}
	return "mmsim: invalid request: " + strings.Join(parts, "; ")
}

// apiError is an answer with an {"errors":[…]} body, used inside the
// simulator so handlers can return early.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.message) }

func errf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// fieldErrors collects validation failures.
type fieldErrors []FieldError

func (fe *fieldErrors) add(field, code, format string, args ...any) {
	*fe = append(*fe, FieldError{Field: field, Code: code, Message: fmt.Sprintf(format, args...)})
}

func (fe fieldErrors) err() error {
	if len(fe) == 0 {
		return nil
	}
	return &ValidationError{Fields: fe}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"errors":[{"code":"request.genericError","message":"An unexpected error occurred."}]}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

func writeErrors(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, ErrorResponse{Errors: []ErrorItem{{Code: code, Message: message}}})
}

// writeErr answers err: a *ValidationError as 400 validations, an *apiError
// with its status, anything else as 500 request.genericError.
func writeErr(w http.ResponseWriter, err error) {
	var ve *ValidationError
	var ae *apiError
	switch {
	case errors.As(err, &ve):
		writeJSON(w, http.StatusBadRequest, ErrorResponse{Validations: ve.Fields})
	case errors.As(err, &ae):
		writeErrors(w, ae.status, ae.code, ae.message)
	default:
		writeErrors(w, http.StatusInternalServerError, CodeGenericError, "An unexpected error occurred.")
	}
}
