package markmonitor

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/diff"
)

// Renewals of certificates issued together are spread over a quarter of the
// window, deterministically: no 6-hour cron slot gets a large share.
func TestRenewalSpread(t *testing.T) {
	until := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	window := 30 * 24 * time.Hour
	slots := map[int64]int{}
	for i := 0; i < 500; i++ {
		name := fmt.Sprintf("site-%03d", i)
		at := renewAt(name, window, until)
		if at.After(until.Add(-window)) || at.Before(until.Add(-window-window/4)) {
			t.Fatalf("%s renews at %s, outside [%s, %s]", name, at, until.Add(-window-window/4), until.Add(-window))
		}
		if again := renewAt(name, window, until); !again.Equal(at) {
			t.Fatal("renewal time is not deterministic")
		}
		slots[at.Unix()/(6*3600)]++
	}
	for slot, n := range slots {
		if n > 40 {
			t.Errorf("slot %d holds %d of 500 renewals", slot, n)
		}
	}
	if len(slots) < 25 {
		t.Errorf("renewals fall in only %d six-hour slots", len(slots))
	}
}

func TestRenewalWindow(t *testing.T) {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	for _, tc := range []struct {
		life, renewBefore, want time.Duration
	}{
		{397 * day, 0, 90 * day}, // a third is 132 days: capped at 90
		{180 * day, 0, 60 * day},
		{47 * day, 0, 30 * day}, // short lifetimes still get 30 days
		{397 * day, 14 * day, 14 * day},
	} {
		if got := renewalWindow(tc.renewBefore, from, from.Add(tc.life)); got != tc.want {
			t.Errorf("life %s renew_before %s: window %s, want %s", tc.life, tc.renewBefore, got, tc.want)
		}
	}
}

func TestMarkerRoundTrip(t *testing.T) {
	m := marker{name: "www", spec: specHash("Org", "SSL_OV_BASIC", "WWW.example.com", []string{"b.example.com", "a.example.com", "www.example.com"}), prev: shortID("0123456789abcdef")}
	got, ok := parseMarker("Requested by ops. " + m.String())
	if !ok || got != m {
		t.Fatalf("parseMarker = %+v %v, want %+v", got, ok, m)
	}
	if specHash("Org", "SSL_OV_BASIC", "www.example.com", []string{"a.example.com", "B.example.com"}) != m.spec {
		t.Error("spec hash depends on case, order or the CN among the SANs")
	}
	if _, ok := parseMarker("no marker here"); ok {
		t.Error("found a marker in plain text")
	}
}

// decideFixture builds orders and wants for the rule tables.
type decideFixture struct {
	t   *testing.T
	key *ecdsa.PrivateKey
	now time.Time
}

func newDecideFixture(t *testing.T) *decideFixture {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &decideFixture{t: t, key: k, now: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}
}

// want is an item whose key exists and matches f.key.
func (f *decideFixture) want() orderWant {
	return orderWant{
		Name: "www", Org: "Example Inc.", CertType: "SSL_OV_BASIC", CN: "www.example.com",
		SANs: []string{"alt.example.com"}, Key: keyID(f.key.Public()), KeyFile: "/k/www.key", State: "present",
		OutCert: "/o/www.crt",
	}
}

// order is an order of the item; issued (with a certificate for key, valid
// from..until) when status holds a certificate.
func (f *decideFixture) order(id, status string, created time.Time, key crypto.Signer, from, until time.Time, sans ...string) *Order {
	f.t.Helper()
	o := &Order{ID: id, Status: status, CertType: "SSL_OV_BASIC", DateCreated: created, OrganizationID: "org-1",
		Comments: marker{name: "www", spec: specHash("Example Inc.", "SSL_OV_BASIC", "www.example.com", []string{"alt.example.com"}), prev: "-"}.String()}
	if key == nil {
		return o
	}
	if sans == nil {
		sans = []string{"alt.example.com"}
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(created.Unix()), Subject: pkix.Name{CommonName: "www.example.com"},
		DNSNames: append([]string{"www.example.com"}, sans...), NotBefore: from, NotAfter: until}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), f.key)
	if err != nil {
		f.t.Fatal(err)
	}
	o.Cert = &Cert{CommonName: "www.example.com", DNSNames: sans, DateValidFrom: &from, DateValidUntil: &until,
		EndEntityCert: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))}
	return o
}

func (f *decideFixture) history(orders ...*Order) orderHistory {
	h := orderHistory{Orders: orders, OrgOf: map[string]string{}}
	for _, o := range orders {
		h.OrgOf[o.ID] = "Example Inc."
	}
	return h
}

// files is the output directory holding exactly what o issued.
func filesOf(w orderWant, o *Order) outputFiles {
	leaf, _ := bundle(o)
	return outputFiles{w.OutCert: []byte(leaf)}
}

