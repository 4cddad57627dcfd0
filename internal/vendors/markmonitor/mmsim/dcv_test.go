package mmsim

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// historyRecords returns the DCV records an order's history shows.
func historyRecords(o Order) []DCVRecord {
	var out []DCVRecord
	for _, h := range o.History {
		if r, ok := ParseDCVRecordLine(h.Text); ok {
			out = append(out, r)
		}
	}
	return out
}

func TestDCVRecordsInHistoryAndValidateDomains(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.HoldPending = true })
	org := f.newOrg("DCV Inc.", false)
	contact := userContact(t, org).ID
	for _, tc := range []struct {
		method, code string
		want         func(token string) []DCVRecord
	}{
		{DcvMethodDNSTXT, CodeInvalidDNSTXT, func(tok string) []DCVRecord {
			return []DCVRecord{{"TXT", "www.example.com", tok}, {"TXT", "example.com", tok}}
		}},
		{DcvMethodDNSCNAME, CodeInvalidDNSCNAME, func(tok string) []DCVRecord {
			return []DCVRecord{{"CNAME", tok + ".www.example.com", "dcv.digicert.com"}, {"CNAME", tok + ".example.com", "dcv.digicert.com"}}
		}},
		{DcvMethodHTTP, CodeFileValueNotFound, func(tok string) []DCVRecord {
			return []DCVRecord{
				{"HTTP", "http://www.example.com/.well-known/pki-validation/fileauth.txt", tok},
				{"HTTP", "http://example.com/.well-known/pki-validation/fileauth.txt", tok},
			}
		}},
	} {
		t.Run(tc.method, func(t *testing.T) {
			req := orderReq(org, contact, "www.example.com", ecCSR(), "*.example.com", "example.com")
			req.Cert.DcvMethod = tc.method
			o := f.newOrder(req)
			pending := f.getOrder(o.ID)
			if pending.Status != StatusDigiPending {
				t.Fatalf("status %s", pending.Status)
			}
			recs := historyRecords(pending)
			api, err := f.s.DCVRecords(o.ID)
			if err != nil || len(recs) != 2 || !slices.Equal(recs, api) {
				t.Fatalf("history records %v, DCVRecords %v %v", recs, api, err)
			}
			token := recs[0].Value
			if tc.method == DcvMethodDNSCNAME {
				token, _, _ = strings.Cut(recs[0].Name, ".")
			}
			if want := tc.want(token); len(token) != 32 || !slices.Equal(recs, want) {
				t.Fatalf("records %v, want %v", recs, want)
			}

			// Nothing published, then only one of the two: refused with
			// DigiCert's error, and nothing changes.
			refuse := func(what string) {
				t.Helper()
				e := f.fail(http.MethodPatch, api0(o.ID, ActionValidateDomains), "{}", http.StatusBadRequest)
				if e.code() != tc.code {
					t.Errorf("%s: %+v, want %s", what, e, tc.code)
				}
				if got := f.getOrder(o.ID); got.Status != StatusDigiPending || len(got.History) != len(pending.History) {
					t.Errorf("%s changed the order: %s, %d history lines", what, got.Status, len(got.History))
				}
			}
			refuse("nothing published")
			if err := f.s.PublishDCV(recs[0]); err != nil {
				t.Fatal(err)
			}
			refuse("one of two published")
			wrong := recs[1]
			wrong.Value = "0000"
			_ = f.s.PublishDCV(wrong)
			refuse("a wrong value published")

			second := recs[1]
			if second.Type == DCVRecordTXT {
				second.Name = "_dnsauth." + strings.ToUpper(second.Name) + "." // DigiCert's alternative name; DNS is case-insensitive
			}
			if err := f.s.PublishDCV(second); err != nil {
				t.Fatal(err)
			}
			got := f.action(o.ID, ActionValidateDomains, "{}", http.StatusOK)
			if !historyHas(got, "Domain control validation completed") {
				t.Errorf("history after validateDomains %+v", got.History)
			}
			if got = f.getOrder(o.ID); got.Status != StatusDigiIssued || got.Cert.EndEntityCert == "" {
				t.Errorf("after validateDomains with the records published: %s", got.Status)
			}
		})
	}

	// A reissue gets a new random value: the old records do not validate it.
	req := orderReq(org, contact, "www.example.com", ecCSR())
	o := f.newOrder(req)
	f.getOrder(o.ID)
	old := f.publishDCV(o.ID)
	f.action(o.ID, ActionValidateDomains, "{}", http.StatusOK)
	f.action(o.ID, ActionReissue, `{"cert":{"dnsNames":["example.com"]}}`, http.StatusAccepted)
	if got := f.getOrder(o.ID); got.Status != StatusDigiReissuePending {
		t.Fatalf("reissue: %s", got.Status)
	}
	fresh, _ := f.s.DCVRecords(o.ID)
	if len(fresh) != 2 || fresh[0].Value == old[0].Value {
		t.Fatalf("reissue records %v (old %v)", fresh, old)
	}
	if e := f.fail(http.MethodPatch, api0(o.ID, ActionValidateDomains), "{}", http.StatusBadRequest); e.code() != CodeInvalidDNSTXT {
		t.Errorf("reissue validated by the old records: %+v", e)
	}
	f.publishDCV(o.ID)
	f.action(o.ID, ActionValidateDomains, "{}", http.StatusOK)
	if got := f.getOrder(o.ID); got.Status != StatusDigiIssued || !slices.Equal(got.Cert.DNSNames, []string{"example.com"}) {
		t.Errorf("reissue after publishing: %s %v", got.Status, got.Cert.DNSNames)
	}

	// EMAIL orders have no records; unpublishing works; bad records refused.
	req.Cert.DcvMethod = DcvMethodEmail
	em := f.newOrder(req)
	f.getOrder(em.ID)
	if recs, err := f.s.DCVRecords(em.ID); err != nil || recs != nil {
		t.Errorf("EMAIL records %v %v", recs, err)
	}
	for _, r := range []DCVRecord{{Type: "A", Name: "x", Value: "y"}, {Type: "TXT", Name: "", Value: "y"}} {
		if err := f.s.PublishDCV(r); !errors.Is(err, ErrBadRecord) {
			t.Errorf("PublishDCV(%v): %v", r, err)
		}
	}
	if _, err := f.s.DCVRecords(newUUID()); !errors.Is(err, ErrNotFound) {
		t.Errorf("DCVRecords of an unknown order: %v", err)
	}
	o2 := f.newOrder(orderReq(org, contact, "www.example.com", ecCSR()))
	f.getOrder(o2.ID)
	for _, r := range f.publishDCV(o2.ID) {
		f.s.UnpublishDCV(r)
	}
	f.fail(http.MethodPatch, api0(o2.ID, ActionValidateDomains), "{}", http.StatusBadRequest)
}

func api0(orderID, action string) string { return api + "/order/" + orderID + "/" + action }
