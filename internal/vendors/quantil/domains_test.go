package quantil

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/sim"
	"github.com/certsync/certsync/internal/vendors/quantil/quantilsim"
)

// vendorAPI is the harness's vendor on API generation api.
func (h *harness) vendorAPI(api string) *Vendor {
	h.t.Helper()
	v, err := New(Config{URL: h.srv.URL, User: testUser, APIKey: testKey, API: api}, Deps{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		h.t.Fatal(err)
	}
	v.client.clock = sim.NewClock(time.Now())
	return v
}

// cert returns the simulator's certificate called name.
func (h *harness) cert(name string) quantilsim.Certificate {
	h.t.Helper()
	for _, c := range h.sim.Certificates() {
		if c.Name == name {
			return c
		}
	}
	h.t.Fatalf("no certificate %s on the CDN", name)
	return quantilsim.Certificate{}
}

// servedBy maps each CDN domain to the name of the certificate it serves.
func (h *harness) servedBy() map[string]string {
	names := map[string]string{}
	for _, c := range h.sim.Certificates() {
		names[c.ID] = c.Name
	}
	out := map[string]string{}
	for _, d := range h.sim.Domains() {
		out[d.Name] = names[d.CertificateID]
	}
	return out
}

var apis = []string{"v1", "v2"}

// Each API generation writes through its own routes, keeps a comment the
// inventory does not manage, and converges: create, update, delete, then a
// clean plan each time.
func TestAPIGenerations(t *testing.T) {
	for _, api := range apis {
		t.Run(api, func(t *testing.T) {
			h := newHarness(t)
			h.issue("www.example.com", time.Now().Add(90*24*time.Hour))
			h.issue("old.example.com", time.Now().Add(90*24*time.Hour))
			noComment := func(name string) string {
				return "    - name: " + name + "\n      certificate: " + name + ".crt\n      chain: " + name + ".chain.pem\n      private_key: " + name + ".key\n"
			}
			inv := h.inventory("quantil:\n  certificates:\n" + noComment("www.example.com") + item("old.example.com"))
			v := h.vendorAPI(api)
			mustApply(t, v, plan(t, v, inv))
			if p := plan(t, v, inv); !p.Empty() {
				t.Fatalf("plan after create: %s", p.Summary())
			}
			h.sim.Faults().ResetCounts()

			// A comment set by hand, then a new certificate: the update
			// sends no comment, so the CDN keeps it.
			id := h.cert("www.example.com").ID
			if _, err := h.vendorAPI(api).client.Get(context.Background(), id); err != nil {
				t.Fatalf("V2 get: %v", err)
			}
			modifyComment(t, h, id, "set by hand")
			newSerial := h.issue("www.example.com", time.Now().Add(120*24*time.Hour))
			p := plan(t, v, inv)
			if len(p.Changes) != 1 || p.Changes[0].Action != diff.Update {
				t.Fatalf("want one update: %s", p.Summary())
			}
			mustApply(t, v, p)
			if c := h.cert("www.example.com"); c.Serial != newSerial || c.Comment != "set by hand" {
				t.Errorf("after update: serial %s comment %q, want %s and the comment kept", c.Serial, c.Comment, newSerial)
			}

			// Delete when asked.
			absent := h.inventory("quantil:\n  certificates:\n" + noComment("www.example.com") + "    - name: old.example.com\n      state: absent\n")
			mustApply(t, v, plan(t, v, absent))
			if n := len(h.sim.Certificates()); n != 1 {
				t.Fatalf("%d certificates after the delete", n)
			}
			if p := plan(t, v, absent); !p.Empty() {
				t.Fatalf("plan after delete: %s", p.Summary())
			}
			counts := map[string]int{}
			for _, r := range []string{"POST /api/ssl/certificate", "PUT /api/ssl/certificate/", "DELETE /api/ssl/certificate/", "PUT /api/certificate/", "DELETE /api/certificate/"} {
				counts[r] = h.sim.Faults().Count(r)
			}
			v1Writes := counts["PUT /api/ssl/certificate/"] + counts["DELETE /api/ssl/certificate/"]
			v2Writes := counts["PUT /api/certificate/"] + counts["DELETE /api/certificate/"]
			// modifyComment wrote once through v1 itself.
			if api == "v1" && (v1Writes != 3 || v2Writes != 0) || api == "v2" && (v1Writes != 1 || v2Writes != 2) {
				t.Errorf("%s: writes %v", api, counts)
			}
		})
	}
}

// modifyComment sets a certificate's comment the way a person would in
// the console: through the API, with its current material.
func modifyComment(t *testing.T, h *harness, id, comment string) {
	t.Helper()
	c := h.cert(nameOf(h, id))
	u := Upload{Name: c.Name, Comment: &comment, CertPEM: []byte(c.CertPEM), KeyPEM: []byte(c.KeyPEM), Chain: []byte(c.ChainPEM)}
	if err := h.vendor().client.Modify(context.Background(), id, u); err != nil {
		t.Fatal(err)
	}
}

func nameOf(h *harness, id string) string {
	for _, c := range h.sim.Certificates() {
		if c.ID == id {
			return c.Name
		}
	}
	return ""
}

// An invalid CERTSYNC_QUANTIL_API is refused before anything is sent,
// naming the variable and the accepted values.
func TestInvalidAPISetting(t *testing.T) {
	for _, bad := range []string{"v3", "V2", " v1"} {
		_, err := New(Config{URL: "https://api.quantil.com", User: "u", APIKey: "k", API: bad}, Deps{})
		if !errors.Is(err, ErrAPI) || !strings.Contains(err.Error(), "CERTSYNC_QUANTIL_API") || !strings.Contains(err.Error(), "v1, v2") {
			t.Errorf("API %q: %v", bad, err)
		}
	}
	if _, err := New(Config{URL: "https://api.quantil.com", User: "u", APIKey: "k"}, Deps{}); err != nil {
		t.Errorf("API unset: %v", err)
	}
}

// A certificate CDN domains use is not deleted: the plan needs attention
// and names the domains; nothing is sent. The simulator refuses such a
// delete as the API does.
func TestDeleteInUseNeedsAttention(t *testing.T) {
	for _, api := range apis {
		t.Run(api, func(t *testing.T) {
			h := newHarness(t)
			h.issue("old.example.com", time.Now().Add(90*24*time.Hour))
			v := h.vendorAPI(api)
			mustApply(t, v, plan(t, v, h.inventory("quantil:\n  certificates:\n"+item("old.example.com"))))
			id := h.cert("old.example.com").ID
			if _, err := h.sim.SeedDomain("old.example.com", id); err != nil {
				t.Fatal(err)
			}
			h.sim.Faults().ResetCounts()
			p := plan(t, v, h.inventory("quantil:\n  certificates:\n    - name: old.example.com\n      state: absent\n"))
			if n := h.sim.Faults().Count("GET /api/certificate/" + id + "/domain"); api == "v2" && n != 1 || api == "v1" && n != 0 {
				t.Errorf("%s: %d reads of the V2 domain route", api, n)
			}
			if len(p.Changes) != 0 || len(p.Attention) != 1 || !strings.Contains(p.Attention[0].Message, "old.example.com use this certificate") {
				t.Fatalf("want attention naming the domain: %s\n%+v", p.Summary(), p.Attention)
			}
			err := v.client.Delete(context.Background(), id)
			var ae *APIError
			if !errors.As(err, &ae) || ae.Code != quantilsim.CodeCertificateInUse || !strings.Contains(ae.Message, "old.example.com") {
				t.Errorf("direct delete: %v", err)
			}
			if len(h.sim.Certificates()) != 1 {
				t.Error("the certificate in use was deleted")
			}
		})
	}
}

// Domains listed on a certificate are bound on apply, moving from the
// certificate they served; the plan says which domain moves from where; a
// certificate they leave can then be deleted in the same apply.
func TestBindDomainsThenDeleteOld(t *testing.T) {
	for _, api := range apis {
		t.Run(api, func(t *testing.T) {
			h := newHarness(t)
			h.issue("www.example.com", time.Now().Add(90*24*time.Hour))
			v := h.vendorAPI(api)
			mustApply(t, v, plan(t, v, h.inventory("quantil:\n  certificates:\n"+item("www.example.com"))))
			oldID := h.cert("www.example.com").ID
			if _, err := h.sim.SeedDomain("www.example.com", oldID); err != nil {
				t.Fatal(err)
			}
			// A new certificate for the same host, under a new name; the old
			// one is retired in the same inventory.
			h.issueAs("new", "www.example.com")
			inv := h.inventory("quantil:\n  certificates:\n" + item("new") + "      domains: [WWW.example.com]\n" +
				"    - name: www.example.com\n      state: absent\n")
			p := plan(t, v, inv)
			acts := map[string]diff.Action{}
			var notes []string
			for _, c := range p.Changes {
				acts[c.Address.Name] = c.Action
				notes = append(notes, c.Notes...)
			}
			if acts["new"] != diff.Create || acts["www.example.com"] != diff.Delete {
				t.Fatalf("want create new, delete old: %s", p.Summary())
			}
			if !strings.Contains(strings.Join(notes, "\n"), "www.example.com moves from certificate www.example.com (id "+oldID+")") {
				t.Errorf("notes do not say which domain moves: %q", notes)
			}
			for _, c := range p.Changes {
				if c.Action == diff.Delete && (len(c.DependsOn) != 1 || c.DependsOn[0].Name != "new") {
					t.Errorf("the delete does not wait for the binding: %v", c.DependsOn)
				}
			}
			mustApply(t, v, p)
			if got := h.servedBy()["www.example.com"]; got != "new" {
				t.Errorf("www.example.com serves %q, want new", got)
			}
			if len(h.sim.Certificates()) != 1 {
				t.Errorf("%d certificates, want 1", len(h.sim.Certificates()))
			}
			if p := plan(t, v, inv); !p.Empty() {
				t.Fatalf("plan after apply: %s", p.Summary())
			}
		})
	}
}

// issueAs writes a leaf for host under file name base (base.crt, .key,
// .chain.pem).
func (h *harness) issueAs(base, host string) {
	h.t.Helper()
	h.issue(host, time.Now().Add(90*24*time.Hour))
	for _, ext := range []string{".crt", ".key", ".chain.pem"} {
		data, err := os.ReadFile(filepath.Join(h.dir, host+ext))
		if err != nil {
			h.t.Fatal(err)
		}
		h.write(base+ext, data)
	}
}

// Binding alone (the certificate unchanged) is an update of the domains
// only: nothing is uploaded, the domain is bound, the next plan is clean.
func TestBindOnly(t *testing.T) {
	h := newHarness(t)
	h.issue("www.example.com", time.Now().Add(90*24*time.Hour))
	v := h.vendor()
	mustApply(t, v, plan(t, v, h.inventory("quantil:\n  certificates:\n"+item("www.example.com"))))
	if _, err := h.sim.SeedDomain("www.example.com", ""); err != nil {
		t.Fatal(err)
	}
	inv := h.inventory("quantil:\n  certificates:\n" + item("www.example.com") + "      domains: [www.example.com]\n")
	h.sim.Faults().ResetCounts()
	p := plan(t, v, inv)
	if len(p.Changes) != 1 || len(p.Changes[0].Fields) != 1 || p.Changes[0].Fields[0].Field != "domains" {
		t.Fatalf("want an update of domains only: %s", p.Summary())
	}
	mustApply(t, v, p)
	if n := h.sim.Faults().Count("PUT /api/ssl/certificate/"); n != 0 {
		t.Errorf("%d uploads for a binding", n)
	}
	if h.servedBy()["www.example.com"] != "www.example.com" {
		t.Errorf("domains: %v", h.servedBy())
	}
	if p := plan(t, v, inv); !p.Empty() {
		t.Fatalf("plan after bind: %s", p.Summary())
	}
}

// A certificate that does not cover a domain it is to serve is an error
// for that item at plan time; nothing is sent.
func TestUncoveredDomainIsError(t *testing.T) {
	h := newHarness(t)
	h.issue("www.example.com", time.Now().Add(90*24*time.Hour))
	inv := h.inventory("quantil:\n  certificates:\n" + item("www.example.com") + "      domains: [static.example.com]\n")
	p := plan(t, h.vendor(), inv)
	if len(p.Changes) != 0 || len(p.Errors) != 1 || !strings.Contains(p.Errors[0].Message, "does not cover the domains static.example.com") {
		t.Fatalf("want an error: %s %+v", p.Summary(), p.Errors)
	}
}

func TestUncoveredDomains(t *testing.T) {
	tests := []struct {
		names, domains, want []string
	}{
		{[]string{"www.example.com"}, []string{"www.example.com"}, nil},
		{[]string{"*.example.com"}, []string{"a.example.com", "example.com", "a.b.example.com"}, []string{"example.com", "a.b.example.com"}},
		{[]string{"example.com", "www.example.com"}, []string{"api.example.com"}, []string{"api.example.com"}},
	}
	for _, tt := range tests {
		got := uncoveredDomains(tt.names, tt.domains)
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("uncoveredDomains(%v, %v) = %v, want %v", tt.names, tt.domains, got, tt.want)
		}
	}
}

// Bad domains lists are refused offline with their position.
func TestDomainsChecked(t *testing.T) {
	h := newHarness(t)
	h.issue("a.example.com", time.Now().Add(90*24*time.Hour))
	h.issue("b.example.com", time.Now().Add(90*24*time.Hour))
	h.write("inventory.yaml", []byte("quantil:\n  certificates:\n"+item("a.example.com")+"      domains: [a.example.com, a.example.com, not a domain]\n"+
		item("b.example.com")+"      domains: [A.example.com]\n    - name: gone\n      state: absent\n      domains: [x.example.com]\n"))
	path := filepath.Join(h.dir, "inventory.yaml")
	_, err := inventory.Load(path, []inventory.SectionSpec{Spec()})
	for _, want := range []string{"domains[1]: a.example.com is listed twice", "domains[2]: \"not a domain\" is not a CDN domain name",
		"certificates[1].domains[0]: a.example.com is already bound to a.example.com", "certificates[2].domains: a certificate to delete serves no domains"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}
