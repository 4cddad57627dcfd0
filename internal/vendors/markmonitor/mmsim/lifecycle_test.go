package mmsim

import (
	"crypto/ecdsa"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/pemutil"
)

func TestIssueDelay(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.IssueDelay = time.Hour })
	org := f.newOrg("Delay Inc.", false)
	o := f.newOrder(orderReq(org, userContact(t, org).ID, "www.example.com", ecCSR()))
	if o.Status != StatusCreated || o.Cert != nil || o.ProviderID != 0 {
		t.Fatalf("create answer: %s, cert %v, providerId %d", o.Status, o.Cert, o.ProviderID)
	}
	got := f.getOrder(o.ID)
	if got.Status != StatusDigiPending || got.Cert == nil || got.Cert.EndEntityCert != "" || got.ProviderID == 0 {
		t.Fatalf("first read: %s, cert %+v", got.Status, got.Cert)
	}
	if !got.Cert.DateValidFrom.IsZero() || got.Cert.DaysRemaining != nil {
		t.Errorf("pending cert has dates: %+v", got.Cert)
	}
	var token string
	for _, h := range got.History {
		if rest, ok := strings.CutPrefix(h.Text, DCVHistoryPrefix); ok {
			token, _, _ = strings.Cut(rest, " ")
			if h.UserName != "" || !strings.Contains(h.Text, "DNS_TXT_TOKEN") {
				t.Errorf("DCV line %+v", h)
			}
		}
	}
	if len(token) != 32 {
		t.Errorf("DCV random value %q", token)
	}
	f.clock.Advance(time.Hour - time.Second)
	if got = f.getOrder(o.ID); got.Status != StatusDigiPending {
		t.Errorf("1 s before IssueDelay: %s", got.Status)
	}
	f.clock.Advance(time.Second)
	if got = f.getOrder(o.ID); got.Status != StatusDigiIssued || got.Cert.EndEntityCert == "" {
		t.Errorf("at IssueDelay: %s", got.Status)
	}
	if !got.Cert.DateValidFrom.Equal(f.clock.Now()) {
		t.Errorf("validity starts %v, want the issue time %v", got.Cert.DateValidFrom, f.clock.Now())
	}

	// Transitions are dated when they became due, even when read later.
	o2 := f.newOrder(orderReq(org, userContact(t, org).ID, "www.example.com", ecCSR()))
	f.clock.Advance(5 * time.Hour)
	f.token = f.authenticate()
	got = f.getOrder(o2.ID)
	if want := o2.DateCreated.Add(time.Hour); !got.Cert.DateValidFrom.Equal(want) {
		t.Errorf("lazily issued cert valid from %v, want %v", got.Cert.DateValidFrom, want)
	}
	if last := got.History[len(got.History)-1]; !last.DateCreated.Equal(o2.DateCreated.Add(time.Hour)) {
		t.Errorf("issue line dated %v", last.DateCreated)
	}
}

func TestHoldPendingAndApproveDCV(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.HoldPending, o.IssueDelay = true, 10*time.Minute })
	org := f.newOrg("Hold Inc.", true)
	contact := userContact(t, org).ID
	o := f.newOrder(orderReq(org, contact, "www.example.com", ecCSR()))
	f.clock.Advance(24 * time.Hour)
	f.token = f.authenticate()
	if got := f.getOrder(o.ID); got.Status != StatusDigiPending {
		t.Fatalf("held order after a day: %s", got.Status)
	}
	if err := f.s.ApproveDCV(o.ID); err != nil {
		t.Fatal(err)
	}
	if got := f.getOrder(o.ID); got.Status != StatusDigiProcessing {
		t.Errorf("after ApproveDCV: %s, want DIGI_PROCESSING for IssueDelay", got.Status)
	}
	f.clock.Advance(10 * time.Minute)
	if got := f.getOrder(o.ID); got.Status != StatusDigiIssued {
		t.Errorf("IssueDelay after ApproveDCV: %s", got.Status)
	}
	if err := f.s.ApproveDCV(o.ID); err == nil {
		t.Error("ApproveDCV of an issued order succeeded")
	}
	if err := f.s.ApproveDCV(newUUID()); !errors.Is(err, ErrNotFound) {
		t.Errorf("ApproveDCV of an unknown order: %v", err)
	}

	// The validateDomains action does the same; EV orders wait for approval.
	req := orderReq(org, contact, "www.example.com", ecCSR())
	req.CertType = CertTypeEVBasic
	ev := f.newOrder(req)
	f.getOrder(ev.ID)
	f.publishDCV(ev.ID)
	got := f.action(ev.ID, ActionValidateDomains, "{}", http.StatusOK)
	if !historyHas(got, "Domains submitted for EV validation") {
		t.Errorf("validateDomains history %+v", got.History)
	}
	if got = f.getOrder(ev.ID); got.Status != StatusDigiNeedsApproval || !historyHas(got, "approval e-mail sent to the EV approver(s): ada@example.com") {
		t.Errorf("EV order after DCV: %s %+v", got.Status, got.History)
	}
	f.clock.Advance(10 * time.Minute)
	if got = f.getOrder(ev.ID); got.Status != StatusDigiIssued || !historyHas(got, "approved by the EV approver") {
		t.Errorf("EV order at issue time: %s", got.Status)
	}
}

