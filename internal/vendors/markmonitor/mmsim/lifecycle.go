package mmsim

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The order state machine (docs/vendors/markmonitor.md, "Order lifecycle"), driven by Options.Now and
// evaluated lazily whenever an order is read, listed or acted on. With D =
// Options.IssueDelay:
//
//	POST /order ─► CREATED             the 202 answer only: the first read submits the order
//	CREATED ─► DIGI_PENDING            DigiCert order id, DCV random value (history)
//	DIGI_PENDING: DCV completes        at submission + D; with HoldPending only through
//	                                   validateDomains or ApproveDCV
//	DCV done ─► DIGI_PROCESSING        (EV: DIGI_NEEDS_APPROVAL, approval e-mail to the
//	                                   EV approvers, then DIGI_PROCESSING) until issuance
//	─► DIGI_ISSUED                     at submission + D; with HoldPending at DCV + D
//	DIGI_ISSUED ─► DIGI_EXPIRED        once the clock passes dateValidUntil
//	DIGI_ISSUED ─reissue─► REISSUE_REQUEST_PENDING ─► DIGI_REISSUE_PENDING (first read)
//	  ─► DIGI_ISSUED                   with a new certificate, timed as above
//	DIGI_ISSUED ─revoke─► DIGI_REVOKED  revokeStatus PENDING, REVOKED D later
//
// So without HoldPending an order reads DIGI_PENDING for all of D (or
// DIGI_PROCESSING from an early validateDomains on) and passes
// DIGI_PROCESSING in the instant it is issued; with HoldPending it reads
// DIGI_PENDING until DCV, then DIGI_PROCESSING (DIGI_NEEDS_APPROVAL for EV)
// for D.
//
// Every transition and action writes a history line; transitions made by the
// clock carry no userName and are dated when they became due, not when they
// were noticed. For DNS and HTTP DCV the line starting with DCVHistoryPrefix
// carries the random value, and one line starting with
// DCVRecordHistoryPrefix per domain the record to publish (dcv.go): the
// public JSON has no field for them.
//
// Action rules (API guide §7.4.8; docs/vendors/markmonitor.md, "Order actions"), 409 order.invalidStatus
// otherwise:
//
//	cancel                  CREATED, DIGI_PENDING, DIGI_WAITING_PICKUP, DIGI_NEEDS_APPROVAL → DIGI_CANCELED;
//	                        DIGI_REISSUE_PENDING → DIGI_ISSUED with the previous certificate
//	revoke                  DIGI_ISSUED (not while a reissue is pending) → DIGI_REVOKED, permanent
//	reissue                 DIGI_ISSUED; 202; commonName cannot change; new values validated as on create
//	sendDcvEmail            DIGI_PENDING, DIGI_REISSUE_PENDING
//	validateDomains         DIGI_PENDING, DIGI_REISSUE_PENDING; completes DCV once every
//	                        DCV record is published (dcv.go), else 400 invalid_dns_txt,
//	                        invalid_dns_cname or file_random_value_not_found
//	updateAdditionalEmails  any status but DIGI_CANCELED, DIGI_REVOKED, DIGI_REJECTED, DIGI_FAILED;
//	                        additionalEmails required (400), replaces the list
//	sendCertificateEmail    DIGI_ISSUED
//
// A Content-Type other than JSON is refused first with Spring's 415; then an
// empty or non-JSON body with 400 order.getError "Error retrieving order
// information", as the live API does; {} is enough.

// DCVHistoryPrefix starts the order history line that carries the DCV
// random value of DNS_TXT_TOKEN, DNS_CNAME_TOKEN and HTTP_TOKEN orders:
// "DCV random value: <value> (<method>): <instructions>".
const DCVHistoryPrefix = "DCV random value: "

// maxSteps bounds the transitions one evaluation makes (a full path from
// CREATED to DIGI_EXPIRED takes six).
const maxSteps = 16

