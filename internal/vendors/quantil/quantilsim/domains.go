package quantilsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// CDN domains and which certificate each one serves.
//
// An account's accelerated domains are not created through this API; tests
// and the sandbox add them with SeedDomain. A domain uses at most one
// certificate. What uses a certificate shows in three places:
//
//   - v1 list and view: <related-domains> with one <related-domain> per
//     domain (<domain-id>, <domain-name>), left out when no domain uses it,
//     as the QUANTIL list page says; JSON "related-domains":
//     [{"domain-id":"…","domain-name":"…"}] (the SDK's field names);
//   - GET /api/certificate/{id}/domain (V2): {"code":0,"message":"success",
//     "data":{"certificateId":N,"domains":[{"domainId":N,"domainName":"…"}]}}
//     (the SDK's GetCertificateAssociatedHostnames model);
//   - Server.Domains.
//
// A certificate in use cannot be deleted (the SDK's Deletecertificate: "A
// certificate cannot be deleted if it is in use"; its Chinese text adds that
// the domains must first be moved off it with the domain configuration API).
// The refusal's status and code are undocumented: the simulator answers 403,
// the status of the delete page's only (truncated) sample response, with
// CodeCertificateInUse and the domain names in the message.
//
// Binding (BindPath): PUT /api/config/certificate/batch with the JSON body
// {"certificateId": <id>, "domainNames": ["…", …]}, the request the public
// Wangsu deployers send (netcccyun/dnsmgr app/lib/deploy/wangsu.php, and its
// Go port x01n/dnsplane). certificateId may be a JSON string or number (the
// PHP client sends the id string it cut from a Location header). Only the
// request is evidenced; the answer is the simulator's: 200
// {"code":"0","message":"success"}, all domains or none. Refused: an unknown
// certificate (404 NoSuchSsl), an empty or repeated domain list or a domain
// that is not the account's (400 InvalidParameter / NoSuchDomain), and, by
// this simulator's choice, a certificate that does not cover the domain
// (403 InvalidCertificate), which a CDN could only serve with certificate
// errors.

// BindPath is the domain-binding route.
const BindPath = "/api/config/certificate/batch"

// Codes of the domain routes (the simulator's; none is documented).
const (
	// CodeCertificateInUse (403): delete of a certificate domains use.
	CodeCertificateInUse = "CertificateInUse"
	// CodeNoSuchDomain (400): a binding names a domain the account does not
	// have.
	CodeNoSuchDomain = "NoSuchDomain"
	// CodeInvalidParameter (400): a JSON body that lacks a required field or
	// has one of the wrong type.
	CodeInvalidParameter = "InvalidParameter"
)

// Domain is one of the account's CDN (accelerated) domains.
type Domain struct {
	// ID is the domain-id, a decimal number in a string.
	ID string
	// Name is the host name, lower case.
	Name string
	// CertificateID is the certificate the domain serves, "" for none.
	CertificateID string
}

// ErrDomain is returned by SeedDomain for a domain it cannot add.
var ErrDomain = errors.New("quantilsim: bad domain")

// Domains returns the account's domains in the order they were added.
func (s *Server) Domains() []Domain {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.domains)
}

// SeedDomain adds a CDN domain to the account, serving certificate
// certificateID ("" for none), and returns it. The certificate must exist;
// the name must be new. Coverage is not checked here: seeding may set up a
// state the API would refuse.
func (s *Server) SeedDomain(name, certificateID string) (Domain, error) {
	name = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), ".")
	if name == "" || strings.ContainsAny(name, " /") {
		return Domain{}, fmt.Errorf("%w: %q", ErrDomain, name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.domainIndexLocked(name) >= 0 {
		return Domain{}, fmt.Errorf("%w: %s already exists", ErrDomain, name)
	}
	if certificateID != "" && s.indexLocked(certificateID) < 0 {
		return Domain{}, fmt.Errorf("%w: certificate %s does not exist", ErrDomain, certificateID)
	}
	d := Domain{ID: strconv.Itoa(firstDomainID + len(s.domains)), Name: name, CertificateID: certificateID}
	if err := s.commitDomainsLocked(append(slices.Clone(s.domains), d)); err != nil {
		return Domain{}, fmt.Errorf("quantilsim: seed domain: %w", err)
	}
	return d, nil
}

// firstDomainID is the id of the first seeded domain; later ones count up.
const firstDomainID = 2001

func (s *Server) domainIndexLocked(name string) int {
	return slices.IndexFunc(s.domains, func(d Domain) bool { return d.Name == name })
}

// usersLocked lists the domains that use certificate id, in order.
func (s *Server) usersLocked(id string) []Domain {
	var out []Domain
	for _, d := range s.domains {
		if d.CertificateID == id {
			out = append(out, d)
		}
	}
	return out
}

func domainNames(ds []Domain) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Name
	}
	return out
}