func TestCertLag(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.CertLag = 30 * time.Second })
	org := f.newOrg("Lag Inc.", false)
	o := f.newOrder(orderReq(org, userContact(t, org).ID, "www.example.com", ecCSR()))
	got := f.getOrder(o.ID)
	if got.Status != StatusDigiIssued || got.Cert.EndEntityCert != "" || got.Cert.SerialNumber == "" {
		t.Fatalf("during CertLag: %s, endEntityCert %q", got.Status, got.Cert.EndEntityCert)
	}
	if e := f.fail(http.MethodGet, api+"/order/"+o.ID+"/downloadCert?format=pem_all", nil, http.StatusConflict); e.code() != CodeOrderCertNotReady {
		t.Errorf("download during CertLag: %+v", e)
	}
	f.clock.Advance(30 * time.Second)
	if got = f.getOrder(o.ID); got.Cert.EndEntityCert == "" {
		t.Error("endEntityCert still empty after CertLag")
	}
}

func TestExpiry(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Validity, o.TokenTTL = 48*time.Hour, 1000*time.Hour })
	_, o := f.issuedOrder("Expiry Inc.")
	if *o.Cert.DaysRemaining != 2 {
		t.Errorf("daysRemaining %d, want 2", *o.Cert.DaysRemaining)
	}
	f.clock.Advance(36 * time.Hour)
	if got := f.getOrder(o.ID); got.Status != StatusDigiIssued || *got.Cert.DaysRemaining != 0 {
		t.Errorf("12 h before expiry: %s, %d days", got.Status, *got.Cert.DaysRemaining)
	}
	f.clock.Advance(12 * time.Hour)
	if got := f.getOrder(o.ID); got.Status != StatusDigiIssued {
		t.Errorf("at dateValidUntil: %s (expires once the clock passes it)", got.Status)
	}
	f.clock.Advance(time.Second)
	got := f.getOrder(o.ID)
	if got.Status != StatusDigiExpired || !historyHas(got, "expired") {
		t.Errorf("after dateValidUntil: %s", got.Status)
	}
	f.action(o.ID, ActionReissue, "{}", http.StatusConflict)
}

