package inventory

import (
	"encoding/json"
	"reflect"
	"strings"
)

// Schema returns the JSON Schema (draft 2020-12) of the inventory, generated
// from the Go types the loader decodes into, so that it cannot drift from
// what Load accepts. Editors use it through the yaml-language-server comment
// at the top of an inventory file.
func Schema() map[string]any {
	s := schemaOf(reflect.TypeOf(Inventory{}), "")
	s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	s["$id"] = "https://github.com/certsync/certsync/inventory.schema.json"
	s["title"] = "certsync inventory"
	s["description"] = "What must exist at each certificate vendor. A key left out is not managed; a key set to \"\" is managed and cleared."
	return s
}

// SchemaJSON is Schema, indented, with a final newline.
func SchemaJSON() []byte {
	b, err := json.MarshalIndent(Schema(), "", "  ")
	if err != nil {
		panic(err) // plain maps and strings
	}
	return append(b, '\n')
}

// enumFor returns the value list the loader checks for a field path (list
// indexes written as []), matched by suffix so that ccadb.defaults and
// ccadb.intermediates[] share theirs.
func enumFor(path string) []string {
	for _, e := range []struct {
		suffix string
		values []string
	}{
		{".revocation.status", []string{"", "Revoked"}},
		{".revocation.reason", CCADBRevocationReasons},
		{"orders[].cert_type", MMCertTypes},
		{"orders[].dcv_method", MMDCVMethods},
		{"orders[].algorithm", MMAlgorithms},
		{"orders[].server_platform", MMServerPlatforms},
		{"orders[].key_type", MMKeyTypes},
		{"orders[].state", MMOrderStates},
		{"contacts[].types[]", MMContactTypes},
		{"contacts[].state", []string{"present", "absent"}},
		{"certificates[].state", []string{"present", "absent"}},
	} {
		if strings.HasSuffix(path, e.suffix) && e.values != nil {
			return e.values
		}
	}
	if strings.Contains(path, ".audits.") && strings.HasSuffix(path, ".type") {
		return CCADBAuditTypes
	}
	return nil
}

// schemaRequired are the keys an item must have.
var schemaRequired = map[string][]string{
	"ccadb.intermediates[]":                  {"certificate", "parent"},
	"markmonitor.organizations[]":            {"name", "address1", "city", "state", "country", "zipcode", "phone", "contacts"},
	"markmonitor.organizations[].contacts[]": {"email"},
	"markmonitor.orders[]":                   {"name", "organization", "cert_type", "common_name", "dcv_method"},
	"quantil.certificates[]":                 {"name"},
}

// schemaDocs describe the keys whose meaning is not obvious from the name.
var schemaDocs = map[string]string{
	"ccadb":                                  "Intermediate-certificate records in the CCADB (AddUpdateIntermediateCertAPI).",
	"ccadb.defaults":                         "Fields that apply to every intermediate that does not set them itself.",
	"ccadb.intermediates[].name":             "Key in plans and --target (ccadb/intermediate/NAME). Default: the certificate's subject CN.",
	"ccadb.intermediates[].certificate":      "PEM file (relative to the inventory) or inline PEM; one-line PEM accepted.",
	"ccadb.intermediates[].parent":           "PEM of the certificate that signed it.",
	"ccadb.intermediates[].crls.partitioned": "JSONArrayofPartitionedCRLs: [] resets it, [\"\"] means not yet issuing.",
	"markmonitor":                            "Markmonitor SSL Certs API: organizations with contacts, certificate orders.",
	"markmonitor.orders[].private_key":       "Private key file certsync makes the CSR from; generated (mode 0600) when missing.",
	"markmonitor.orders[].renew_before":      "How long before expiry to renew, e.g. 30d or 720h. Default: a third of the lifetime, 30 to 90 days.",
	"markmonitor.orders[].state":             "present (default), or cancelled / revoked: only then does certsync cancel or revoke.",
	"quantil":                                "SSL certificates on the QUANTIL CDN.",
	"quantil.certificates[].from_order":      "A markmonitor.orders[] name: deploy its certificate, chain and key.",
	"quantil.certificates[].state":           "present (default), or absent: only then does certsync delete it.",
}

func schemaOf(t reflect.Type, path string) map[string]any {
	switch t {
	case stringType:
		s := map[string]any{"type": "string"}
		if e := enumFor(path); len(e) > 0 {
			s["enum"] = e
		}
		return withDoc(s, path)
	case boolType:
		return withDoc(map[string]any{"type": "boolean"}, path)
	case stringsType:
		item := map[string]any{"type": "string"}
		if e := enumFor(path + "[]"); len(e) > 0 {
			item["enum"] = e
		}
		return withDoc(map[string]any{"type": "array", "items": item}, path)
	}
	switch t.Kind() {
	case reflect.Pointer:
		return schemaOf(t.Elem(), path)
	case reflect.Slice:
		return withDoc(map[string]any{"type": "array", "items": schemaOf(t.Elem(), path+"[]")}, path)
	case reflect.Struct:
		props := map[string]any{}
		addProps(t, path, props)
		s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
		if r := schemaRequired[path]; len(r) > 0 {
			s["required"] = r
		}
		return withDoc(s, path)
	}
	return map[string]any{}
}

func addProps(t reflect.Type, path string, props map[string]any) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if tag == "" || tag == "-" || !f.IsExported() {
			continue
		}
		if opts == "inline" {
			addProps(f.Type, path, props)
			continue
		}
		sub := name
		if path != "" {
			sub = path + "." + name
		}
		props[name] = schemaOf(f.Type, sub)
	}
}

func withDoc(s map[string]any, path string) map[string]any {
	if d := schemaDocs[path]; d != "" {
		s["description"] = d
	}
	return s
}
