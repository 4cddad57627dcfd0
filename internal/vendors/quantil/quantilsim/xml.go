package quantilsim

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Wire formats. Requests are XML only (the v1 API documents no JSON body).
// Responses are XML when Accept mentions xml and JSON otherwise, JSON being
// the documented default; both carry the same element and
// key names.

// ContentTypeXML and ContentTypeJSON are the response Content-Type values
// (the XML one as in the "Modify SSL Certificate" page's sample response).
const (
	ContentTypeXML  = "application/xml;charset=UTF-8"
	ContentTypeJSON = "application/json;charset=UTF-8"
)

// TimeLayout is the layout of every date in list and view responses, in the
// CST zone (UTC+8): certificate-validity-from/-to and certificate-update-time
// as documented by Wangsu, and, by this simulator's choice, the QUANTIL-era
// expiration-date, whose format no readable document gives.
const TimeLayout = "2006-01-02 15:04:05"

// CST is the zone of response dates: China Standard Time, UTC+8.
var CST = time.FixedZone("CST", 8*60*60)

// maxBody bounds request bodies; a certificate, key and chain in base64 take
// a few KiB.
const maxBody = 1 << 20

// certRequest is the body of an add or a modify. The root and a child share
// the name ssl-certificate, as documented. Fields are slices so that a
// repeated element is detected rather than silently overwritten.
type certRequest struct {
	XMLName   xml.Name `xml:"ssl-certificate"`
	Name      []string `xml:"name"`
	Comment   []string `xml:"comment"`
	Algorithm []string `xml:"algorithm"`
	Cert      []string `xml:"ssl-certificate"`
	Key       []string `xml:"ssl-key"`
	Chain     []string `xml:"ssl-certificate-chain"`
	// Accepted and ignored: the simulator has no CSR endpoint, so there is
	// nothing for them to refer to.
	KeyID []string `xml:"ssl-key-id"`
	CSRID []string `xml:"csr-id"`
}

// upload is a decoded certRequest: nil means the element was absent.
type upload struct {
	name, comment, algorithm *string
	cert, key, chain         *string
}

// readUpload reads and decodes the request body, which must be XML (415
// UnsupportedMediaType otherwise: the v1 API documents no other body).
func readUpload(w http.ResponseWriter, r *http.Request) (*upload, *apiError) {
	if !isXMLType(mediaType(r)) {
		return nil, unsupportedMediaType(r, "application/xml")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, newError(http.StatusRequestEntityTooLarge, CodeRequestTooLarge, "The request body is larger than %d bytes.", maxBody)
		}
		return nil, newError(http.StatusBadRequest, CodeMalformedXML, "The request body could not be read: %v.", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, newError(http.StatusBadRequest, CodeMalformedXML, "The request body is empty; send an <ssl-certificate> document.")
	}
	var req certRequest
	if err := xml.Unmarshal(body, &req); err != nil {
		return nil, newError(http.StatusBadRequest, CodeMalformedXML, "The request body is not an <ssl-certificate> XML document: %v.", err)
	}
	var u upload
	for _, f := range []struct {
		elem string
		vals []string
		dst  **string
	}{
		{"name", req.Name, &u.name},
		{"comment", req.Comment, &u.comment},
		{"algorithm", req.Algorithm, &u.algorithm},
		{"ssl-certificate", req.Cert, &u.cert},
		{"ssl-key", req.Key, &u.key},
		{"ssl-certificate-chain", req.Chain, &u.chain},
		{"ssl-key-id", req.KeyID, new(*string)},
		{"csr-id", req.CSRID, new(*string)},
	} {
		switch len(f.vals) {
		case 0:
		case 1:
			*f.dst = &f.vals[0]
		default:
			return nil, newError(http.StatusBadRequest, CodeMalformedXML, "The element <%s> appears %d times; send at most one.", f.elem, len(f.vals))
		}
	}
	return &u, nil
}

