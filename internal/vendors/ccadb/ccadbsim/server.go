package ccadbsim

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/certsync/certsync/internal/sim"
)

// Record types, the values of Record.RecordType and of GetCertificateIdAPI's
// RecordType.
const (
	RootCertificate         = "Root Certificate"
	IntermediateCertificate = "Intermediate Certificate"
)

// Routes served by the simulator.
const (
	AuthorizePath = "/services/oauth2/authorize"
	TokenPath     = "/services/oauth2/token"
	GetIDPath     = "/services/apexrest/get/recordid"
	AddUpdatePath = "/services/apexrest/create/intermediatecert"
	ReportPath    = "/ccadb/AllCertificateRecordsCSVFormatV5"
	// PEMReportPath is the public PEM report, read with ?NotBeforeYear=YYYY
	// or ?NotBeforeDecade=YYY0.
	PEMReportPath = "/ccadb/AllCertificatePEMsCSVFormat"
)

// Options configure a Server. ClientID and ClientSecret are required; every
// other field has a default.
type Options struct {
	// ClientID and ClientSecret are the connected app's consumer key and
	// secret. The token endpoint accepts them only in the form body.
	ClientID, ClientSecret string
	// CAOwner is the CA Owner whose hierarchy the API user may add to and
	// update. Default "Example CA".
	CAOwner string
	// CommunityURL is sent as sfdc_community_url and instance_url in token
	// responses and in the authorization redirect. Default
	// "https://ccadb.example".
	CommunityURL string
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// AccessTokenTTL is how long an access token is accepted. Token responses
	// never carry expires_in, as with Salesforce: the client only learns of
	// the expiry from a 401. Default 2h.
	AccessTokenTTL time.Duration
	// AuthCodeTTL is how long an authorization code may be exchanged. Codes
	// are single-use. Default 10m.
	AuthCodeTTL time.Duration
	// StatePath, when set, is a JSON file loaded by New and rewritten
	// atomically after every change: records, refresh and access tokens and
	// the id counter survive a restart. "" keeps everything in memory.
	StatePath string
	// AuditTypes is the Audit Type picklist. Default {"ETSI EN 319 411",
	// "WebTrust", "ETSI TS 102 042", "ETSI TS 101 456"}.
	AuditTypes []string
	// Auditors maps each auditor name of the CCADB auditor list to its
	// locations. Default: a few, including the documentation sample's
	// "Auditor Name": {"United States"}.
	Auditors map[string][]string
	// CABForumPolicyIdentifiers is the CABForumCertificatePolicyIdentifier
	// picklist ("one of the values available in the CCADB", unpublished).
	// Default DefaultCABForumPolicyIdentifiers().
	CABForumPolicyIdentifiers []string
	// DuplicateWindow: a request to either Apex REST API whose route and body
	// are byte-identical to one processed less than DuplicateWindow ago is
	// answered 429 (the CCADB's "a user made the same API call request more
	// than once within a minute"). Default one minute, as the CCADB; < 0
	// turns the check off.
	DuplicateWindow time.Duration
	// ReportDelay, when > 0, leaves records created less than ReportDelay ago
	// out of the CSV report, which lags behind the database in reality: a
	// record added is listed only once the clock (Now) has moved ReportDelay
	// past its creation. Updates show at once.
	ReportDelay time.Duration
	// RequestLimit, when > 0, is how many authenticated Apex REST requests
	// are served; later ones answer 403 REQUEST_LIMIT_EXCEEDED.
	RequestLimit int
}

// DefaultAuditTypes returns the Audit Type picklist used when
// Options.AuditTypes is empty: the values the documents and reports show.
func DefaultAuditTypes() []string {
	return []string{"ETSI EN 319 411", "WebTrust", "ETSI TS 102 042", "ETSI TS 101 456"}
}