func TestReissue(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.IssueDelay, o.TokenTTL = time.Hour, 1000*time.Hour })
	org := f.newOrg("Reissue Inc.", false)
	o := f.newOrder(orderReq(org, userContact(t, org).ID, "www.example.com", ecCSR(), "example.com"))
	f.clock.Advance(time.Hour)
	before := f.getOrder(o.ID)

	newCSR := makeCSR(ecKey2(), "www.example.com")
	body := ActionRequest{Cert: &ActionCert{CSR: newCSR, DNSNames: []string{"example.com", "shop.example.com"}}}
	got := f.action(o.ID, ActionReissue, body, http.StatusAccepted)
	if got.Status != StatusReissueRequestPending || got.Cert.CSR != newCSR || got.Cert.EndEntityCert != before.Cert.EndEntityCert {
		t.Errorf("reissue answer: %s; csr updated %v; old certificate kept %v", got.Status, got.Cert.CSR == newCSR, got.Cert.EndEntityCert == before.Cert.EndEntityCert)
	}
	if got = f.getOrder(o.ID); got.Status != StatusDigiReissuePending {
		t.Errorf("after the reissue request: %s", got.Status)
	}
	for _, a := range []string{ActionRevoke, ActionReissue} {
		if e := f.fail(http.MethodPatch, api+"/order/"+o.ID+"/"+a, "{}", http.StatusConflict); e.code() != CodeOrderInvalidStatus {
			t.Errorf("%s during a reissue: %+v", a, e)
		}
	}
	f.clock.Advance(time.Hour)
	after := f.getOrder(o.ID)
	if after.Status != StatusDigiIssued || after.ID != before.ID || after.ProviderID != before.ProviderID {
		t.Fatalf("reissued: %s, id %s/%s, providerId %d/%d", after.Status, after.ID, before.ID, after.ProviderID, before.ProviderID)
	}
	if after.Cert.SerialNumber == before.Cert.SerialNumber || after.Cert.ProviderID == before.Cert.ProviderID {
		t.Errorf("reissue kept serial %s or cert providerId %d", after.Cert.SerialNumber, after.Cert.ProviderID)
	}
	if !after.Cert.DateValidUntil.After(before.Cert.DateValidUntil.Time) {
		t.Errorf("reissued cert valid until %v, before %v", after.Cert.DateValidUntil, before.Cert.DateValidUntil)
	}
	leaf, _ := pemutil.Certificate([]byte(after.Cert.EndEntityCert))
	if !slices.Equal(leaf.DNSNames, []string{"www.example.com", "example.com", "shop.example.com"}) || !leaf.PublicKey.(*ecdsa.PublicKey).Equal(ecKey2().Public()) {
		t.Errorf("reissued leaf SANs %v / key", leaf.DNSNames)
	}

	// Validation as on create; the CN cannot change.
	for _, tc := range []struct {
		name  string
		body  ActionRequest
		field string
		code  string
	}{
		{"CN change", ActionRequest{Cert: &ActionCert{CommonName: "other.example.com"}}, "cert.commonName", VCodeCNChange},
		{"CSR for another CN", ActionRequest{Cert: &ActionCert{CSR: makeCSR(ecKey2(), "other.example.com")}}, "cert.csr", VCodeCNMismatch},
		{"bad dnsName", ActionRequest{Cert: &ActionCert{DNSNames: []string{"bad_name"}}}, "cert.dnsNames[0]", VCodeInvalidDomain},
		{"algorithm mismatch", ActionRequest{Cert: &ActionCert{AlgorithmHash: AlgorithmRSA}}, "cert.algorithmHash", VCodeAlgorithmMismatch},
		{"bad CSR", ActionRequest{Cert: &ActionCert{CSR: "nope"}}, "cert.csr", VCodeCSRInvalid},
	} {
		if e := f.fail(http.MethodPatch, api+"/order/"+o.ID+"/reissue", tc.body, http.StatusBadRequest); !e.hasField(tc.field, tc.code) {
			t.Errorf("reissue %s: %+v", tc.name, e)
		}
	}

	// A canceled reissue returns to the certificate it would have replaced.
	f.action(o.ID, ActionReissue, ActionRequest{Cert: &ActionCert{DNSNames: []string{}}}, http.StatusAccepted)
	f.getOrder(o.ID)
	canceled := f.action(o.ID, ActionCancel, "{}", http.StatusOK)
	if canceled.Status != StatusDigiIssued || canceled.Cert.SerialNumber != after.Cert.SerialNumber ||
		!slices.Equal(canceled.Cert.DNSNames, after.Cert.DNSNames) || canceled.Cert.CSR != newCSR {
		t.Errorf("after canceling the reissue: %s, serial %s, dnsNames %v", canceled.Status, canceled.Cert.SerialNumber, canceled.Cert.DNSNames)
	}
	f.clock.Advance(2 * time.Hour)
	if got := f.getOrder(o.ID); got.Cert.SerialNumber != after.Cert.SerialNumber {
		t.Error("a canceled reissue was issued anyway")
	}
}

