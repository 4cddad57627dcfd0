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

// PartitionedCRLLimit is the documented character limit of
// JSONArrayofPartitionedCRLs: the API documents a 20,000-character limit.
const PartitionedCRLLimit = 20000