// DefaultCABForumPolicyIdentifiers returns the CABForumCertificatePolicyIdentifier
// picklist used when Options.CABForumPolicyIdentifiers is empty: the
// CA/Browser Forum's reserved certificate policy OIDs (EV, DV, OV, IV, EV
// code signing, code signing, timestamping and the S/MIME generations). The
// CCADB's own list is not published.
func DefaultCABForumPolicyIdentifiers() []string {
	return []string{
		"2.23.140.1.1", "2.23.140.1.2.1", "2.23.140.1.2.2", "2.23.140.1.2.3",
		"2.23.140.1.3", "2.23.140.1.4.1", "2.23.140.1.4.2",
		"2.23.140.1.5.1.1", "2.23.140.1.5.1.2", "2.23.140.1.5.1.3",
		"2.23.140.1.5.2.1", "2.23.140.1.5.2.2", "2.23.140.1.5.2.3",
		"2.23.140.1.5.3.1", "2.23.140.1.5.3.2", "2.23.140.1.5.3.3",
		"2.23.140.1.5.4.1", "2.23.140.1.5.4.2", "2.23.140.1.5.4.3",
	}
}

// DefaultAuditors returns the auditor list used when Options.Auditors is
// empty. "Auditor Name" / "United States" are the API documentation's sample
// values.
func DefaultAuditors() map[string][]string {
	return map[string][]string{
		"Auditor Name":                         {"United States"},
		"BDO International Limited":            {"United States", "Netherlands"},
		"Ernst & Young, LLP":                   {"United States"},
		"LSTI Group":                           {"France"},
		"TÜViT - TÜV Informationstechnik GmbH": {"Germany"},
	}
}

// Record is one CCADB certificate record.
type Record struct {
	// ID is the 18-character Salesforce record id, the one the API takes as
	// SalesforceRecordId and answers GetCertificateIdAPI and adds with.
	ID string
	// CCADBID is the CCADB unique id, "A" and six digits (e.g. "A000086"):
	// what the V5 report shows in its "Salesforce Record ID" column. The API
	// does not accept it as SalesforceRecordId (not 18 characters: the
	// request is an add).
	CCADBID string
	// RecordType is RootCertificate or IntermediateCertificate.
	RecordType string
	// CAOwner, SubordinateCAOwner and Name (the "Certificate Name";
	// IntermediateCertificateName in the API).
	CAOwner, SubordinateCAOwner, Name string
	// PEM is the certificate, wrapped at 64 columns; SHA256 its upper-case
	// hex fingerprint.
	PEM, SHA256 string
	// ParentID and ParentSHA256 identify the parent record; empty for roots.
	ParentID, ParentSHA256 string
	// ValidFrom and ValidTo are the certificate's validity.
	ValidFrom, ValidTo time.Time
	// TechnicallyConstrained is computed from the certificate (name
	// constraints, or an EKU that excludes TLS server auth, S/MIME and
	// anyExtendedKeyUsage).
	TechnicallyConstrained bool
	// Fields holds every other API field under its request key (FieldNames:
	// the Field* constants and the names AuditField, Documents, ACMEField,
	// AutomatedSolutionField and TestWebsiteField return). An absent key was
	// never set (null); "" is blank. Booleans are "true"/"false";
	// FieldAllFullCRLURLs and FieldPartitionedCRLs are compact JSON array
	// text. Seeding may store any key; the API only ever writes these.
	Fields map[string]string
	// CreatedAt is when the record was created.
	CreatedAt time.Time
}

func (r Record) clone() Record {
	r.Fields = maps.Clone(r.Fields)
	if r.Fields == nil {
		r.Fields = map[string]string{}
	}
	return r
}

// LogEntry is one entry of the "API Log": an add/update request that reached
// the controller and the answer it got.
type LogEntry struct {
	Route    string // request path
	Request  string // request body, as received
	Status   int    // HTTP status answered
	Response string // response body
	At       time.Time
}

// APIRequest is one request to an Apex REST route, kept raw as received,
// whatever the answer (refused ones included).
type APIRequest struct {
	Method, Path, ContentType string
	Body                      string
	At                        time.Time
}

