package quantilsim

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// The V2 certificate API (the CDNetworks/Wangsu SDKs'
// certificationmanage models): the same account, store, Basic HMAC-SHA1
// signature and error bodies as v1, plain PEM instead of DES, JSON bodies.
//
//	POST   /api/certificate            create  201, Location: <base>/api/certificate/<id>,
//	                                           {"code":"0","message":"success"}
//	GET    /api/certificate/{id}       get     200, {"code":0,"message":"success","data":{…}}
//	PUT    /api/certificate/{id}       update  200, {"code":"0","message":"success","data":""}
//	DELETE /api/certificate/{id}       delete  200, {"code":"0","message":"success","data":""}
//	GET    /api/certificate/{id}/domain        the domains using it (domains.go)
//
// Bodies (CreateCertificateV2Request, UpdateCertificateV2Request):
// {"name","certificate","privateKey","comment","csrId"} and, on update,
// "autoRenew" and "isNeedAlarm" (accepted, not kept). "certificate" is the
// leaf followed by its chain ("crt and ca content merged"); both PEM fields
// are plain text. Key names match exactly; unknown ones are ignored. The
// body is JSON (Content-Type application/json); an XML body with the same
// element names is read too, because a public client
// (myklst/terraform-provider-st-cdnetworks) sends V2 bodies as XML. Any
// other Content-Type is 415 UnsupportedMediaType.
//
// Rules: create needs name, certificate and privateKey (the SDK lets a csrId
// stand in for the key; the simulator has no CSRs, so a csrId without a key
// is refused); update needs name (the SDK marks it required) and changes
// only what is sent, certificate and privateKey together; an absent comment
// is kept. Certificates are checked as v1's (certs.go). An unknown id is 404
// with code CodeV2NotFound, the code a public client checks for. The success
// codes' types follow the SDK models: a number on get, a string elsewhere.
// Dates in get use TimeLayout in CST like v1 (the V2 format is undocumented);
// serial is lower-case hex like v1's certificate-serial.

// V2CertificatePath is the V2 certificate collection.
const V2CertificatePath = "/api/certificate"

// CodeV2NotFound is the V2 "no such certificate" code
// (myklst/terraform-provider-st-cdnetworks cdnetworks/resource_ssl_certificate.go).
const CodeV2NotFound = "19638021"

// CodeUnsupportedMediaType (415): a request body whose Content-Type the
// route does not read (the simulator's code).
const CodeUnsupportedMediaType = "UnsupportedMediaType"

// v2Response is the answer of create, update, delete and bind. Data is left
// out on create and bind.
type v2Response struct {
	XMLName xml.Name `xml:"response" json:"-"`
	Code    string   `xml:"code" json:"code"`
	Message string   `xml:"message" json:"message"`
	Data    *string  `xml:"data,omitempty" json:"data,omitempty"`
}

// V2Certificate is the data of GET /api/certificate/{id}.
type V2Certificate struct {
	CertificateID           int     `xml:"certificateId" json:"certificateId"`
	Name                    string  `xml:"name" json:"name"`
	Comment                 string  `xml:"comment" json:"comment"`
	Serial                  string  `xml:"serial" json:"serial"`
	NotBefore               string  `xml:"notBefore" json:"notBefore"`
	NotAfter                string  `xml:"notAfter" json:"notAfter"`
	CommonName              string  `xml:"commonName" json:"commonName"`
	SubjectAlternativeNames []V2SAN `xml:"subjectAlternativeNames" json:"subjectAlternativeNames"`
}

// V2SAN is one subjectAlternativeNames entry.
type V2SAN struct {
	SubjectAlternativeName string `xml:"subjectAlternativeName" json:"subjectAlternativeName"`
}

type v2GetResponse struct {
	XMLName xml.Name      `xml:"response" json:"-"`
	Code    int           `xml:"code" json:"code"`
	Message string        `xml:"message" json:"message"`
	Data    V2Certificate `xml:"data" json:"data"`
}

// V2Domain is one entry of GET /api/certificate/{id}/domain.
type V2Domain struct {
	DomainID   int    `xml:"domainId" json:"domainId"`
	DomainName string `xml:"domainName" json:"domainName"`
}