// Every rule of "How orders are planned" (README), one row each, plus the
// rules for state cancelled / revoked and a missing key.
func TestDecide(t *testing.T) {
	f := newDecideFixture(t)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	day := 24 * time.Hour
	from, until := f.now.Add(-100*day), f.now.Add(200*day) // mid-life: no renewal due
	old := f.now.Add(-100 * day)
	issued := func() *Order { return f.order("o1", StatusIssued, old, f.key, from, until) }
	type row struct {
		name      string
		want      func(orderWant) orderWant
		hist      func() orderHistory
		files     func(orderWant, orderHistory) outputFiles // default: the current order's files
		action    diff.Action
		on        string // id of the order the change acts on
		info      string // a substring of Info
		attention string // a substring of Attention
	}
	same := func(w orderWant) orderWant { return w }
	rows := []row{
		{name: "rule 1: no order yet -> create", hist: func() orderHistory { return f.history() }, action: diff.Create},
		{name: "rule 2: newest order pending -> nothing, status shown",
			hist: func() orderHistory { return f.history(f.order("o1", StatusPending, old, nil, from, until)) }, info: "DIGI_PENDING"},
		{name: "rule 2: renewal pending while the old certificate is due -> nothing new", hist: func() orderHistory {
			return f.history(f.order("o2", StatusPending, f.now, nil, from, until), f.order("o1", StatusIssued, old, f.key, from.Add(-300*day), f.now.Add(day)))
		}, info: "DIGI_PENDING"},
		{name: "rule 3: expired -> renew", hist: func() orderHistory {
			return f.history(f.order("o1", StatusExpired, old, nil, from, until))
		}, action: Renew, on: "o1"},
		{name: "rule 3: cancelled -> create", hist: func() orderHistory {
			return f.history(f.order("o1", StatusCanceled, old, nil, from, until))
		}, action: diff.Create, on: "o1"},
		{name: "rule 3: revoked -> create", hist: func() orderHistory {
			return f.history(f.order("o1", StatusRevoked, old, nil, from, until))
		}, action: diff.Create, on: "o1"},
		{name: "rule 3: rejected for the same request -> attention, no order", hist: func() orderHistory {
			return f.history(f.order("o1", StatusRejected, old, nil, from, until))
		}, attention: "DIGI_REJECTED"},
		{name: "rule 3: failed for the same request -> attention", hist: func() orderHistory {
			return f.history(f.order("o1", StatusFailed, old, nil, from, until))
		}, attention: "DIGI_FAILED"},
		{name: "rule 3: rejected, but the item changed since -> create", want: func(w orderWant) orderWant {
			w.SANs = []string{"other.example.com"}
			return w
		}, hist: func() orderHistory { return f.history(f.order("o1", StatusRejected, old, nil, from, until)) }, action: diff.Create, on: "o1"},
		{name: "rule 3: renewal rejected, old certificate still valid and due -> no renew", hist: func() orderHistory {
			return f.history(f.order("o2", StatusRejected, f.now, nil, from, until), f.order("o1", StatusIssued, old, f.key, from.Add(-300*day), f.now.Add(day)))
		}, info: "DIGI_REJECTED"},
		{name: "rule 4: organization changed -> create a replacement", want: func(w orderWant) orderWant {
			w.Org = "Other Inc."
			return w
		}, hist: func() orderHistory { return f.history(issued()) }, action: diff.Create, on: "o1"},
		{name: "rule 4: type changed -> create", want: func(w orderWant) orderWant {
			w.CertType = "SSL_EV_BASIC"
			return w
		}, hist: func() orderHistory { return f.history(issued()) }, action: diff.Create, on: "o1"},
		{name: "rule 4: common name changed -> create", want: func(w orderWant) orderWant {
			w.CN = "web.example.com"
			return w
		}, hist: func() orderHistory { return f.history(issued()) }, action: diff.Create, on: "o1"},
		{name: "rule 4: common name case only -> nothing", want: func(w orderWant) orderWant {
			w.CN = "WWW.example.com"
			return w
		}, hist: func() orderHistory { return f.history(issued()) }},
		{name: "rule 4: replacement already pending -> nothing", want: func(w orderWant) orderWant {
			w.Org = "Other Inc."
			return w
		}, hist: func() orderHistory {
			return f.history(f.order("o2", StatusPending, f.now, nil, from, until), issued())
		}, info: "DIGI_PENDING"},
		{name: "rule 5: DNS names changed -> reissue", want: func(w orderWant) orderWant {
			w.SANs = []string{"alt.example.com", "new.example.com"}
			return w
		}, hist: func() orderHistory { return f.history(issued()) }, action: Reissue, on: "o1"},
		{name: "rule 5: DNS names emptied -> reissue", want: func(w orderWant) orderWant {
			w.SANs = []string{}
			return w
		}, hist: func() orderHistory { return f.history(issued()) }, action: Reissue, on: "o1"},
		{name: "rule 5: key changed -> reissue", want: func(w orderWant) orderWant {
			w.Key = keyID(other.Public())
			return w
		}, hist: func() orderHistory { return f.history(issued()) }, action: Reissue, on: "o1"},
		{name: "rule 5: while a reissue is pending -> nothing, status shown", want: func(w orderWant) orderWant {
			w.SANs = []string{"new.example.com"}
			return w
		}, hist: func() orderHistory {
			return f.history(f.order("o1", StatusReissuePendingDigi, old, f.key, from, until))
		}, info: "DIGI_REISSUE_PENDING"},
		{name: "rule 5: only from DIGI_ISSUED (a failed reissue waits)", want: func(w orderWant) orderWant {
			w.SANs = []string{"new.example.com"}
			return w
		}, hist: func() orderHistory {
			return f.history(f.order("o1", StatusReissueFailed, old, f.key, from, until))
		}, info: "waits until it is DIGI_ISSUED"},
		{name: "rule 6: inside the renewal window -> renew", hist: func() orderHistory {
			return f.history(f.order("o1", StatusIssued, old, f.key, f.now.Add(-390*day), f.now.Add(7*day)))
		}, action: Renew, on: "o1"},
		{name: "rule 6: renew_before moves the window", want: func(w orderWant) orderWant {
			w.RenewBefore = 250 * day
			return w
		}, hist: func() orderHistory { return f.history(issued()) }, action: Renew, on: "o1"},
		{name: "rule 6: just outside the window -> nothing", hist: func() orderHistory {
			return f.history(f.order("o1", StatusIssued, old, f.key, f.now.Add(-200*day), f.now.Add(200*day)))
		}},
		{name: "rule 7: additional e-mails differ -> update", want: func(w orderWant) orderWant {
			w.Emails, w.EmailsSet = []string{"ops@example.com"}, true
			return w
		}, hist: func() orderHistory { return f.history(issued()) }, action: diff.Update, on: "o1"},
		{name: "rule 7: additional e-mails emptied -> update", want: func(w orderWant) orderWant {
			w.Emails, w.EmailsSet = []string{}, true
			return w
		}, hist: func() orderHistory {
			o := issued()
			o.AdditionalEmails = []string{"old@example.com"}
			return f.history(o)
		}, action: diff.Update, on: "o1"},
		{name: "rule 7: additional e-mails not managed -> nothing", hist: func() orderHistory {
			o := issued()
			o.AdditionalEmails = []string{"old@example.com"}
			return f.history(o)
		}},
		{name: "rule 8: certificate file missing -> download", hist: func() orderHistory { return f.history(issued()) },
			files: func(orderWant, orderHistory) outputFiles { return outputFiles{} }, action: Download, on: "o1"},
		{name: "rule 8: certificate file differs -> download", hist: func() orderHistory { return f.history(issued()) },
			files: func(w orderWant, _ orderHistory) outputFiles { return outputFiles{w.OutCert: []byte("old")} }, action: Download, on: "o1"},
		{name: "steady state -> nothing", hist: func() orderHistory { return f.history(issued()) }},
		{name: "key file missing -> attention, no reissue", want: func(w orderWant) orderWant {
			w.Key = ""
			return w
		}, hist: func() orderHistory { return f.history(issued()) }, attention: "rekey: true"},
		{name: "key file missing with rekey -> reissue", want: func(w orderWant) orderWant {
			w.Key, w.Rekey = "", true
			return w
		}, hist: func() orderHistory { return f.history(issued()) }, action: Reissue, on: "o1"},
		{name: "key file missing with rekey, renewal due -> renew", want: func(w orderWant) orderWant {
			w.Key, w.Rekey = "", true
			return w
		}, hist: func() orderHistory {
			return f.history(f.order("o1", StatusIssued, old, f.key, f.now.Add(-390*day), f.now.Add(7*day)))
		}, action: Renew, on: "o1"},
		{name: "rekey after the new key is issued -> nothing (one shot)", want: func(w orderWant) orderWant {
			w.Rekey = true
			return w
		}, hist: func() orderHistory { return f.history(issued()) }},
		{name: "key file missing, no order yet -> create (the key is generated)", want: func(w orderWant) orderWant {
			w.Key = ""
			return w
		}, hist: func() orderHistory { return f.history() }, action: diff.Create},
		{name: "CSR item (no key file) with an issued order -> nothing", want: func(w orderWant) orderWant {
			w.KeyFile = ""
			return w
		}, hist: func() orderHistory { return f.history(issued()) }},
		{name: "cancelled: pending order -> cancel", want: func(w orderWant) orderWant {
			w.State = "cancelled"
			return w
		}, hist: func() orderHistory { return f.history(f.order("o1", StatusPending, old, nil, from, until)) }, action: Cancel, on: "o1"},
		{name: "cancelled: issued order -> attention", want: func(w orderWant) orderWant {
			w.State = "cancelled"
			return w
		}, hist: func() orderHistory { return f.history(issued()) }, attention: "cannot be cancelled"},
		{name: "cancelled: already cancelled -> nothing", want: func(w orderWant) orderWant {
			w.State = "cancelled"
			return w
		}, hist: func() orderHistory { return f.history(f.order("o1", StatusCanceled, old, nil, from, until)) }},
		{name: "cancelled: no order -> nothing", want: func(w orderWant) orderWant {
			w.State = "cancelled"
			return w
		}, hist: func() orderHistory { return f.history() }, info: "no order"},
		{name: "revoked: issued -> revoke", want: func(w orderWant) orderWant {
			w.State = "revoked"
			return w
		}, hist: func() orderHistory { return f.history(issued()) }, action: Revoke, on: "o1"},
		{name: "revoked: reissue pending -> nothing", want: func(w orderWant) orderWant {
			w.State = "revoked"
			return w
		}, hist: func() orderHistory {
			return f.history(f.order("o1", StatusReissuePendingDigi, old, f.key, from, until))
		}, info: "pending reissue"},
		{name: "revoked: already revoked -> nothing", want: func(w orderWant) orderWant {
			w.State = "revoked"
			return w
		}, hist: func() orderHistory { return f.history(f.order("o1", StatusRevoked, old, nil, from, until)) }},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			w := f.want()
			if r.want != nil {
				w = r.want(w)
			} else {
				w = same(w)
			}
			h := r.hist()
			files := outputFiles{}
			if r.files != nil {
				files = r.files(w, h)
			} else if _, cur := latestAndCurrent(h); cur != nil {
				files = filesOf(w, cur)
			}
			d := decide(w, h, files, f.now)
			if d.Action != r.action {
				t.Fatalf("action %q (%s), want %q; info %v attention %v", d.Action, d.Reason, r.action, d.Info, d.Attention)
			}
			if r.on != "" && (d.On == nil || d.On.ID != r.on) {
				t.Errorf("acts on %+v, want %s", d.On, r.on)
			}
			if !containsMsg(d.Info, r.info) {
				t.Errorf("info %q lacks %q", d.Info, r.info)
			}
			if !containsMsg(d.Attention, r.attention) {
				t.Errorf("attention %q lacks %q", d.Attention, r.attention)
			}
			if r.attention == "" && len(d.Attention) > 0 {
				t.Errorf("unexpected attention %q", d.Attention)
			}
			if (d.Action == diff.Create || d.Action == Renew) != containsMsg(d.Notes, "paid") || (d.Action != diff.Create && d.Action != Renew && containsMsg(d.Notes, "paid")) {
				t.Errorf("notes %q for %s: a paid order must say so, others must not", d.Notes, d.Action)
			}
		})
	}
}