func TestRevoke(t *testing.T) {
	f := newFixture(t)
	_, o := f.issuedOrder("Revoke Inc.")
	got := f.action(o.ID, ActionRevoke, "{}", http.StatusOK)
	if got.Status != StatusDigiRevoked || got.Cert.RevokeStatus != RevokePending {
		t.Errorf("revoke answer: %s, revokeStatus %q", got.Status, got.Cert.RevokeStatus)
	}
	if got = f.getOrder(o.ID); got.Cert.RevokeStatus != RevokeRevoked || !historyHas(got, "Revocation of certificate") {
		t.Errorf("after revoke: revokeStatus %q", got.Cert.RevokeStatus)
	}
	for _, a := range []string{ActionRevoke, ActionCancel, ActionReissue, ActionUpdateAdditionalEmails} {
		f.fail(http.MethodPatch, api+"/order/"+o.ID+"/"+a, `{"additionalEmails":[]}`, http.StatusConflict)
	}
}

// TestActionStatusRules tries every action in every status a test can put
// an order in, against the API guide's rules.
func TestActionStatusRules(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.HoldPending = true })
	org := f.newOrg("Rules Inc.", true)
	contact := userContact(t, org).ID
	// allowed[action] lists the statuses the action is allowed in.
	allowed := map[string][]string{
		ActionCancel:                 {StatusCreated, StatusDigiPending, StatusDigiWaitingPickup, StatusDigiNeedsApproval, StatusDigiReissuePending},
		ActionRevoke:                 {StatusDigiIssued},
		ActionReissue:                {StatusDigiIssued},
		ActionSendDcvEmail:           {StatusDigiPending, StatusDigiReissuePending},
		ActionValidateDomains:        {StatusDigiPending, StatusDigiReissuePending},
		ActionSendCertificateEmail:   {StatusDigiIssued},
		ActionUpdateAdditionalEmails: {StatusCreated, StatusDigiPending, StatusDigiProcessing, StatusDigiNeedsApproval, StatusDigiWaitingPickup, StatusDigiIssued, StatusDigiReissuePending, StatusDigiExpired, StatusDigiReissueFailed, StatusDigiNeedsCSR},
	}
	statuses := []string{StatusCreated, StatusDigiPending, StatusDigiProcessing, StatusDigiNeedsApproval, StatusDigiWaitingPickup,
		StatusDigiIssued, StatusDigiReissuePending, StatusDigiRevoked, StatusDigiCanceled, StatusDigiRejected,
		StatusDigiExpired, StatusDigiFailed, StatusDigiReissueFailed, StatusDigiNeedsCSR}
	actions := []string{ActionCancel, ActionRevoke, ActionReissue, ActionSendDcvEmail, ActionValidateDomains, ActionSendCertificateEmail, ActionUpdateAdditionalEmails}
	body := `{"additionalEmails":["ops@example.com"]}`
	for _, action := range actions {
		for _, st := range statuses {
			t.Run(action+"/"+st, func(t *testing.T) {
				o := f.newOrder(orderReq(org, contact, "www.example.com", ecCSR()))
				if err := f.s.SetStatus(o.ID, StatusDigiIssued); err != nil {
					t.Fatal(err)
				}
				if st != StatusDigiIssued {
					if err := f.s.SetStatus(o.ID, st); err != nil {
						t.Fatal(err)
					}
				}
				f.publishDCV(o.ID)
				resp, data := f.request(http.MethodPatch, api+"/order/"+o.ID+"/"+action, body)
				want := http.StatusConflict
				if slices.Contains(allowed[action], st) {
					want = http.StatusOK
					if action == ActionReissue {
						want = http.StatusAccepted
					}
				}
				if resp.StatusCode != want {
					t.Fatalf("%s in %s: %d, want %d: %s", action, st, resp.StatusCode, want, data)
				}
				if want == http.StatusConflict && !strings.Contains(string(data), CodeOrderInvalidStatus) {
					t.Errorf("refusal body %s", data)
				}
			})
		}
	}
}

