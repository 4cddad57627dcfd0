package quantil

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/engine"
	"github.com/certsync/certsync/internal/inventory"
)

// upSection is a stand-in for another vendor's section whose items publish
// certificate bundles (as an order does), so that references by address
// are tested without any real upstream vendor.
type upSection struct {
	Orders []struct {
		Pos         inventory.Pos
		Name        inventory.String `yaml:"name"`
		Certificate inventory.String `yaml:"certificate"`
		Key         inventory.String `yaml:"key"`
		State       inventory.String `yaml:"state"`
		// Names, when set, are the names its certificate will carry.
		Names inventory.Strings `yaml:"names"`
	} `yaml:"orders"`
}

func (u *upSection) CertificateNames(kind, name string) ([]string, bool) {
	for _, o := range u.Orders {
		if kind == "order" && o.Name.Value == name && o.Names.Set {
			return o.Names.Values, true
		}
	}
	return nil, false
}

func (u *upSection) Check(*inventory.Report, *inventory.Inventory) {}

func (u *upSection) BundleFiles(inv *inventory.Inventory, kind, name string) (inventory.BundleFiles, bool) {
	for _, o := range u.Orders {
		if kind == "order" && o.Name.Value == name {
			return inventory.BundleFiles{Certificate: inv.Resolve(o.Certificate), Key: inv.Resolve(o.Key)}, true
		}
	}
	return inventory.BundleFiles{}, false
}

func (u *upSection) Withdrawn(kind, name string) (string, bool) {
	for _, o := range u.Orders {
		if kind == "order" && o.Name.Value == name && o.State.Value == "revoked" {
			return "state: revoked", true
		}
	}
	return "", false
}

func upSpec() inventory.SectionSpec {
	return inventory.SectionSpec{Key: "up", New: func() inventory.Section { return &upSection{} }}
}

func (h *harness) load(text string) (*inventory.Inventory, error) {
	h.t.Helper()
	h.write("inventory.yaml", []byte(text))
	return inventory.Load(filepath.Join(h.dir, "inventory.yaml"), []inventory.SectionSpec{Spec(), upSpec()})
}

const upOrder = "up:\n  orders:\n    - name: www\n      certificate: www.example.com.crt\n      key: www.example.com.key\n"

// A source that is missing is an error for its item (exit 1), not
// "waiting": a mistyped variable, a path that does not exist, and an
// upstream item whose bundle does not say it is pending. Only an upstream
// that says it has not issued yet makes the item wait.
func TestMissingSourceIsErrorUnlessUpstreamPending(t *testing.T) {
	h := newHarness(t)
	os.Unsetenv("CERTSYNC_TEST_WWW_CERT_PEN")
	tests := []struct {
		name, item string
		up         diff.Artifacts
		waiting    bool
		msg        string
	}{
		{"env typo", "    - name: www.example.com\n      certificate_env: CERTSYNC_TEST_WWW_CERT_PEN\n      private_key: www.example.com.key\n", nil, false, "CERTSYNC_TEST_WWW_CERT_PEN"},
		{"path typo", "    - name: www.example.com\n      certificate: www.example.com.crtt\n      private_key: www.example.com.key\n", nil, false, "www.example.com.crtt"},
		{"upstream not observed", "    - name: www.example.com\n      from: up/order/www\n", nil, false, "www.example.com.crt"},
		{"upstream not pending", "    - name: www.example.com\n      from: up/order/www\n", diff.Artifacts{{Vendor: "up", Kind: "order", Name: "www"}: {}}, false, "www.example.com.crt"},
		{"upstream pending", "    - name: www.example.com\n      from: up/order/www\n", diff.Artifacts{{Vendor: "up", Kind: "order", Name: "www"}: {Pending: "waiting for domain validation"}}, true, "waiting for domain validation"},
		{"own file missing, upstream pending", "    - name: www.example.com\n      from: up/order/www\n      certificate: typo.crt\n", diff.Artifacts{{Vendor: "up", Kind: "order", Name: "www"}: {Pending: "waiting for domain validation"}}, false, "typo.crt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Nothing issued yet: no certificate file.
			os.Remove(filepath.Join(h.dir, "www.example.com.crt"))
			h.write("www.example.com.key", []byte("not checked offline when missing"))
			inv, err := h.load(upOrder + "quantil:\n  certificates:\n" + tt.item)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			pairs, err := h.vendor().ObserveAfter(context.Background(), inv, engine.Ready(tt.up))
			if err != nil {
				t.Fatal(err)
			}
			p := diff.Compute(pairs, time.Now())
			switch {
			case tt.waiting && (len(p.Errors) != 0 || len(p.Info) != 1 || !strings.Contains(p.Info[0].Message, tt.msg)):
				t.Errorf("want waiting: errors %+v info %+v", p.Errors, p.Info)
			case !tt.waiting && (len(p.Errors) != 1 || !strings.Contains(p.Errors[0].Message, tt.msg)):
				t.Errorf("want an error naming %q: errors %+v info %+v", tt.msg, p.Errors, p.Info)
			}
			if len(p.Changes) != 0 {
				t.Errorf("changes: %s", p.Summary())
			}
		})
	}
}