// advanceOrderLocked applies every transition due by now and reports
// whether anything changed.
func (s *Server) advanceOrderLocked(o *orderRec, now time.Time) bool {
	changed := false
	for range maxSteps {
		if !s.stepLocked(o, now) {
			break
		}
		changed = true
	}
	if changed {
		s.touchOrder(o)
	}
	return changed
}

func (s *Server) advanceOrdersLocked(now time.Time) bool {
	changed := false
	for _, o := range s.st.Orders {
		changed = s.advanceOrderLocked(o, now) || changed
	}
	return changed
}

// issueDue is when the current submission of o is issued; false while
// HoldPending waits for DCV.
func (s *Server) issueDue(o *orderRec) (time.Time, bool) {
	if s.opt.HoldPending {
		if o.DCVAt.IsZero() {
			return time.Time{}, false
		}
		return o.DCVAt.Add(s.opt.IssueDelay), true
	}
	return o.SubmittedAt.Add(s.opt.IssueDelay), true
}

// stepLocked makes the first transition due by now, if any.
func (s *Server) stepLocked(o *orderRec, now time.Time) bool {
	ord, c := &o.Order, o.Order.Cert
	if c.RevokeStatus == RevokePending && !now.Before(o.RevokeDue) {
		c.RevokeStatus = RevokeRevoked
		c.DateUpdated, ord.DateUpdated = At(o.RevokeDue), At(o.RevokeDue)
		addHistory(&ord.History, o.RevokeDue, "", "Revocation of certificate %s completed", c.SerialNumber)
		return true
	}
	if o.Forced && ord.Status != StatusDigiIssued {
		return false
	}
	switch ord.Status {
	case StatusCreated:
		if now.Before(o.PhaseAt) {
			return false
		}
		s.submitLocked(o, o.PhaseAt, false)
	case StatusReissueRequestPending, StatusReissuePending:
		if now.Before(o.PhaseAt) {
			return false
		}
		s.submitLocked(o, o.PhaseAt, true)
	case StatusDigiPending, StatusDigiReissuePending:
		if o.DCVAt.IsZero() {
			at := o.SubmittedAt.Add(s.opt.IssueDelay)
			if s.opt.HoldPending || now.Before(at) {
				return false
			}
			o.DCVAt = at
			addHistory(&ord.History, at, "", "Domain control validation completed (%s)", c.DcvMethod)
			return true
		}
		if ord.Status == StatusDigiPending {
			if isEV(ord.CertType) {
				setStatusLocked(o, StatusDigiNeedsApproval, o.DCVAt, "",
					"Validation complete; order approval e-mail sent to the EV approver(s): "+s.evEmailsLocked(o))
			} else {
				setStatusLocked(o, StatusDigiProcessing, o.DCVAt, "", "Validation complete; DigiCert is processing the order")
			}
			return true
		}
		due, _ := s.issueDue(o)
		if now.Before(due) {
			return false
		}
		s.issueLocked(o, due, true)
	case StatusDigiNeedsApproval:
		due, ok := s.issueDue(o)
		if !ok || now.Before(due) {
			return false
		}
		setStatusLocked(o, StatusDigiProcessing, due, "", "Order approved by the EV approver; DigiCert is processing the order")
	case StatusDigiProcessing:
		due, ok := s.issueDue(o)
		if !ok || now.Before(due) {
			return false
		}
		s.issueLocked(o, due, false)
	case StatusDigiIssued:
		until := c.DateValidUntil.Time
		if until.IsZero() || !now.After(until) {
			return false
		}
		setStatusLocked(o, StatusDigiExpired, until, "", "Certificate "+c.SerialNumber+" expired")
	default:
		return false
	}
	return true
}

// setStatusLocked moves o to st at time at, with a history line.
func setStatusLocked(o *orderRec, st string, at time.Time, user, text string) {
	o.Order.Status = st
	o.PhaseAt = at
	o.Order.DateUpdated = At(at)
	addHistory(&o.Order.History, at, user, "%s", text)
}

