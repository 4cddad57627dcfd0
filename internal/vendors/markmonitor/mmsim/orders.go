package mmsim

import (
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/certsync/certsync/internal/pemutil"
)

// Orders (API guide §7.4): create, read, list, prices, download, histories. The
// state machine and the actions are in lifecycle.go.
//
// Order validation (400 validations, all failures at once):
//   - organizationId: required, a UUID, an existing organization;
//   - contacts: at least one; each id exists and belongs to the organization;
//     EV certificate types need an EXTENDED_VALIDATION_APPROVER among them
//     (the API guide's approval e-mail goes to the order's EV contact);
//   - certType, cert.dcvMethod, provider: required values of their enums;
//     locale: required (API guide §6.1.1 step 4 lists it as mandatory; no
//     default is filled in);
//     cert.algorithmHash, cert.serverPlatform, cert.rootHash, cert.provider:
//     values of their enums when given (algorithmHash defaults to the CSR's
//     key type);
//   - cert.commonName: a host name (a leading wildcard allowed);
//     cert.dnsNames: host names;
//   - cert.csr: see csr.go; its key type must match algorithmHash, and its
//     subject CN, when it has one, must equal commonName
//     (case-insensitively). A CSR without a CN is accepted: the order's
//     commonName and dnsNames decide the names, not the CSR
//     (csr.commonNameMismatch is the simulator's rule);
//   - additionalEmails, cert.dcvEmails[].email: e-mail addresses.

// orderRec is a stored order. Order.Cert is never nil here (orderView hides
// it while CREATED) and never holds the chain, which orderView adds.
type orderRec struct {
	Order Order `json:"order"`
	// PhaseAt is when the current status was entered.
	PhaseAt time.Time `json:"phaseAt"`
	// SubmittedAt is when the order (or its reissue) reached DigiCert:
	// entered DIGI_PENDING or DIGI_REISSUE_PENDING.
	SubmittedAt time.Time `json:"submittedAt,omitzero"`
	// DCVAt is when domain control validation of the current submission
	// completed; zero while it has not.
	DCVAt time.Time `json:"dcvAt,omitzero"`
	// IssuedAt is when the current certificate was issued (CertLag runs
	// from it).
	IssuedAt time.Time `json:"issuedAt,omitzero"`
	// RevokeDue is when a pending revocation completes.
	RevokeDue time.Time `json:"revokeDue,omitzero"`
	// Forced marks a status set by SetStatus: the clock leaves it alone
	// (an issued certificate still expires) until an action or ApproveDCV.
	Forced bool `json:"forced,omitempty"`
	// PrevCert and PrevIssuedAt keep the certificate a pending reissue
	// replaces, for a cancel of the reissue.
	PrevCert     *Cert     `json:"prevCert,omitempty"`
	PrevIssuedAt time.Time `json:"prevIssuedAt,omitzero"`
	// DCVToken is the random value of the current DNS/HTTP DCV.
	DCVToken string `json:"dcvToken,omitempty"`
}