// Deploying an item the inventory revokes is refused offline, at from:;
// the CDN item may change source or be deleted in the same inventory.
func TestRevokedUpstreamRefusedOffline(t *testing.T) {
	h := newHarness(t)
	h.issue("www.example.com", time.Now().Add(90*24*time.Hour))
	revoked := upOrder + "      state: revoked\n"
	_, err := h.load(revoked + "quantil:\n  certificates:\n    - name: www.example.com\n      from: up/order/www\n")
	if err == nil || !strings.Contains(err.Error(), "inventory.yaml:10:13: quantil.certificates[0].from: up/order/www publishes no certificate (state: revoked)") {
		t.Fatalf("want a refusal at from:, got %v", err)
	}
	for _, ok := range []string{
		"    - name: www.example.com\n      state: absent\n",
		"    - name: www.example.com\n      certificate: www.example.com.crt\n      private_key: www.example.com.key\n",
	} {
		if _, err := h.load(revoked + "quantil:\n  certificates:\n" + ok); err != nil {
			t.Errorf("refused %q: %v", ok, err)
		}
	}
}

// Observe reads no key: the offline check verified the bundle once, and
// only apply reads the key again (here, to find it gone).
func TestObserveReadsNoKey(t *testing.T) {
	h := newHarness(t)
	h.issue("www.example.com", time.Now().Add(90*24*time.Hour))
	inv := h.inventory("quantil:\n  certificates:\n" + item("www.example.com"))
	if err := os.Remove(filepath.Join(h.dir, "www.example.com.key")); err != nil {
		t.Fatal(err)
	}
	p := plan(t, h.vendor(), inv)
	if len(p.Changes) != 1 || p.Changes[0].Action != diff.Create || len(p.Errors) != 0 {
		t.Fatalf("plan without the key file: %s %+v", p.Summary(), p.Errors)
	}
	rep, err := h.vendor().Apply(context.Background(), p.Changes[0])
	if err == nil || !strings.Contains(err.Error(), "private key") {
		t.Fatalf("apply without the key file: %+v, %v", rep, err)
	}
	if len(h.sim.Certificates()) != 0 {
		t.Error("something was uploaded without a key")
	}
}

// A from whose item declares the names its certificate will carry is
// checked offline against the domains to serve: a domain it will not
// cover is refused at its domains entry, before the order is paid for and
// the CDN refuses the binding. An own certificate source overrides the
// from's names; an item that declares none is judged at plan time.
func TestFromCoverageCheckedOffline(t *testing.T) {
	h := newHarness(t)
	h.issue("www.example.com", time.Now().Add(90*24*time.Hour))
	const cdn = "quantil:\n  certificates:\n    - name: www.example.com\n      from: up/order/www\n"
	tests := []struct {
		name, names, item, want string
	}{
		{"name dropped from the order", "      names: [www.example.com]\n", cdn + "      domains: [www.example.com, example.com]\n",
			"inventory.yaml:11:34: quantil.certificates[0].domains[1]: example.com is not covered by the certificate up/order/www will carry (names www.example.com)"},
		{"no names at all", "      names: []\n", cdn + "      domains: [www.example.com]\n",
			"inventory.yaml:11:17: quantil.certificates[0].domains[0]: www.example.com is not covered by the certificate up/order/www will carry (names )"},
		{"covered", "      names: [WWW.example.com, example.com]\n", cdn + "      domains: [www.example.com, Example.com.]\n", ""},
		{"wildcard", "      names: [\"*.example.com\"]\n", cdn + "      domains: [www.example.com, cdn.example.com]\n", ""},
		{"names not declared", "", cdn + "      domains: [example.com]\n", ""},
		{"own certificate wins", "      names: [other.example.com]\n", cdn + "      certificate: www.example.com.crt\n      private_key: www.example.com.key\n      domains: [www.example.com]\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.load(upOrder + tt.names + tt.item)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("want %q, got %v", tt.want, err)
			}
		})
	}
}