// submitLocked hands the order (or its reissue) to "DigiCert": ids, a fresh
// DCV random value, and the DCV instructions in the history.
func (s *Server) submitLocked(o *orderRec, at time.Time, reissue bool) {
	ord, c := &o.Order, o.Order.Cert
	if ord.ProviderID == 0 {
		ord.ProviderID = nextID(&s.st.NextOrderProviderID)
	}
	if c.ProviderID == 0 {
		c.ProviderID = nextID(&s.st.NextCertProviderID)
	}
	if c.ProviderDateCreated.IsZero() {
		c.ProviderDateCreated = At(at)
	}
	o.SubmittedAt, o.DCVAt = at, time.Time{}
	o.DCVToken = randomValue()
	if reissue {
		setStatusLocked(o, StatusDigiReissuePending, at, "", fmt.Sprintf("Reissue submitted to DigiCert (order %d)", ord.ProviderID))
	} else {
		setStatusLocked(o, StatusDigiPending, at, "", fmt.Sprintf("Order submitted to DigiCert (order %d)", ord.ProviderID))
	}
	addHistory(&ord.History, at, "", "%s", dcvLine(c, o.DCVToken))
	for _, r := range dcvRecords(c, o.DCVToken) {
		addHistory(&ord.History, at, "", "%s%s", DCVRecordHistoryPrefix, r)
	}
}

// randomValue is a DigiCert-style DCV random value: 32 lowercase hex digits.
func randomValue() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// dcvLine describes what the DCV method asks of the customer.
func dcvLine(c *Cert, token string) string {
	names := strings.Join(sanList(c.CommonName, c.DNSNames), ", ")
	switch c.DcvMethod {
	case DcvMethodDNSTXT:
		return fmt.Sprintf("%s%s (%s): publish it as a DNS TXT record of each domain: %s", DCVHistoryPrefix, token, c.DcvMethod, names)
	case DcvMethodDNSCNAME:
		return fmt.Sprintf("%s%s (%s): create a CNAME record %s.<domain> pointing to dcv.digicert.com for each domain: %s",
			DCVHistoryPrefix, token, c.DcvMethod, token, names)
	case DcvMethodHTTP:
		return fmt.Sprintf("%s%s (%s): serve it at http://<domain>/.well-known/pki-validation/fileauth.txt for each domain: %s",
			DCVHistoryPrefix, token, c.DcvMethod, names)
	}
	var to []string
	for _, d := range c.DcvEmails {
		if d.Email != "" {
			to = append(to, d.Email)
		}
	}
	if len(to) == 0 {
		return "DCV e-mail sent to the registered DCV contacts of each domain: " + names
	}
	return "DCV e-mail sent to " + strings.Join(to, ", ") + " for: " + names
}

// evEmailsLocked lists the e-mail addresses of the order's EV approvers.
func (s *Server) evEmailsLocked(o *orderRec) string {
	var out []string
	for _, id := range o.Order.Contacts {
		if ct := s.contacts[id]; ct != nil && ct.HasType(ContactTypeEVApprover) {
			out = append(out, ct.Email)
		}
	}
	if len(out) == 0 {
		return "(none left)"
	}
	return strings.Join(out, ", ")
}

// issueLocked signs the order's certificate, valid from at, and moves it to
// DIGI_ISSUED. A reissue gets a new DigiCert certificate id. Should signing
// fail, the order goes to DIGI_FAILED (DIGI_REISSUE_FAILED, keeping the
// previous certificate, for a reissue).
func (s *Server) issueLocked(o *orderRec, at time.Time, reissue bool) {
	c := o.Order.Cert
	iss, err := s.signLocked(o, at)
	if err != nil {
		if reissue {
			if o.PrevCert != nil {
				*c = *cloneCert(o.PrevCert)
				o.IssuedAt = o.PrevIssuedAt
			}
			o.PrevCert = nil
			setStatusLocked(o, StatusDigiReissueFailed, at, "", "Reissue failed: "+err.Error())
			return
		}
		setStatusLocked(o, StatusDigiFailed, at, "", "Issuance failed: "+err.Error())
		return
	}
	if reissue {
		c.ProviderID = nextID(&s.st.NextCertProviderID)
		o.PrevCert, o.PrevIssuedAt = nil, time.Time{}
	}
	c.EndEntityCert = iss.pem
	c.SerialNumber = iss.serial
	c.DateValidFrom, c.DateValidUntil = At(iss.from), At(iss.to)
	c.RevokeStatus = ""
	c.DateUpdated = At(at)
	o.IssuedAt = at
	what := "Certificate"
	if reissue {
		what = "Reissued certificate"
	}
	setStatusLocked(o, StatusDigiIssued, at, "", fmt.Sprintf("%s issued: serial %s, valid until %s",
		what, iss.serial, iss.to.UTC().Format(TimeLayout)))
}

