package ccadb

// How certsync identifies a record to the CCADB. Everything about record ids
// lives in this file, so that a switch of the API's id key (the CCADB's
// documentation after 2026-03-20 moves to a CCADBUniqueId key) is a change
// here and nowhere else.
//
//   - The API's record id is Salesforce's 18-character id. It comes back from
//     GetCertificateIdAPI and from an add, is kept in certsync's state, and is
//     sent as SalesforceRecordId to make a request an update.
//   - The public V5 report's "Salesforce Record ID" column holds CCADB unique
//     ids ("A000086"). certsync shows them in plans as the record's CCADB id
//     and never sends them: the API would take the request for an add.

// keyRecordID is the request key (in CertificateInformation) of the record
// id that makes an AddUpdateIntermediateCertAPI request an update.
const keyRecordID = "SalesforceRecordId"

// colCCADBID is the V5 report column that carries the CCADB unique id.
const colCCADBID = "Salesforce Record ID"

// isRecordID reports whether id has the form of an id the API accepts as
// keyRecordID: 18 letters and digits. The report's "A0…" ids never do.
func isRecordID(id string) bool {
	if len(id) != 18 {
		return false
	}
	for _, c := range id {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// stored is what certsync keeps per certificate (by SHA-256) in its state.
type stored struct {
	// ID is the 18-character record id (never a report id).
	ID string `json:"id,omitempty"`
	// Sent is what certsync last sent, by inventory path: the live value of
	// the fields the report does not show, and of every field while the
	// report does not list a record certsync added.
	Sent map[string]any `json:"sent,omitempty"`
}