type v2DomainsResponse struct {
	XMLName xml.Name `xml:"response" json:"-"`
	Code    int      `xml:"code" json:"code"`
	Message string   `xml:"message" json:"message"`
	Data    struct {
		CertificateID int        `xml:"certificateId" json:"certificateId"`
		Domains       []V2Domain `xml:"domains" json:"domains"`
	} `xml:"data" json:"data"`
}

// v2Body is a decoded create or update body: nil means absent.
type v2Body struct {
	name, certificate, privateKey, comment *string
	csrID                                  bool
}

// v2XML is the XML form of a body (any root element).
type v2XML struct {
	Name        *string `xml:"name"`
	Certificate *string `xml:"certificate"`
	PrivateKey  *string `xml:"privateKey"`
	Comment     *string `xml:"comment"`
	CsrID       *string `xml:"csrId"`
}

// mediaType is the request's Content-Type without parameters, "" when it has
// none or it does not parse.
func mediaType(r *http.Request) string {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return mt
}

func isXMLType(mt string) bool {
	return mt == "application/xml" || mt == "text/xml" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+xml"))
}

func isJSONType(mt string) bool {
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

func unsupportedMediaType(r *http.Request, want string) *apiError {
	return newError(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
		"Content-Type [%s] is not supported here; send %s.", r.Header.Get("Content-Type"), want)
}

// readBody reads a request body, bounded.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, *apiError) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, newError(http.StatusRequestEntityTooLarge, CodeRequestTooLarge, "The request body is larger than %d bytes.", maxBody)
		}
		return nil, newError(http.StatusBadRequest, CodeInvalidParameter, "The request body could not be read: %v.", err)
	}
	return body, nil
}

// readJSON decodes a JSON body into v, keys matched exactly (unknown and
// miscased ones ignored, as a Java service's Jackson does by default).
func readJSON(w http.ResponseWriter, r *http.Request, v any) *apiError {
	if !isJSONType(mediaType(r)) {
		return unsupportedMediaType(r, "application/json")
	}
	body, aerr := readBody(w, r)
	if aerr != nil {
		return aerr
	}
	if err := unmarshalExact(body, v); err != nil {
		return newError(http.StatusBadRequest, CodeInvalidParameter, "The request body is not the expected JSON object: %v.", err)
	}
	return nil
}

// unmarshalExact decodes a JSON object into the struct pointer v, keeping
// only keys that spell one of v's json names exactly.
func unmarshalExact(data []byte, v any) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	known := map[string]bool{}
	var probe map[string]any
	if b, err := json.Marshal(v); err == nil {
		_ = json.Unmarshal(b, &probe)
	}
	for k := range probe {
		known[k] = true
	}
	for k := range m {
		if !known[k] {
			delete(m, k)
		}
	}
	exact, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return json.Unmarshal(exact, v)
}

// v2JSON is the JSON form of a body. Fields are not omitempty, so that
// unmarshalExact sees every name.
type v2JSON struct {
	Name        *string `json:"name"`
	Certificate *string `json:"certificate"`
	PrivateKey  *string `json:"privateKey"`
	Comment     *string `json:"comment"`
	CsrID       any     `json:"csrId"`
	AutoRenew   any     `json:"autoRenew"`
	IsNeedAlarm any     `json:"isNeedAlarm"`
}

// readV2Body decodes a create or update body, JSON or XML.
func readV2Body(w http.ResponseWriter, r *http.Request) (*v2Body, *apiError) {
	mt := mediaType(r)
	switch {
	case isJSONType(mt):
		var j v2JSON
		if aerr := readJSON(w, r, &j); aerr != nil {
			return nil, aerr
		}
		return &v2Body{name: j.Name, certificate: j.Certificate, privateKey: j.PrivateKey, comment: j.Comment, csrID: j.CsrID != nil}, nil
	case isXMLType(mt):
		body, aerr := readBody(w, r)
		if aerr != nil {
			return nil, aerr
		}
		var x v2XML
		if err := xml.Unmarshal(body, &x); err != nil {
			return nil, newError(http.StatusBadRequest, CodeMalformedXML, "The request body is not an XML document: %v.", err)
		}
		return &v2Body{name: x.Name, certificate: x.Certificate, privateKey: x.PrivateKey, comment: x.Comment, csrID: x.CsrID != nil}, nil
	default:
		return nil, unsupportedMediaType(r, "application/json")
	}
}

