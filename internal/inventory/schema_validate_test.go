package inventory_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/vendors"
)

// The JSON Schema is what editors check an inventory with, so it must
// accept exactly what `certsync validate` accepts, as far as the shape of
// the document goes: keys, value types, enums, integers, empty sections,
// anchors, aliases and merge keys. These tests run a JSON Schema validator
// (santhosh-tekuri/jsonschema, draft 2020-12) beside inventory.Load.
//
// Out of the schema's reach, and so accepted by it while validate refuses
// them: files that are missing or unreadable, certificates and keys that
// do not parse, chains and signatures (a certificate's parent), dates and
// URLs in the wrong form, references between items (from:), and rules
// across fields (a revocation date with no revoked status). The semantic
// cases below pin that boundary.

func compiledSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(inventory.SchemaJSON(vendors.Sections())))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("inventory.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("inventory.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// schemaCheck turns YAML into the JSON document an editor's YAML support
// hands the schema (aliases and merge keys resolved) and validates it. A
// YAML that has no JSON form (a duplicate key) is refused.
func schemaCheck(s *jsonschema.Schema, src []byte) error {
	var doc any
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return err
	}
	b, err := json.Marshal(jsonable(doc))
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return err
	}
	return s.Validate(inst)
}

// jsonable gives maps with non-string keys (1: x) string keys, as JSON.
func jsonable(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = jsonable(e)
		}
		return x
	case map[any]any:
		out := map[string]any{}
		for k, e := range x {
			out[fmt.Sprint(k)] = jsonable(e)
		}
		return out
	case []any:
		for i, e := range x {
			x[i] = jsonable(e)
		}
		return x
	}
	return v
}

// exampleVariant is the example inventory with one edit, written beside
// it so that its relative file references resolve.
func exampleVariant(t *testing.T, old, new string) string {
	t.Helper()
	src, err := os.ReadFile("../../inventory.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if old != "" && !bytes.Contains(src, []byte(old)) {
		t.Fatalf("the example no longer contains %q", old)
	}
	if old == "" {
		return string(src) + new
	}
	return strings.Replace(string(src), old, new, 1)
}

func loadAt(t *testing.T, src string) error {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	_, err = inventory.Parse(filepath.Join(dir, "variant.yaml"), []byte(src), vendors.Sections())
	return err
}

func TestSchemaAgreesWithValidate(t *testing.T) {
	s := compiledSchema(t)
	tests := []struct {
		name     string
		old, new string // an edit of the example; old "" appends new
		valid    bool
	}{
		{"the example", "", "", true},
		{"a number for a string field", `zipcode: "83702"`, `zipcode: 83702`, true},
		{"a boolean for a string field", `city: Boise`, `city: true`, true},
		{"guards", "", "guards:\n  max_paid: 20\n  max_destructive: 0\n", true},
		{"empty guards", "", "guards:\n", true},
		{"anchor and alias of a scalar", "ca_owner: Example CA", "ca_owner: &owner Example CA\n    description: *owner", false},
		{"anchor and merge key", "    auditor:\n", "    auditor: &aud\n", true},
		{"empty section", "", "", true},
		{"empty document", "", "", true},

		{"unknown top-level key", "", "colour: blue\n", false},
		{"unknown key through a merge", "      city: Boise\n", "      <<: {colour: blue}\n      city: Boise\n", false},
		{"quoted guard", "", "guards:\n  max_paid: \"20\"\n", false},
		{"negative guard", "", "guards:\n  max_destructive: -1\n", false},
		{"fractional guard", "", "guards:\n  max_paid: 1.5\n", false},
		{"unknown guard", "", "guards:\n  max_orders: 1\n", false},
		{"null for a string field", `zipcode: "83702"`, `zipcode:`, false},
		{"list for a string field", `zipcode: "83702"`, `zipcode: [83702]`, false},
		{"scalar for a list", `dns_names: [example.com]`, `dns_names: example.com`, false},
		{"quoted boolean", "technically_constrained: true", `technically_constrained: "true"`, false},
		{"yes for a boolean", "technically_constrained: true", `technically_constrained: yes`, false},
		{"value outside an enum", "cert_type: SSL_OV_BASIC", "cert_type: SSL_BOGUS", false},
		{"key set twice", `zipcode: "83702"`, "zipcode: \"83702\"\n      zipcode: \"83703\"", false},
		{"a list for the document", "", "- x\n", false},
		{"null list of items", "  certificates:\n", "  certificates:\n  other:\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := exampleVariant(t, tt.old, tt.new)
			switch tt.name {
			case "empty document":
				src = "# nothing managed\n"
			case "empty section":
				src = "ccadb:\nquantil:\nguards:\n"
			case "a list for the document":
				src = tt.new
			case "anchor and merge key":
				src = strings.Replace(src, "      technically_constrained: true\n", "      technically_constrained: true\n      auditor:\n        <<: *aud\n        location: Canada\n", 1)
				tt.valid = true
			case "anchor and alias of a scalar":
				tt.valid = true
			}
			vErr := loadAt(t, src)
			sErr := schemaCheck(s, []byte(src))
			if (vErr == nil) != tt.valid {
				t.Fatalf("validate: %v, want valid %v", vErr, tt.valid)
			}
			if (sErr == nil) != tt.valid {
				t.Fatalf("schema: %v, want valid %v (validate: %v)", sErr, tt.valid, vErr)
			}
		})
	}
}

// Semantic rules validate applies and the schema cannot: the schema
// accepts these, validate refuses them.
func TestSchemaLeavesSemanticsToValidate(t *testing.T) {
	s := compiledSchema(t)
	tests := []struct{ name, old, new string }{
		{"missing certificate file", "certificate: testdata/pki/tls-sub.pem", "certificate: testdata/pki/nope.pem"},
		{"a date in the wrong form", `period_end: "2025-03-31"`, `period_end: "31/03/2025"`},
		{"a reference to no item", "from: markmonitor/order/www", "from: markmonitor/order/nope"},
		{"a parent that did not sign the certificate", "certificate: testdata/pki/tls-sub.pem\n      parent: testdata/pki/tls-issuing.pem", "certificate: testdata/pki/tls-sub.pem\n      parent: testdata/pki/root.pem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := exampleVariant(t, tt.old, tt.new)
			if err := loadAt(t, src); err == nil {
				t.Error("validate accepted it")
			}
			if err := schemaCheck(s, []byte(src)); err != nil {
				t.Errorf("the schema refused it: %v", err)
			}
		})
	}
}

// Every inventory file of the repository (the example, deployment
// ConfigMaps' inventories, test data) passes both.
func TestSchemaAcceptsRepositoryInventories(t *testing.T) {
	s := compiledSchema(t)
	var files []string
	_ = filepath.WalkDir("../..", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() && (d.Name() == ".git" || d.Name() == "deploy") {
			if d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasPrefix(filepath.Base(p), "inventory") && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			files = append(files, p)
		}
		return nil
	})
	if len(files) == 0 {
		t.Fatal("no inventory found")
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := inventory.Load(f, vendors.Sections()); err != nil {
			t.Errorf("%s: validate: %v", f, err)
		}
		if err := schemaCheck(s, src); err != nil {
			t.Errorf("%s: schema: %v", f, err)
		}
	}
}
