package markmonitor

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/certsync/certsync/internal/engine"
	"github.com/certsync/certsync/internal/pemutil"
	"github.com/certsync/certsync/internal/testfixture"
	"github.com/certsync/certsync/internal/testpki"
	"github.com/certsync/certsync/internal/vendors/markmonitor/mmsim"
)

// writeImport writes an imported section and its files into dir as an
// inventory and loads it.
func writeImport(t *testing.T, dir string, res *engine.ImportResult) string {
	t.Helper()
	for _, f := range res.Files {
		if strings.Contains(string(f.Data), "PRIVATE KEY") {
			t.Fatalf("%s: the import writes a private key", f.Path)
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, f.Mode); err != nil {
			t.Fatal(err)
		}
	}
	doc := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: Name}, res.Section}}
	data, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "imported.yaml")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// An order certsync placed is imported under its marker's name and plans
// no change; an order placed in the portal is adopted where the inventory
// knows adopt:, and otherwise left out with a note (writing it would plan
// a new, paid order).
func TestImportOrders(t *testing.T) {
	h := newHarness(t, mmsim.Options{})
	seedSteadyState(t, h, 1) // order o000, with certsync's marker
	org := h.sim.Organizations()[0]
	key := testpki.NewKey()
	csr, err := makeCSR(key, "portal.example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	portal, err := h.sim.SeedIssuedOrder(mmsim.OrderRequest{
		OrganizationID: org.ID, CertType: "SSL_OV_BASIC", Comments: "ordered in the portal",
		Contacts: []mmsim.ContactRef{{ID: org.Contacts[0].ID, ContactTypes: []mmsim.ContactType{{Type: "ORGANIZATION_CONTACT"}}}},
		Cert:     mmsim.CertRequest{CommonName: "portal.example.com", CSR: csr, DcvMethod: "DNS_TXT_TOKEN", AlgorithmHash: "ECC"},
	})
	if err != nil {
		t.Fatal(err)
	}
	v := h.vendor()
	res, err := v.Import(context.Background(), engine.ImportOptions{FilesDir: "files"})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := yaml.Marshal(res.Section)
	text := string(out)
	if !strings.Contains(text, "name: o000") || !strings.Contains(text, "csr: files/markmonitor/o000.csr") {
		t.Errorf("the marked order is not imported under its name with its CSR:\n%s", text)
	}
	canAdopt := hasInventoryKey(reflect.TypeOf(OrderItem{}), "adopt")
	if canAdopt {
		if !strings.Contains(text, "adopt: "+portal.ID) {
			t.Errorf("the portal order %s is not adopted:\n%s", portal.ID, text)
		}
	} else {
		if strings.Contains(text, "portal.example.com") {
			t.Errorf("the portal order is written although it cannot be adopted:\n%s", text)
		}
		if !strings.Contains(strings.Join(res.Notes, "\n"), portal.ID) {
			t.Errorf("no note names the portal order %s: %v", portal.ID, res.Notes)
		}
	}
	dir := t.TempDir()
	inv := testfixture.Load(t, writeImport(t, dir, res), Spec())
	// Each issued order offers its certificate, by serial, to other
	// vendors' importers; one that follows a CSR says where its key goes.
	crt, err := os.ReadFile(filepath.Join(dir, "files", "markmonitor", "o000.crt"))
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := pemutil.Certificate(crt)
	if err != nil {
		t.Fatal(err)
	}
	want := engine.ImportOffer{Address: "markmonitor/order/o000", Serial: engine.NormalSerial(leaf.SerialNumber.Text(16)), KeyFile: "files/markmonitor/o000.key"}
	if !slices.Contains(res.Offers, want) {
		t.Errorf("offers %+v lack %+v", res.Offers, want)
	}
	// The only change allowed is adopting the portal order: certsync
	// records the link in its own state (nothing is sent, nothing paid).
	p := plan(t, v, inv)
	adopts := 0
	for _, c := range p.Changes {
		if c.Action == "adopt" && c.Address == orderAddress("portal.example.com") {
			adopts++
			continue
		}
		t.Errorf("the imported section plans %s %s", c.Action, c.Address)
	}
	if len(p.Errors) > 0 || len(p.Attention) > 0 || adopts > 0 != canAdopt {
		t.Errorf("the imported section does not plan clean:\n%s", textOf(p))
	}
}