func (s *Server) signLocked(o *orderRec, at time.Time) (issued, error) {
	c := o.Order.Cert
	var pub any
	if info := s.csrCache[c.CSR]; info != nil {
		pub = info.req.PublicKey
	} else {
		var fe fieldErrors
		info := checkCSR(&fe, "cert.csr", c.CSR)
		if info == nil {
			return issued{}, fe.err()
		}
		pub = info.req.PublicKey
	}
	spec := leafSpec{commonName: c.CommonName, dnsNames: c.DNSNames, pub: pub, notBefore: at, validity: s.opt.Validity}
	if org := s.orgs[o.Order.OrganizationID]; org != nil && !isDV(o.Order.CertType) {
		spec.org = &org.Org
	}
	return s.ca.issue(spec)
}

// ---- actions ----

func validAction(a string) bool {
	return oneOf(a, ActionCancel, ActionRevoke, ActionReissue, ActionSendDcvEmail,
		ActionValidateDomains, ActionUpdateAdditionalEmails, ActionSendCertificateEmail)
}

// orderAction is PATCH /order/{id}/{action}: 200 with the order (202 for
// reissue, the API guide's "renew order" PATCH).
func (s *Server) orderAction(c *call, rawID, action string) {
	if _, err := pathID(rawID); err != nil {
		writeErr(c.w, err)
		return
	}
	if !validAction(action) {
		writeErrors(c.w, http.StatusBadRequest, CodeOrderInvalidAction, fmt.Sprintf("Unknown order action %q", action))
		return
	}
	if !jsonBodyOK(c.r) {
		s.unsupportedMediaType(c.w, c.r)
		return
	}
	data, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, maxBody))
	var req ActionRequest
	if err != nil || len(strings.TrimSpace(string(data))) == 0 || unmarshalExact(data, &req) != nil {
		writeErrors(c.w, http.StatusBadRequest, CodeOrderGetError, MsgOrderGetError)
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
	status, err := s.applyActionLocked(o, action, req, now, c.user)
	if err != nil {
		writeErr(c.w, err)
		return
	}
	if err := s.mutated(); err != nil {
		writeErr(c.w, err)
		return
	}
	writeJSON(c.w, status, s.orderViewLocked(o, now, true))
}

func invalidStatus(o *orderRec, action, why string) error {
	return errf(http.StatusConflict, CodeOrderInvalidStatus, "Order %s in status %s cannot be %s%s",
		o.Order.ID, o.Order.Status, action, why)
}

