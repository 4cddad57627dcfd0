package quantil

import (
	"encoding/xml"
	"strings"
	"time"
)

// certRequest is the body of add (POST) and modify (PUT): a root
// <ssl-certificate> holding a child <ssl-certificate> with the encrypted PEM.
type certRequest struct {
	XMLName   xml.Name `xml:"ssl-certificate"`
	Name      string   `xml:"name"`
	Comment   string   `xml:"comment"`
	Algorithm string   `xml:"algorithm"`
	Cert      string   `xml:"ssl-certificate"`
	Key       string   `xml:"ssl-key"`
	Chain     string   `xml:"ssl-certificate-chain,omitempty"`
}

// texts collects the text of every child element, whatever its name: the
// child names of <common-names> are undocumented, <dns-names> uses
// <dns-name>. certsync identifies certificates by serial; the names are
// decoded so that a list with them parses, not compared.
type texts struct {
	Items []struct {
		Text string `xml:",chardata"`
	} `xml:",any"`
}

// Certificate is a certificate as the list and view show it. Both field
// generations are read (vendor notes §4.2): QUANTIL's 2014 names and
// Wangsu/CDNetworks' current ones.
type Certificate struct {
	ID      string `xml:"certificate-id" json:"certificate-id"`
	Name    string `xml:"name" json:"name"`
	Comment string `xml:"comment" json:"comment"`
	// 2014 generation.
	ExpirationDate string `xml:"expiration-date" json:"expiration-date"`
	SerialNumber   string `xml:"serial-number" json:"serial-number"`
	CommonNames    texts  `xml:"common-names" json:"-"`
	// Current generation.
	ValidityFrom string `xml:"certificate-validity-from" json:"certificate-validity-from"`
	ValidityTo   string `xml:"certificate-validity-to" json:"certificate-validity-to"`
	Serial       string `xml:"certificate-serial" json:"certificate-serial"`
	DNSNames     texts  `xml:"dns-names" json:"-"`
}

type certList struct {
	Items []Certificate `xml:"ssl-certificate"`
}

// serial returns the serial in lower-case hex without colons or leading
// zeros, whichever generation carried it.
func (c *Certificate) serial() string {
	s := c.Serial
	if s == "" {
		s = c.SerialNumber
	}
	s = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), ":", ""))
	s = strings.TrimLeft(s, "0")
	if s == "" && (c.Serial != "" || c.SerialNumber != "") {
		s = "0"
	}
	return s
}

// cst is the zone of the current generation's dates (UTC+8).
var cst = time.FixedZone("CST", 8*3600)

// expires returns the certificate's end of validity, whichever generation
// carried it and in whichever of the formats seen.
func (c *Certificate) expires() (time.Time, bool) {
	if t, ok := parseTime(c.ValidityTo, cst); ok {
		return t, true
	}
	return parseTime(c.ExpirationDate, time.UTC)
}

func parseTime(s string, zone *time.Location) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	for _, f := range []string{time.DateTime, time.RFC3339, "2006-01-02T15:04:05", time.DateOnly, time.RFC1123, time.RFC1123Z} {
		if t, err := time.ParseInLocation(f, s, zone); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// apiError is an error body: <response><code/><message/></response> (or any
// root), or its JSON twin.
type apiError struct {
	Code    string `xml:"code" json:"code"`
	Message string `xml:"message" json:"message"`
}