// splitBundle cuts a V2 "certificate" (leaf then chain) into the leaf's PEM
// text and the rest, both as sent.
func splitBundle(s string) (leaf, chain string) {
	const end = "-----END CERTIFICATE-----"
	i := strings.Index(s, end)
	if i < 0 {
		return s, ""
	}
	cut := i + len(end)
	if rest := s[cut:]; strings.HasPrefix(rest, "\r\n") {
		cut += 2
	} else if strings.HasPrefix(rest, "\n") {
		cut++
	}
	leaf, chain = s[:cut], s[cut:]
	if strings.TrimSpace(chain) == "" {
		chain = ""
	}
	return leaf, chain
}

// v2Material validates plain PEM material of a V2 body that has both fields.
func (s *Server) v2Material(b *v2Body) (*material, *apiError) {
	leaf, chain := splitBundle(*b.certificate)
	l, err := validateMaterial([]byte(leaf), []byte(*b.privateKey), []byte(chain), s.opt.Now())
	if err != nil {
		msg := strings.NewReplacer("ssl-certificate-chain:", "certificate (chain):", "ssl-certificate:", "certificate:", "ssl-key:", "privateKey:").Replace(err.Error())
		return nil, invalidCertificate("%s.", msg)
	}
	return &material{certPEM: leaf, keyPEM: *b.privateKey, chainPEM: chain, leaf: l}, nil
}

func v2NotFound(id string) *apiError {
	e := noSuchSsl(id)
	e.code = CodeV2NotFound
	return e
}

// routeV2 dispatches the V2 certificate routes; rest is the path after
// V2CertificatePath.
func (s *Server) routeV2(w http.ResponseWriter, r *http.Request, asXML bool, rest string) {
	if rest == "" {
		if r.Method != http.MethodPost {
			methodNotAllowed(w, asXML, r.Method, "POST")
			return
		}
		s.v2Create(w, r, asXML)
		return
	}
	segs := strings.Split(rest[1:], "/")
	switch {
	case len(segs) == 1:
		switch r.Method {
		case http.MethodGet:
			s.v2Get(w, asXML, segs[0])
		case http.MethodPut:
			s.v2Update(w, r, asXML, segs[0])
		case http.MethodDelete:
			s.v2Delete(w, asXML, segs[0])
		default:
			methodNotAllowed(w, asXML, r.Method, "GET, PUT, DELETE")
		}
	case len(segs) == 2 && segs[1] == "domain":
		if r.Method != http.MethodGet {
			methodNotAllowed(w, asXML, r.Method, "GET")
			return
		}
		s.v2Domains(w, asXML, segs[0])
	default:
		writeError(w, asXML, newError(http.StatusNotFound, CodeNotFound, "No API at %s.", r.URL.Path))
	}
}

func (s *Server) v2Create(w http.ResponseWriter, r *http.Request, asXML bool) {
	b, aerr := readV2Body(w, r)
	if aerr != nil {
		writeError(w, asXML, aerr)
		return
	}
	name, aerr := checkName(b.name, true)
	if aerr != nil {
		writeError(w, asXML, aerr)
		return
	}
	switch {
	case b.certificate == nil || strings.TrimSpace(*b.certificate) == "":
		writeError(w, asXML, invalidCertificate("certificate is required."))
		return
	case b.privateKey == nil && b.csrID:
		writeError(w, asXML, invalidCertificate("csrId names no CSR of this account; send privateKey."))
		return
	case b.privateKey == nil:
		writeError(w, asXML, invalidCertificate("privateKey is required."))
		return
	}
	m, aerr := s.v2Material(b)
	if aerr != nil {
		writeError(w, asXML, aerr)
		return
	}
	c, aerr := s.create(name, m, b.comment)
	if aerr != nil {
		writeError(w, asXML, aerr)
		return
	}
	w.Header().Set("Location", s.baseURL(r)+V2CertificatePath+"/"+c.ID)
	writeBody(w, asXML, http.StatusCreated, v2Response{Code: "0", Message: MsgSuccess})
}

