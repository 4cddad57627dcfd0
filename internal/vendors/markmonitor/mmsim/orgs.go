package mmsim

import (
	"fmt"
	"net/http"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Organizations and contacts (API guide §7.1, §7.2).
//
// Rules enforced, beyond the API guide's text where noted:
//   - Creating an organization needs its name, address1, city, state,
//     country (ISO 3166 alpha-2, the simulator's check), zipcode, phone and
//     at least one contact, created with it (API guide §6.1.1, §7.1.1).
//   - An organization whose name and country equal an existing one's
//     (case-insensitively) is a 409 organization.duplicate: DigiCert refuses
//     duplicate organizations.
//   - Contacts need firstName, lastName, jobTitle, email, phone and at least
//     one contact type (API guide §6.1.1 step 2). TECHNICAL_CONTACT cannot be
//     given: Markmonitor adds its own technical contact to every
//     organization (API guide §7.2), and it cannot be changed or deleted.
//   - Organizations are submitted for OV validation, and for EV validation
//     when they have an EV approver, on creation; validations complete
//     IssueDelay later, by the clock, and last 13 months. Adding, modifying
//     or deleting an EV approver re-submits the EV validation (API guide §7.2.4,
//     §7.2.5).
//   - Deleting a contact is refused (409) when it is on an active
//     (non-terminal) order, is the organization's last contact (the
//     technical contact does not count), or is its last EV approver.

// Markmonitor's technical contact, added to every organization. The API guide
// only says it exists; these details are the simulator's.
const (
	techFirstName = "Markmonitor"
	techLastName  = "SSL Support"
	techJobTitle  = "Technical Contact"
	techEmail     = "ssl-support@markmonitor.example"
	techPhone     = "+1.8005550100"
)

// orgValidityMonths is how long an organization validation lasts (API guide §7.1).
const orgValidityMonths = 13

// orgRec is a stored organization. Org.Contacts is always nil: contacts are
// stored once, in Server.contacts, and embedded by orgView.
type orgRec struct {
	Org Organization `json:"org"`
	// ValidationDue is when each PENDING validation (by type) completes.
	ValidationDue map[string]time.Time `json:"validationDue,omitempty"`
	History       []History            `json:"history"`
}

// addHistory appends a history line; user "" marks a system change.
func addHistory(h *[]History, at time.Time, user, format string, args ...any) {
	*h = append(*h, History{DateCreated: At(at), UserName: user, Text: fmt.Sprintf(format, args...), ID: newUUID()})
}

// ---- views ----

func contactView(c *Contact, withHistory bool) Contact {
	v := *c
	v.ContactTypes = slices.Clone(c.ContactTypes)
	if v.ContactTypes == nil {
		v.ContactTypes = []ContactType{}
	}
	v.History = nil
	if withHistory {
		v.History = slices.Clone(c.History)
	}
	return v
}

func (s *Server) orgContactsLocked(orgID string) []*Contact {
	var out []*Contact
	for _, c := range s.st.Contacts {
		if c.OrganizationID == orgID {
			out = append(out, c)
		}
	}
	return out
}

func (s *Server) orgViewLocked(o *orgRec) Organization {
	v := o.Org
	v.Contacts = []Contact{}
	for _, c := range s.orgContactsLocked(o.Org.ID) {
		v.Contacts = append(v.Contacts, contactView(c, false))
	}
	v.Validations = slices.Clone(o.Org.Validations)
	if v.Validations == nil {
		v.Validations = []Validation{}
	}
	return v
}

// ---- clock ----

// advanceOrgLocked completes the validations that are due by now.
func (s *Server) advanceOrgLocked(o *orgRec, now time.Time) bool {
	changed := false
	for i := range o.Org.Validations {
		v := &o.Org.Validations[i]
		due, ok := o.ValidationDue[v.Type]
		if v.Status != ValidationPending || !ok || now.Before(due) {
			continue
		}
		v.Status = ValidationValidated
		v.DateUpdated = At(due)
		v.DateValidatedUntil = At(due.AddDate(0, orgValidityMonths, 0))
		delete(o.ValidationDue, v.Type)
		o.Org.DateUpdated = At(due)
		addHistory(&o.History, due, "", "%s validation completed", v.Type)
		changed = true
	}
	if changed {
		s.touchOrg(o)
	}
	return changed
}

func (s *Server) advanceOrgsLocked(now time.Time) bool {
	changed := false
	for _, o := range s.st.Organizations {
		changed = s.advanceOrgLocked(o, now) || changed
	}
	return changed
}

// submitValidationLocked (re)submits validation typ of o: PENDING until
// IssueDelay from now.
func (s *Server) submitValidationLocked(o *orgRec, typ string, now time.Time, user, why string) {
	s.touchOrg(o)
	var v *Validation
	for i := range o.Org.Validations {
		if o.Org.Validations[i].Type == typ {
			v = &o.Org.Validations[i]
		}
	}
	if v == nil {
		name := "Organization Validation"
		if typ == ValidationEV {
			name = "Extended Validation"
		}
		o.Org.Validations = append(o.Org.Validations, Validation{
			DateCreated: At(now), Type: typ, Name: name, ProviderDateCreated: At(now), ID: newUUID(),
		})
		v = &o.Org.Validations[len(o.Org.Validations)-1]
	}
	v.Status = ValidationPending
	v.DateUpdated = At(now)
	v.DateValidatedUntil = Time{}
	if o.ValidationDue == nil {
		o.ValidationDue = map[string]time.Time{}
	}
	o.ValidationDue[typ] = now.Add(s.opt.IssueDelay)
	o.Org.DateUpdated = At(now)
	addHistory(&o.History, now, user, "Organization submitted for %s validation (%s)", typ, why)
}

// ---- validation ----

func validEmail(e string) bool {
	a, err := mail.ParseAddress(e)
	return err == nil && a.Address == e && strings.Contains(e[strings.LastIndexByte(e, '@')+1:], ".")
}

func required(fe *fieldErrors, field, v string) {
	if strings.TrimSpace(v) == "" {
		fe.add(field, VCodeRequired, "%s is required", field)
	}
}

func validateProvider(fe *fieldErrors, field, v string) {
	if v != "" && v != ProviderDigiCert {
		fe.add(field, VCodeInvalidValue, "%s must be %s", field, ProviderDigiCert)
	}
}

// validateContact checks a contact as given by a client (create or the
// result of a patch). prefix is the JSON path of the contact.
func validateContact(fe *fieldErrors, prefix string, c *Contact) {
	required(fe, prefix+"firstName", c.FirstName)
	required(fe, prefix+"lastName", c.LastName)
	required(fe, prefix+"jobTitle", c.JobTitle)
	required(fe, prefix+"phone", c.Phone)
	if c.Email == "" {
		fe.add(prefix+"email", VCodeRequired, "email is required")
	} else if !validEmail(c.Email) {
		fe.add(prefix+"email", VCodeInvalidEmail, "%q is not a valid e-mail address", c.Email)
	}
	validateProvider(fe, prefix+"provider", c.Provider)
	if len(c.ContactTypes) == 0 {
		fe.add(prefix+"contactTypes", VCodeRequired, "at least one contact type is required")
	}
	for i, t := range c.ContactTypes {
		f := fmt.Sprintf("%scontactTypes[%d].type", prefix, i)
		switch {
		case t.Type == ContactTypeTechnical:
			fe.add(f, VCodeInvalidValue, "TECHNICAL_CONTACT is assigned by Markmonitor")
		case !validContactType(t.Type):
			fe.add(f, VCodeInvalidValue, "%q is not one of ORGANIZATION_CONTACT, EXTENDED_VALIDATION_APPROVER", t.Type)
		}
	}
}

func validateOrganization(o *Organization) error {
	var fe fieldErrors
	required(&fe, "name", o.Name)
	required(&fe, "address1", o.Address1)
	required(&fe, "city", o.City)
	required(&fe, "state", o.State)
	required(&fe, "zipcode", o.Zipcode)
	required(&fe, "phone", o.Phone)
	switch {
	case o.Country == "":
		fe.add("country", VCodeRequired, "country is required")
	case !isAlpha2(o.Country):
		fe.add("country", VCodeInvalidFormat, "country must be an ISO 3166-1 alpha-2 code")
	}
	// provider is among the "necessary details" of API guide §6.1.1 step 1.
	required(&fe, "provider", o.Provider)
	validateProvider(&fe, "provider", o.Provider)
	if len(o.Contacts) == 0 {
		fe.add("contacts", VCodeRequired, "at least one contact must be created with the organization")
	}
	for i := range o.Contacts {
		validateContact(&fe, fmt.Sprintf("contacts[%d].", i), &o.Contacts[i])
	}
	return fe.err()
}

func isAlpha2(s string) bool {
	return len(s) == 2 && strings.IndexFunc(s, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z')
	}) < 0
}