// applyActionLocked performs action on o (already brought up to date) and
// returns the HTTP status of the answer.
func (s *Server) applyActionLocked(o *orderRec, action string, req ActionRequest, now time.Time, user string) (int, error) {
	ord, c := &o.Order, o.Order.Cert
	st := ord.Status
	switch action {
	case ActionCancel:
		switch st {
		case StatusCreated, StatusDigiPending, StatusDigiWaitingPickup, StatusDigiNeedsApproval:
			setStatusLocked(o, StatusDigiCanceled, now, user, "Order canceled")
		case StatusDigiReissuePending:
			if o.PrevCert != nil {
				*c = *cloneCert(o.PrevCert)
				o.IssuedAt = o.PrevIssuedAt
			}
			o.PrevCert, o.PrevIssuedAt = nil, time.Time{}
			setStatusLocked(o, StatusDigiIssued, now, user, "Reissue canceled; the previous certificate remains")
		default:
			return 0, invalidStatus(o, "canceled", "; only CREATED, DIGI_PENDING, DIGI_WAITING_PICKUP, DIGI_NEEDS_APPROVAL orders or a DIGI_REISSUE_PENDING reissue can be; issued certificates must be revoked")
		}
	case ActionRevoke:
		switch st {
		case StatusDigiIssued:
		case StatusDigiReissuePending, StatusReissueRequestPending, StatusReissuePending:
			return 0, invalidStatus(o, "revoked", " while a reissue is pending; cancel the reissue or wait for it to complete")
		default:
			return 0, invalidStatus(o, "revoked", "; only DIGI_ISSUED orders can be")
		}
		c.RevokeStatus = RevokePending
		c.DateUpdated = At(now)
		o.RevokeDue = now.Add(s.opt.IssueDelay)
		setStatusLocked(o, StatusDigiRevoked, now, user, "Revocation of certificate "+c.SerialNumber+" requested")
	case ActionReissue:
		if st != StatusDigiIssued {
			return 0, invalidStatus(o, "reissued", "; only DIGI_ISSUED orders can be")
		}
		if err := s.reissueLocked(o, req, now, user); err != nil {
			return 0, err
		}
		o.Forced = false
		return http.StatusAccepted, nil
	case ActionSendDcvEmail:
		if st != StatusDigiPending && st != StatusDigiReissuePending {
			return 0, invalidStatus(o, "sent a DCV e-mail", "; only DIGI_PENDING and DIGI_REISSUE_PENDING orders can be")
		}
		addHistory(&ord.History, now, user, "DCV e-mail re-sent (%s)", c.DcvMethod)
		ord.DateUpdated = At(now)
		return http.StatusOK, nil // not a status change: a forced status stays forced
	case ActionValidateDomains:
		if st != StatusDigiPending && st != StatusDigiReissuePending {
			return 0, invalidStatus(o, "validated", "; only DIGI_PENDING and DIGI_REISSUE_PENDING orders can be")
		}
		if err := s.checkPublishedLocked(o); err != nil {
			return 0, err
		}
		kind := "OV"
		switch {
		case isEV(ord.CertType):
			kind = "EV"
		case isDV(ord.CertType):
			kind = "DV"
		}
		addHistory(&ord.History, now, user, "Domains submitted for %s validation: %s", kind,
			strings.Join(sanList(c.CommonName, c.DNSNames), ", "))
		s.completeDCVLocked(o, now, user)
	case ActionUpdateAdditionalEmails:
		if req.AdditionalEmails == nil {
			return 0, fieldErrors{{Field: "additionalEmails", Code: VCodeRequired, Message: "additionalEmails is required"}}.err()
		}
		var fe fieldErrors
		for i, e := range req.AdditionalEmails {
			if !validEmail(e) {
				fe.add(fmt.Sprintf("additionalEmails[%d]", i), VCodeInvalidEmail, "%q is not a valid e-mail address", e)
			}
		}
		if err := fe.err(); err != nil {
			return 0, err
		}
		switch st {
		case StatusDigiCanceled, StatusDigiRevoked, StatusDigiRejected, StatusDigiFailed:
			return 0, invalidStatus(o, "updated", "")
		}
		ord.AdditionalEmails = slices.Clone(req.AdditionalEmails)
		ord.DateUpdated = At(now)
		addHistory(&ord.History, now, user, "Additional e-mails set to: %s", strings.Join(req.AdditionalEmails, ", "))
		return http.StatusOK, nil // not a status change: a forced status stays forced
	case ActionSendCertificateEmail:
		if st != StatusDigiIssued {
			return 0, invalidStatus(o, "e-mailed", "; only DIGI_ISSUED orders have a certificate")
		}
		var to []string
		for _, id := range ord.Contacts {
			if ct := s.contacts[id]; ct != nil && !ct.HasType(ContactTypeTechnical) {
				to = append(to, ct.Email)
			}
		}
		addHistory(&ord.History, now, user, "Certificate %s e-mailed to %s", c.SerialNumber, strings.Join(to, ", "))
		ord.DateUpdated = At(now)
		return http.StatusOK, nil // not a status change
	}
	o.Forced = false
	return http.StatusOK, nil
}