func (s *Server) v2Get(w http.ResponseWriter, asXML bool, id string) {
	s.mu.Lock()
	i := s.indexLocked(id)
	var c Certificate
	if i >= 0 {
		c = s.certs[i].clone()
	}
	s.mu.Unlock()
	if i < 0 {
		writeError(w, asXML, v2NotFound(id))
		return
	}
	n, _ := strconv.Atoi(c.ID)
	data := V2Certificate{CertificateID: n, Name: c.Name, Comment: c.Comment, Serial: c.Serial,
		NotBefore: cst(c.NotBefore), NotAfter: cst(c.NotAfter), SubjectAlternativeNames: []V2SAN{}}
	if names := commonNames(&c); len(names) > 0 {
		data.CommonName = names[0]
	}
	for _, d := range c.DNSNames {
		data.SubjectAlternativeNames = append(data.SubjectAlternativeNames, V2SAN{SubjectAlternativeName: d})
	}
	writeBody(w, asXML, http.StatusOK, v2GetResponse{Code: 0, Message: MsgSuccess, Data: data})
}

func (s *Server) v2Update(w http.ResponseWriter, r *http.Request, asXML bool, id string) {
	s.mu.Lock()
	known := s.indexLocked(id) >= 0
	s.mu.Unlock()
	if !known {
		writeError(w, asXML, v2NotFound(id))
		return
	}
	b, aerr := readV2Body(w, r)
	if aerr != nil {
		writeError(w, asXML, aerr)
		return
	}
	name, aerr := checkName(b.name, true)
	if aerr != nil {
		writeError(w, asXML, aerr)
		return
	}
	var m *material
	switch {
	case b.certificate != nil && b.privateKey != nil:
		if m, aerr = s.v2Material(b); aerr != nil {
			writeError(w, asXML, aerr)
			return
		}
	case b.certificate != nil || b.privateKey != nil:
		writeError(w, asXML, invalidCertificate("certificate and privateKey must be sent together."))
		return
	}
	now := s.opt.Now()
	s.mu.Lock()
	i := s.indexLocked(id)
	if i < 0 {
		s.mu.Unlock()
		writeError(w, asXML, v2NotFound(id))
		return
	}
	if s.nameTakenLocked(name, id) {
		s.mu.Unlock()
		writeError(w, asXML, nameTaken(name))
		return
	}
	certs := slices.Clone(s.certs)
	c := &certs[i]
	c.Name = name
	if b.comment != nil {
		c.Comment = *b.comment
	}
	if m != nil {
		c.CertPEM, c.KeyPEM, c.ChainPEM = m.certPEM, m.keyPEM, m.chainPEM
		describe(c, m.leaf)
	}
	c.UpdatedAt = now
	err := s.commitLocked(certs, s.nextID, c, "")
	s.mu.Unlock()
	if err != nil {
		writeError(w, asXML, saveFailed(err))
		return
	}
	empty := ""
	writeBody(w, asXML, http.StatusOK, v2Response{Code: "0", Message: MsgSuccess, Data: &empty})
}

func (s *Server) v2Delete(w http.ResponseWriter, asXML bool, id string) {
	if aerr := s.deleteCert(id, v2NotFound); aerr != nil {
		writeError(w, asXML, aerr)
		return
	}
	empty := ""
	writeBody(w, asXML, http.StatusOK, v2Response{Code: "0", Message: MsgSuccess, Data: &empty})
}

func (s *Server) v2Domains(w http.ResponseWriter, asXML bool, id string) {
	s.mu.Lock()
	i := s.indexLocked(id)
	users := s.usersLocked(id)
	s.mu.Unlock()
	if i < 0 {
		writeError(w, asXML, v2NotFound(id))
		return
	}
	var out v2DomainsResponse
	out.Code, out.Message = 0, MsgSuccess
	out.Data.CertificateID, _ = strconv.Atoi(id)
	out.Data.Domains = []V2Domain{}
	for _, d := range users {
		n, _ := strconv.Atoi(d.ID)
		out.Data.Domains = append(out.Data.Domains, V2Domain{DomainID: n, DomainName: d.Name})
	}
	writeBody(w, asXML, http.StatusOK, out)
}

// deleteCert removes certificate id unless domains use it; notFound makes
// the generation's unknown-id error.
func (s *Server) deleteCert(id string, notFound func(string) *apiError) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.indexLocked(id)
	if i < 0 {
		return notFound(id)
	}
	if users := s.usersLocked(id); len(users) > 0 {
		return inUse(id, users)
	}
	if err := s.commitLocked(slices.Delete(slices.Clone(s.certs), i, i+1), s.nextID, nil, id); err != nil {
		return saveFailed(err)
	}
	return nil
}
