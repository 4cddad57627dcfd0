package ccadbsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Messages of the two Apex REST APIs, in Errors/Warnings. The first three
// are documented in the API documentation and reproduced verbatim; the CCADB's other
// messages are not published, so the rest are this simulator's own wording.
// Messages with verbs are fmt formats, their arguments named in the comment;
// field names in them are the canonical ones (see FieldNames), whatever
// spelling the request used.
const (
	// Documented.
	MsgCertificateNotFound = "Certificate not found in CCADB."
	MsgAlreadyExists       = "This Intermediate Certificate already exists in CCADB."
	MsgIDSHA256Mismatch    = "The provided Salesforce Record ID and SHA-256 of the provided Intermediate Certificate does not match."

	// GetCertificateIdAPI, invented.
	MsgInvalidRecordType   = "RecordType must be 'Root Certificate' or 'Intermediate Certificate'."
	MsgPEMOrSHA256Required = "PEM or SHA256 is required."

	// AddUpdateIntermediateCertAPI identity checks, invented.

	// MsgRequired: field.
	MsgRequired = "%s is required."
	// MsgInvalidPEM: field.
	MsgInvalidPEM = "%s could not be parsed as an X.509 certificate in PEM format."
	// MsgNotOwnHierarchy: the offending CA Owner (of the request, the record
	// or the parent record).
	MsgNotOwnHierarchy   = "CA Owner '%s' is not the CA Owner of this API user; add/update actions are allowed only on your own CA hierarchy."
	MsgParentNotFound    = "The parent certificate (ParentCertPEM) does not have a record in CCADB."
	MsgNotSignedByParent = "IntermediateCertPEM is not signed by the certificate in ParentCertPEM."
	MsgRecordIDNotFound  = "No record was found in CCADB for the provided Salesforce Record ID."
	MsgNotIntermediate   = "The record with the provided Salesforce Record ID is not an Intermediate Certificate."
	MsgPEMNotUpdatable   = "IntermediateCertPEM and ParentCertPEM cannot be updated with this API."

	// AddUpdateIntermediateCertAPI field validation, invented.

	// MsgInvalidHTTPSURL: field, value.
	MsgInvalidHTTPSURL = "%s must be a valid https URL: '%s'."
	// MsgInvalidURL: field, value.
	MsgInvalidURL = "%s must be a valid http or https URL: '%s'."
	// MsgInvalidAuditType: field, value.
	MsgInvalidAuditType = "%s '%s' is not one of the Audit Types in CCADB."
	// MsgRequiredWhen: field, the field that requires it.
	MsgRequiredWhen = "%s is required when %s is provided."
	// MsgInvalidDate: field, value.
	MsgInvalidDate = "%s must be a valid date in format yyyy-MM-dd: '%s'."
	// MsgEndAfterStatement: end-date field, statement-date field.
	MsgEndAfterStatement = "%s cannot be after %s."
	// MsgEndBeforeStart: end-date field, start-date field.
	MsgEndBeforeStart = "%s cannot be before %s."
	// MsgInvalidRevocationStatus: value.
	MsgInvalidRevocationStatus = "RevocationStatus must be blank or 'Revoked': '%s'."
	// MsgRequiredWhenRevoked: field.
	MsgRequiredWhenRevoked = "%s is required when RevocationStatus is 'Revoked'."
	// MsgInvalidReasonCode: value.
	MsgInvalidReasonCode = "RevocationReasonCode '%s' is not one of the RFC 5280 Revocation Reason Codes in CCADB."
	// MsgUnknownAuditor: value.
	MsgUnknownAuditor = "Auditor '%s' is not in the CCADB list of auditors."
	// MsgUnknownAuditorLocation: location, auditor.
	MsgUnknownAuditorLocation = "AuditorLocation '%s' is not one of the locations of Auditor '%s'."
	MsgLocationWithoutAuditor = "AuditorLocation requires Auditor."
	// MsgListTooLong: field, length in characters.
	MsgListTooLong = "%s exceeds the limit of 100,000 characters: %d."
	// MsgInvalidListURL: field, entry. The CRL arrays take "only JSON array
	// of URLs".
	MsgInvalidListURL = "%s must be a JSON array of URLs: '%s' is not a valid URL."
	// MsgBlankCRLEntry: field. [""] alone says "not yet issuing"; a blank
	// entry among URLs says nothing.
	MsgBlankCRLEntry = "%s: use [\"\"] alone when not yet issuing; a blank entry cannot be listed with URLs."
	// MsgInvalidCABForumPolicyID: value.
	MsgInvalidCABForumPolicyID = "CABForumCertificatePolicyIdentifier '%s' is not one of the values in CCADB."

	// MsgNameNotSubjectCN is the warning (SuccessWithWarnings, the record is
	// saved) when IntermediateCertificateName is not the subject CN: name, CN.
	MsgNameNotSubjectCN = "IntermediateCertificateName '%s' is not the Subject CN of the certificate ('%s')."
)