func TestActionBodies(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.IssueDelay = time.Hour })
	org := f.newOrg("Body Inc.", false)
	o := f.newOrder(orderReq(org, userContact(t, org).ID, "www.example.com", ecCSR()))
	for _, body := range []any{nil, "", "  ", "cancel", "[1"} {
		e := f.fail(http.MethodPatch, api+"/order/"+o.ID+"/cancel", body, http.StatusBadRequest, "Content-Type", "application/json")
		if e.code() != CodeOrderGetError || e.Errors[0].Message != "Error retrieving order information" {
			t.Errorf("body %q: %+v", body, e)
		}
	}
	if e := f.fail(http.MethodPatch, api+"/order/"+o.ID+"/renew", "{}", http.StatusBadRequest); e.code() != CodeOrderInvalidAction {
		t.Errorf("unknown action: %+v", e)
	}
	if e := f.fail(http.MethodPatch, api+"/order/"+newUUID()+"/cancel", "{}", http.StatusNotFound); e.code() != CodeOrderNotFound {
		t.Errorf("unknown order: %+v", e)
	}
	if e := f.fail(http.MethodPatch, api+"/order/x/cancel", "{}", http.StatusBadRequest); e.code() != CodeInvalidID {
		t.Errorf("bad id: %+v", e)
	}
	if e := f.fail(http.MethodGet, api+"/order/"+o.ID+"/cancel", nil, http.StatusMethodNotAllowed); e.code() != CodeMethodNotAllowed {
		t.Errorf("GET action: %+v", e)
	}

	// The list is mandatory (API guide §7.4.8.6): left out or null is refused;
	// an empty list is a list, and clears them (below).
	for _, body := range []string{"{}", `{"additionalEmails":null}`} {
		if e := f.fail(http.MethodPatch, api+"/order/"+o.ID+"/updateAdditionalEmails", body, http.StatusBadRequest); !e.hasField("additionalEmails", VCodeRequired) {
			t.Errorf("updateAdditionalEmails with %s: %+v", body, e)
		}
	}
	if e := f.fail(http.MethodPatch, api+"/order/"+o.ID+"/updateAdditionalEmails", `{"additionalEmails":["x"]}`, http.StatusBadRequest); !e.hasField("additionalEmails[0]", VCodeInvalidEmail) {
		t.Errorf("bad e-mail: %+v", e)
	}
	got := f.action(o.ID, ActionUpdateAdditionalEmails, `{"additionalEmails":["a@example.com","b@example.com"]}`, http.StatusOK)
	if !slices.Equal(got.AdditionalEmails, []string{"a@example.com", "b@example.com"}) {
		t.Errorf("additionalEmails %v", got.AdditionalEmails)
	}
	got = f.action(o.ID, ActionUpdateAdditionalEmails, `{"additionalEmails":[]}`, http.StatusOK)
	if len(got.AdditionalEmails) != 0 {
		t.Errorf("additionalEmails not cleared: %v", got.AdditionalEmails)
	}
	got = f.action(o.ID, ActionSendDcvEmail, "{}", http.StatusOK)
	if !historyHas(got, "DCV e-mail re-sent") || got.History[len(got.History)-1].UserName != testUser {
		t.Errorf("sendDcvEmail history %+v", got.History)
	}
	got = f.action(o.ID, ActionCancel, "{}", http.StatusOK)
	if got.Status != StatusDigiCanceled {
		t.Errorf("cancel: %s", got.Status)
	}
	// The order history endpoint shows the same lines, paged.
	var p PagedList[History]
	f.call(http.MethodGet, api+"/order/"+o.ID+"/history?size=2", nil, http.StatusOK, &p)
	if p.Page.TotalElements != len(got.History) || len(p.Content) != 2 {
		t.Errorf("order history page %+v", p.Page)
	}
	var one History
	f.call(http.MethodGet, api+"/order/"+o.ID+"/history/"+got.History[0].ID, nil, http.StatusOK, &one)
	if one.Text != got.History[0].Text {
		t.Errorf("single order history %+v", one)
	}
}

func TestSetStatus(t *testing.T) {
	f := newFixture(t)
	org := f.newOrg("Force Inc.", false)
	o := f.newOrder(orderReq(org, userContact(t, org).ID, "www.example.com", ecCSR()))
	if err := f.s.SetStatus(o.ID, "ISSUED"); err == nil {
		t.Error("SetStatus accepted an unknown status")
	}
	// Forced statuses stay put though the clock would move them on.
	if err := f.s.SetStatus(o.ID, StatusDigiPending); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour)
	f.token = f.authenticate()
	if got := f.getOrder(o.ID); got.Status != StatusDigiPending {
		t.Errorf("forced DIGI_PENDING: %s", got.Status)
	}
	// ApproveDCV releases it.
	if err := f.s.ApproveDCV(o.ID); err != nil {
		t.Fatal(err)
	}
	if got := f.getOrder(o.ID); got.Status != StatusDigiIssued {
		t.Errorf("after ApproveDCV: %s", got.Status)
	}
}
