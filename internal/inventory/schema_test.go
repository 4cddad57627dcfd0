package inventory_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/vendors"
)

var updateSchema = flag.Bool("update-schema", false, "rewrite inventory.schema.json")

// The checked-in schema is what the types generate; a stale one fails here
// (go test ./internal/inventory -update-schema, or certsync schema, rewrites it).
func TestSchemaIsCurrent(t *testing.T) {
	const file = "../../inventory.schema.json"
	got := inventory.SchemaJSON(vendors.Sections())
	if *updateSchema {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run: go test ./internal/inventory -run Schema -update-schema)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("inventory.schema.json is stale: run `go test ./internal/inventory -run Schema -update-schema` (or `certsync schema > inventory.schema.json`)")
	}
}

// The schema knows every key the loader accepts, with its enums.
func TestSchemaShape(t *testing.T) {
	var s map[string]any
	if err := json.Unmarshal(inventory.SchemaJSON(vendors.Sections()), &s); err != nil {
		t.Fatal(err)
	}
	props := s["properties"].(map[string]any)
	for _, k := range []string{"ccadb", "markmonitor", "quantil"} {
		if _, ok := props[k]; !ok {
			t.Errorf("schema lacks %s", k)
		}
	}
	order := props["markmonitor"].(map[string]any)["properties"].(map[string]any)["orders"].(map[string]any)["items"].(map[string]any)
	ct := order["properties"].(map[string]any)["cert_type"].(map[string]any)
	if len(ct["enum"].([]any)) != 12 {
		t.Errorf("cert_type enum = %v", ct["enum"])
	}
	if order["additionalProperties"] != false {
		t.Error("unknown keys are errors, so additionalProperties must be false")
	}
	inter := props["ccadb"].(map[string]any)["properties"].(map[string]any)["intermediates"].(map[string]any)["items"].(map[string]any)["properties"].(map[string]any)
	for _, k := range []string{"certificate_name", "revocation", "audits", "crls", "policy", "description"} {
		if _, ok := inter[k]; !ok {
			t.Errorf("intermediate schema lacks %s", k)
		}
	}
	// The CCADB's audit types are not published: any string (the check
	// warns about unknown ones); retired keys are not offered at all.
	audits := inter["audits"].(map[string]any)["properties"].(map[string]any)
	std := audits["standard"].(map[string]any)["properties"].(map[string]any)["type"].(map[string]any)
	// A text field takes any scalar (validate reads 83702 as "83702").
	if fmt.Sprint(std["type"]) != "[string number boolean]" || std["enum"] != nil {
		t.Errorf("audit type schema = %v, want any scalar", std)
	}
	for _, retired := range []string{"br", "ev_ssl", "ev_code_signing"} {
		if _, ok := audits[retired]; ok {
			t.Errorf("the schema offers the retired key audits.%s", retired)
		}
	}
	if _, ok := audits["tls_br"]; !ok {
		t.Error("the schema lacks audits.tls_br")
	}
}
