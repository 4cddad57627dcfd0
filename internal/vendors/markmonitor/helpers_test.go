package markmonitor

import (
	"fmt"
	"github.com/certsync/certsync/internal/sim"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/apply"
	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/testfixture"
	"github.com/certsync/certsync/internal/vendors/markmonitor/mmsim"
)

const (
	testKey  = "test-api-key-0123456789"
	testUser = "api-user"
	testPass = "api-password-secret"
)

type fakeClock = sim.Clock

func newFakeClock() *fakeClock {
	return sim.NewClock(time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC))
}

type harness struct {
	t     testing.TB
	clock *fakeClock
	sim   *mmsim.Server
	srv   *httptest.Server
	dir   string
	hc    *http.Client
}

func newHarness(t testing.TB, o mmsim.Options) *harness {
	t.Helper()
	clock := newFakeClock()
	o.APIKey, o.Username, o.Password, o.Now = testKey, testUser, testPass, clock.Now
	s, err := mmsim.New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &harness{t: t, clock: clock, sim: s, srv: srv, dir: t.TempDir()}
}

func (h *harness) vendor() *Vendor {
	h.t.Helper()
	v, err := New(Config{URL: h.srv.URL + "/certs/v1", AuthURL: h.srv.URL + "/auth/v1", APIKey: testKey, Username: testUser, Password: testPass},
		Deps{HTTP: h.hc, Log: slog.New(slog.DiscardHandler), Clock: h.clock})
	if err != nil {
		h.t.Fatal(err)
	}
	return v
}

var orgYAML = testfixture.MarkmonitorOrg("ORGANIZATION_CONTACT", "EXTENDED_VALIDATION_APPROVER")

// orderYAML is one order item; extra lines go at the item's indentation.
func orderYAML(name string, extra string) string {
	return fmt.Sprintf(`    - name: %s
      organization: Example Inc.
      cert_type: SSL_OV_BASIC
      common_name: %s.example.com
      dns_names: [%s-alt.example.com]
      private_key: keys/%s.key
      key_type: ecdsa-p256
      dcv_method: DNS_TXT_TOKEN
      output:
        certificate: out/%s.crt
        chain: out/%s.chain.pem
        full_chain: out/%s.full.pem
%s`, name, name, name, name, name, name, name, extra)
}

func (h *harness) inventory(orders ...string) *inventory.Inventory {
	h.t.Helper()
	text := orgYAML
	if len(orders) > 0 {
		text += "  orders:\n" + strings.Join(orders, "")
	}
	path := filepath.Join(h.dir, "inventory.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		h.t.Fatal(err)
	}
	return testfixture.Load(h.t, path, Spec())
}

var (
	plan    = testfixture.Plan
	mustOK  = testfixture.MustOK
	actions = testfixture.Actions
	textOf  = testfixture.Text
)

func run(t testing.TB, v *Vendor, p *diff.Plan) *apply.Report {
	return testfixture.Apply(t, Name, v, p)
}

func reload(t testing.TB, h *harness) *inventory.Inventory {
	t.Helper()
	return testfixture.Load(t, filepath.Join(h.dir, "inventory.yaml"), Spec())
}
