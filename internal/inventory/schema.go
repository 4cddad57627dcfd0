package inventory

import (
	"encoding/json"
	"reflect"
	"strings"
)

// SchemaHints describe a section for the JSON Schema beyond what its Go
// types say. Paths are full field paths with list indexes written as []
// (e.g. "VENDOR.orders[]").
type SchemaHints struct {
	// Required are the keys an object at the path must have.
	Required map[string][]string
	// Docs describe the keys whose meaning is not obvious from the name.
	Docs map[string]string
	// Enums are the value lists the section's checks accept, matched by
	// path suffix so that a record's defaults and its items share theirs.
	Enums []Enum
}

// Enum is the value list of every field whose path ends with Suffix.
type Enum struct {
	Suffix string
	Values []string
}

func (h SchemaHints) enumFor(path string) []string {
	for _, e := range h.Enums {
		if strings.HasSuffix(path, e.Suffix) && e.Values != nil {
			return e.Values
		}
	}
	return nil
}

// Schema returns the JSON Schema (draft 2020-12) of an inventory with the
// sections, generated from the Go types the loader decodes into, so that
// it cannot drift from what Load accepts. Editors use it through the
// yaml-language-server comment at the top of an inventory file.
func Schema(specs []SectionSpec) map[string]any {
	props := map[string]any{}
	for _, sp := range specs {
		props[sp.Key] = schemaOf(reflect.TypeOf(sp.New()), sp.Key, sp.Schema)
	}
	if _, vendor := props[GuardsKey]; !vendor {
		props[GuardsKey] = schemaOf(reflect.TypeOf(&Guards{}), GuardsKey, guardsSchema)
	}
	return map[string]any{
		// An empty file manages nothing.
		"type":                 []string{"object", "null"},
		"properties":           props,
		"additionalProperties": false,
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  "https://github.com/certsync/certsync/inventory.schema.json",
		"title":                "certsync inventory",
		"description":          "What must exist at each certificate vendor. A key left out is not managed; a key set to \"\" is managed and cleared.",
	}
}

// SchemaJSON is Schema, indented, with a final newline.
func SchemaJSON(specs []SectionSpec) []byte {
	b, err := json.MarshalIndent(Schema(specs), "", "  ")
	if err != nil {
		panic(err) // plain maps and strings
	}
	return append(b, '\n')
}

func schemaOf(t reflect.Type, path string, h SchemaHints) map[string]any {
	switch t {
	case stringType:
		// The loader takes any scalar as a string (zipcode: 83702), so
		// the schema does too.
		s := map[string]any{"type": scalarTypes}
		if e := h.enumFor(path); len(e) > 0 {
			s["enum"] = enumValues(e)
		}
		return withDoc(s, path, h)
	case intType:
		return withDoc(map[string]any{"type": "integer", "minimum": 0}, path, h)
	case boolType:
		return withDoc(map[string]any{"type": "boolean"}, path, h)
	case stringsType:
		item := map[string]any{"type": scalarTypes}
		if e := h.enumFor(path + "[]"); len(e) > 0 {
			item["enum"] = enumValues(e)
		}
		return withDoc(map[string]any{"type": "array", "items": item}, path, h)
	}
	switch t.Kind() {
	case reflect.Pointer:
		// An optional mapping may be written empty (key: with no value).
		s := schemaOf(t.Elem(), path, h)
		if s["type"] == "object" {
			s["type"] = []string{"object", "null"}
		}
		return s
	case reflect.Slice:
		return withDoc(map[string]any{"type": "array", "items": schemaOf(t.Elem(), path+"[]", h)}, path, h)
	case reflect.Struct:
		props := map[string]any{}
		addProps(t, path, props, h)
		s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
		if r := h.Required[path]; len(r) > 0 {
			s["required"] = r
		}
		return withDoc(s, path, h)
	}
	return map[string]any{}
}

func addProps(t reflect.Type, path string, props map[string]any, h SchemaHints) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if tag == "" || tag == "-" || !f.IsExported() || f.Tag.Get("retired") != "" {
			continue // retired keys are refused, so editors should not offer them
		}
		if opts == "inline" {
			addProps(f.Type, path, props, h)
			continue
		}
		sub := name
		if path != "" {
			sub = path + "." + name
		}
		if opts == GroupOption {
			props[name] = schemaOf(f.Type.Elem(), sub, h) // a mapping, never empty
			continue
		}
		props[name] = schemaOf(f.Type, sub, h)
	}
}

// scalarTypes are the JSON types of a YAML scalar the loader reads as a
// string: a plain string, a number (83702) or a boolean (true).
var scalarTypes = []string{"string", "number", "boolean"}

// enumValues lists an enum's strings and, for those a YAML file would
// write unquoted as a number or boolean, that value too: the loader reads
// both as the same string.
func enumValues(values []string) []any {
	out := make([]any, 0, len(values))
	for _, v := range values {
		out = append(out, v)
		var typed any
		if err := json.Unmarshal([]byte(v), &typed); err == nil {
			switch typed.(type) {
			case float64, bool:
				out = append(out, typed)
			}
		}
	}
	return out
}

func withDoc(s map[string]any, path string, h SchemaHints) map[string]any {
	if d := h.Docs[path]; d != "" {
		s["description"] = d
	}
	return s
}
