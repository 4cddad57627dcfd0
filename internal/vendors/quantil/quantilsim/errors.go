package quantilsim

import (
	"fmt"
	"net/http"
)

// Error codes, the <code> of an error body. Only InvalidCertificate (the "Modify SSL Certificate" page)
// and NoSuchSsl (CDNetworks QueryCertificate page) are documented; the others
// are this simulator's, named in the same style, because the v1 API's codes
// for them are not in any document that could be read.
const (
	// CodeInvalidCertificate (403, documented): a certificate, key or chain
	// field that is empty, not base64, not DES ciphertext under the request's
	// Date, not PEM, or whose contents break a rule (key mismatch, short key,
	// expired certificate, chain that does not sign the certificate).
	CodeInvalidCertificate = "InvalidCertificate"
	// CodeNoSuchSsl (404, documented): the certificate id in the path is not
	// one of the account's certificates.
	CodeNoSuchSsl = "NoSuchSsl"
	// CodeAuthFailure (401): Authorization missing, not Basic, wrong user, or
	// a password that is not the signature of the Date with the API key.
	CodeAuthFailure = "AuthFailure"
	// CodeInvalidDate (401): neither Date nor x-cnc-date present, a value
	// that does not parse as an RFC 1123 date, or one further than
	// Options.ClockSkew from the simulator's clock.
	CodeInvalidDate = "InvalidDate"
	// CodeMalformedXML (400): a body that is not XML, whose root is not
	// <ssl-certificate>, or which repeats one of its elements.
	CodeMalformedXML = "MalformedXML"
	// CodeInvalidName (400): name missing on add, or empty.
	CodeInvalidName = "InvalidName"
	// CodeInvalidAlgorithm (400): algorithm missing where encrypted fields
	// are sent, or a value other than des and aes.
	CodeInvalidAlgorithm = "InvalidAlgorithm"
	// CodeUnsupportedAlgorithm (400): algorithm aes, which Wangsu's document
	// names but no document defines.
	CodeUnsupportedAlgorithm = "UnsupportedAlgorithm"
	// CodeNameAlreadyExists (409): names are unique per account; an add with
	// a taken name, or a modify renaming onto another certificate's name.
	CodeNameAlreadyExists = "NameAlreadyExists"
	// CodeNotFound (404): a path outside the /api/ssl/certificate family.
	CodeNotFound = "NotFound"
	// CodeMethodNotAllowed (405, with an Allow header).
	CodeMethodNotAllowed = "MethodNotAllowed"
	// CodeRequestTooLarge (413): a body over 1 MiB.
	CodeRequestTooLarge = "RequestEntityTooLarge"
	// CodeInternalError (500): the state file could not be written; the
	// change was not made.
	CodeInternalError = "InternalError"
)

// Fixed messages. Details, when there are any, follow the fixed part after a
// space, so a client matching the documented sentence still matches.
const (
	// MsgInvalidCertificate is the "Modify SSL Certificate" page's message for CodeInvalidCertificate.
	MsgInvalidCertificate = "The certificate you provided is invalid."
	// MsgNoSuchSsl is the documented beginning of the NoSuchSsl message (the
	// rest of the sentence is cut off in the document).
	MsgNoSuchSsl = "The certificate Id you provided is invalid"
	// MsgSuccess is the <message> of every successful add, modify and delete.
	MsgSuccess = "success"
)

// apiError is an error answer: a status and a <response><code>…<message>
// body.
type apiError struct {
	status        int
	code, message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.message) }

func newError(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// invalidCertificate is the documented 403 with a detail appended.
func invalidCertificate(format string, args ...any) *apiError {
	return &apiError{status: http.StatusForbidden, code: CodeInvalidCertificate,
		message: MsgInvalidCertificate + " " + fmt.Sprintf(format, args...)}
}

// noSuchSsl is the 404 for an id that names no certificate of the account.
func noSuchSsl(id string) *apiError {
	return &apiError{status: http.StatusNotFound, code: CodeNoSuchSsl,
		message: fmt.Sprintf("%s and the certificate id should be the id of one of your certificates (got [%s]).", MsgNoSuchSsl, id)}
}