// Server simulates the CCADB's Salesforce OAuth endpoints, the two Apex REST
// APIs and the AllCertificateRecordsCSVFormatV5 report. It is an
// http.Handler, safe for concurrent use.
type Server struct {
	opt     Options
	faults  sim.Injector
	handler http.Handler

	// Identity of the simulated org, user and community, fixed per Server.
	orgID, userID, communityID string

	mu            sync.Mutex
	records       []*Record
	byID          map[string]*Record   // key: upper-case id (18-char ids are case-insensitive)
	byCCADBID     map[string]*Record   // key: upper-case CCADB unique id
	bySHA         map[string][]*Record // key: upper-case SHA-256, creation order
	keyIDs        map[string]keyIDs    // by record id, for the report
	nextID        uint64
	refreshTokens map[string]bool
	accessTokens  map[string]time.Time // token -> issued at
	authCodes     map[string]authCode
	apiLog        []LogEntry
	requests      []APIRequest
	recent        map[string]time.Time // route + body -> processed at
	nextCCADBID   int
	apiRequests   int
	persist       persistence // Options.StatePath; empty when not set
}

// New returns a Server for o, loading o.StatePath when it exists.
func New(o Options) (*Server, error) {
	if o.ClientID == "" || o.ClientSecret == "" {
		return nil, errors.New("ccadbsim: ClientID and ClientSecret are required")
	}
	if o.CAOwner == "" {
		o.CAOwner = "Example CA"
	}
	if o.CommunityURL == "" {
		o.CommunityURL = "https://ccadb.example"
	}
	o.CommunityURL = strings.TrimRight(o.CommunityURL, "/")
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.AccessTokenTTL <= 0 {
		o.AccessTokenTTL = 2 * time.Hour
	}
	if o.AuthCodeTTL <= 0 {
		o.AuthCodeTTL = 10 * time.Minute
	}
	// Copies, so that a caller changing its slices later races with nothing.
	o.AuditTypes = slices.Clone(o.AuditTypes)
	if len(o.AuditTypes) == 0 {
		o.AuditTypes = DefaultAuditTypes()
	}
	o.CABForumPolicyIdentifiers = slices.Clone(o.CABForumPolicyIdentifiers)
	if len(o.CABForumPolicyIdentifiers) == 0 {
		o.CABForumPolicyIdentifiers = DefaultCABForumPolicyIdentifiers()
	}
	if o.DuplicateWindow == 0 {
		o.DuplicateWindow = time.Minute
	}
	o.Auditors = maps.Clone(o.Auditors)
	if len(o.Auditors) == 0 {
		o.Auditors = DefaultAuditors()
	}
	s := &Server{
		opt:           o,
		orgID:         makeID("00D", "8Z", 1),
		userID:        makeID("005", "8Z", 1),
		communityID:   makeID("0DB", "8Z", 1),
		byID:          map[string]*Record{},
		byCCADBID:     map[string]*Record{},
		bySHA:         map[string][]*Record{},
		keyIDs:        map[string]keyIDs{},
		nextID:        firstRecordCounter,
		nextCCADBID:   1,
		refreshTokens: map[string]bool{},
		accessTokens:  map[string]time.Time{},
		authCodes:     map[string]authCode{},
		recent:        map[string]time.Time{},
	}
	if err := s.load(); err != nil {
		return nil, fmt.Errorf("ccadbsim: %w", err)
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

func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	switch p := r.URL.Path; {
	case p == AuthorizePath:
		s.authorize(w, r)
	case p == TokenPath:
		s.token(w, r)
	case strings.HasPrefix(p, "/services/apexrest/"):
		s.apex(w, r)
	// Visualforce page names are case-insensitive: the documents show both
	// "…FormatV4a" and "…Formatv4".
	case strings.EqualFold(p, ReportPath):
		s.report(w, r)
	case strings.EqualFold(p, PEMReportPath):
		s.pemReport(w, r)
	default:
		// Includes "/services/oauth2/token/": Salesforce answers 404 to the
		// trailing slash.
		http.NotFound(w, r)
	}
}

// AddRoot seeds a Root Certificate record for the certificate in pem (with
// line breaks or flattened) owned by caOwner ("" means Options.CAOwner), and
// returns its id.
func (s *Server) AddRoot(pem, caOwner string) (id string, err error) {
	return s.Seed(Record{RecordType: RootCertificate, CAOwner: caOwner, PEM: pem})
}

// Seed stores rec directly, without the API's validation or signature check,
// and returns its id. It fills what rec leaves empty: ID (a new id; a given
// one must be a valid, unused 18-character id), CCADBID (the next "A0…" id;
// a given one must be "A" and six digits, unused), CAOwner (Options.CAOwner),
// SHA256, ValidFrom/ValidTo and Name (subject CN) from PEM,
// TechnicallyConstrained (computed from PEM, or kept when set), ParentID from
// ParentSHA256 or ParentSHA256 from ParentID, RecordType (Intermediate when a
// parent is given, else Root) and CreatedAt (now). Either PEM or SHA256 is
// required.
//
// Seeding the same certificate again under another CAOwner makes a second
// record, as the CCADB has for a certificate in two CA Owners' hierarchies:
// the report then lists it once per owner, and GetCertificateIdAPI answers
// the first one created. The same certificate twice under one owner is an
// error, as an add of it would be.
func (s *Server) Seed(rec Record) (id string, err error) {
	ids, err := s.SeedAll([]Record{rec})
	if err != nil {
		return "", err
	}
	return ids[0], nil
}

// SeedAll seeds every record of recs as Seed does, in order, and saves the
// state once: the fast way to preload thousands of records into a simulator
// with a StatePath. On error the records before the failing one are kept.
func (s *Server) SeedAll(recs []Record) (ids []string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var seeded []*Record
	for i, rec := range recs {
		id, err := s.seedLocked(rec)
		if err != nil {
			if i > 0 {
				_ = s.saveLocked(seeded...)
			}
			return ids, fmt.Errorf("ccadbsim: seed record %d: %w", i, err)
		}
		ids = append(ids, id)
		seeded = append(seeded, s.byID[strings.ToUpper(id)])
	}
	if err := s.saveLocked(seeded...); err != nil {
		return ids, fmt.Errorf("ccadbsim: %w", err)
	}
	return ids, nil
}

func (s *Server) seedLocked(rec Record) (string, error) {
	rec = rec.clone()
	var kid keyIDs
	if rec.PEM != "" {
		pc, err := parsePEM(rec.PEM)
		if err != nil {
			return "", fmt.Errorf("parse PEM: %w", err)
		}
		rec.PEM = pc.pem
		if rec.SHA256 == "" {
			rec.SHA256 = pc.sha256
		}
		if rec.ValidFrom.IsZero() {
			rec.ValidFrom = pc.cert.NotBefore.UTC()
		}
		if rec.ValidTo.IsZero() {
			rec.ValidTo = pc.cert.NotAfter.UTC()
		}
		if rec.Name == "" {
			rec.Name = certName(pc.cert)
		}
		rec.TechnicallyConstrained = rec.TechnicallyConstrained || technicallyConstrained(pc.cert)
		kid = keyIDsOf(pc.cert)
	}
	if rec.SHA256 == "" {
		return "", errors.New("PEM or SHA256 is required")
	}
	rec.SHA256 = strings.ToUpper(rec.SHA256)
	if rec.CAOwner == "" {
		rec.CAOwner = s.opt.CAOwner
	}
	switch {
	case rec.ParentID != "":
		parent := s.byID[strings.ToUpper(rec.ParentID)]
		if parent == nil {
			return "", fmt.Errorf("parent record %s not found", rec.ParentID)
		}
		rec.ParentID, rec.ParentSHA256 = parent.ID, parent.SHA256
	case rec.ParentSHA256 != "":
		rec.ParentSHA256 = strings.ToUpper(rec.ParentSHA256)
		if ps := s.bySHA[rec.ParentSHA256]; len(ps) > 0 {
			rec.ParentID = ps[0].ID
		}
	}
	switch rec.RecordType {
	case "":
		rec.RecordType = RootCertificate
		if rec.ParentSHA256 != "" {
			rec.RecordType = IntermediateCertificate
		}
	case RootCertificate, IntermediateCertificate:
	default:
		return "", fmt.Errorf("unknown RecordType %q", rec.RecordType)
	}
	for _, other := range s.bySHA[rec.SHA256] {
		if strings.EqualFold(other.CAOwner, rec.CAOwner) && other.RecordType == rec.RecordType {
			return "", fmt.Errorf("certificate %s already has a record for CA Owner %q", rec.SHA256, rec.CAOwner)
		}
	}
	if rec.CCADBID != "" {
		if !ValidCCADBID(rec.CCADBID) {
			return "", fmt.Errorf("CCADBID %q is not \"A\" and six digits", rec.CCADBID)
		}
		if s.byCCADBIDLocked(rec.CCADBID) != nil {
			return "", fmt.Errorf("CCADBID %s already used", rec.CCADBID)
		}
	}
	if rec.ID == "" {
		rec.ID = s.newIDLocked()
	} else if !ValidID(rec.ID) {
		return "", fmt.Errorf("ID %q is not a valid 18-character Salesforce id", rec.ID)
	} else if s.byID[strings.ToUpper(rec.ID)] != nil {
		return "", fmt.Errorf("ID %s already used", rec.ID)
	}
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = s.opt.Now()
	}
	s.insertLocked(&rec, kid)
	return rec.ID, nil
}