// certView is a certificate in list and view responses: both generations of
// field names and never any key material.
type certView struct {
	XMLName xml.Name `xml:"ssl-certificate" json:"-"`
	ID      string   `xml:"certificate-id" json:"certificate-id"`
	Name    string   `xml:"name" json:"name"`
	Comment string   `xml:"comment" json:"comment"`
	// QUANTIL (2014) names.
	ExpirationDate string   `xml:"expiration-date" json:"expiration-date"`
	SerialNumber   string   `xml:"serial-number" json:"serial-number"`
	CommonNames    []string `xml:"common-names>common-name" json:"common-names"`
	ShareSSL       bool     `xml:"share-ssl" json:"share-ssl"`
	// Wangsu / CDNetworks names.
	ValidityFrom string   `xml:"certificate-validity-from" json:"certificate-validity-from"`
	ValidityTo   string   `xml:"certificate-validity-to" json:"certificate-validity-to"`
	UpdateTime   string   `xml:"certificate-update-time,omitempty" json:"certificate-update-time,omitempty"` // view only
	Serial       string   `xml:"certificate-serial" json:"certificate-serial"`
	Issuer       string   `xml:"certificate-issuer" json:"certificate-issuer"`
	CrtMD5       string   `xml:"crt-md5" json:"crt-md5"`
	KeyMD5       string   `xml:"key-md5,omitempty" json:"key-md5,omitempty"`
	CaMD5        string   `xml:"ca-md5,omitempty" json:"ca-md5,omitempty"`
	DNSNames     []string `xml:"dns-names>dns-name" json:"dns-names"`
	// RelatedDomains are the domains using the certificate; left out when
	// there are none (domains.go).
	RelatedDomains *relatedList `xml:"related-domains,omitempty" json:"related-domains,omitempty"`
}

// listBody is the list response: XML <ssl-certificates> holding
// <ssl-certificate> items; JSON {"ssl-certificate":[…]}, the key the public
// clients read.
type listBody struct {
	XMLName xml.Name   `xml:"ssl-certificates" json:"-"`
	Items   []certView `xml:"ssl-certificate" json:"ssl-certificate"`
}

// responseBody is the <response> of successes (message only) and errors
// (code and message).
type responseBody struct {
	XMLName xml.Name `xml:"response" json:"-"`
	Code    string   `xml:"code,omitempty" json:"code,omitempty"`
	Message string   `xml:"message" json:"message"`
}

// view renders c. withUpdateTime adds certificate-update-time, which the
// documents show on view only.
func view(c *Certificate, withUpdateTime bool) certView {
	v := certView{
		ID:             c.ID,
		Name:           c.Name,
		Comment:        c.Comment,
		ExpirationDate: cst(c.NotAfter),
		SerialNumber:   c.Serial,
		CommonNames:    commonNames(c),
		ValidityFrom:   cst(c.NotBefore),
		ValidityTo:     cst(c.NotAfter),
		Serial:         c.Serial,
		Issuer:         c.Issuer,
		CrtMD5:         md5hex(c.CertPEM),
		KeyMD5:         md5hex(c.KeyPEM),
		CaMD5:          md5hex(c.ChainPEM),
		DNSNames:       append([]string{}, c.DNSNames...), // [] rather than null in JSON
	}
	if withUpdateTime {
		v.UpdateTime = cst(c.UpdatedAt)
	}
	return v
}

// cst formats t as response dates are.
func cst(t time.Time) string { return t.In(CST).Format(TimeLayout) }

// md5hex is the lower-case hex MD5 of s, "" for "" (the field is then left
// out).
func md5hex(s string) string {
	if s == "" {
		return ""
	}
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// wantsXML reports whether the client asked for XML.
func wantsXML(r *http.Request) bool {
	return strings.Contains(strings.ToLower(strings.Join(r.Header.Values("Accept"), ",")), "xml")
}

// writeBody sends v in the negotiated format. XML bodies are the standard
// declaration, a line break and the compact document: byte for byte the
// 86-byte success body of the "Modify SSL Certificate" page's sample.
func writeBody(w http.ResponseWriter, asXML bool, status int, v any) {
	var body []byte
	if asXML {
		b, err := xml.Marshal(v)
		if err != nil {
			panic(err) // unreachable: the views marshal
		}
		body = append([]byte(xml.Header), b...)
		w.Header().Set("Content-Type", ContentTypeXML)
	} else {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			panic(err) // unreachable: the views marshal
		}
		body = buf.Bytes()
		w.Header().Set("Content-Type", ContentTypeJSON)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeError sends e.
func writeError(w http.ResponseWriter, asXML bool, e *apiError) {
	writeBody(w, asXML, e.status, responseBody{Code: e.code, Message: e.message})
}

// writeSuccess sends <response><message>success</message></response>.
func writeSuccess(w http.ResponseWriter, asXML bool, status int) {
	writeBody(w, asXML, status, responseBody{Message: MsgSuccess})
}
