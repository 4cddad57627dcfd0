package quantil

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/certsync/certsync/internal/engine"
	"github.com/certsync/certsync/internal/testfixture"
)

// An imported certificate is observed (no change) while its PEMs are not
// given, and still plans no change once the environment variables it names
// hold the deployed certificate, chain and key. The domains that use it are
// named in a comment; no key material is written.
func TestImportPlansNoChange(t *testing.T) {
	h := newHarness(t)
	h.issue("a.example.com", time.Now().Add(90*24*time.Hour))
	v := h.vendor()
	inv := h.inventory("quantil:\n  certificates:\n" + item("a.example.com"))
	mustApply(t, v, plan(t, v, inv))
	live := h.sim.Certificates()
	if len(live) != 1 {
		t.Fatalf("%d certificates uploaded", len(live))
	}
	if _, err := h.sim.SeedDomain("a.example.com", live[0].ID); err != nil {
		t.Fatal(err)
	}

	res, err := v.Import(context.Background(), engine.ImportOptions{})
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
	for _, want := range []string{"Used by a.example.com.", "certificate_env: QUANTIL_A_EXAMPLE_COM_CERT", "private_key_env: QUANTIL_A_EXAMPLE_COM_KEY", "comment: managed by certsync"} {
		if !strings.Contains(text, want) {
			t.Errorf("the section lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "PRIVATE KEY") {
		t.Fatal("the section holds key material")
	}
	path := filepath.Join(h.dir, "imported.yaml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}

	p := plan(t, v, testfixture.Load(t, path, Spec()))
	if !p.Empty() || len(p.Errors) > 0 || !strings.Contains(testfixture.Text(p), "waiting") {
		t.Fatalf("without its PEMs the item should wait:\n%s", testfixture.Text(p))
	}
	for suffix, file := range map[string]string{"CERT": "a.example.com.crt", "CHAIN": "a.example.com.chain.pem", "KEY": "a.example.com.key"} {
		b, err := os.ReadFile(filepath.Join(h.dir, file))
		if err != nil {
			t.Fatal(err)
		}
		t.Setenv("QUANTIL_A_EXAMPLE_COM_"+suffix, string(b))
	}
	p = plan(t, v, testfixture.Load(t, path, Spec()))
	if !p.Empty() || len(p.Errors) > 0 || strings.Contains(testfixture.Text(p), "waiting") {
		t.Fatalf("with its PEMs the item should match by serial:\n%s", testfixture.Text(p))
	}
}
