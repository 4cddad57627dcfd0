package mmsim

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Domain control validation records. The public order JSON has no field for
// the DNS/HTTP random value (vendor-side, DigiCert keeps it as the order's
// dcv_random_value), so the simulator writes what the customer must publish
// into the order history, where a client can read it:
//
//	DCV random value: <value> (<method>): <instructions>     one line, as before
//	DCV record: <type> <name> <value>                        one line per record
//
// with one record per domain of the order (a wildcard's base domain once):
//
//	DNS_TXT_TOKEN    TXT   <domain>                                             <random value>
//	DNS_CNAME_TOKEN  CNAME <random value>.<domain>                              dcv.digicert.com
//	HTTP_TOKEN       HTTP  http://<domain>/.well-known/pki-validation/fileauth.txt <random value>
//
// (the API guide's DCV methods; DigiCert also accepts the TXT record at _dnsauth.<domain>,
// and so does the simulator). EMAIL orders have no records.
//
// The simulator's "internet" is a set of published records, filled by
// PublishDCV (a test standing in for the customer's DNS tool). The
// validateDomains action checks it: every record of the order must be
// published, else the action fails with DigiCert's check-DCV error and
// nothing changes. ApproveDCV, and the clock without HoldPending, complete
// DCV without looking at it.

// DCVRecordHistoryPrefix starts an order history line that carries one DCV
// record: "DCV record: <type> <name> <value>".
const DCVRecordHistoryPrefix = "DCV record: "

// DCV record types.
const (
	DCVRecordTXT   = "TXT"
	DCVRecordCNAME = "CNAME"
	// DCVRecordHTTP is a file at the URL Name whose content is Value.
	DCVRecordHTTP = "HTTP"
)

// DCVCNAMETarget is where a DNS_CNAME_TOKEN record points (the API guide's DCV methods).
const DCVCNAMETarget = "dcv.digicert.com"

// DigiCert's check-DCV error codes, answered 400 by validateDomains when a
// record is not published. invalid_dns_txt and file_random_value_not_found
// with the TXT message are DigiCert's (dev.digicert.com, "Check DCV");
// invalid_dns_cname and both other messages are the simulator's, in the
// same style.
const (
	CodeInvalidDNSTXT      = "invalid_dns_txt"
	CodeInvalidDNSCNAME    = "invalid_dns_cname"
	CodeFileValueNotFound  = "file_random_value_not_found"
	MsgInvalidDNSTXT       = "Could not find a valid TXT record for one or more domains."
	MsgInvalidDNSCNAME     = "Could not find a valid CNAME record for one or more domains."
	MsgFileValueNotFound   = "Could not find the random value in the file for one or more domains."
	dcvHTTPPathForHostname = "/.well-known/pki-validation/fileauth.txt"
)

// DCVRecord is one record a DNS or HTTP domain control validation asks the
// customer to publish.
type DCVRecord struct {
	Type  string `json:"type"`  // DCVRecordTXT, DCVRecordCNAME or DCVRecordHTTP
	Name  string `json:"name"`  // DNS owner name, or the file's URL for HTTP
	Value string `json:"value"` // TXT text, CNAME target, or file content
}

// String is the record as its history line shows it, after the prefix.
func (r DCVRecord) String() string { return r.Type + " " + r.Name + " " + r.Value }

// ParseDCVRecordLine reads a history line written for a DCV record; ok is
// false for any other line.
func ParseDCVRecordLine(text string) (DCVRecord, bool) {
	rest, ok := strings.CutPrefix(text, DCVRecordHistoryPrefix)
	if !ok {
		return DCVRecord{}, false
	}
	f := strings.Fields(rest)
	if len(f) != 3 {
		return DCVRecord{}, false
	}
	return DCVRecord{Type: f[0], Name: f[1], Value: f[2]}, true
}