// A certificate the check can read is checked against the domains to
// serve, whether from a file or an environment variable, and even while
// its key is only where certsync runs.
func TestCoverageCheckedOffline(t *testing.T) {
	h := newHarness(t)
	h.issue("www.example.com", time.Now().Add(90*24*time.Hour))
	pem, err := os.ReadFile(filepath.Join(h.dir, "www.example.com.crt"))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("CERTSYNC_TEST_COVER_CERT", string(pem))
	t.Setenv("CERTSYNC_TEST_COVER_KEY", "")
	os.Unsetenv("CERTSYNC_TEST_COVER_KEY")
	const want = "inventory.yaml:8:34: quantil.certificates[0].domains[1]: static.example.com is not covered by the certificate "
	for _, it := range []string{
		item("www.example.com"),
		"    - name: www.example.com\n      certificate_env: CERTSYNC_TEST_COVER_CERT\n      private_key_env: CERTSYNC_TEST_COVER_KEY\n      comment: x\n      chain: www.example.com.chain.pem\n",
		"    - name: www.example.com\n      certificate: www.example.com.crt\n      private_key_env: CERTSYNC_TEST_COVER_KEY\n      comment: x\n      chain: www.example.com.chain.pem\n",
	} {
		_, err := h.load("quantil:\n  certificates:\n" + it + "      domains: [www.example.com, static.example.com]\n")
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "(names www.example.com)") {
			t.Errorf("want %q..., got %v", want, err)
		}
	}
}

// Unset environment variables are an error for the item at plan time that
// names every one of them, each at its inventory position and field; a
// saved change applied later names them by field.
func TestUnsetEnvNamedWithPositions(t *testing.T) {
	h := newHarness(t)
	h.issue("www.example.com", time.Now().Add(90*24*time.Hour))
	chain, err := os.ReadFile(filepath.Join(h.dir, "www.example.com.chain.pem"))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"CERTSYNC_TEST_UNSET_CERT", "CERTSYNC_TEST_UNSET_CHAIN", "CERTSYNC_TEST_UNSET_KEY"} {
		t.Setenv(v, "") // restored afterwards
		os.Unsetenv(v)
	}
	const it = "quantil:\n  certificates:\n    - name: legacy.example.com\n      certificate_env: CERTSYNC_TEST_UNSET_CERT\n      chain_env: CERTSYNC_TEST_UNSET_CHAIN\n      private_key_env: CERTSYNC_TEST_UNSET_KEY\n"
	inv, err := h.load(it)
	if err != nil {
		t.Fatalf("unset variables are fine offline: %v", err)
	}
	f := filepath.Join(h.dir, "inventory.yaml")
	all := f + ":4:24: quantil.certificates[0].certificate_env: environment variable CERTSYNC_TEST_UNSET_CERT is not set; " +
		f + ":5:18: quantil.certificates[0].chain_env: environment variable CERTSYNC_TEST_UNSET_CHAIN is not set; " +
		f + ":6:24: quantil.certificates[0].private_key_env: environment variable CERTSYNC_TEST_UNSET_KEY is not set"
	p := plan(t, h.vendor(), inv)
	if len(p.Errors) != 1 || p.Errors[0].Message != all {
		t.Fatalf("want one error:\n%s\ngot %+v", all, p.Errors)
	}

	t.Setenv("CERTSYNC_TEST_UNSET_CHAIN", string(chain))
	t.Setenv("CERTSYNC_TEST_UNSET_KEY", " \n")
	p = plan(t, h.vendor(), inv)
	want := f + ":4:24: quantil.certificates[0].certificate_env: environment variable CERTSYNC_TEST_UNSET_CERT is not set; " +
		f + ":6:24: quantil.certificates[0].private_key_env: environment variable CERTSYNC_TEST_UNSET_KEY is set but empty"
	if len(p.Errors) != 1 || p.Errors[0].Message != want {
		t.Fatalf("want one error:\n%s\ngot %+v", want, p.Errors)
	}

	_, err = LoadBundle(Sources{Certificate: PEMSource{Env: "CERTSYNC_TEST_UNSET_CERT"}, Key: PEMSource{Env: "CERTSYNC_TEST_UNSET_KEY"}}, time.Now())
	want = "certificate_env: environment variable CERTSYNC_TEST_UNSET_CERT is not set; private_key_env: environment variable CERTSYNC_TEST_UNSET_KEY is set but empty"
	if !errors.Is(err, ErrSourceMissing) || err.Error() != want {
		t.Errorf("apply-time load: want %q (ErrSourceMissing), got %v", want, err)
	}
}