func cloneCert(c *Cert) *Cert {
	if c == nil {
		return nil
	}
	v := *c
	v.DNSNames = nonNil(slices.Clone(c.DNSNames))
	v.OrganizationUnits = nonNil(slices.Clone(c.OrganizationUnits))
	v.DcvEmails = slices.Clone(c.DcvEmails)
	if v.DcvEmails == nil {
		v.DcvEmails = []DcvEmail{}
	}
	if c.DaysRemaining != nil {
		d := *c.DaysRemaining
		v.DaysRemaining = &d
	}
	return &v
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// orderViewLocked is the order as the API shows it at now: cert null while
// CREATED, the chain and daysRemaining added once issued, endEntityCert held
// back during CertLag.
func (s *Server) orderViewLocked(o *orderRec, now time.Time, withHistory bool) Order {
	v := o.Order
	v.AdditionalEmails = nonNil(slices.Clone(v.AdditionalEmails))
	v.Contacts = nonNil(slices.Clone(v.Contacts))
	v.History = nil
	if withHistory {
		v.History = slices.Clone(o.Order.History)
	}
	if v.Price != nil {
		p := *v.Price
		p.Products = slices.Clone(p.Products)
		v.Price = &p
	}
	if v.Status == StatusCreated {
		v.Cert = nil
		return v
	}
	c := cloneCert(o.Order.Cert)
	if c.EndEntityCert != "" {
		c.IntermediateCert, c.RootCert = s.ca.interPEM, s.ca.rootPEM
		days := max(int(c.DateValidUntil.Sub(now)/(24*time.Hour)), 0)
		c.DaysRemaining = &days
		if now.Before(o.IssuedAt.Add(s.opt.CertLag)) {
			c.EndEntityCert = ""
		}
	}
	v.Cert = c
	return v
}

// ---- prices ----

// The price list: invented figures (USD, one-year term) in DigiCert's
// product naming; the API guide documents the shape only.
func priceList() []Price {
	type row struct {
		certType, product string
		price             float64
	}
	rows := []row{
		{CertTypeEVBasic, "ssl_ev_basic", 595},
		{CertTypeOVBasic, "ssl_basic", 295},
		{CertTypeEVSecureSite, "ssl_ev_securesite", 995},
		{CertTypeOVSecureSite, "ssl_securesite", 399},
		{CertTypeEVSecureSitePro, "ssl_ev_securesite_pro", 1499},
		{CertTypeOVSecureSitePro, "ssl_securesite_pro", 995},
		{CertTypeDVGeoTrust, "ssl_dv_geotrust", 149},
		{CertTypeOVGeoTrustTrueBizID, "ssl_geotrust_truebizid", 249},
		{CertTypeEVGeoTrustTrueBizID, "ssl_ev_geotrust_truebizid", 449},
		{CertTypeDVThawte, "ssl_dv_thawte", 159},
		{CertTypeEVThawteWebServer, "ssl_ev_thawte_webserver", 499},
		{CertTypeOVThawteWebServer, "ssl_thawte_webserver", 269},
	}
	out := make([]Price, len(rows))
	for i, r := range rows {
		out[i] = Price{
			CertType: r.certType, Provider: ProviderDigiCert, Term: 1, TotalPrice: r.price,
			Products: []PriceProduct{{Product: r.product, Item: "certificate, 1 year", Price: r.price}},
		}
	}
	return out
}

func priceFor(certType string) *Price {
	for _, p := range priceList() {
		if p.CertType == certType {
			return &p
		}
	}
	return nil
}

// ---- validation ----

// certFields are the cert values a create or a reissue asks for.
type certFields struct {
	commonName, csr, algorithm, platform, rootHash string
	dnsNames                                       []string
}

// checkCertFieldsLocked validates the cert part of a create or reissue and
// returns the parsed CSR (nil when it failed). Verified CSRs are cached by
// their text, so that seeding many orders with one CSR stays fast.
func (s *Server) checkCertFieldsLocked(fe *fieldErrors, f certFields) *csrInfo {
	switch {
	case strings.TrimSpace(f.commonName) == "":
		fe.add("cert.commonName", VCodeRequired, "cert.commonName is required")
	case !validHostname(f.commonName, true):
		fe.add("cert.commonName", VCodeInvalidDomain, "%q is not a valid domain name", f.commonName)
	}
	for i, n := range f.dnsNames {
		if !validHostname(n, true) {
			fe.add(fmt.Sprintf("cert.dnsNames[%d]", i), VCodeInvalidDomain, "%q is not a valid domain name", n)
		}
	}
	if f.algorithm != "" && !validAlgorithm(f.algorithm) {
		fe.add("cert.algorithmHash", VCodeInvalidValue, "%q is not one of RSA, ECC", f.algorithm)
	}
	if f.platform != "" && !validPlatform(f.platform) {
		fe.add("cert.serverPlatform", VCodeInvalidValue, "%q is not a known server platform", f.platform)
	}
	if f.rootHash != "" && !validRootHash(f.rootHash) {
		fe.add("cert.rootHash", VCodeInvalidValue, "%q is not one of SHA_1", f.rootHash)
	}
	if strings.TrimSpace(f.csr) == "" {
		fe.add("cert.csr", VCodeRequired, "cert.csr is required")
		return nil
	}
	info := s.csrCache[f.csr]
	if info == nil {
		if info = checkCSR(fe, "cert.csr", f.csr); info == nil {
			return nil
		}
		if len(s.csrCache) >= maxCSRCache {
			clear(s.csrCache)
		}
		s.csrCache[f.csr] = info
	}
	if validAlgorithm(f.algorithm) && f.algorithm != info.keyAlg {
		fe.add("cert.algorithmHash", VCodeAlgorithmMismatch, "algorithmHash %s does not match the CSR's %s key", f.algorithm, info.keyAlg)
	}
	if cn := info.req.Subject.CommonName; cn != "" && f.commonName != "" && !strings.EqualFold(cn, f.commonName) {
		fe.add("cert.csr", VCodeCNMismatch, "the CSR's common name %q does not match commonName %q", cn, f.commonName)
	}
	return info
}

// maxCSRCache bounds the verified-CSR cache.
const maxCSRCache = 4096

// newOrderLocked validates req and stores a new CREATED order.
func (s *Server) newOrderLocked(req OrderRequest, now time.Time, user string) (*orderRec, error) {
	var fe fieldErrors
	var org *orgRec
	switch {
	case req.OrganizationID == "":
		fe.add("organizationId", VCodeRequired, "organizationId is required")
	case !isUUID(req.OrganizationID):
		fe.add("organizationId", VCodeInvalidUUID, "organizationId must be a UUID")
	default:
		if org = s.orgs[idKey(req.OrganizationID)]; org == nil {
			fe.add("organizationId", VCodeOrgNotFound, "Organization %s not found", req.OrganizationID)
		}
	}
	if len(req.Contacts) == 0 {
		fe.add("contacts", VCodeRequired, "at least one contact is required")
	}
	var contactIDs []string
	hasEV, contactsOK := false, true
	for i, ref := range req.Contacts {
		f := fmt.Sprintf("contacts[%d].id", i)
		switch ct := s.contacts[idKey(ref.ID)]; {
		case ref.ID == "":
			fe.add(f, VCodeRequired, "contact id is required")
		case !isUUID(ref.ID):
			fe.add(f, VCodeInvalidUUID, "contact id must be a UUID")
		case ct == nil:
			fe.add(f, VCodeContactNotFound, "Contact %s not found", ref.ID)
		case org != nil && ct.OrganizationID != org.Org.ID:
			fe.add(f, VCodeContactWrongOrg, "Contact %s does not belong to organization %s", ref.ID, org.Org.ID)
		default:
			hasEV = hasEV || ct.HasType(ContactTypeEVApprover)
			if !slices.Contains(contactIDs, ct.ID) {
				contactIDs = append(contactIDs, ct.ID)
			}
			continue
		}
		contactsOK = false
	}
	for i, ref := range req.Contacts {
		for j, t := range ref.ContactTypes {
			if !validContactType(t.Type) {
				fe.add(fmt.Sprintf("contacts[%d].contactTypes[%d].type", i, j), VCodeInvalidValue, "%q is not a contact type", t.Type)
			}
		}
	}
	switch {
	case req.CertType == "":
		fe.add("certType", VCodeRequired, "certType is required")
	case !validCertType(req.CertType):
		fe.add("certType", VCodeInvalidValue, "%q is not a certificate type", req.CertType)
	case isEV(req.CertType) && org != nil && contactsOK && len(req.Contacts) > 0 && !hasEV:
		fe.add("contacts", VCodeEVApproverNeeded, "%s orders need an EXTENDED_VALIDATION_APPROVER contact", req.CertType)
	}
	// locale and provider are mandatory (API guide §6.1.1 step 4, §7.4.1): a
	// missing one is refused, never filled in.
	required(&fe, "locale", req.Locale)
	required(&fe, "provider", req.Provider)
	validateProvider(&fe, "provider", req.Provider)
	validateProvider(&fe, "cert.provider", req.Cert.Provider)
	if req.GroupID != "" && !isUUID(req.GroupID) {
		fe.add("groupId", VCodeInvalidUUID, "groupId must be a UUID")
	}
	for i, e := range req.AdditionalEmails {
		if !validEmail(e) {
			fe.add(fmt.Sprintf("additionalEmails[%d]", i), VCodeInvalidEmail, "%q is not a valid e-mail address", e)
		}
	}
	switch {
	case req.Cert.DcvMethod == "":
		fe.add("cert.dcvMethod", VCodeRequired, "cert.dcvMethod is required")
	case !validDcvMethod(req.Cert.DcvMethod):
		fe.add("cert.dcvMethod", VCodeInvalidValue, "%q is not one of EMAIL, DNS_CNAME_TOKEN, HTTP_TOKEN, DNS_TXT_TOKEN", req.Cert.DcvMethod)
	}
	for i, d := range req.Cert.DcvEmails {
		if d.Email != "" && !validEmail(d.Email) {
			fe.add(fmt.Sprintf("cert.dcvEmails[%d].email", i), VCodeInvalidEmail, "%q is not a valid e-mail address", d.Email)
		}
	}
	info := s.checkCertFieldsLocked(&fe, certFields{
		commonName: req.Cert.CommonName, csr: req.Cert.CSR, algorithm: req.Cert.AlgorithmHash,
		platform: req.Cert.ServerPlatform, rootHash: req.Cert.RootHash, dnsNames: req.Cert.DNSNames,
	})
	if err := fe.err(); err != nil {
		return nil, err
	}

	// Markmonitor's technical contact is assigned to every order.
	for _, ct := range s.orgContactsLocked(org.Org.ID) {
		if ct.HasType(ContactTypeTechnical) && !slices.Contains(contactIDs, ct.ID) {
			contactIDs = append(contactIDs, ct.ID)
		}
	}
	alg := req.Cert.AlgorithmHash
	if alg == "" {
		alg = info.keyAlg
	}
	locale := strings.TrimSpace(req.Locale)
	var price *Price
	if !req.SkipPrice {
		price = priceFor(req.CertType)
	}
	o := &orderRec{
		Order: Order{
			DateCreated:      At(now),
			DateUpdated:      At(now),
			Comments:         req.Comments,
			AdditionalEmails: nonNil(slices.Clone(req.AdditionalEmails)),
			Locale:           locale,
			CertType:         req.CertType,
			Price:            price,
			GroupID:          strings.ToLower(req.GroupID),
			OrganizationID:   org.Org.ID,
			Contacts:         contactIDs,
			Provider:         ProviderDigiCert,
			Status:           StatusCreated,
			ID:               newUUID(),
			Cert: &Cert{
				DateCreated:       At(now),
				DateUpdated:       At(now),
				CommonName:        req.Cert.CommonName,
				DNSNames:          nonNil(slices.Clone(req.Cert.DNSNames)),
				CSR:               req.Cert.CSR,
				ServerPlatform:    req.Cert.ServerPlatform,
				AlgorithmHash:     alg,
				RootHash:          req.Cert.RootHash,
				OrganizationUnits: nonNil(slices.Clone(req.Cert.OrganizationUnits)),
				Provider:          ProviderDigiCert,
				DcvMethod:         req.Cert.DcvMethod,
				DcvEmails:         slices.Clone(req.Cert.DcvEmails),
				ID:                newUUID(),
			},
		},
		PhaseAt: now,
	}
	if o.Order.Cert.DcvEmails == nil {
		o.Order.Cert.DcvEmails = []DcvEmail{}
	}
	addHistory(&o.Order.History, now, user, "Order created: %s for %s", req.CertType, req.Cert.CommonName)
	s.st.Orders = append(s.st.Orders, o)
	s.orders[o.Order.ID] = o
	s.touchOrder(o)
	return o, nil
}

// ---- HTTP ----

func (s *Server) routeOrder(c *call, segs []string) {
	switch {
	case len(segs) == 0:
		c.byMethod(map[string]func(*call){http.MethodGet: s.listOrders, http.MethodPost: s.createOrder})
	case len(segs) == 1 && segs[0] == "prices":
		c.only(http.MethodGet, func(c *call) { writeJSON(c.w, http.StatusOK, priceList()) })
	case len(segs) == 1:
		c.only(http.MethodGet, func(c *call) { s.getOrder(c, segs[0]) })
	case len(segs) == 2 && segs[1] == "downloadCert":
		c.only(http.MethodGet, func(c *call) { s.downloadCert(c, segs[0]) })
	case (len(segs) == 2 || len(segs) == 3) && segs[1] == "history":
		s.historyRoute(c, segs, historyIn(s.orders, CodeOrderNotFound, "Order", func(o *orderRec) *[]History { return &o.Order.History }))
	case len(segs) == 2:
		c.only(http.MethodPatch, func(c *call) { s.orderAction(c, segs[0], segs[1]) })
	default:
		c.notFound()
	}
}

// createOrder is POST /order: 202 with the order in CREATED.
func (s *Server) createOrder(c *call) {
	var req OrderRequest
	if !s.decodeBody(c.w, c.r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opt.Now()
	o, err := s.newOrderLocked(req, now, c.user)
	if err != nil {
		writeErr(c.w, err)
		return
	}
	if err := s.mutated(); err != nil {
		writeErr(c.w, err)
		return
	}
	writeJSON(c.w, http.StatusAccepted, s.orderViewLocked(o, now, true))
}

// lookupOrderLocked finds an order by path id and brings it up to date.
func (s *Server) lookupOrderLocked(rawID string, now time.Time) (*orderRec, error) {
	id, err := pathID(rawID)
	if err != nil {
		return nil, err
	}
	o := s.orders[id]
	if o == nil {
		return nil, errf(http.StatusNotFound, CodeOrderNotFound, "Order %s not found", id)
	}
	s.touchOrder(o) // written with the next save, if the caller changes it
	if s.advanceOrderLocked(o, now) {
		if err := s.mutated(); err != nil {
			return nil, err
		}
	}
	return o, nil
}

func (s *Server) getOrder(c *call, rawID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opt.Now()
	o, err := s.lookupOrderLocked(rawID, now)
	if err != nil {
		writeErr(c.w, err)
		return
	}
	writeJSON(c.w, http.StatusOK, s.orderViewLocked(o, now, true))
}

// orderFilter is the query of GET /order.
type orderFilter struct {
	providerID    int64
	orgID         string
	certTypes     []string
	statuses      []string
	commonNames   []string
	validUntil    time.Time // certificates valid until this instant or earlier
	hasValidUntil bool
}

func parseOrderFilter(q map[string][]string) (orderFilter, error) {
	var f orderFilter
	var fe fieldErrors
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	if v := get("providerId"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			fe.add("providerId", VCodeInvalidFormat, "providerId must be an integer")
		}
		f.providerID = n
	}
	if v := get("organizationId"); v != "" {
		if !isUUID(v) {
			fe.add("organizationId", VCodeInvalidUUID, "organizationId must be a UUID")
		}
		f.orgID = strings.ToLower(v)
	}
	f.certTypes = listParam(q, "certificateTypes")
	for _, t := range f.certTypes {
		if !validCertType(t) {
			fe.add("certificateTypes", VCodeInvalidValue, "%q is not a certificate type", t)
		}
	}
	f.statuses = listParam(q, "statuses")
	for _, st := range f.statuses {
		if !validStatus(st) {
			fe.add("statuses", VCodeInvalidValue, "%q is not an order status", st)
		}
	}
	f.commonNames = listParam(q, "commonNames")
	if v := get("validUntil"); v != "" {
		t, err := parseValidUntil(v)
		if err != nil {
			fe.add("validUntil", VCodeInvalidFormat, "validUntil must be a date (2006-01-02) or an RFC 3339 timestamp")
		}
		f.validUntil, f.hasValidUntil = t, true
	}
	return f, fe.err()
}

// parseValidUntil reads the validUntil filter, whose format is undocumented:
// a date means the end of that day (UTC), a timestamp itself.
func parseValidUntil(v string) (time.Time, error) {
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		return d.Add(24*time.Hour - time.Nanosecond), nil
	}
	return time.Parse(time.RFC3339Nano, v)
}