// newIDLocked returns the next unused record id.
func (s *Server) newIDLocked() string {
	for {
		id := makeID(recordKeyPrefix, recordPod, s.nextID)
		s.nextID++
		if s.byID[strings.ToUpper(id)] == nil {
			return id
		}
	}
}

// insertLocked adds rec to the indexes, giving it the next CCADB unique id
// when it has none (records of state files written before there were any).
func (s *Server) insertLocked(rec *Record, kid keyIDs) {
	if rec.CCADBID == "" {
		for s.byCCADBIDLocked(formatCCADBID(s.nextCCADBID)) != nil {
			s.nextCCADBID++
		}
		rec.CCADBID = formatCCADBID(s.nextCCADBID)
	}
	if n, ok := parseCCADBID(rec.CCADBID); ok && n >= s.nextCCADBID {
		s.nextCCADBID = n + 1
	}
	s.records = append(s.records, rec)
	s.byID[strings.ToUpper(rec.ID)] = rec
	s.byCCADBID[strings.ToUpper(rec.CCADBID)] = rec
	s.bySHA[rec.SHA256] = append(s.bySHA[rec.SHA256], rec)
	s.keyIDs[rec.ID] = kid
}

// Records returns copies of every record, in creation order.
func (s *Server) Records() []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Record, len(s.records))
	for i, r := range s.records {
		out[i] = r.clone()
	}
	return out
}

