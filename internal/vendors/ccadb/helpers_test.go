package ccadb

import (
	"context"
	"errors"
	"fmt"
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
	"github.com/certsync/certsync/internal/sim"
	"github.com/certsync/certsync/internal/state"
	"github.com/certsync/certsync/internal/testfixture"
	"github.com/certsync/certsync/internal/testpki"
	"github.com/certsync/certsync/internal/vendors/ccadb/ccadbsim"
)

const (
	testClientID = "test-client"
	testSecret   = "test-client-secret-value"
	testOwner    = "Example CA"
)

// harness is a simulator on a real loopback server, a PKI written to a temp
// directory and a vendor pointed at both.
type harness struct {
	t        testing.TB
	sim      *ccadbsim.Server
	srv      *httptest.Server
	dir      string
	stateDir string
	refresh  string
	root     *testpki.Cert
	certs    []*testpki.Cert // intermediates, certs[i] is file ica<i>.pem
	// clock is shared by the simulator and the vendors' retry waits, so a
	// write repeated after a simulated minute is past the simulator's
	// duplicate-request window too. nil when the test brought its own.
	clock *sim.Clock
}

func newHarness(t testing.TB, o ccadbsim.Options) *harness {
	t.Helper()
	o.ClientID, o.ClientSecret, o.CAOwner = testClientID, testSecret, testOwner
	var clk *sim.Clock
	if o.Now == nil {
		clk = sim.NewClock(time.Now().UTC().Truncate(time.Second))
		o.Now = clk.Now
	}
	s, err := ccadbsim.New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	h := &harness{t: t, sim: s, srv: srv, dir: t.TempDir(), stateDir: t.TempDir(), refresh: s.NewRefreshToken(), clock: clk}
	h.root = testpki.Root(testpki.Options{CommonName: "Harness Root", Organization: testOwner})
	h.write("root.pem", h.root.PEM())
	if _, err := s.AddRoot(h.root.PEM(), testOwner); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) write(name, data string) {
	h.t.Helper()
	if err := os.WriteFile(filepath.Join(h.dir, name), []byte(data), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

// addIntermediates makes n intermediates signed by the root; one shared key
// keeps a thousand of them fast.
func (h *harness) addIntermediates(n int) {
	key := testpki.NewKey()
	for i := 0; i < n; i++ {
		c := testpki.Issue(h.root, testpki.Options{CommonName: fmt.Sprintf("Harness ICA %d", len(h.certs)), Key: key})
		h.write(fmt.Sprintf("ica%d.pem", len(h.certs)), c.PEM())
		h.certs = append(h.certs, c)
	}
}

// inventory writes an inventory listing every intermediate, each with the
// YAML lines extra(i) returns (indented by the caller's 6 spaces).
func (h *harness) inventory(extra func(i int) string) *inventory.Inventory {
	h.t.Helper()
	var b strings.Builder
	b.WriteString("ccadb:\n  defaults:\n    ca_owner: Example CA\n  intermediates:\n")
	for i := range h.certs {
		fmt.Fprintf(&b, "    - certificate: ica%d.pem\n      parent: root.pem\n", i)
		if extra != nil {
			b.WriteString(extra(i))
		}
	}
	path := filepath.Join(h.dir, "inventory.yaml")
	h.write("inventory.yaml", b.String())
	inv, err := inventory.Load(path, []inventory.SectionSpec{Spec()})
	if err != nil {
		h.t.Fatal(err)
	}
	return inv
}

func (h *harness) config() Config {
	return Config{
		URL: h.srv.URL, ClientID: testClientID, ClientSecret: testSecret, RefreshToken: h.refresh,
		ReportURL: h.srv.URL + ccadbsim.ReportPath,
	}
}

// vendor returns a fresh vendor (fresh token cache) over the harness state.
func (h *harness) vendor(hc *http.Client) *Vendor {
	h.t.Helper()
	st, err := state.Open(h.stateDir, Name)
	if err != nil {
		h.t.Fatal(err)
	}
	v, err := New(h.config(), Deps{HTTP: hc, Log: slog.New(slog.DiscardHandler), State: st})
	if err != nil {
		h.t.Fatal(err)
	}
	// Retry waits pass on a simulated clock: a repeated write waits over a
	// minute.
	if h.clock != nil {
		v.client.clock = h.clock
	} else {
		v.client.clock = sim.NewClock(time.Now())
	}
	return v
}

var (
	plan   = testfixture.Plan
	mustOK = testfixture.MustOK
)

func run(t testing.TB, v *Vendor, p *diff.Plan) *apply.Report {
	return testfixture.Apply(t, Name, v, p)
}

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func testpkiIssue(h *harness) *testpki.Cert {
	// The sub-CA needs its parent's key, which the harness kept.
	return testpki.Issue(h.certs[0], testpki.Options{CommonName: "Harness Sub CA"})
}

func reload(t *testing.T, h *harness) *inventory.Inventory {
	t.Helper()
	return testfixture.Load(t, filepath.Join(h.dir, "inventory.yaml"), Spec())
}

// planPairs is plan that also returns the pairs Observe reported.
func planPairs(t testing.TB, v *Vendor, inv *inventory.Inventory) (*diff.Plan, []diff.Pair) {
	t.Helper()
	pairs, err := v.Observe(context.Background(), inv)
	if err != nil {
		t.Fatalf("observe: %v", err)
	}
	return diff.Compute(pairs, time.Now()), pairs
}

func ccadbsimHeader() []string { return ccadbsim.ReportV5Header() }

func errorsAs(err error, target any) bool { return errors.As(err, target) }
