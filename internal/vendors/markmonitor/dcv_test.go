package markmonitor

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/sim"
	"github.com/certsync/certsync/internal/state"
	"github.com/certsync/certsync/internal/vendors/markmonitor/mmsim"
)

// vendorWith builds a vendor that keeps its state in st (shared by the
// vendors of one test, as runs share the state directory).
func (h *harness) vendorWith(st *state.Store) *Vendor {
	h.t.Helper()
	v, err := New(Config{URL: h.srv.URL + "/certs/v1", AuthURL: h.srv.URL + "/auth/v1", APIKey: testKey, Username: testUser, Password: testPass, Currency: "USD"},
		Deps{HTTP: h.hc, Log: slog.New(slog.DiscardHandler), Clock: h.clock, State: st})
	if err != nil {
		h.t.Fatal(err)
	}
	return v
}

func (h *harness) state() *state.Store {
	h.t.Helper()
	st, err := state.Open(filepath.Join(h.dir, "state"), Name)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = st.Close() })
	return st
}

func simRecords(t *testing.T, h *harness, orderID string) []diff.Record {
	t.Helper()
	recs, err := h.sim.DCVRecords(orderID)
	if err != nil {
		t.Fatal(err)
	}
	var out []diff.Record
	for _, r := range recs {
		out = append(out, diff.Record{Type: r.Type, Name: r.Name, Value: r.Value})
	}
	return out
}

// The issue's "done when": a pending order's plan shows its DCV records (text
// and JSON); a test publishes them; validate issues the order; the next plan
// is clean.
func TestPendingOrderRecordsThenValidate(t *testing.T) {
	h := newHarness(t, mmsim.Options{HoldPending: true})
	st := h.state()
	inv := h.inventory(orderYAML("www", ""))
	mustOK(t, run(t, h.vendorWith(st), plan(t, h.vendorWith(st), inv)))
	id := h.sim.Orders()[0].ID
	want := simRecords(t, h, id)
	if len(want) != 2 {
		t.Fatalf("simulator records %v", want)
	}

	h.sim.Faults().ResetCounts()
	p := plan(t, h.vendorWith(st), inv)
	if !p.Empty() || len(p.Info) != 1 {
		t.Fatalf("pending plan: %s\n%s", p.Summary(), textOf(p))
	}
	if n := h.sim.Faults().Count("GET /certs/v1/order/" + id + "/history"); n != 1 {
		t.Errorf("history read %d times, want once", n)
	}
	if d := cmp.Diff(want, p.Info[0].Records); d != "" {
		t.Errorf("plan records (-sim +plan):\n%s", d)
	}
	text := textOf(p)
	for _, s := range []string{"DIGI_PENDING", "DNS_TXT_TOKEN", "publish: TXT www.example.com " + want[0].Value, "organization validation: OV", "set validate: true"} {
		if !strings.Contains(text, s) {
			t.Errorf("text plan lacks %q:\n%s", s, text)
		}
	}
	var js bytes.Buffer
	if err := diff.JSON(&js, p); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Info []struct {
			Records []diff.Record `json:"records"`
		} `json:"info"`
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil || len(doc.Info) != 1 || !cmp.Equal(doc.Info[0].Records, want) {
		t.Errorf("JSON info records %+v (%v), want %v", doc.Info, err, want)
	}

	// Asked to validate before the records are published: planned, fails
	// with the CA's answer, changes nothing, and is planned again.
	validating := h.inventory(orderYAML("www", "      validate: true\n"))
	p = plan(t, h.vendorWith(st), validating)
	if got := actions(p)["markmonitor/order/www"]; got != Validate {
		t.Fatalf("action %q, want validate:\n%s", got, textOf(p))
	}
	if spec := p.SpecOf(p.Changes[0].Address, Validate); spec.Paid || spec.Destructive {
		t.Errorf("validate is declared %+v", spec)
	}
	rep := run(t, h.vendorWith(st), p)
	if len(rep.Results) != 1 || !strings.Contains(rep.Results[0].Error, "invalid_dns_txt") {
		t.Fatalf("validate without records: %+v", rep.Results)
	}
	if p = plan(t, h.vendorWith(st), validating); actions(p)["markmonitor/order/www"] != Validate {
		t.Fatalf("a failed validate is not planned again:\n%s", textOf(p))
	}

	// Published: validate issues the order and writes the certificate.
	for _, r := range want {
		if err := h.sim.PublishDCV(mmsim.DCVRecord{Type: r.Type, Name: r.Name, Value: r.Value}); err != nil {
			t.Fatal(err)
		}
	}
	mustOK(t, run(t, h.vendorWith(st), p))
	if st := h.sim.Orders()[0].Status; st != "DIGI_ISSUED" {
		t.Fatalf("status %s after validate", st)
	}
	if _, err := os.Stat(filepath.Join(h.dir, "out/www.crt")); err != nil {
		t.Errorf("certificate not written: %v", err)
	}
	if p = plan(t, h.vendorWith(st), validating); !p.Empty() || len(p.Info) != 0 {
		t.Fatalf("plan after validate is not clean:\n%s", textOf(p))
	}
}