// Record returns a copy of the record with id, either its 18-character id
// (in any case) or its CCADB unique id.
func (s *Server) Record(id string) (Record, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec := s.byID[strings.ToUpper(id)]; rec != nil {
		return rec.clone(), true
	}
	if rec := s.byCCADBIDLocked(id); rec != nil {
		return rec.clone(), true
	}
	return Record{}, false
}

// byCCADBIDLocked finds a record by CCADB unique id.
func (s *Server) byCCADBIDLocked(id string) *Record { return s.byCCADBID[strings.ToUpper(id)] }

// RecordBySHA256 returns a copy of the first record with fingerprint sha,
// compared case-insensitively.
func (s *Server) RecordBySHA256(sha string) (Record, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rs := s.bySHA[strings.ToUpper(sha)]; len(rs) > 0 {
		return rs[0].clone(), true
	}
	return Record{}, false
}

// Requests returns every request made to an Apex REST route, oldest first,
// raw as received (method, path, Content-Type, body), refused ones included:
// tests read the exact JSON keys a client sent, e.g. with IgnoredKeys.
func (s *Server) Requests() []APIRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]APIRequest(nil), s.requests...)
}

// APILog returns the API Log: every add/update request that reached the
// controller (authenticated, within the request limit), with its answer,
// oldest first. GetCertificateIdAPI calls are not logged, as in the CCADB.
func (s *Server) APILog() []LogEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]LogEntry(nil), s.apiLog...)
}
