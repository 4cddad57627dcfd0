package inventory

// Value lists the CCADB validates against. The CCADB checks picklists
// dynamically against its current values and does not publish them; these
// are every value its documents and public reports show (vendor notes §6).

// CCADBRevocationReasons are the RFC 5280 reason codes exactly as the CCADB
// spells them. There is no 7.
var CCADBRevocationReasons = []string{
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

// CCADBAuditTypes are the audit types seen in the CCADB documents and reports.
var CCADBAuditTypes = []string{
	"WebTrust",
	"ETSI EN 319 411",
	"ETSI TS 102 042",
	"ETSI TS 101 456",
}

// CCADBPartitionedCRLLimit is the documented character limit of
// JSONArrayofPartitionedCRLs (seed 001: "field has 20,000 characters limit").
const CCADBPartitionedCRLLimit = 20000