// A validate that succeeded is not planned again for the same submission
// while the CA works; a reissue (new records) may be validated again.
func TestValidateIsNotRepeated(t *testing.T) {
	h := newHarness(t, mmsim.Options{HoldPending: true, IssueDelay: time.Hour})
	st := h.state()
	inv := h.inventory(orderYAML("www", "      validate: true\n"))
	mustOK(t, run(t, h.vendorWith(st), plan(t, h.vendorWith(st), inv)))
	id := h.sim.Orders()[0].ID
	for _, r := range simRecords(t, h, id) {
		_ = h.sim.PublishDCV(mmsim.DCVRecord{Type: r.Type, Name: r.Name, Value: r.Value})
	}
	h.clock.Advance(2 * time.Hour) // the order reaches DigiCert
	p := plan(t, h.vendorWith(st), inv)
	if actions(p)["markmonitor/order/www"] != Validate {
		t.Fatalf("want validate:\n%s", textOf(p))
	}
	mustOK(t, run(t, h.vendorWith(st), p))
	// The live CA may keep the order DIGI_PENDING after the check (its
	// organization validation, say); the simulator moves on, so hold it.
	if err := h.sim.SetStatus(id, "DIGI_PENDING"); err != nil {
		t.Fatal(err)
	}
	p = plan(t, h.vendorWith(st), inv)
	if !p.Empty() || len(p.Info) != 1 || !strings.Contains(p.Info[0].Message, "validation was requested at") {
		t.Fatalf("validate planned again for the same submission:\n%s", textOf(p))
	}
	// Another vendor without the state (no state directory) asks again.
	if p := plan(t, h.vendor(), inv); actions(p)["markmonitor/order/www"] != Validate {
		t.Errorf("without the state, validate is not planned:\n%s", textOf(p))
	}
	if err := h.sim.SetStatus(id, "DIGI_ISSUED"); err != nil {
		t.Fatal(err)
	}
	mustOK(t, run(t, h.vendorWith(st), plan(t, h.vendorWith(st), inv))) // download
	if p := plan(t, h.vendorWith(st), inv); !p.Empty() {
		t.Fatalf("not clean once issued:\n%s", textOf(p))
	}
}

func TestEmailDCVHasNoRecords(t *testing.T) {
	h := newHarness(t, mmsim.Options{HoldPending: true})
	item := strings.Replace(orderYAML("www", ""), "dcv_method: DNS_TXT_TOKEN", "dcv_method: EMAIL", 1)
	inv := h.inventory(item)
	v := h.vendor()
	mustOK(t, run(t, v, plan(t, v, inv)))
	h.sim.Faults().ResetCounts()
	p := plan(t, h.vendor(), inv)
	if len(p.Info) != 1 || p.Info[0].Records != nil || !strings.Contains(p.Info[0].Message, "by EMAIL: approve the e-mail") {
		t.Fatalf("email plan:\n%s", textOf(p))
	}
	if n := h.sim.Faults().Count("GET /certs/v1/order/" + h.sim.Orders()[0].ID + "/history"); n != 0 {
		t.Errorf("an EMAIL validation read the history %d times", n)
	}
}

