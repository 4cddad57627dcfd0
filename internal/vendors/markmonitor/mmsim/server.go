// Package mmsim simulates the Markmonitor SSL Certs API (the API guide,
// revision 4/18/2024, as corrected by what clients observe of the live API;
// docs/vendors/markmonitor.md says what is relied on), so that certsync's Markmonitor client,
// its tests and `certsync --sandbox` run offline.
//
// Served:
//
//   - Authentication: POST /auth/v1/auth/authenticate and GET
//     /auth/v1/auth/refresh (auth.go). Every request needs the x-api-key
//     header (else 403 {"message":"Forbidden"}); cert API requests also a
//     bearer JWT (else 401).
//   - A rate limit of 100 requests per rolling minute per API key, answered
//     429 with Retry-After (ratelimit.go).
//   - The cert API under /certs/v1, the live prefix, only (the API guide's
//     /cert/v1 and its examples' /v1 and /api/v1 are 404s):
//     organizations and contacts (orgs.go), CSR parsing (csr.go), orders,
//     prices, downloads and histories (orders.go), order actions and the
//     order state machine (lifecycle.go), DCV records and the simulated
//     DNS/web that validateDomains checks (dcv.go).
//   - Bodies as Spring/Jackson reads them (strictjson.go): JSON
//     Content-Type only (else 415), property names matched exactly, unknown
//     ones ignored.
//
// Orders move through the DigiCert states of docs/vendors/markmonitor.md ("Order lifecycle") by the
// simulator's clock (Options.Now), evaluated lazily whenever anything reads
// them, so tests drive them by advancing a fake clock. Issued certificates
// are real X.509 certificates signed by the simulator's own CA (ca.go).
//
// Where the documents are silent the simulator chooses, and says so where it
// does: error codes and messages (errors.go), the 401/429 bodies, the state
// timings (lifecycle.go), the price list (orders.go), the parsed-CSR field
// names, the technical contact's details (orgs.go).
//
// Every request passes through a sim.Injector (Server.Faults) first, for
// latency, injected failures and request counts. State is kept in memory,
// and in Options.StatePath when set.
package mmsim

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/certsync/certsync/internal/sim"
)

// APIPrefix is the live path prefix of the cert API, the only one served.
const APIPrefix = "/certs/v1"

// Default option values.
const (
	DefaultValidity = 397 * 24 * time.Hour
)

// Options configure a Server. APIKey, Username and Password are required;
// every other field has a default.
type Options struct {
	// APIKey is the x-api-key every request must carry; Username and
	// Password the credentials of the authenticate body.
	APIKey, Username, Password string
	// Now is the clock for everything: token expiry, rate-limit windows,
	// order transitions, certificate validity. Default time.Now.
	Now func() time.Time
	// TokenTTL is the JWT lifetime; expiresIn is it in seconds. Default
	// 90 minutes (API guide §5.2.2).
	TokenTTL time.Duration
	// RateLimit is the number of requests per rolling minute per API key;
	// more are answered 429 with Retry-After. Default 100 (API guide §4); a
	// negative value disables the limit.
	RateLimit int
	// IssueDelay is how long a new order (or a reissue) stays pending before
	// the clock issues it. Default 0: issued at the first read after the
	// create, which is what the sandbox wants. Organization validations and
	// revocations complete after the same delay.
	IssueDelay time.Duration
	// HoldPending keeps orders (and reissues) pending until domain control
	// is validated, by the validateDomains action or ApproveDCV; IssueDelay
	// then runs from that moment.
	HoldPending bool
	// CertLag is how long an order reads DIGI_ISSUED before
	// cert.endEntityCert is filled in, a quirk clients have met. Default 0.
	CertLag time.Duration
	// Validity is the lifetime of issued certificates. Default 397 days.
	Validity time.Duration
	// StatePath, when set, is a JSON file loaded by New and rewritten
	// atomically after every change, CA key and JWT secret included, so a
	// restarted simulator keeps signing with the same CA and accepts the
	// tokens it issued. "" keeps everything in memory.
	StatePath string
}

// Server simulates the Markmonitor SSL Certs API. It is an http.Handler,
// safe for concurrent use.
type Server struct {
	opt     Options
	faults  sim.Injector
	handler http.Handler
	rl      rateLimiter

	mu       sync.Mutex
	st       persisted // everything saved to StatePath
	ca       *authority
	orgs     map[string]*orgRec
	contacts map[string]*Contact
	orders   map[string]*orderRec
	// csrCache holds verified CSRs by their text (not persisted).
	csrCache map[string]*csrInfo
	// published is the simulated DNS and web: the DCV records PublishDCV
	// published, by publishedKey (not persisted).
	published map[string]bool
	persist   persistence // Options.StatePath; empty when not set
}