// ---- creation (shared by the API and the Go seeding) ----

func (s *Server) findDuplicateOrgLocked(name, country string) *orgRec {
	for _, o := range s.st.Organizations {
		if strings.EqualFold(strings.TrimSpace(o.Org.Name), strings.TrimSpace(name)) &&
			strings.EqualFold(o.Org.Country, country) {
			return o
		}
	}
	return nil
}

// insertContactLocked stores c for org o (filling ids, dates, provider).
func (s *Server) insertContactLocked(o *orgRec, c Contact, now time.Time, user string) *Contact {
	if c.ID == "" {
		c.ID = newUUID()
	}
	c.ID = idKey(c.ID)
	c.OrganizationID = o.Org.ID
	c.Provider = ProviderDigiCert
	if c.DateCreated.IsZero() {
		c.DateCreated = At(now)
	}
	c.DateUpdated = c.DateCreated
	c.ContactTypes = slices.Clone(c.ContactTypes)
	c.History = nil
	addHistory(&c.History, now, user, "Contact created")
	p := &c
	s.st.Contacts = append(s.st.Contacts, p)
	s.contacts[p.ID] = p
	s.touchContact(p)
	return p
}

// insertOrgLocked stores org with its contacts and Markmonitor's technical
// contact. validated seeds the validations as already complete.
func (s *Server) insertOrgLocked(org Organization, now time.Time, user string, validated bool) *orgRec {
	contacts := org.Contacts
	org.Contacts = nil
	if org.ID == "" {
		org.ID = newUUID()
	}
	org.ID = idKey(org.ID)
	if org.ProviderID == 0 {
		org.ProviderID = nextID(&s.st.NextOrgProviderID)
	}
	org.Provider = ProviderDigiCert
	org.Active = true
	if org.DateCreated.IsZero() {
		org.DateCreated = At(now)
	}
	org.DateUpdated = org.DateCreated
	o := &orgRec{Org: org}
	o.Org.Validations = slices.Clone(org.Validations)
	addHistory(&o.History, now, user, "Organization created")
	hasEV := false
	for _, c := range contacts {
		cp := s.insertContactLocked(o, c, now, user)
		addHistory(&o.History, now, user, "Contact %s %s <%s> added", cp.FirstName, cp.LastName, cp.Email)
		hasEV = hasEV || cp.HasType(ContactTypeEVApprover)
	}
	s.insertContactLocked(o, Contact{
		FirstName: techFirstName, LastName: techLastName, JobTitle: techJobTitle,
		Email: techEmail, Phone: techPhone,
		ContactTypes: []ContactType{{Type: ContactTypeTechnical}},
	}, now, "")
	addHistory(&o.History, now, "", "Markmonitor technical contact assigned")
	s.st.Organizations = append(s.st.Organizations, o)
	s.orgs[o.Org.ID] = o
	s.touchOrg(o)
	switch {
	case validated && len(o.Org.Validations) == 0:
		typs := []string{ValidationOV}
		if hasEV {
			typs = append(typs, ValidationEV)
		}
		for _, t := range typs {
			s.submitValidationLocked(o, t, now, "", "seeded")
			o.ValidationDue[t] = now
		}
		s.advanceOrgLocked(o, now)
	case validated:
		for i := range o.Org.Validations {
			if o.Org.Validations[i].ID == "" {
				o.Org.Validations[i].ID = newUUID()
			}
		}
	default:
		s.submitValidationLocked(o, ValidationOV, now, "", "new organization")
		if hasEV {
			s.submitValidationLocked(o, ValidationEV, now, "", "new organization")
		}
	}
	return o
}

