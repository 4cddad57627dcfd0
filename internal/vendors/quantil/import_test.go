package quantil

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/certsync/certsync/internal/engine"
	"github.com/certsync/certsync/internal/testfixture"
)

// A CDN certificate that an imported upstream item issued (the same
// serial) is written as deploying that item and plans no change; one that
// nothing imported issued cannot be reproduced (QUANTIL returns no content)
// and is only described in a comment, with what to add to manage it. When
// the upstream item does not publish its key, the item names the key file
// the upstream's comment asks for. No key material is written.
func TestImportPlansNoChange(t *testing.T) {
	cases := []struct {
		name    string
		up      string // the upstream section: with or without its key
		keyFile string // the offer's KeyFile
		want    []string
	}{
		{"the upstream publishes its key", upOrder, "", []string{"from: up/order/www"}},
		{"the upstream follows a CSR", "up:\n  orders:\n    - name: www\n      certificate: a.example.com.crt\n", "keys/www.key",
			[]string{"from: up/order/www", "private_key: keys/www.key"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			serialA := h.issue("a.example.com", time.Now().Add(90*24*time.Hour))
			h.issue("b.example.com", time.Now().Add(60*24*time.Hour))
			v := h.vendor()
			mustApply(t, v, plan(t, v, h.inventory("quantil:\n  certificates:\n"+item("a.example.com")+item("b.example.com"))))
			ids := map[string]string{}
			for _, l := range h.sim.Certificates() {
				ids[l.Name] = l.ID
			}
			for d, n := range map[string]string{"a.example.com": "a.example.com", "b.example.com": "b.example.com"} {
				if _, err := h.sim.SeedDomain(d, ids[n]); err != nil {
					t.Fatal(err)
				}
			}
			up := strings.ReplaceAll(c.up, "www.example.com", "a.example.com")

			offers := map[string]engine.ImportOffer{engine.NormalSerial(serialA): {Address: "up/order/www", Serial: serialA, KeyFile: c.keyFile}}
			res, err := v.Import(context.Background(), engine.ImportOptions{FilesDir: "files", Offers: offers})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Files) != 0 {
				t.Errorf("QUANTIL import writes files: %v", res.Files)
			}
			data, err := yaml.Marshal(&yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: Name}, res.Section}})
			if err != nil {
				t.Fatal(err)
			}
			text := string(data)
			var doc struct {
				Quantil struct {
					Certificates []map[string]string `yaml:"certificates"`
				} `yaml:"quantil"`
			}
			if err := yaml.Unmarshal(data, &doc); err != nil {
				t.Fatal(err)
			}
			if n := len(doc.Quantil.Certificates); n != 1 || doc.Quantil.Certificates[0]["name"] != "a.example.com" {
				t.Fatalf("items %v, want only a.example.com:\n%s", doc.Quantil.Certificates, text)
			}
			for _, want := range append(c.want, "Used by a.example.com.", "comment: managed by certsync",
				// b only as a comment: name, serial, expiry, domains, and the files to add.
				"# b.example.com (certificate "+ids["b.example.com"], "# Used by b.example.com.",
				"#   certificate: files/quantil/b.example.com.crt", "#   chain: files/quantil/b.example.com.chain.pem", "#   private_key: files/quantil/b.example.com.key") {
				if !strings.Contains(text, want) {
					t.Errorf("the section lacks %q:\n%s", want, text)
				}
			}
			b := h.cert("b.example.com")
			if !strings.Contains(text, "serial "+b.Serial) || !strings.Contains(text, "expires "+time.Now().Add(60*24*time.Hour).UTC().Format("2006-01-02")) {
				t.Errorf("the comment on b lacks its serial %s or expiry:\n%s", b.Serial, text)
			}
			if !strings.Contains(strings.Join(res.Notes, "\n"), "b.example.com") {
				t.Errorf("no note names the left-out certificate: %v", res.Notes)
			}
			if strings.Contains(text, "PRIVATE KEY") {
				t.Fatal("the section holds key material")
			}

			inv, err := h.load(up + text)
			if err != nil {
				t.Fatalf("the imported section does not load: %v\n%s", err, text)
			}
			p := plan(t, v, inv)
			if !p.Empty() || len(p.Errors) > 0 || len(p.Attention) > 0 || strings.Contains(testfixture.Text(p), "waiting") {
				t.Fatalf("the imported section should plan no change:\n%s", testfixture.Text(p))
			}
		})
	}
}

// Without any offer, nothing is reproducible: the section has no item and
// loads (an empty list), and every certificate is in the comment.
func TestImportWithoutOffers(t *testing.T) {
	h := newHarness(t)
	h.issue("a.example.com", time.Now().Add(90*24*time.Hour))
	v := h.vendor()
	mustApply(t, v, plan(t, v, h.inventory("quantil:\n  certificates:\n"+item("a.example.com"))))
	res, err := v.Import(context.Background(), engine.ImportOptions{FilesDir: "files"})
	if err != nil {
		t.Fatal(err)
	}
	data, err := yaml.Marshal(&yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: Name}, res.Section}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "certificates: []") || !strings.Contains(string(data), "# - name: a.example.com") {
		t.Fatalf("want no item and a.example.com in the comment:\n%s", data)
	}
	inv, err := h.load(string(data))
	if err != nil {
		t.Fatalf("the imported section does not load: %v\n%s", err, data)
	}
	if p := plan(t, v, inv); !p.Empty() || len(p.Errors) > 0 {
		t.Fatalf("an empty section should plan no change:\n%s", testfixture.Text(p))
	}
}
