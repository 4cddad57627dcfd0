package quantilsim

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/certsync/certsync/internal/pemutil"
	"github.com/certsync/certsync/internal/sim"
)

// CertificatePath is the collection every route lives under.
const CertificatePath = "/api/ssl/certificate"

// DefaultClockSkew is the default Options.ClockSkew. The API-key scheme's
// window is undocumented; the AK/SK scheme's is 5 minutes.
const DefaultClockSkew = 15 * time.Minute

// FirstID is the id the first added certificate gets (Wangsu's sample
// Location ends in 100001). Later ones count up; ids are never reused.
const FirstID = 100001

// Options configure a Server. User and APIKey are required.
type Options struct {
	// User and APIKey are the account's Basic-auth user name and the key the
	// password is an HMAC with.
	User, APIKey string
	// Now is the clock, for the Date window, expiry checks and timestamps.
	// Default time.Now.
	Now func() time.Time
	// ClockSkew is the largest accepted |Date - Now|. Default
	// DefaultClockSkew (when <= 0).
	ClockSkew time.Duration
	// StatePath, when set, is a JSON file (mode 0600: it holds private keys)
	// loaded by New and rewritten atomically after every change. "" keeps
	// the state in memory.
	StatePath string
	// BaseURL prefixes the Location header of an add, e.g.
	// "https://api.quantil.com". Default: http(s)://<request Host>.
	BaseURL string
}

// Certificate is a stored certificate. CertPEM, KeyPEM and ChainPEM are the
// decrypted texts exactly as uploaded; the other fields are derived from
// CertPEM or kept by the server.
type Certificate struct {
	// ID is the certificate-id, a decimal number in a string.
	ID string
	// Name is unique per account; Comment is free text.
	Name, Comment string
	// CertPEM is the leaf, KeyPEM its private key, ChainPEM the
	// intermediates ("" when none).
	CertPEM, KeyPEM, ChainPEM string
	// Serial is the leaf's serial number in lower-case hex without colons or
	// leading zeros.
	Serial string
	// NotBefore and NotAfter are the leaf's validity, in UTC.
	NotBefore, NotAfter time.Time
	// DNSNames are the leaf's DNS subject alternative names.
	DNSNames []string
	// Issuer is the leaf's issuer DN in RFC 2253 form, as Go prints it
	// ("CN=Example Root CA,O=Example CA").
	Issuer string
	// CreatedAt and UpdatedAt are when it was added and last modified.
	CreatedAt, UpdatedAt time.Time
}

func (c Certificate) clone() Certificate {
	c.DNSNames = slices.Clone(c.DNSNames)
	return c
}

// Server simulates the QUANTIL SSL-certificate API. It is an http.Handler,
// safe for concurrent use.
type Server struct {
	opt     Options
	faults  sim.Injector
	handler http.Handler
	reqIDs  atomic.Uint64 // last x-cnc-request-id handed out

	mu sync.Mutex
	// certs is in creation order. It is copied on write, never changed in
	// place, so that a failed save leaves it as it was.
	certs  []Certificate
	nextID uint64
	// domains are the account's CDN domains (domains.go), copied on write
	// like certs.
	domains []Domain
	store   *sim.Store // Options.StatePath; nil when not set
}

// New returns a Server for o, loading o.StatePath when it exists.
func New(o Options) (*Server, error) {
	if o.User == "" || o.APIKey == "" {
		return nil, errors.New("quantilsim: User and APIKey are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ClockSkew <= 0 {
		o.ClockSkew = DefaultClockSkew
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	s := &Server{opt: o, nextID: FirstID}
	if err := s.load(); err != nil {
		return nil, fmt.Errorf("quantilsim: %w", err)
	}
	// Request ids look like the reference script's sample (1127554): numbers, here from
	// a random start so that two servers on one state file do not repeat
	// each other's ids.
	start, err := rand.Int(rand.Reader, big.NewInt(8_000_000))
	if err != nil {
		return nil, fmt.Errorf("quantilsim: %w", err)
	}
	s.reqIDs.Store(1_000_000 + start.Uint64())
	inner := s.faults.Wrap(http.HandlerFunc(s.route))
	s.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Set before the injector so that injected answers carry them too.
		// Assigned directly to keep the lower-case spelling of the
		// vendor's responses on the wire.
		w.Header()["x-cnc-request-id"] = []string{strconv.FormatUint(s.reqIDs.Add(1), 10)}
		w.Header().Set("Server", "WS-web-server")
		inner.ServeHTTP(w, r)
	})
	return s, nil
}