func TestDCVRecordsFromHistory(t *testing.T) {
	const tok, tok2 = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"
	order := func(method string) *Order {
		return &Order{ID: "o", Status: StatusPending, Cert: &Cert{CommonName: "*.example.com", DNSNames: []string{"example.com", "WWW.example.org"}, DCVMethod: method}}
	}
	lines := func(texts ...string) []History {
		var out []History
		for i, t := range texts {
			out = append(out, History{DateCreated: time.Unix(int64(i), 0), Text: t})
		}
		return out
	}
	for _, tc := range []struct {
		name, method string
		hist         []History
		want         []diff.Record
	}{
		{"record lines", "DNS_TXT_TOKEN", lines("Order created", "DCV record: TXT example.com "+tok, "DCV record: txt www.example.org. "+tok),
			[]diff.Record{rec("TXT", "example.com", tok), rec("TXT", "www.example.org", tok)}},
		{"the last group wins", "DNS_TXT_TOKEN", lines("DCV record: TXT example.com "+tok, "Reissue submitted", "DCV record: TXT example.com "+tok2),
			[]diff.Record{rec("TXT", "example.com", tok2)}},
		{"TXT from the random value", "DNS_TXT_TOKEN", lines("DCV random value: " + tok + " (DNS_TXT_TOKEN): publish it"),
			[]diff.Record{rec("TXT", "example.com", tok), rec("TXT", "www.example.org", tok)}},
		{"CNAME from a token", "DNS_CNAME_TOKEN", lines("token=" + tok),
			[]diff.Record{rec("CNAME", tok+".example.com", "dcv.digicert.com"), rec("CNAME", tok+".www.example.org", "dcv.digicert.com")}},
		{"HTTP", "HTTP_TOKEN", lines("random value: " + tok),
			[]diff.Record{rec("HTTP", "http://example.com/.well-known/pki-validation/fileauth.txt", tok), rec("HTTP", "http://www.example.org/.well-known/pki-validation/fileauth.txt", tok)}},
		{"a newer value replaces older records", "DNS_TXT_TOKEN", lines("DCV record: TXT example.com "+tok, "DCV random value: "+tok2),
			[]diff.Record{rec("TXT", "example.com", tok2), rec("TXT", "www.example.org", tok2)}},
		{"nothing usable", "DNS_TXT_TOKEN", lines("Order created", "DCV record: TXT broken"), nil},
		{"short values are not tokens", "DNS_TXT_TOKEN", lines("token: abc"), nil},
		{"EMAIL", "EMAIL", lines("random value: " + tok), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, how := dcvRecords(order(tc.method), tc.hist)
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			if (how == "") != (tc.want == nil) {
				t.Errorf("how = %q", how)
			}
		})
	}
}

// A history that cannot be read costs the item its records, not the plan.
func TestHistoryFailureKeepsThePlan(t *testing.T) {
	h := newHarness(t, mmsim.Options{HoldPending: true})
	inv := h.inventory(orderYAML("www", ""))
	v := h.vendor()
	mustOK(t, run(t, v, plan(t, v, inv)))
	h.sim.Faults().Add(sim.Fault{Method: http.MethodGet, Path: "/certs/v1/order/" + h.sim.Orders()[0].ID + "/history", Status: http.StatusNotFound,
		Body: `{"errors":[{"code":"order.notFound","message":"gone"}]}`})
	p := plan(t, h.vendor(), inv)
	if len(p.Info) != 1 || !strings.Contains(p.Info[0].Message, "history could not be read") {
		t.Fatalf("plan:\n%s", textOf(p))
	}
}

func rec(typ, name, value string) diff.Record {
	return diff.Record{Type: typ, Name: name, Value: value}
}