// completeDCVLocked records domain control validation of the current
// submission (validateDomains, ApproveDCV).
func (s *Server) completeDCVLocked(o *orderRec, now time.Time, user string) {
	if o.SubmittedAt.IsZero() {
		o.SubmittedAt = now
	}
	if o.DCVAt.IsZero() {
		o.DCVAt = now
		addHistory(&o.Order.History, now, user, "Domain control validation completed (%s)", o.Order.Cert.DcvMethod)
		o.Order.DateUpdated = At(now)
	}
}

// reissueLocked validates a reissue request and starts it: the cert shows
// the requested values at once (with the current certificate until the new
// one is issued); the current cert is kept for a cancel.
func (s *Server) reissueLocked(o *orderRec, req ActionRequest, now time.Time, user string) error {
	c := o.Order.Cert
	ac := req.Cert
	if ac == nil {
		ac = &ActionCert{}
	}
	var fe fieldErrors
	if ac.CommonName != "" && !strings.EqualFold(ac.CommonName, c.CommonName) {
		fe.add("cert.commonName", VCodeCNChange, "the common name cannot change on reissue (order has %q)", c.CommonName)
	}
	next := certFields{commonName: c.CommonName, csr: c.CSR, algorithm: ac.AlgorithmHash,
		platform: c.ServerPlatform, rootHash: c.RootHash, dnsNames: c.DNSNames}
	if ac.CSR != "" {
		next.csr = ac.CSR
	} else if next.algorithm == "" {
		next.algorithm = c.AlgorithmHash
	}
	if ac.DNSNames != nil {
		next.dnsNames = ac.DNSNames
	}
	if ac.ServerPlatform != "" {
		next.platform = ac.ServerPlatform
	}
	if ac.RootHash != "" {
		next.rootHash = ac.RootHash
	}
	info := s.checkCertFieldsLocked(&fe, next)
	if err := fe.err(); err != nil {
		return err
	}
	if next.algorithm == "" {
		next.algorithm = info.keyAlg
	}
	o.PrevCert, o.PrevIssuedAt = cloneCert(c), o.IssuedAt
	c.CSR = next.csr
	c.DNSNames = nonNil(slices.Clone(next.dnsNames))
	c.AlgorithmHash = next.algorithm
	c.ServerPlatform = next.platform
	c.RootHash = next.rootHash
	c.DateUpdated = At(now)
	o.DCVAt = time.Time{}
	setStatusLocked(o, StatusReissueRequestPending, now, user,
		"Reissue requested for: "+strings.Join(sanList(c.CommonName, c.DNSNames), ", "))
	return nil
}

// ---- Go API for tests and the sandbox ----

// ErrNotFound is returned by the Go API for an unknown order id.
var ErrNotFound = errors.New("mmsim: no such order")

func (s *Server) orderForAPILocked(orderID string) (*orderRec, time.Time, error) {
	o := s.orders[idKey(orderID)]
	if o == nil {
		return nil, time.Time{}, fmt.Errorf("%w: %s", ErrNotFound, orderID)
	}
	s.touchOrder(o) // the Go API changes what it looks up
	now := s.opt.Now()
	s.advanceOrderLocked(o, now)
	return o, now, nil
}

