package ccadb

// Value lists the CCADB validates against. The CCADB checks picklists
// dynamically against its current values and does not publish them; these
// are every value its documents and public reports show.

// RevocationReasons are the RFC 5280 reason codes exactly as the CCADB
// spells them. There is no 7.
var RevocationReasons = []string{
	"(0) unspecified",
	"(1) keyCompromise",
	"(2) cACompromise",
	"(3) affiliationChanged",
	"(4) superseded",
	"(5) cessationOfOperation",
	"(6) certificateHold",
	"(8) removeFromCRL",
	"(9) privilegeWithdrawn",
	"(10) aACompromise",
}

// AuditTypes are the audit types seen in the CCADB documents and reports.
var AuditTypes = []string{
	"WebTrust",
	"ETSI EN 319 411",
	"ETSI TS 102 042",
	"ETSI TS 101 456",
}

// CABForumPolicyIdentifiers are the CA/Browser Forum's reserved certificate
// policy OIDs, the values CABForumCertificatePolicyIdentifier is expected to
// take; the CCADB's own list is not published, so another value is a
// warning only.
var CABForumPolicyIdentifiers = []string{
	"2.23.140.1.1", "2.23.140.1.2.1", "2.23.140.1.2.2", "2.23.140.1.2.3",
	"2.23.140.1.3", "2.23.140.1.4.1", "2.23.140.1.4.2",
	"2.23.140.1.5.1.1", "2.23.140.1.5.1.2", "2.23.140.1.5.1.3",
	"2.23.140.1.5.2.1", "2.23.140.1.5.2.2", "2.23.140.1.5.2.3",
	"2.23.140.1.5.3.1", "2.23.140.1.5.3.2", "2.23.140.1.5.3.3",
	"2.23.140.1.5.4.1", "2.23.140.1.5.4.2", "2.23.140.1.5.4.3",
}

// CRLListLimit is the documented limit of each CRL array
// (JSONArrayofAllFullCRLURLs, JSONArrayofPartitionedCRLs), in characters of
// its JSON text.
const CRLListLimit = 100_000