// ServeHTTP serves a request. Every request passes through Faults() first.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// Faults returns the injector every request passes through: latency, faults
// and request counts.
func (s *Server) Faults() *sim.Injector { return &s.faults }

// Certificates returns copies of the stored certificates in creation order.
func (s *Server) Certificates() []Certificate {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Certificate, len(s.certs))
	for i, c := range s.certs {
		out[i] = c.clone()
	}
	return out
}

// Seed inserts c directly, without the API's validation, and returns it as
// stored. CertPEM is required and its first certificate fills Serial,
// NotBefore, NotAfter, DNSNames and Issuer (any values given are replaced).
// ID "" takes the next free id; a given ID must be a canonical decimal number
// not in use (the reference script modifies id 123). Name "" becomes
// "certificate-<id>"; a taken name is an error. Zero CreatedAt is Now and
// zero UpdatedAt is CreatedAt. KeyPEM and ChainPEM are stored unchecked.
func (s *Server) Seed(c Certificate) (Certificate, error) {
	certs, err := pemutil.Certificates([]byte(c.CertPEM))
	if err != nil {
		return Certificate{}, fmt.Errorf("quantilsim: seed: CertPEM: %w", err)
	}
	describe(&c, certs[0])
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.opt.Now()
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	next := s.nextID
	if c.ID == "" {
		c.ID = strconv.FormatUint(next, 10)
		next++
	} else {
		n, ok := parseID(c.ID)
		if !ok {
			return Certificate{}, fmt.Errorf("quantilsim: seed: id %q is not a canonical decimal number", c.ID)
		}
		if s.indexLocked(c.ID) >= 0 {
			return Certificate{}, fmt.Errorf("quantilsim: seed: id %s is in use", c.ID)
		}
		next = max(next, n+1)
	}
	if c.Name == "" {
		c.Name = "certificate-" + c.ID
	}
	if s.nameTakenLocked(c.Name, "") {
		return Certificate{}, fmt.Errorf("quantilsim: seed: name %q is in use", c.Name)
	}
	if err := s.commitLocked(append(slices.Clone(s.certs), c), next, &c, ""); err != nil {
		return Certificate{}, fmt.Errorf("quantilsim: seed: %w", err)
	}
	return c.clone(), nil
}

// route authenticates and dispatches a request.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	asXML := wantsXML(r)
	under := func(prefix string) (string, bool) {
		rest, ok := strings.CutPrefix(r.URL.Path, prefix)
		return rest, ok && (rest == "" || rest[0] == '/')
	}
	rest, v1 := under(CertificatePath)
	v2rest, v2 := under(V2CertificatePath)
	if !v1 && !v2 && r.URL.Path != BindPath {
		writeError(w, asXML, newError(http.StatusNotFound, CodeNotFound, "No API at %s.", r.URL.Path))
		return
	}
	date, aerr := s.authenticate(r)
	if aerr != nil {
		writeError(w, asXML, aerr)
		return
	}
	switch {
	case v2:
		s.routeV2(w, r, asXML, v2rest)
		return
	case r.URL.Path == BindPath:
		if r.Method != http.MethodPut {
			methodNotAllowed(w, asXML, r.Method, "PUT")
			return
		}
		s.bind(w, r, asXML)
		return
	}
	if rest == "" {
		switch r.Method {
		case http.MethodGet:
			s.list(w, asXML)
		case http.MethodPost:
			s.add(w, r, asXML, date)
		default:
			methodNotAllowed(w, asXML, r.Method, "GET, POST")
		}
		return
	}
	id := rest[1:]
	if strings.Contains(id, "/") {
		writeError(w, asXML, newError(http.StatusNotFound, CodeNotFound, "No API at %s.", r.URL.Path))
		return
	}
	switch r.Method {
	case http.MethodGet:
		s.view(w, asXML, id)
	case http.MethodPut:
		s.modify(w, r, asXML, id, date)
	case http.MethodDelete:
		s.delete(w, asXML, id)
	default:
		methodNotAllowed(w, asXML, r.Method, "GET, PUT, DELETE")
	}
}

func methodNotAllowed(w http.ResponseWriter, asXML bool, method, allow string) {
	w.Header().Set("Allow", allow)
	writeError(w, asXML, newError(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "Method %s is not allowed here; use %s.", method, allow))
}