func (f orderFilter) match(o *Order) bool {
	c := o.Cert
	switch {
	case f.providerID != 0 && o.ProviderID != f.providerID,
		f.orgID != "" && o.OrganizationID != f.orgID,
		len(f.certTypes) > 0 && !slices.Contains(f.certTypes, o.CertType),
		len(f.statuses) > 0 && !slices.Contains(f.statuses, o.Status),
		len(f.commonNames) > 0 && !slices.ContainsFunc(f.commonNames, func(n string) bool { return strings.EqualFold(n, c.CommonName) }),
		f.hasValidUntil && (c.DateValidUntil.IsZero() || c.DateValidUntil.After(f.validUntil)):
		return false
	}
	return true
}

// listOrders is GET /order with the API guide's filters: providerId,
// organizationId, certificateTypes, statuses, commonNames (lists repeated or
// comma-separated; common names case-insensitive) and validUntil
// (certificates that expire on or before it). Entries carry the full cert
// with its chain, so a client never needs a per-order call to plan.
func (s *Server) listOrders(c *call) {
	q := c.r.URL.Query()
	f, err := parseOrderFilter(q)
	if err != nil {
		writeErr(c.w, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opt.Now()
	if s.advanceOrdersLocked(now) {
		if err := s.mutated(); err != nil {
			writeErr(c.w, err)
			return
		}
	}
	var items []*orderRec
	for _, o := range s.st.Orders {
		if f.match(&o.Order) {
			items = append(items, o)
		}
	}
	sortBy(items, q, sortKeys[*orderRec]{
		"dateCreated":    func(o *orderRec) string { return o.Order.DateCreated.Format(TimeLayout) },
		"dateUpdated":    func(o *orderRec) string { return o.Order.DateUpdated.Format(TimeLayout) },
		"status":         func(o *orderRec) string { return o.Order.Status },
		"certType":       func(o *orderRec) string { return o.Order.CertType },
		"providerId":     func(o *orderRec) string { return padInt(o.Order.ProviderID) },
		"commonName":     func(o *orderRec) string { return strings.ToLower(o.Order.Cert.CommonName) },
		"dateValidUntil": func(o *orderRec) string { return o.Order.Cert.DateValidUntil.Format(TimeLayout) },
	})
	page := paginate(items, q)
	out := PagedList[Order]{Content: make([]Order, len(page.Content)), Page: page.Page}
	for i, o := range page.Content {
		out.Content[i] = s.orderViewLocked(o, now, false)
	}
	writeJSON(c.w, http.StatusOK, out)
}

// Download formats of GET /order/{id}/downloadCert.
const (
	FormatPEMAll = "pem_all"
	FormatP7B    = "p7b"
)

// acceptable reports whether an Accept header allows the download. The
// endpoint produces application/x-pkcs7-certificates for both formats (the
// API guide: "a request needs to have the Accept header set to
// application/x-pkcs7-certificates"), and Spring matches Accept against
// that: the type itself, application/*, */* or no Accept at all (which
// Spring reads as */*). Anything else, application/json included, is 406.
func acceptable(accept string) bool {
	if strings.TrimSpace(accept) == "" {
		return true
	}
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if q, ok := params["q"]; ok && strings.Trim(q, "0.") == "" {
			continue // q=0: explicitly not acceptable
		}
		switch mt {
		case "*/*", "application/*", "application/x-pkcs7-certificates":
			return true
		}
	}
	return false
}

// downloadCert is GET /order/{id}/downloadCert?format=pem_all|p7b, for
// issued orders only (409 order.certificateNotAvailable otherwise, and
// during CertLag). pem_all is end-entity, intermediate and root PEM;
// p7b a PEM-armoured degenerate PKCS#7 with the same three certificates.
func (s *Server) downloadCert(c *call, rawID string) {
	// Content negotiation happens before the handler runs, as in Spring.
	if !acceptable(c.r.Header.Get("Accept")) {
		writeSpringError(c.w, c.r, http.StatusNotAcceptable, s.opt.Now())
		return
	}
	format := strings.ToLower(c.r.URL.Query().Get("format"))
	switch format {
	case FormatPEMAll, FormatP7B:
	case "":
		writeErr(c.w, fieldErrors{{Field: "format", Code: VCodeRequired, Message: "format is required (p7b or pem_all)"}}.err())
		return
	default:
		writeErr(c.w, fieldErrors{{Field: "format", Code: VCodeInvalidValue, Message: "format must be p7b or pem_all"}}.err())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opt.Now()
	o, err := s.lookupOrderLocked(rawID, now)
	if err != nil {
		writeErr(c.w, err)
		return
	}
	v := s.orderViewLocked(o, now, false)
	if v.Status != StatusDigiIssued || v.Cert == nil || v.Cert.EndEntityCert == "" {
		writeErrors(c.w, http.StatusConflict, CodeOrderCertNotReady,
			fmt.Sprintf("Order %s has no certificate to download (status %s)", o.Order.ID, v.Status))
		return
	}
	name := strings.ReplaceAll(v.Cert.CommonName, "*", "star")
	var body []byte
	switch format {
	case FormatPEMAll:
		body = []byte(v.Cert.EndEntityCert + v.Cert.IntermediateCert + v.Cert.RootCert)
		c.w.Header().Set("Content-Type", "application/x-pem-file")
		c.w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name+".pem"))
	case FormatP7B:
		var ders [][]byte
		for _, p := range []string{v.Cert.EndEntityCert, s.ca.interPEM, s.ca.rootPEM} {
			b, err := pemutil.Blocks([]byte(p), "CERTIFICATE")
			if err != nil {
				writeErr(c.w, err)
				return
			}
			ders = append(ders, b...)
		}
		if body, err = pkcs7PEM(ders); err != nil {
			writeErr(c.w, err)
			return
		}
		c.w.Header().Set("Content-Type", "application/x-pkcs7-certificates")
		c.w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name+".p7b"))
	}
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(body)
}

// Orders returns every order as the API shows it now (with history), in
// creation order, after applying the transitions the clock has made due.
func (s *Server) Orders() []Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opt.Now()
	s.saveIf(s.advanceOrdersLocked(now))
	out := make([]Order, 0, len(s.st.Orders))
	for _, o := range s.st.Orders {
		out = append(out, s.orderViewLocked(o, now, true))
	}
	return out
}