// REST-level errors, answered as Salesforce's JSON array of
// {"message","errorCode"}. The 401, 403, 404, 405 and JSON_PARSER_ERROR
// shapes are Salesforce's; the 429 body is undocumented, so invented.
const (
	// MsgInvalidSession: 401 INVALID_SESSION_ID.
	MsgInvalidSession = "Session expired or invalid"
	// MsgRequestLimit: 403 REQUEST_LIMIT_EXCEEDED.
	MsgRequestLimit = "TotalRequests Limit exceeded."
	// MsgNoMatchForURL: 404 NOT_FOUND, an unknown Apex REST path.
	MsgNoMatchForURL = "Could not find a match for URL"
	// MsgMethodNotAllowed: 405 METHOD_NOT_ALLOWED; the method.
	MsgMethodNotAllowed = "HTTP Method '%s' not allowed. Allowed are POST"
	// MsgDuplicateRequest: 429 TOO_MANY_REQUESTS (invented); the window.
	MsgDuplicateRequest = "The same API request was made more than once within %s; try again later."
	// MsgUnsupportedMediaType: 415 UNSUPPORTED_MEDIA_TYPE; the Content-Type
	// sent ("" when none).
	MsgUnsupportedMediaType = "Content-Type header specified in HTTP request is not supported: %s"
)

// ProcessingStatus values.
const (
	StatusSuccess             = "Success"
	StatusSuccessWithWarnings = "SuccessWithWarnings"
	StatusFail                = "Fail"
)

// RevocationReasonCodes returns the CCADB's "RFC 5280 Revocation Reason
// Code" picklist, exact spellings (there is no 7).
func RevocationReasonCodes() []string { return slices.Clone(revocationReasonCodes) }

var revocationReasonCodes = []string{
	"(0) unspecified", "(1) keyCompromise", "(2) cACompromise", "(3) affiliationChanged",
	"(4) superseded", "(5) cessationOfOperation", "(6) certificateHold", "(8) removeFromCRL",
	"(9) privilegeWithdrawn", "(10) aACompromise",
}

// maxBody bounds request bodies; a thousand-character PEM pair is ~5 KB.
const maxBody = 10 << 20

// apexError is a REST-level failure: an HTTP status and one Salesforce error.
type apexError struct {
	status        int
	code, message string
}

func (e *apexError) body() []byte {
	b, _ := json.Marshal([]struct {
		Message   string `json:"message"`
		ErrorCode string `json:"errorCode"`
	}{{e.message, e.code}})
	return b
}

type getIDResponse struct {
	ProcessingStatus string   `json:"ProcessingStatus"`
	Errors           []string `json:"Errors/Warnings"`
	RecordID         string   `json:"RecordId"`
}

type addUpdateResponse struct {
	ProcessingStatus   string   `json:"ProcessingStatus"`
	Errors             []string `json:"Errors/Warnings"`
	SalesforceRecordID string   `json:"SalesforceRecordId"`
}