// list answers GET /api/ssl/certificate: every certificate, no paging (the
// v1 list has none).
func (s *Server) list(w http.ResponseWriter, asXML bool) {
	s.mu.Lock()
	body := listBody{Items: make([]certView, len(s.certs))}
	for i := range s.certs {
		c := s.certs[i].clone()
		body.Items[i] = view(&c, false)
		body.Items[i].RelatedDomains = relatedDomains(s.usersLocked(c.ID))
	}
	s.mu.Unlock()
	writeBody(w, asXML, http.StatusOK, body)
}

// view answers GET /api/ssl/certificate/{id}.
func (s *Server) view(w http.ResponseWriter, asXML bool, id string) {
	s.mu.Lock()
	i := s.indexLocked(id)
	var c Certificate
	if i >= 0 {
		c = s.certs[i].clone()
	}
	users := s.usersLocked(id)
	s.mu.Unlock()
	if i < 0 {
		writeError(w, asXML, noSuchSsl(id))
		return
	}
	v := view(&c, true)
	v.RelatedDomains = relatedDomains(users)
	writeBody(w, asXML, http.StatusOK, v)
}

// add answers POST /api/ssl/certificate: 202 with the new id in Location.
func (s *Server) add(w http.ResponseWriter, r *http.Request, asXML bool, date string) {
	u, aerr := readUpload(w, r)
	if aerr != nil {
		writeError(w, asXML, aerr)
		return
	}
	name, aerr := checkName(u.name, true)
	if aerr != nil {
		writeError(w, asXML, aerr)
		return
	}
	if u.cert == nil || u.key == nil {
		writeError(w, asXML, invalidCertificate("<ssl-certificate> and <ssl-key> are required."))
		return
	}
	m, aerr := s.material(u, date)
	if aerr != nil {
		writeError(w, asXML, aerr)
		return
	}
	c, aerr := s.create(name, m, u.comment)
	if aerr != nil {
		writeError(w, asXML, aerr)
		return
	}
	w.Header().Set("Location", s.baseURL(r)+CertificatePath+"/"+c.ID)
	writeSuccess(w, asXML, http.StatusAccepted)
}

