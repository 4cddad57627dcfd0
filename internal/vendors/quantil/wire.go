package quantil

import (
	"encoding/json"
	"encoding/xml"
	"sort"
	"strings"
	"time"
)

// certRequest is the body of add (POST) and modify (PUT): a root
// <ssl-certificate> holding a child <ssl-certificate> with the encrypted PEM.
type certRequest struct {
	XMLName   xml.Name `xml:"ssl-certificate"`
	Name      string   `xml:"name"`
	Comment   *string  `xml:"comment"`
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
// generations are read: QUANTIL's 2014 names and Wangsu/CDNetworks'
// current ones.
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
	// RelatedDomains are the CDN domains that use the certificate; the
	// element is left out when none does.
	RelatedDomains struct {
		Items []struct {
			ID   string `xml:"domain-id"`
			Name string `xml:"domain-name"`
		} `xml:"related-domain"`
	} `xml:"related-domains" json:"-"`
}

// domains returns the names of the domains that use the certificate,
// lower case and sorted.
func (c *Certificate) domains() []string {
	out := make([]string, 0, len(c.RelatedDomains.Items))
	for _, d := range c.RelatedDomains.Items {
		out = append(out, strings.ToLower(strings.TrimSpace(d.Name)))
	}
	sort.Strings(out)
	return out
}

// v2CertRequest is the V2 create and update body. A nil Comment is left
// out, so that update keeps the stored comment.
type v2CertRequest struct {
	Name        string  `json:"name"`
	Comment     *string `json:"comment,omitempty"`
	Certificate string  `json:"certificate"`
	PrivateKey  string  `json:"privateKey"`
}

// V2Certificate is the data of a V2 get.
type V2Certificate struct {
	// CertificateID is a number in the answer.
	CertificateID json.Number `json:"certificateId"`
	Name          string      `json:"name"`
	Comment       string      `json:"comment"`
	Serial        string      `json:"serial"`
	NotBefore     string      `json:"notBefore"`
	NotAfter      string      `json:"notAfter"`
	CommonName    string      `json:"commonName"`
}

// v2DomainsResponse is the answer of GET /api/certificate/{id}/domain.
type v2DomainsResponse struct {
	Data struct {
		Domains []struct {
			DomainName string `json:"domainName"`
		} `json:"domains"`
	} `json:"data"`
}

// bindRequest is the body of PUT /api/config/certificate/batch; the id is
// sent as the string the Location header gave.
type bindRequest struct {
	CertificateID string   `json:"certificateId"`
	DomainNames   []string `json:"domainNames"`
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
