package markmonitor

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/vendors/markmonitor/mmsim"
)

func seedOrgs(t *testing.T, s *mmsim.Server, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		_, err := s.SeedOrganization(mmsim.Organization{
			Name: fmt.Sprintf("Org %02d", i), Address1: "1 Main St", City: "Meridian", State: "ID", Country: "US",
			Zipcode: "83642", Phone: "+1.2085550100", Provider: mmsim.ProviderDigiCert,
			Contacts: []mmsim.Contact{{FirstName: "Ada", LastName: "Lovelace", JobTitle: "CTO", Email: "ada@example.com",
				Phone: "+1.2085550101", ContactTypes: []mmsim.ContactType{{Type: mmsim.ContactTypeOrganization}}}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func orgNames(orgs []Organization) []string {
	var out []string
	for _, o := range orgs {
		out = append(out, o.Name)
	}
	return out
}

// The pages after the first are fetched several at a time; the list must
// still come back whole and in the API's order, each page asked for once.
func TestListAllReadsEveryPageInOrder(t *testing.T) {
	h := newHarness(t, mmsim.Options{RateLimit: -1})
	seedOrgs(t, h.sim, 0, 11)
	v := h.vendor()
	v.client.pageSize = 2 // 6 pages, the last one short
	h.sim.Faults().ResetCounts()
	orgs, err := v.client.Organizations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 11 {
		want = append(want, fmt.Sprintf("Org %02d", i))
	}
	if got := orgNames(orgs); !slices.Equal(got, want) {
		t.Errorf("listed %v\nwant %v", got, want)
	}
	if n := h.sim.Faults().Count("GET /certs/v1/organization"); n != 6 {
		t.Errorf("%d page requests, want 6 (each page once)", n)
	}
}

// A list that grows while it is being read is read to its new end: a later
// page's total is larger than the first page's.
func TestListAllFollowsAListThatGrew(t *testing.T) {
	h := newHarness(t, mmsim.Options{RateLimit: -1})
	seedOrgs(t, h.sim, 0, 4)
	var once sync.Once
	grow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.sim.ServeHTTP(w, r)
		if r.URL.Path == "/certs/v1/organization" && r.URL.Query().Get("page") == "" {
			once.Do(func() { seedOrgs(t, h.sim, 4, 9) }) // after the first page was answered
		}
	})
	srv := httptest.NewServer(grow)
	t.Cleanup(srv.Close)
	h.srv = srv
	v := h.vendor()
	v.client.pageSize = 2 // 2 pages at first, 5 once it grew
	orgs, err := v.client.Organizations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := orgNames(orgs); len(got) != 9 || got[0] != "Org 00" || got[8] != "Org 08" {
		t.Errorf("listed %v, want Org 00 … Org 08", got)
	}
}

// A page that fails fails the list: nothing partial is returned as if it
// were the whole account (a missing order would be planned as a new one).
func TestListAllFailsOnAFailedPage(t *testing.T) {
	h := newHarness(t, mmsim.Options{RateLimit: -1})
	seedOrgs(t, h.sim, 0, 7)
	fail := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/certs/v1/organization" && r.URL.Query().Get("page") == "2" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"errors":[{"code":"request.invalid","message":"bad page"}]}`)
			return
		}
		h.sim.ServeHTTP(w, r)
	})
	srv := httptest.NewServer(fail)
	t.Cleanup(srv.Close)
	h.srv = srv
	v := h.vendor()
	v.client.pageSize = 2
	if orgs, err := v.client.Organizations(context.Background()); err == nil {
		t.Fatalf("listed %d organizations with a failed page, want an error", len(orgs))
	}
}

// A list that shrank after its first page was read ends at the first empty
// page: the pages after it that have not started are not asked for, and
// the items read are all returned.
func TestListAllStopsAtAShrunkList(t *testing.T) {
	h := newHarness(t, mmsim.Options{RateLimit: -1})
	seedOrgs(t, h.sim, 0, 11)
	var mu sync.Mutex
	var asked []string
	shrunk := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page := r.URL.Query().Get("page")
		if r.URL.Path != "/certs/v1/organization" || page == "" {
			h.sim.ServeHTTP(w, r)
			return
		}
		mu.Lock()
		asked = append(asked, page)
		mu.Unlock()
		if page != "1" {
			time.Sleep(500 * time.Millisecond) // page 1 is answered (and read) well before these
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"content":[],"page":{"size":2,"totalElements":2,"totalPages":1,"number":%s}}`, page)
	})
	srv := httptest.NewServer(shrunk)
	t.Cleanup(srv.Close)
	h.srv = srv
	v := h.vendor()
	v.client.pageSize = 2 // 6 pages when the first was read
	orgs, err := v.client.Organizations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := orgNames(orgs); len(got) != 2 || got[0] != "Org 00" {
		t.Errorf("listed %v, want the first page's two", got)
	}
	if slices.Contains(asked, "5") || len(asked) > listPagesAtOnce {
		t.Errorf("asked for pages %v after the list ended at page 1; want only those already started", asked)
	}
}

// A total no account can have is refused, not allocated and requested.
func TestListAllRefusesAnImplausibleTotal(t *testing.T) {
	h := newHarness(t, mmsim.Options{RateLimit: -1})
	huge := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/certs/v1/organization" {
			h.sim.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"content":[{"id":"1","name":"A"}],"page":{"size":1,"totalElements":2000000000,"totalPages":2000000000,"number":0}}`)
	})
	srv := httptest.NewServer(huge)
	t.Cleanup(srv.Close)
	h.srv = srv
	if _, err := h.vendor().client.Organizations(context.Background()); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("error %v, want the page count refused", err)
	}
}