// dcvRecords lists what c's DCV method asks to publish with token.
func dcvRecords(c *Cert, token string) []DCVRecord {
	var out []DCVRecord
	seen := map[string]bool{}
	for _, n := range sanList(c.CommonName, c.DNSNames) {
		d := strings.ToLower(strings.TrimPrefix(n, "*."))
		if seen[d] {
			continue
		}
		seen[d] = true
		switch c.DcvMethod {
		case DcvMethodDNSTXT:
			out = append(out, DCVRecord{Type: DCVRecordTXT, Name: d, Value: token})
		case DcvMethodDNSCNAME:
			out = append(out, DCVRecord{Type: DCVRecordCNAME, Name: token + "." + d, Value: DCVCNAMETarget})
		case DcvMethodHTTP:
			out = append(out, DCVRecord{Type: DCVRecordHTTP, Name: "http://" + d + dcvHTTPPathForHostname, Value: token})
		}
	}
	return out
}

// publishedKey is how a published record is looked up: DNS names compare
// case-insensitively and without a trailing dot, CNAME targets too; TXT
// texts and file contents exactly.
func publishedKey(r DCVRecord) string {
	name := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(r.Name)), ".")
	value := strings.TrimSpace(r.Value)
	if r.Type == DCVRecordCNAME {
		value = strings.TrimSuffix(strings.ToLower(value), ".")
	}
	return strings.ToUpper(strings.TrimSpace(r.Type)) + " " + name + " " + value
}

func (s *Server) publishedLocked(r DCVRecord) bool {
	if s.published[publishedKey(r)] {
		return true
	}
	if r.Type == DCVRecordTXT {
		return s.published[publishedKey(DCVRecord{Type: r.Type, Name: "_dnsauth." + r.Name, Value: r.Value})]
	}
	return false
}

// checkPublishedLocked is validateDomains' look at the published records:
// nil when every record of o's current DCV is there (or o has none).
func (s *Server) checkPublishedLocked(o *orderRec) error {
	for _, r := range dcvRecords(o.Order.Cert, o.DCVToken) {
		if s.publishedLocked(r) {
			continue
		}
		switch r.Type {
		case DCVRecordTXT:
			return errf(http.StatusBadRequest, CodeInvalidDNSTXT, "%s", MsgInvalidDNSTXT)
		case DCVRecordCNAME:
			return errf(http.StatusBadRequest, CodeInvalidDNSCNAME, "%s", MsgInvalidDNSCNAME)
		default:
			return errf(http.StatusBadRequest, CodeFileValueNotFound, "%s", MsgFileValueNotFound)
		}
	}
	return nil
}

// ErrBadRecord is returned by PublishDCV for a record it cannot hold.
var ErrBadRecord = errors.New("mmsim: bad DCV record")

// PublishDCV publishes r in the simulator's DNS (TXT, CNAME) or web (HTTP),
// as the customer's DNS tool or web server would; validateDomains then finds
// it. Published records live in memory only.
func (s *Server) PublishDCV(r DCVRecord) error {
	switch r.Type {
	case DCVRecordTXT, DCVRecordCNAME, DCVRecordHTTP:
	default:
		return fmt.Errorf("%w: type %q is not TXT, CNAME or HTTP", ErrBadRecord, r.Type)
	}
	if strings.TrimSpace(r.Name) == "" || strings.TrimSpace(r.Value) == "" {
		return fmt.Errorf("%w: name and value are required", ErrBadRecord)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.published[publishedKey(r)] = true
	return nil
}

// UnpublishDCV removes a record PublishDCV published.
func (s *Server) UnpublishDCV(r DCVRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.published, publishedKey(r))
}

// DCVRecords returns the records the order's current DCV asks to publish, as
// its history shows them: nil for EMAIL orders and for orders not yet
// submitted to DigiCert.
func (s *Server) DCVRecords(orderID string) ([]DCVRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, _, err := s.orderForAPILocked(orderID)
	if err != nil {
		return nil, err
	}
	if o.DCVToken == "" {
		return nil, nil
	}
	return dcvRecords(o.Order.Cert, o.DCVToken), nil
}