// New returns a Server for o, loading o.StatePath when it exists. A new
// simulator makes its CA and JWT secret here.
func New(o Options) (*Server, error) {
	if o.APIKey == "" || o.Username == "" || o.Password == "" {
		return nil, errors.New("mmsim: APIKey, Username and Password are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.TokenTTL <= 0 {
		o.TokenTTL = DefaultTokenTTL
	}
	if o.RateLimit == 0 {
		o.RateLimit = DefaultRateLimit
	}
	if o.IssueDelay < 0 {
		o.IssueDelay = 0
	}
	if o.CertLag < 0 {
		o.CertLag = 0
	}
	if o.Validity <= 0 {
		o.Validity = DefaultValidity
	}
	s := &Server{
		opt:      o,
		rl:       rateLimiter{limit: o.RateLimit},
		orgs:     map[string]*orgRec{},
		contacts: map[string]*Contact{},
		orders:   map[string]*orderRec{},
		csrCache: map[string]*csrInfo{},

		published: map[string]bool{},
	}
	if err := s.load(); err != nil {
		return nil, fmt.Errorf("mmsim: %w", err)
	}
	s.handler = s.faults.Wrap(http.HandlerFunc(s.route))
	return s, nil
}

// ServeHTTP serves a request. Every request passes through Faults() first.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// Faults returns the injector every request passes through: latency, faults
// and request counts.
func (s *Server) Faults() *sim.Injector { return &s.faults }

// route checks the API key, then the rate limit, then dispatches. The order
// is the API gateway's: an unknown key is refused before it is counted.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if !s.checkAPIKey(r) {
		writeJSON(w, http.StatusForbidden, ErrorResponse{Message: MsgForbidden})
		return
	}
	if ok, wait := s.rl.allow(s.opt.Now()); !ok {
		secs := int64((wait + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", fmt.Sprint(max(secs, 1)))
		writeErrors(w, http.StatusTooManyRequests, CodeTooManyRequests,
			fmt.Sprintf("Rate limit exceeded: at most %d requests per minute", s.rateLimit()))
		return
	}
	switch r.URL.Path {
	case AuthenticatePath:
		s.handleAuthenticate(w, r)
		return
	case RefreshPath:
		s.handleRefresh(w, r)
		return
	}
	rest, ok := cutAPIPrefix(r.URL.Path)
	if !ok {
		writeErrors(w, http.StatusNotFound, CodeNotFound, "No resource at "+r.URL.Path)
		return
	}
	user, err := s.authenticateRequest(r)
	if err != nil {
		w.Header().Set("WWW-Authenticate", "Bearer")
		writeErr(w, err)
		return
	}
	c := &call{w: w, r: r, user: user}
	segs := strings.Split(strings.Trim(rest, "/"), "/")
	switch segs[0] {
	case "organization":
		s.routeOrganization(c, segs[1:])
	case "contact":
		s.routeContact(c, segs[1:])
	case "cert":
		if len(segs) == 2 && segs[1] == "parse" {
			c.only(http.MethodPost, s.handleParseCSR)
			return
		}
		c.notFound()
	case "order":
		s.routeOrder(c, segs[1:])
	default:
		c.notFound()
	}
}

func (s *Server) rateLimit() int {
	s.rl.mu.Lock()
	defer s.rl.mu.Unlock()
	return s.rl.limit
}

// cutAPIPrefix strips the cert API's prefix from p. Only the live /certs/v1
// is served: the API guide's /cert/v1 and its examples' /v1 and /api/v1 are
// answered 404 like any unknown path, as the live API does.
func cutAPIPrefix(p string) (string, bool) {
	if rest, ok := strings.CutPrefix(p, APIPrefix); ok && (rest == "" || rest[0] == '/') {
		return rest, true
	}
	return "", false
}

// call is one authenticated cert API request.
type call struct {
	w    http.ResponseWriter
	r    *http.Request
	user string // the JWT's subject, for history lines
}

func (c *call) notFound() {
	writeErrors(c.w, http.StatusNotFound, CodeNotFound, "No resource at "+c.r.URL.Path)
}

// only runs h when the request's method is method, else answers 405.
func (c *call) only(method string, h func(*call)) {
	if c.r.Method != method {
		methodNotAllowed(c.w, method)
		return
	}
	h(c)
}

// byMethod dispatches on the request's method.
func (c *call) byMethod(hs map[string]func(*call)) {
	if h := hs[c.r.Method]; h != nil {
		h(c)
		return
	}
	methodNotAllowed(c.w, slices.Sorted(maps.Keys(hs))...)
}

func methodNotAllowed(w http.ResponseWriter, allowed ...string) {
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	writeErrors(w, http.StatusMethodNotAllowed, CodeMethodNotAllowed, "Method not allowed")
}

// maxBody bounds request bodies; the largest legitimate one is an order with
// a CSR.
const maxBody = 1 << 20

// decodeBody reads a JSON body into v and reports whether it could; when it
// could not, the answer has been written. A Content-Type other than JSON is
// 415 (Spring's body); a malformed body is a 400 request.badRequest, as the
// client fixtures show. Keys are matched as Jackson matches them (see
// exactKeys): exactly, unknown ones ignored.
func (s *Server) decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if !jsonBodyOK(r) {
		s.unsupportedMediaType(w, r)
		return false
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeErr(w, errf(http.StatusBadRequest, CodeBadRequest, "Bad request: cannot read body"))
		return false
	}
	if err := unmarshalExact(data, v); err != nil {
		writeErr(w, errf(http.StatusBadRequest, CodeBadRequest, "Bad request: malformed JSON: %v", err))
		return false
	}
	return true
}

// unmarshalExact decodes data into v with Jackson's key matching: exact
// names only, unknown (and miscased) keys ignored.
func unmarshalExact(data []byte, v any) error {
	exact, err := exactKeys(data, reflect.TypeOf(v))
	if err != nil {
		return err
	}
	return json.Unmarshal(exact, v)
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// isUUID reports whether s is a UUID in canonical textual form.
func isUUID(s string) bool { return uuidRE.MatchString(s) }

// newUUID returns a random (version 4) UUID, lower case.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// pathID checks a resourceId path segment: 400 when it is not a UUID. The
// result is lower case, the form ids are stored in.
func pathID(s string) (string, error) {
	if !isUUID(s) {
		return "", errf(http.StatusBadRequest, CodeInvalidID, "resourceId %q is not a UUID", s)
	}
	return strings.ToLower(s), nil
}

// mutated saves the state after a change; handlers call it with s.mu held.
// A failed save is a 500: the change happened in memory but would not
// survive a restart.
func (s *Server) mutated() error {
	if err := s.saveLocked(); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	return nil
}