// apex serves /services/apexrest/...: session check, request limit,
// routing, Content-Type, the duplicate-request window, then the API. Every
// request is kept raw (Server.Requests) before any check.
func (s *Server) apex(w http.ResponseWriter, r *http.Request) {
	body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	s.mu.Lock()
	s.requests = append(s.requests, APIRequest{Method: r.Method, Path: r.URL.Path,
		ContentType: r.Header.Get("Content-Type"), Body: string(body), At: s.opt.Now()})
	s.mu.Unlock()
	if !s.validAccessToken(bearerToken(r)) {
		writeAPIError(w, &apexError{http.StatusUnauthorized, "INVALID_SESSION_ID", MsgInvalidSession})
		return
	}
	s.mu.Lock()
	s.apiRequests++
	over := s.opt.RequestLimit > 0 && s.apiRequests > s.opt.RequestLimit
	s.mu.Unlock()
	if over {
		writeAPIError(w, &apexError{http.StatusForbidden, "REQUEST_LIMIT_EXCEEDED", MsgRequestLimit})
		return
	}
	if r.URL.Path != GetIDPath && r.URL.Path != AddUpdatePath {
		writeAPIError(w, &apexError{http.StatusNotFound, "NOT_FOUND", MsgNoMatchForURL})
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeAPIError(w, &apexError{http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", fmt.Sprintf(MsgMethodNotAllowed, r.Method)})
		return
	}
	if ct := r.Header.Get("Content-Type"); !isJSONMediaType(ct) {
		writeAPIError(w, &apexError{http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", fmt.Sprintf(MsgUnsupportedMediaType, ct)})
		return
	}
	if readErr != nil {
		writeAPIError(w, &apexError{http.StatusRequestEntityTooLarge, "REQUEST_ENTITY_TOO_LARGE", "Request body too large or unreadable"})
		return
	}
	var status int
	var resp []byte
	if r.URL.Path == GetIDPath {
		if e := s.duplicate(r.URL.Path, body); e != nil {
			writeAPIError(w, e)
			return
		}
		status, resp = s.getRecordID(body)
	} else {
		status, resp = s.addUpdate(r.URL.Path, body)
	}
	writeJSON(w, status, resp)
}

// isJSONMediaType reports whether a request Content-Type is JSON. The CCADB
// documents JSON bodies only, and every published client (HARICA's curl
// commands included) sends "Content-Type: application/json". What the live
// API answers to another type is not published; Salesforce REST answers an
// unsupported request media type with 415 and an UNSUPPORTED_MEDIA_TYPE
// error in its usual array shape, which is what the simulator does for any
// other type or none (curl -d without -H sends
// application/x-www-form-urlencoded, which Apex REST reads as form
// parameters, not as the JSON body the CCADB parses). XML, which Apex REST
// can map onto typed parameters, is refused too: the CCADB documents none.
func isJSONMediaType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

// duplicate records a request that will be processed and returns the 429
// for the same route and body processed less than Options.DuplicateWindow
// ago (the CCADB's "a user made the same API call request more than once
// within a minute"). A refused request does not restart the window. The
// caller must not hold s.mu.
func (s *Server) duplicate(route string, body []byte) *apexError {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.duplicateLocked(route, body, s.opt.Now())
}

func (s *Server) duplicateLocked(route string, body []byte, now time.Time) *apexError {
	window := s.opt.DuplicateWindow
	if window <= 0 {
		return nil
	}
	key := route + "\x00" + string(body)
	if last, ok := s.recent[key]; ok && now.Sub(last) < window {
		return &apexError{http.StatusTooManyRequests, "TOO_MANY_REQUESTS", fmt.Sprintf(MsgDuplicateRequest, window)}
	}
	for k, at := range s.recent {
		if now.Sub(at) >= window {
			delete(s.recent, k)
		}
	}
	s.recent[key] = now
	return nil
}

// bearerToken returns the token of an "Authorization: Bearer" (or
// Salesforce's older "OAuth") header.
func bearerToken(r *http.Request) string {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") && !strings.EqualFold(scheme, "OAuth") {
		return ""
	}
	return strings.TrimSpace(tok)
}

func writeAPIError(w http.ResponseWriter, e *apexError) { writeJSON(w, e.status, e.body()) }

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only fixed response structs are marshalled
	}
	return b
}

// getRecordID is GetCertificateIdAPI: the first record of the
// requested type whose SHA-256 is the given one, or that of the given PEM.
func (s *Server) getRecordID(body []byte) (int, []byte) {
	req, aerr := decodeRequest(body, getIDSchema)
	if aerr != nil {
		return aerr.status, aerr.body()
	}
	fail := func(msgs ...string) (int, []byte) {
		return http.StatusBadRequest, mustJSON(getIDResponse{StatusFail, msgs, ""})
	}
	var errs []string
	var recordType string
	switch rt := strings.TrimSpace(req.text(reqGetRecordType)); {
	case strings.EqualFold(rt, RootCertificate), strings.EqualFold(rt, "Root Crtificate"): // the doc's typo
		recordType = RootCertificate
	case strings.EqualFold(rt, IntermediateCertificate):
		recordType = IntermediateCertificate
	default:
		errs = append(errs, MsgInvalidRecordType)
	}
	pemText := strings.TrimSpace(req.text(reqGetPEM))
	sha := strings.ToUpper(strings.TrimSpace(req.text(reqGetSHA256)))
	if pemText == "" && sha == "" {
		errs = append(errs, MsgPEMOrSHA256Required)
	}
	if pemText != "" {
		pc, err := parsePEM(pemText)
		switch {
		case err != nil:
			errs = append(errs, fmt.Sprintf(MsgInvalidPEM, reqGetPEM))
		case sha != "" && sha != pc.sha256:
			// The documentation's [FAILURE] sample is exactly this case (the SHA256
			// has a stray "x") and answers "not found".
			errs = append(errs, MsgCertificateNotFound)
		default:
			sha = pc.sha256
		}
	}
	if len(errs) > 0 {
		return fail(errs...)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rec := range s.bySHA[sha] {
		if rec.RecordType == recordType {
			return http.StatusOK, mustJSON(getIDResponse{StatusSuccess, []string{}, rec.ID})
		}
	}
	return fail(MsgCertificateNotFound)
}

// addUpdate is AddUpdateIntermediateCertAPI: duplicate-request throttling,
// processing and the API Log (which also logs the 429s).
func (s *Server) addUpdate(route string, body []byte) (int, []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opt.Now()
	var status int
	var resp []byte
	if e := s.duplicateLocked(route, body, now); e != nil {
		status, resp = e.status, e.body()
	} else {
		status, resp = s.processLocked(body, now)
	}
	s.apiLog = append(s.apiLog, LogEntry{Route: route, Request: string(body), Status: status, Response: string(resp), At: now})
	return status, resp
}

// processLocked decodes and applies one add/update request. Rules, from the
// documentation's Processing Highlights and field comments:
//
//   - An 18-character SalesforceRecordId makes it an update, anything else
//     (the report's "A0…" CCADB unique ids included) an add.
//   - Identity checks come first: mandatory fields, PEM parsing, own
//     hierarchy, duplicate (add) or record/SHA-256 match (update), parent
//     record and signature (add). Their errors are answered alone: the
//     documented failure bodies carry exactly one message although the
//     sample requests they answer would also fail field validation.
//   - Then every field rule runs over the record as it would be saved, and
//     all failures are answered together.
//   - A name other than the subject CN is a warning; the record is saved.
func (s *Server) processLocked(body []byte, now time.Time) (int, []byte) {
	req, aerr := decodeRequest(body, addUpdateSchema)
	if aerr != nil {
		return aerr.status, aerr.body()
	}
	if id := strings.TrimSpace(req.text(reqRecordID)); len(id) == 18 {
		return s.updateLocked(req, id)
	}
	return s.addLocked(req, now)
}

func failResponse(id string, msgs ...string) (int, []byte) {
	return http.StatusBadRequest, mustJSON(addUpdateResponse{StatusFail, msgs, id})
}

func successResponse(id string, warnings []string) (int, []byte) {
	if len(warnings) > 0 {
		return http.StatusOK, mustJSON(addUpdateResponse{StatusSuccessWithWarnings, warnings, id})
	}
	return http.StatusOK, mustJSON(addUpdateResponse{StatusSuccess, []string{}, id})
}

func saveFailed(err error) (int, []byte) {
	return http.StatusInternalServerError, (&apexError{http.StatusInternalServerError, "APEX_ERROR", "ccadbsim: saving state: " + err.Error()}).body()
}

// requiredPEM parses the mandatory PEM field name, recording an error in errs.
func requiredPEM(req request, name string, errs *[]string) *parsedCert {
	text := strings.TrimSpace(req.text(name))
	if text == "" {
		*errs = append(*errs, fmt.Sprintf(MsgRequired, name))
		return nil
	}
	pc, err := parsePEM(text)
	if err != nil {
		*errs = append(*errs, fmt.Sprintf(MsgInvalidPEM, name))
		return nil
	}
	return pc
}

func (s *Server) addLocked(req request, now time.Time) (int, []byte) {
	var errs []string
	owner := strings.TrimSpace(req.text(reqCAOwner))
	if owner == "" {
		errs = append(errs, fmt.Sprintf(MsgRequired, reqCAOwner))
	} else if !strings.EqualFold(owner, s.opt.CAOwner) { // Apex compares strings case-insensitively
		errs = append(errs, fmt.Sprintf(MsgNotOwnHierarchy, owner))
	}
	name := strings.TrimSpace(req.text(reqName))
	if name == "" {
		errs = append(errs, fmt.Sprintf(MsgRequired, reqName))
	}
	child := requiredPEM(req, reqPEM, &errs)
	parent := requiredPEM(req, reqParentPEM, &errs)
	if len(errs) > 0 {
		return failResponse("", errs...)
	}
	for _, rec := range s.bySHA[child.sha256] {
		if strings.EqualFold(rec.CAOwner, owner) {
			return failResponse(rec.ID, MsgAlreadyExists)
		}
	}
	parentRec := s.parentRecordLocked(parent.sha256)
	switch {
	case parentRec == nil:
		errs = append(errs, MsgParentNotFound)
	case !strings.EqualFold(parentRec.CAOwner, s.opt.CAOwner):
		errs = append(errs, fmt.Sprintf(MsgNotOwnHierarchy, parentRec.CAOwner))
	}
	// Only the signature matters, not chain validity: the CCADB records
	// expired and odd hierarchies too.
	if err := parent.cert.CheckSignature(child.cert.SignatureAlgorithm, child.cert.RawTBSCertificate, child.cert.Signature); err != nil {
		errs = append(errs, MsgNotSignedByParent)
	}
	if len(errs) > 0 {
		return failResponse("", errs...)
	}
	fields := map[string]string{}
	applyFields(fields, req)
	if errs := s.validateFields(fields); len(errs) > 0 {
		return failResponse("", errs...)
	}
	rec := &Record{
		ID:                     s.newIDLocked(),
		RecordType:             IntermediateCertificate,
		CAOwner:                s.opt.CAOwner,
		SubordinateCAOwner:     req.text(reqSubordinate),
		Name:                   name,
		PEM:                    child.pem,
		SHA256:                 child.sha256,
		ParentID:               parentRec.ID,
		ParentSHA256:           parentRec.SHA256,
		ValidFrom:              child.cert.NotBefore.UTC(),
		ValidTo:                child.cert.NotAfter.UTC(),
		TechnicallyConstrained: technicallyConstrained(child.cert),
		Fields:                 fields,
		CreatedAt:              now,
	}
	s.insertLocked(rec, keyIDsOf(child.cert))
	if err := s.saveLocked(rec); err != nil {
		return saveFailed(err)
	}
	return successResponse(rec.ID, nameWarnings(name, child))
}

// parentRecordLocked finds the record of a parent certificate, preferring
// one in the API user's own hierarchy.
func (s *Server) parentRecordLocked(sha string) *Record {
	recs := s.bySHA[sha]
	for _, rec := range recs {
		if strings.EqualFold(rec.CAOwner, s.opt.CAOwner) {
			return rec
		}
	}
	if len(recs) > 0 {
		return recs[0]
	}
	return nil
}

func (s *Server) updateLocked(req request, id string) (int, []byte) {
	var errs []string
	name := strings.TrimSpace(req.text(reqName))
	if name == "" {
		errs = append(errs, fmt.Sprintf(MsgRequired, reqName))
	}
	child := requiredPEM(req, reqPEM, &errs)
	if len(errs) > 0 {
		return failResponse("", errs...)
	}
	rec := s.byID[strings.ToUpper(id)]
	if rec == nil {
		return failResponse("", MsgRecordIDNotFound)
	}
	if rec.SHA256 != child.sha256 {
		return failResponse("", MsgIDSHA256Mismatch)
	}
	if rec.RecordType != IntermediateCertificate {
		errs = append(errs, MsgNotIntermediate)
	}
	if !strings.EqualFold(rec.CAOwner, s.opt.CAOwner) {
		errs = append(errs, fmt.Sprintf(MsgNotOwnHierarchy, rec.CAOwner))
	}
	// CAOwner is mandatory on update per the documentation but HARICA's
	// procedure, which the CCADB links as its example, omits it:
	// optional here, checked when given.
	if owner := strings.TrimSpace(req.text(reqCAOwner)); owner != "" && !strings.EqualFold(owner, s.opt.CAOwner) {
		errs = append(errs, fmt.Sprintf(MsgNotOwnHierarchy, owner))
	}
	if text := strings.TrimSpace(req.text(reqParentPEM)); text != "" {
		if pc, err := parsePEM(text); err != nil {
			errs = append(errs, fmt.Sprintf(MsgInvalidPEM, reqParentPEM))
		} else if pc.sha256 != rec.ParentSHA256 {
			errs = append(errs, MsgPEMNotUpdatable)
		}
	}
	if len(errs) > 0 {
		return failResponse("", errs...)
	}
	fields := maps.Clone(rec.Fields)
	if fields == nil {
		fields = map[string]string{}
	}
	applyFields(fields, req)
	if errs := s.validateFields(fields); len(errs) > 0 {
		return failResponse("", errs...)
	}
	rec.Name = name
	if req.given(reqSubordinate) {
		rec.SubordinateCAOwner = req.text(reqSubordinate)
	}
	rec.Fields = fields
	if err := s.saveLocked(rec); err != nil {
		return saveFailed(err)
	}
	return successResponse(rec.ID, nameWarnings(name, child))
}

// applyFields writes the request's values into fields: null (or absent)
// leaves a field alone, "" blanks it, [] resets a list.
func applyFields(fields map[string]string, req request) {
	for _, name := range storedFields {
		v, ok := req[name]
		if !ok || v.null {
			continue
		}
		if listFields[name] {
			fields[name] = compactJSON(v.list)
			continue
		}
		fields[name] = v.s
	}
}

// compactJSON renders a string list as compact JSON without HTML escaping,
// the way the CCADB stores and reports it.
func compactJSON(list []string) string {
	if list == nil {
		list = []string{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(list)
	return strings.TrimSuffix(b.String(), "\n")
}

func nameWarnings(name string, pc *parsedCert) []string {
	if cn := pc.cert.Subject.CommonName; name != cn {
		return []string{fmt.Sprintf(MsgNameNotSubjectCN, name, cn)}
	}
	return nil
}

// validateFields checks the record's fields as they would be saved, so that
// an update of one field is checked together with the fields it depends on.
// It returns every failure.
func (s *Server) validateFields(f map[string]string) []string {
	var errs []string
	add := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }

	for _, kind := range auditKinds {
		urlField := AuditField(kind, "")
		typeField := AuditField(kind, "Type")
		auditURL, auditType := f[urlField], f[typeField]
		if auditURL != "" && !validURL(auditURL, "https") {
			add(MsgInvalidHTTPSURL, urlField, auditURL)
		}
		if auditType != "" && !slices.Contains(s.opt.AuditTypes, auditType) {
			add(MsgInvalidAuditType, typeField, auditType)
		} else if auditType == "" && auditURL != "" {
			add(MsgRequiredWhen, typeField, urlField)
		}
		dates := map[string]time.Time{}
		for _, suf := range []string{"StatementDate", "PeriodStartDate", "PeriodEndDate"} {
			field := AuditField(kind, suf)
			switch v := f[field]; {
			case v != "":
				d, err := parseDate(v)
				if err != nil {
					add(MsgInvalidDate, field, v)
				} else {
					dates[suf] = d
				}
			case auditURL != "":
				add(MsgRequiredWhen, field, urlField)
			}
		}
		end, okEnd := dates["PeriodEndDate"]
		if stmt, ok := dates["StatementDate"]; ok && okEnd && end.After(stmt) {
			add(MsgEndAfterStatement, AuditField(kind, "PeriodEndDate"), AuditField(kind, "StatementDate"))
		}
		if start, ok := dates["PeriodStartDate"]; ok && okEnd && end.Before(start) {
			add(MsgEndBeforeStart, AuditField(kind, "PeriodEndDate"), AuditField(kind, "PeriodStartDate"))
		}
	}

	status := f[FieldRevocationStatus]
	if status != "" && status != "Revoked" {
		add(MsgInvalidRevocationStatus, status)
	}
	if v := f[FieldDateOfRevocation]; v != "" {
		if _, err := parseDate(v); err != nil {
			add(MsgInvalidDate, FieldDateOfRevocation, v)
		}
	} else if status == "Revoked" {
		add(MsgRequiredWhenRevoked, FieldDateOfRevocation)
	}
	if v := f[FieldRevocationReasonCode]; v != "" {
		if !slices.Contains(revocationReasonCodes, v) {
			add(MsgInvalidReasonCode, v)
		}
	} else if status == "Revoked" {
		add(MsgRequiredWhenRevoked, FieldRevocationReasonCode)
	}

	auditor, location := f[FieldAuditor], f[FieldAuditorLocation]
	if auditor != "" {
		if locs, ok := s.opt.Auditors[auditor]; !ok {
			add(MsgUnknownAuditor, auditor)
		} else if location != "" && !slices.Contains(locs, location) {
			add(MsgUnknownAuditorLocation, location, auditor)
		}
	} else if location != "" {
		add(MsgLocationWithoutAuditor)
	}

	for _, name := range []string{FieldAllFullCRLURLs, FieldPartitionedCRLs} {
		errs = append(errs, crlListErrors(name, f[name])...)
	}
	if v := f[FieldCABForumPolicyID]; v != "" && !slices.Contains(s.opt.CABForumPolicyIdentifiers, v) {
		add(MsgInvalidCABForumPolicyID, v)
	}
	// "can be null or a link". The other-automated-solution descriptions are
	// documented as "can be null or a link" too, a copy of the lines around
	// them: a description is text, so they are not checked.
	for _, kind := range validationKinds {
		for _, field := range []string{ACMEField(kind), TestWebsiteField(kind)} {
			if v := f[field]; v != "" && !validURL(v, "http", "https") {
				add(MsgInvalidURL, field, v)
			}
		}
	}
	// "document link must be provided along with the date", and a date is
	// "yyyy-MM-dd" when provided. A date without its link is refused too: it
	// would date nothing. The link's form is not checked (the CCADB stores
	// repository pages, PDFs and anchors alike).
	for _, d := range documents {
		link, date := f[d.Link], f[d.Date]
		switch {
		case date != "":
			if _, err := parseDate(date); err != nil {
				add(MsgInvalidDate, d.Date, date)
			}
			if link == "" {
				add(MsgRequiredWhen, d.Link, d.Date)
			}
		case link != "":
			add(MsgRequiredWhen, d.Date, d.Link)
		}
	}
	return errs
}

// crlListErrors checks a stored CRL array (compact JSON text, "" when never
// set): "only JSON array of URLs allowed", at most 100,000 characters, and
// [""] alone for a CA not yet issuing partitioned CRLs.
func crlListErrors(name, text string) []string {
	if text == "" {
		return nil
	}
	var errs []string
	if n := utf8.RuneCountInString(text); n > maxCRLList {
		errs = append(errs, fmt.Sprintf(MsgListTooLong, name, n))
	}
	var list []string
	if err := json.Unmarshal([]byte(text), &list); err != nil {
		return append(errs, fmt.Sprintf(MsgInvalidListURL, name, text))
	}
	if name == FieldPartitionedCRLs && len(list) == 1 && list[0] == "" {
		return errs
	}
	blank := false
	for _, u := range list {
		switch {
		case u == "" && name == FieldPartitionedCRLs:
			blank = true
		case !validURL(u, "http", "https"):
			errs = append(errs, fmt.Sprintf(MsgInvalidListURL, name, u))
		}
	}
	if blank {
		errs = append(errs, fmt.Sprintf(MsgBlankCRLEntry, name))
	}
	return errs
}

// parseDate accepts exactly yyyy-MM-dd.
func parseDate(s string) (time.Time, error) {
	if len(s) != len("2006-01-02") {
		return time.Time{}, errors.New("not yyyy-MM-dd")
	}
	return time.Parse("2006-01-02", s)
}

// validURL reports whether s is an absolute URL with a host and one of the
// given schemes.
func validURL(s string, schemes ...string) bool {
	if strings.ContainsAny(s, " \t\r\n") {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return false
	}
	return slices.ContainsFunc(schemes, func(sc string) bool { return strings.EqualFold(u.Scheme, sc) })
}