func containsMsg(msgs []string, sub string) bool {
	if sub == "" {
		return true
	}
	for _, m := range msgs {
		if strings.Contains(m, sub) {
			return true
		}
	}
	return false
}

// What the plan guards rely on: orders that may cost money are paid, ends
// of an order are destructive and cannot be undone, the rest are neither.
func TestActionSpecs(t *testing.T) {
	want := map[diff.Action][3]bool{ // paid, destructive, irreversible
		diff.Create: {true, false, false}, Renew: {true, false, false}, Reissue: {true, false, false},
		Cancel: {false, true, true}, Revoke: {false, true, true}, Download: {false, false, false},
		Validate: {false, false, false}, Adopt: {false, false, false}, // a validation request and a link in certsync's state are free
	}
	seen := map[diff.Action]bool{}
	for _, s := range Actions {
		w, ok := want[s.Action]
		if !ok {
			t.Errorf("undeclared expectation for %s", s.Action)
			continue
		}
		seen[s.Action] = true
		if got := [3]bool{s.Paid, s.Destructive, s.Irreversible}; got != w {
			t.Errorf("%s: paid/destructive/irreversible = %v, want %v", s.Action, got, w)
		}
	}
	for a := range want {
		if !seen[a] {
			t.Errorf("%s is not declared", a)
		}
	}
	if Actions[0].Vendor != Name || Actions[0].Kind != KindOrder {
		t.Error("the paid create must be narrowed to orders: contacts and organizations cost nothing")
	}
}