// SeedOrganization inserts org directly, without the API's validation
// beyond a name and unique ids, with its contacts and Markmonitor's
// technical contact, and returns it as the API shows it. Ids, providerId and
// dates are generated when empty; Active is always true. Validations given
// are kept as they are; with none, the organization gets OV (and EV when a
// contact is an EV approver) validations already VALIDATED, as an existing
// account's organization would have.
func (s *Server) SeedOrganization(org Organization) (Organization, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opt.Now()
	if strings.TrimSpace(org.Name) == "" {
		return Organization{}, fmt.Errorf("mmsim: seed organization: name is required")
	}
	if org.ID != "" && (!isUUID(org.ID) || s.orgs[idKey(org.ID)] != nil) {
		return Organization{}, fmt.Errorf("mmsim: seed organization: id %q is not a UUID or already used", org.ID)
	}
	if s.findDuplicateOrgLocked(org.Name, org.Country) != nil {
		return Organization{}, fmt.Errorf("mmsim: seed organization: %q (%s) already exists", org.Name, org.Country)
	}
	for _, c := range org.Contacts {
		if c.ID != "" && (!isUUID(c.ID) || s.contacts[idKey(c.ID)] != nil) {
			return Organization{}, fmt.Errorf("mmsim: seed organization: contact id %q is not a UUID or already used", c.ID)
		}
	}
	o := s.insertOrgLocked(org, now, "", true)
	if err := s.saveLocked(); err != nil {
		return Organization{}, fmt.Errorf("mmsim: %w", err)
	}
	return s.orgViewLocked(o), nil
}