// modify answers PUT /api/ssl/certificate/{id}, the reference script's operation.
//
// The body is complete, as the Modify SSL Certificate page documents it: it "contains one of each
// of these elements: name, comment, algorithm, ssl-certificate, ssl-key,
// ssl-certificate-chain", of which comment and the chain are optional (its
// own script sends no chain). So, as on add:
//   - name is required (InvalidName), not blank, not another certificate's;
//   - ssl-certificate and ssl-key are required (InvalidCertificate, the
//     documented code: the vendor's reference script without OpenSSL's legacy provider
//     sends them empty), algorithm too (InvalidAlgorithm);
//   - the stored chain is replaced by the sent one, or removed when none is
//     sent (a chain belongs to its certificate);
//   - an absent comment keeps the stored one (the element is optional).
//
// A partial body (a rename alone, a key alone) is refused; V2's update is
// the partial one.
func (s *Server) modify(w http.ResponseWriter, r *http.Request, asXML bool, id, date string) {
	// Unknown ids are answered before the body is looked at.
	s.mu.Lock()
	known := s.indexLocked(id) >= 0
	s.mu.Unlock()
	if !known {
		writeError(w, asXML, noSuchSsl(id))
		return
	}
	u, aerr := readUpload(w, r)
	if aerr != nil {
		writeError(w, asXML, aerr)
		return
	}
	name, aerr := checkName(u.name, true)
	if aerr != nil {
		writeError(w, asXML, aerr)
		return
	}
	if u.cert == nil || u.key == nil {
		writeError(w, asXML, invalidCertificate("<ssl-certificate> and <ssl-key> are required: a modify body is complete."))
		return
	}
	m, aerr := s.material(u, date)
	if aerr != nil {
		writeError(w, asXML, aerr)
		return
	}
	now := s.opt.Now()

	s.mu.Lock()
	i := s.indexLocked(id)
	if i < 0 { // deleted meanwhile
		s.mu.Unlock()
		writeError(w, asXML, noSuchSsl(id))
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
	if u.comment != nil {
		c.Comment = *u.comment
	}
	c.CertPEM, c.KeyPEM, c.ChainPEM = m.certPEM, m.keyPEM, m.chainPEM
	describe(c, m.leaf)
	c.UpdatedAt = now
	err := s.commitLocked(certs, s.nextID, c, "")
	s.mu.Unlock()
	if err != nil {
		writeError(w, asXML, saveFailed(err))
		return
	}
	writeSuccess(w, asXML, http.StatusOK)
}

// delete answers DELETE /api/ssl/certificate/{id}; a certificate domains
// use is refused (domains.go).
func (s *Server) delete(w http.ResponseWriter, asXML bool, id string) {
	if aerr := s.deleteCert(id, noSuchSsl); aerr != nil {
		writeError(w, asXML, aerr)
		return
	}
	writeSuccess(w, asXML, http.StatusOK)
}

// material checks the algorithm and decrypts and validates the encrypted
// fields of u, which has both a certificate and a key.
func (s *Server) material(u *upload, date string) (*material, *apiError) {
	if aerr := checkAlgorithm(u.algorithm); aerr != nil {
		return nil, aerr
	}
	chain := ""
	if u.chain != nil {
		chain = *u.chain
	}
	return decryptMaterial(*u.cert, *u.key, chain, date, s.opt.Now())
}

// checkAlgorithm requires algorithm des, the only one defined.
func checkAlgorithm(alg *string) *apiError {
	switch {
	case alg == nil:
		return newError(http.StatusBadRequest, CodeInvalidAlgorithm, "<algorithm> is required with encrypted fields and must be des.")
	case strings.TrimSpace(*alg) == "des":
		return nil
	case strings.TrimSpace(*alg) == "aes":
		return newError(http.StatusBadRequest, CodeUnsupportedAlgorithm, "Algorithm aes is not supported (its parameters are undocumented); use des.")
	default:
		return newError(http.StatusBadRequest, CodeInvalidAlgorithm, "Algorithm [%s] is not supported; use des.", strings.TrimSpace(*alg))
	}
}

// checkName returns the trimmed name ("" when absent and not required).
func checkName(name *string, required bool) (string, *apiError) {
	if name == nil {
		if required {
			return "", newError(http.StatusBadRequest, CodeInvalidName, "<name> is required.")
		}
		return "", nil
	}
	n := strings.TrimSpace(*name)
	if n == "" {
		return "", newError(http.StatusBadRequest, CodeInvalidName, "<name> must not be blank.")
	}
	return n, nil
}

// create stores a new certificate made of m under name, for both API
// generations: names are unique, ids handed out in order, and nothing
// changes when the save fails.
func (s *Server) create(name string, m *material, comment *string) (Certificate, *apiError) {
	now := s.opt.Now()
	c := Certificate{Name: name, CertPEM: m.certPEM, KeyPEM: m.keyPEM, ChainPEM: m.chainPEM, CreatedAt: now, UpdatedAt: now}
	if comment != nil {
		c.Comment = *comment
	}
	describe(&c, m.leaf)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nameTakenLocked(name, "") {
		return Certificate{}, nameTaken(name)
	}
	c.ID = strconv.FormatUint(s.nextID, 10)
	if err := s.commitLocked(append(slices.Clone(s.certs), c), s.nextID+1, &c, ""); err != nil {
		return Certificate{}, saveFailed(err)
	}
	return c, nil
}

func nameTaken(name string) *apiError {
	return newError(http.StatusConflict, CodeNameAlreadyExists, "A certificate named [%s] already exists; names are unique per account.", name)
}

func saveFailed(err error) *apiError {
	return newError(http.StatusInternalServerError, CodeInternalError, "The change could not be saved and was not made: %v.", err)
}

// indexLocked returns the position of id in s.certs, or -1.
func (s *Server) indexLocked(id string) int {
	if _, ok := parseID(id); !ok {
		return -1
	}
	return slices.IndexFunc(s.certs, func(c Certificate) bool { return c.ID == id })
}

// nameTakenLocked reports whether a certificate other than except has name.
// Names compare exactly.
func (s *Server) nameTakenLocked(name, except string) bool {
	return slices.ContainsFunc(s.certs, func(c Certificate) bool { return c.Name == name && c.ID != except })
}

// parseID accepts canonical decimal ids only ("0123" and "+1" name no
// certificate), so that one certificate has one URL.
func parseID(id string) (uint64, bool) {
	n, err := strconv.ParseUint(id, 10, 63)
	if err != nil || strconv.FormatUint(n, 10) != id {
		return 0, false
	}
	return n, true
}

// baseURL is the prefix of Location headers.
func (s *Server) baseURL(r *http.Request) string {
	if s.opt.BaseURL != "" {
		return s.opt.BaseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