// ApproveDCV completes domain control validation of a pending order or
// reissue, as the customer publishing the DCV value would: with HoldPending
// the order is issued IssueDelay later. It also releases a status forced by
// SetStatus. It fails for an unknown order or one that is not pending.
func (s *Server) ApproveDCV(orderID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, now, err := s.orderForAPILocked(orderID)
	if err != nil {
		return err
	}
	switch o.Order.Status {
	case StatusDigiPending, StatusDigiReissuePending, StatusDigiNeedsApproval, StatusDigiProcessing:
	default:
		s.saveIf(true)
		return fmt.Errorf("mmsim: order %s is %s, not pending validation", orderID, o.Order.Status)
	}
	o.Forced = false
	s.completeDCVLocked(o, now, "")
	s.advanceOrderLocked(o, now)
	return s.saveLocked()
}

// SetStatus forces an order's status, for tests: the clock then leaves the
// order alone until an action or ApproveDCV (an issued certificate still
// expires). Forcing DIGI_ISSUED on an order that never had a certificate
// issues one now; forcing a reissue state keeps the current certificate for
// a cancel. status must be one of Statuses().
func (s *Server) SetStatus(orderID, status string) error {
	if !validStatus(status) {
		return fmt.Errorf("mmsim: unknown order status %q", status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, now, err := s.orderForAPILocked(orderID)
	if err != nil {
		return err
	}
	c := o.Order.Cert
	switch status {
	case StatusDigiIssued:
		o.Forced = false
		if c.EndEntityCert == "" {
			if o.Order.ProviderID == 0 || c.ProviderID == 0 {
				s.submitLocked(o, now, false)
			}
			s.issueLocked(o, now, false)
			return s.saveLocked()
		}
	case StatusDigiReissuePending, StatusReissueRequestPending, StatusReissuePending:
		if o.PrevCert == nil {
			o.PrevCert, o.PrevIssuedAt = cloneCert(c), o.IssuedAt
		}
	case StatusDigiRevoked:
		if c.RevokeStatus == "" {
			c.RevokeStatus = RevokeRevoked
		}
	}
	if status != StatusDigiIssued {
		o.Forced = true
		o.SubmittedAt, o.DCVAt = now, time.Time{}
	}
	setStatusLocked(o, status, now, "", "Status set to "+status+" (simulator)")
	return s.saveLocked()
}

// SeedIssuedOrder inserts an already issued order directly: req is
// validated as POST /order validates it (organization and contacts must
// exist), except that an empty Locale is "en" and an empty Provider
// DIGICERT, a convenience of this Go API only (the HTTP API refuses them
// missing); the certificate is issued now. It saves the state once per
// call; SeedIssuedOrders saves once for many. Reusing one CSR (which may have
// no CN) for many orders is fast: verified CSRs are cached.
func (s *Server) SeedIssuedOrder(req OrderRequest) (Order, error) {
	out, err := s.SeedIssuedOrders([]OrderRequest{req})
	if err != nil {
		return Order{}, err
	}
	return out[0], nil
}

// SeedIssuedOrders is SeedIssuedOrder for many requests, in order, saving
// the state once: the way to preload hundreds of orders into a simulator
// with a StatePath. On error, the orders before the failing one are kept.
func (s *Server) SeedIssuedOrders(reqs []OrderRequest) ([]Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opt.Now()
	out := make([]Order, 0, len(reqs))
	for i, req := range reqs {
		if req.Locale == "" {
			req.Locale = "en"
		}
		if req.Provider == "" {
			req.Provider = ProviderDigiCert
		}
		o, err := s.newOrderLocked(req, now, "")
		if err != nil {
			if i > 0 {
				_ = s.saveLocked()
			}
			return out, fmt.Errorf("mmsim: seed order %d: %w", i, err)
		}
		s.submitLocked(o, now, false)
		s.completeDCVLocked(o, now, "")
		s.issueLocked(o, now, false)
		if o.Order.Status != StatusDigiIssued {
			_ = s.saveLocked()
			return out, fmt.Errorf("mmsim: seed order %d: %s", i, o.Order.History[len(o.Order.History)-1].Text)
		}
		out = append(out, s.orderViewLocked(o, now, true))
	}
	if err := s.saveLocked(); err != nil {
		return out, fmt.Errorf("mmsim: %w", err)
	}
	return out, nil
}