// Organizations returns every organization as the API shows it, with its
// contacts, in creation order.
func (s *Server) Organizations() []Organization {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.advanceOrgsLocked(s.opt.Now()) {
		_ = s.saveLocked()
	}
	out := make([]Organization, 0, len(s.st.Organizations))
	for _, o := range s.st.Organizations {
		out = append(out, s.orgViewLocked(o))
	}
	return out
}

// Contacts returns every contact, technical contacts included, with its
// history, in creation order.
func (s *Server) Contacts() []Contact {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Contact, 0, len(s.st.Contacts))
	for _, c := range s.st.Contacts {
		out = append(out, contactView(c, true))
	}
	return out
}

// ---- HTTP: organizations ----

func (s *Server) routeOrganization(c *call, segs []string) {
	switch len(segs) {
	case 0:
		c.byMethod(map[string]func(*call){http.MethodGet: s.listOrganizations, http.MethodPost: s.createOrganization})
	case 1:
		c.only(http.MethodGet, func(c *call) { s.getOrganization(c, segs[0]) })
	case 2, 3:
		s.historyRoute(c, segs, historyIn(s.orgs, CodeOrgNotFound, "Organization", func(o *orgRec) *[]History { return &o.History }))
	default:
		c.notFound()
	}
}

func (s *Server) createOrganization(c *call) {
	var org Organization
	if !s.decodeBody(c.w, c.r, &org) {
		return
	}
	if err := validateOrganization(&org); err != nil {
		writeErr(c.w, err)
		return
	}
	// Only the client's fields count; the rest is the server's.
	org.ID, org.ProviderID, org.DateCreated, org.Validations = "", 0, Time{}, nil
	for i := range org.Contacts {
		org.Contacts[i].ID, org.Contacts[i].DateCreated = "", Time{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if d := s.findDuplicateOrgLocked(org.Name, org.Country); d != nil {
		writeErrors(c.w, http.StatusConflict, CodeOrgDuplicate,
			fmt.Sprintf("Organization %q in %s already exists (id %s)", d.Org.Name, d.Org.Country, d.Org.ID))
		return
	}
	o := s.insertOrgLocked(org, s.opt.Now(), c.user, false)
	if err := s.mutated(); err != nil {
		writeErr(c.w, err)
		return
	}
	writeJSON(c.w, http.StatusCreated, s.orgViewLocked(o))
}

func (s *Server) getOrganization(c *call, rawID string) {
	id, err := pathID(rawID)
	if err != nil {
		writeErr(c.w, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orgs[id]
	if o == nil {
		writeErrors(c.w, http.StatusNotFound, CodeOrgNotFound, fmt.Sprintf("Organization %s not found", id))
		return
	}
	s.touchOrg(o) // written with the next save, if changed below
	if s.advanceOrgLocked(o, s.opt.Now()) {
		if err := s.mutated(); err != nil {
			writeErr(c.w, err)
			return
		}
	}
	writeJSON(c.w, http.StatusOK, s.orgViewLocked(o))
}

// listOrganizations is GET /organization?name=&providerId=: name matches a
// substring, case-insensitively (the live API's name filter is fuzzy).
func (s *Server) listOrganizations(c *call) {
	q := c.r.URL.Query()
	name := strings.ToLower(strings.TrimSpace(q.Get("name")))
	var pid int64
	if v := q.Get("providerId"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			writeErr(c.w, fieldErrors{{Field: "providerId", Code: VCodeInvalidFormat, Message: "providerId must be an integer"}}.err())
			return
		}
		pid = n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.advanceOrgsLocked(s.opt.Now()) {
		if err := s.mutated(); err != nil {
			writeErr(c.w, err)
			return
		}
	}
	var items []Organization
	for _, o := range s.st.Organizations {
		if name != "" && !strings.Contains(strings.ToLower(o.Org.Name), name) {
			continue
		}
		if pid != 0 && o.Org.ProviderID != pid {
			continue
		}
		items = append(items, s.orgViewLocked(o))
	}
	sortBy(items, q, sortKeys[Organization]{
		"dateCreated": func(o Organization) string { return o.DateCreated.Format(TimeLayout) },
		"dateUpdated": func(o Organization) string { return o.DateUpdated.Format(TimeLayout) },
		"name":        func(o Organization) string { return strings.ToLower(o.Name) },
		"providerId":  func(o Organization) string { return padInt(o.ProviderID) },
	})
	writeJSON(c.w, http.StatusOK, paginate(items, q))
}

// ---- HTTP: contacts ----

func (s *Server) routeContact(c *call, segs []string) {
	switch len(segs) {
	case 0:
		c.byMethod(map[string]func(*call){http.MethodGet: s.listContacts, http.MethodPost: s.createContact})
	case 1:
		c.byMethod(map[string]func(*call){
			http.MethodGet:    func(c *call) { s.getContact(c, segs[0]) },
			http.MethodPatch:  func(c *call) { s.patchContact(c, segs[0]) },
			http.MethodDelete: func(c *call) { s.deleteContact(c, segs[0]) },
		})
	case 2, 3:
		s.historyRoute(c, segs, historyIn(s.contacts, CodeContactNotFound, "Contact", func(ct *Contact) *[]History { return &ct.History }))
	default:
		c.notFound()
	}
}

func (s *Server) createContact(c *call) {
	var ct Contact
	if !s.decodeBody(c.w, c.r, &ct) {
		return
	}
	var fe fieldErrors
	switch {
	case ct.OrganizationID == "":
		fe.add("organizationId", VCodeRequired, "organizationId is required")
	case !isUUID(ct.OrganizationID):
		fe.add("organizationId", VCodeInvalidUUID, "organizationId must be a UUID")
	}
	// provider is among the details API guide §6.1.1 step 2 asks of a new
	// contact; contacts created inside an organization take the
	// organization's.
	required(&fe, "provider", ct.Provider)
	validateContact(&fe, "", &ct)
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orgs[idKey(ct.OrganizationID)]
	if o != nil {
		s.touchOrg(o) // its history and validations change with its contacts
	}
	if o == nil && isUUID(ct.OrganizationID) {
		fe.add("organizationId", VCodeOrgNotFound, "Organization %s not found", ct.OrganizationID)
	}
	if err := fe.err(); err != nil {
		writeErr(c.w, err)
		return
	}
	now := s.opt.Now()
	ct.ID, ct.DateCreated = "", Time{}
	p := s.insertContactLocked(o, ct, now, c.user)
	addHistory(&o.History, now, c.user, "Contact %s %s <%s> added", p.FirstName, p.LastName, p.Email)
	if p.HasType(ContactTypeEVApprover) {
		s.submitValidationLocked(o, ValidationEV, now, c.user, "EV approver added")
	}
	if err := s.mutated(); err != nil {
		writeErr(c.w, err)
		return
	}
	writeJSON(c.w, http.StatusCreated, contactView(p, false))
}

func (s *Server) lookupContactLocked(rawID string) (*Contact, error) {
	id, err := pathID(rawID)
	if err != nil {
		return nil, err
	}
	ct := s.contacts[id]
	if ct == nil {
		return nil, errf(http.StatusNotFound, CodeContactNotFound, "Contact %s not found", id)
	}
	s.touchContact(ct) // written with the next save, if the caller changes it
	return ct, nil
}

func (s *Server) getContact(c *call, rawID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ct, err := s.lookupContactLocked(rawID)
	if err != nil {
		writeErr(c.w, err)
		return
	}
	writeJSON(c.w, http.StatusOK, contactView(ct, true))
}

// listContacts is GET /contact?email=: the e-mail matches exactly,
// case-insensitively (the simulator's reading of "filtered based on the
// email address").
func (s *Server) listContacts(c *call) {
	q := c.r.URL.Query()
	email := strings.TrimSpace(q.Get("email"))
	s.mu.Lock()
	defer s.mu.Unlock()
	var items []Contact
	for _, ct := range s.st.Contacts {
		if email != "" && !strings.EqualFold(ct.Email, email) {
			continue
		}
		items = append(items, contactView(ct, false))
	}
	sortBy(items, q, sortKeys[Contact]{
		"dateCreated": func(c Contact) string { return c.DateCreated.Format(TimeLayout) },
		"dateUpdated": func(c Contact) string { return c.DateUpdated.Format(TimeLayout) },
		"email":       func(c Contact) string { return strings.ToLower(c.Email) },
		"lastName":    func(c Contact) string { return strings.ToLower(c.LastName) },
		"firstName":   func(c Contact) string { return strings.ToLower(c.FirstName) },
	})
	writeJSON(c.w, http.StatusOK, paginate(items, q))
}

// contactPatch is a PATCH /contact/{id} body: absent (or null) fields are
// left as they are.
type contactPatch struct {
	FirstName      *string        `json:"firstName"`
	LastName       *string        `json:"lastName"`
	JobTitle       *string        `json:"jobTitle"`
	Email          *string        `json:"email"`
	Phone          *string        `json:"phone"`
	PhoneExtension *string        `json:"phoneExtension"`
	OrganizationID *string        `json:"organizationId"`
	ContactTypes   *[]ContactType `json:"contactTypes"`
}

func (s *Server) patchContact(c *call, rawID string) {
	var p contactPatch
	if !s.decodeBody(c.w, c.r, &p) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ct, err := s.lookupContactLocked(rawID)
	if err != nil {
		writeErr(c.w, err)
		return
	}
	if ct.HasType(ContactTypeTechnical) {
		writeErrors(c.w, http.StatusConflict, CodeContactTechnical, "The Markmonitor technical contact cannot be modified")
		return
	}
	next := contactView(ct, false)
	var changed []string
	set := func(name string, dst *string, v *string) {
		if v != nil && *v != *dst {
			*dst = *v
			changed = append(changed, name)
		}
	}
	set("firstName", &next.FirstName, p.FirstName)
	set("lastName", &next.LastName, p.LastName)
	set("jobTitle", &next.JobTitle, p.JobTitle)
	set("email", &next.Email, p.Email)
	set("phone", &next.Phone, p.Phone)
	set("phoneExtension", &next.PhoneExtension, p.PhoneExtension)
	if p.ContactTypes != nil && !slices.Equal(*p.ContactTypes, next.ContactTypes) {
		next.ContactTypes = slices.Clone(*p.ContactTypes)
		changed = append(changed, "contactTypes")
	}
	var fe fieldErrors
	if p.OrganizationID != nil && !strings.EqualFold(*p.OrganizationID, ct.OrganizationID) {
		fe.add("organizationId", VCodeOrgChange, "a contact cannot move to another organization")
	}
	validateContact(&fe, "", &next)
	if err := fe.err(); err != nil {
		writeErr(c.w, err)
		return
	}
	o := s.orgs[ct.OrganizationID]
	s.touchOrg(o) // its history and validations change with its contacts
	wasEV, isEVNow := ct.HasType(ContactTypeEVApprover), next.HasType(ContactTypeEVApprover)
	if wasEV && !isEVNow && s.countEVLocked(o.Org.ID) == 1 {
		writeErrors(c.w, http.StatusConflict, CodeContactLastEV,
			"The last EXTENDED_VALIDATION_APPROVER of an organization cannot lose that type")
		return
	}
	if len(changed) > 0 {
		now := s.opt.Now()
		next.DateUpdated = At(now)
		next.History = ct.History
		*ct = next
		addHistory(&ct.History, now, c.user, "Contact modified: %s", strings.Join(changed, ", "))
		if wasEV || isEVNow {
			s.submitValidationLocked(o, ValidationEV, now, c.user, "EV approver "+ct.Email+" modified")
		}
		if err := s.mutated(); err != nil {
			writeErr(c.w, err)
			return
		}
	}
	writeJSON(c.w, http.StatusOK, contactView(ct, false))
}

func (s *Server) countEVLocked(orgID string) int {
	n := 0
	for _, c := range s.orgContactsLocked(orgID) {
		if c.HasType(ContactTypeEVApprover) {
			n++
		}
	}
	return n
}

func (s *Server) deleteContact(c *call, rawID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ct, err := s.lookupContactLocked(rawID)
	if err != nil {
		writeErr(c.w, err)
		return
	}
	now := s.opt.Now()
	if ct.HasType(ContactTypeTechnical) {
		writeErrors(c.w, http.StatusConflict, CodeContactTechnical, "The Markmonitor technical contact cannot be deleted")
		return
	}
	changed := s.advanceOrdersLocked(now)
	for _, o := range s.st.Orders {
		if !terminal(o.Order.Status) && slices.Contains(o.Order.Contacts, ct.ID) {
			s.saveIf(changed)
			writeErrors(c.w, http.StatusConflict, CodeContactActiveOrder,
				fmt.Sprintf("Contact cannot be deleted: it is associated with active order %s", o.Order.ID))
			return
		}
	}
	users := 0
	for _, x := range s.orgContactsLocked(ct.OrganizationID) {
		if !x.HasType(ContactTypeTechnical) {
			users++
		}
	}
	isEV := ct.HasType(ContactTypeEVApprover)
	switch {
	case users <= 1:
		s.saveIf(changed)
		writeErrors(c.w, http.StatusConflict, CodeContactLast, "Contact cannot be deleted: it is the last contact of its organization")
		return
	case isEV && s.countEVLocked(ct.OrganizationID) <= 1:
		s.saveIf(changed)
		writeErrors(c.w, http.StatusConflict, CodeContactLastEV, "Contact cannot be deleted: it is the last EV contact of its organization")
		return
	}
	s.st.Contacts = slices.DeleteFunc(s.st.Contacts, func(x *Contact) bool { return x == ct })
	delete(s.contacts, ct.ID)
	s.dropContact(ct)
	o := s.orgs[ct.OrganizationID]
	s.touchOrg(o)
	addHistory(&o.History, now, c.user, "Contact %s %s <%s> deleted", ct.FirstName, ct.LastName, ct.Email)
	if isEV {
		s.submitValidationLocked(o, ValidationEV, now, c.user, "EV approver "+ct.Email+" deleted")
	}
	if err := s.mutated(); err != nil {
		writeErr(c.w, err)
		return
	}
	c.w.WriteHeader(http.StatusOK)
}

// saveIf saves when a read advanced the state; a failure only loses the
// lazily computed transitions, which the next read computes again.
func (s *Server) saveIf(changed bool) {
	if changed {
		_ = s.saveLocked()
	}
}

// ---- histories (organizations, contacts, orders) ----

// serveHistory answers GET …/{id}/history (paged; filters userId, matched
// against the line's userName, and text, a case-insensitive substring) and
// GET …/{id}/history/{historyId}. lookup finds the history of an entity id,
// called with s.mu held.
// historyRoute serves ID/history and ID/history/HISTORY_ID (GET) of one kind
// of object; any other two- or three-segment path is not found.
func (s *Server) historyRoute(c *call, segs []string, lookup func(id string) (*[]History, error)) {
	if segs[1] != "history" {
		c.notFound()
		return
	}
	c.only(http.MethodGet, func(c *call) { s.serveHistory(c, segs[0], segs[2:], lookup) })
}

// historyIn looks an object up in m (read under the server's lock by
// serveHistory) and returns its history, or a 404 with code.
func historyIn[T any](m map[string]*T, code, what string, history func(*T) *[]History) func(string) (*[]History, error) {
	return func(id string) (*[]History, error) {
		o := m[id]
		if o == nil {
			return nil, errf(http.StatusNotFound, code, "%s %s not found", what, id)
		}
		return history(o), nil
	}
}

func (s *Server) serveHistory(c *call, rawID string, rest []string, lookup func(id string) (*[]History, error)) {
	id, err := pathID(rawID)
	if err != nil {
		writeErr(c.w, err)
		return
	}
	var hid string
	if len(rest) == 1 {
		if hid, err = pathID(rest[0]); err != nil {
			writeErr(c.w, err)
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opt.Now()
	// Reading an order's history must show its due transitions too.
	if o := s.orders[id]; o != nil && s.advanceOrderLocked(o, now) {
		s.saveIf(true)
	}
	if o := s.orgs[id]; o != nil && s.advanceOrgLocked(o, now) {
		s.saveIf(true)
	}
	hist, err := lookup(id)
	if err != nil {
		writeErr(c.w, err)
		return
	}
	if hid != "" {
		for _, h := range *hist {
			if h.ID == hid {
				writeJSON(c.w, http.StatusOK, h)
				return
			}
		}
		writeErrors(c.w, http.StatusNotFound, CodeHistoryNotFound, fmt.Sprintf("History %s not found", hid))
		return
	}
	q := c.r.URL.Query()
	user, text := q.Get("userId"), strings.ToLower(q.Get("text"))
	var items []History
	for _, h := range *hist {
		if user != "" && h.UserName != user {
			continue
		}
		if text != "" && !strings.Contains(strings.ToLower(h.Text), text) {
			continue
		}
		items = append(items, h)
	}
	sortBy(items, q, sortKeys[History]{
		"dateCreated": func(h History) string { return h.DateCreated.Format(TimeLayout) },
	})
	writeJSON(c.w, http.StatusOK, paginate(items, q))
}