// inUse is the refusal of a delete of a certificate domains use.
func inUse(id string, users []Domain) *apiError {
	return newError(http.StatusForbidden, CodeCertificateInUse,
		"The certificate [%s] is in use by the domains [%s] and cannot be deleted; bind those domains to another certificate first.",
		id, strings.Join(domainNames(users), ", "))
}

// relatedDomain is one <related-domain> of a v1 list or view.
type relatedDomain struct {
	ID   string `xml:"domain-id" json:"domain-id"`
	Name string `xml:"domain-name" json:"domain-name"`
}

// relatedList is <related-domains>: a pointer so that it is left out, not
// written empty, when no domain uses the certificate. In JSON it is the bare
// array.
type relatedList struct {
	Items []relatedDomain `xml:"related-domain"`
}

// MarshalJSON writes the list as a JSON array.
func (l *relatedList) MarshalJSON() ([]byte, error) { return json.Marshal(l.Items) }

func relatedDomains(ds []Domain) *relatedList {
	if len(ds) == 0 {
		return nil
	}
	out := &relatedList{Items: make([]relatedDomain, len(ds))}
	for i, d := range ds {
		out.Items[i] = relatedDomain{ID: d.ID, Name: d.Name}
	}
	return out
}

// covers reports whether a certificate for names (its DNS SANs) serves host:
// an exact name, or a wildcard one label deep.
func covers(names []string, host string) bool {
	for _, n := range names {
		n = strings.ToLower(n)
		if n == host {
			return true
		}
		if base, ok := strings.CutPrefix(n, "*."); ok {
			if _, rest, found := strings.Cut(host, "."); found && rest == base {
				return true
			}
		}
	}
	return false
}

// bindRequest is the body of PUT BindPath.
type bindRequest struct {
	CertificateID any      `json:"certificateId"`
	DomainNames   []string `json:"domainNames"`
}

// bind answers PUT BindPath.
func (s *Server) bind(w http.ResponseWriter, r *http.Request, asXML bool) {
	var req bindRequest
	if aerr := readJSON(w, r, &req); aerr != nil {
		writeError(w, asXML, aerr)
		return
	}
	var id string
	switch v := req.CertificateID.(type) {
	case string:
		id = strings.TrimSpace(v)
	case float64:
		id = strconv.FormatFloat(v, 'f', -1, 64)
	case nil:
		writeError(w, asXML, newError(http.StatusBadRequest, CodeInvalidParameter, "certificateId is required."))
		return
	default:
		writeError(w, asXML, newError(http.StatusBadRequest, CodeInvalidParameter, "certificateId must be a number or a string."))
		return
	}
	if len(req.DomainNames) == 0 {
		writeError(w, asXML, newError(http.StatusBadRequest, CodeInvalidParameter, "domainNames is required and must not be empty."))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ci := s.indexLocked(id)
	if ci < 0 {
		writeError(w, asXML, noSuchSsl(id))
		return
	}
	cert := s.certs[ci]
	domains := slices.Clone(s.domains)
	seen := map[string]bool{}
	for _, raw := range req.DomainNames {
		name := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(raw)), ".")
		if seen[name] {
			writeError(w, asXML, newError(http.StatusBadRequest, CodeInvalidParameter, "The domain [%s] is listed twice.", raw))
			return
		}
		seen[name] = true
		i := s.domainIndexLocked(name)
		if i < 0 {
			writeError(w, asXML, newError(http.StatusBadRequest, CodeNoSuchDomain, "The domain [%s] is not a domain of this account.", raw))
			return
		}
		if !covers(cert.DNSNames, name) {
			writeError(w, asXML, invalidCertificate("The certificate [%s] does not cover the domain [%s].", id, name))
			return
		}
		domains[i].CertificateID = id
	}
	if err := s.commitDomainsLocked(domains); err != nil {
		writeError(w, asXML, saveFailed(err))
		return
	}
	writeBody(w, asXML, http.StatusOK, v2Response{Code: "0", Message: MsgSuccess})
}
