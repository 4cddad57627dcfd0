package ccadb

import (
	"reflect"
	"testing"
)

// A report cell becomes the inventory value in the shape the inventory
// reads; empty cells and a revoked status (which needs fields the report
// lacks) are left out.
func TestImportValue(t *testing.T) {
	cases := []struct {
		name  string
		f     field
		raw   string
		shape any
		want  any
		note  bool
	}{
		{"text", field{kind: text}, " https://x ", "", "https://x", false},
		{"empty text left out", field{kind: text}, "", "", nil, false},
		{"boolean", field{kind: boolean}, "True", false, true, false},
		{"boolean false", field{kind: boolean}, "False", false, false, false},
		{"empty boolean left out", field{kind: boolean}, "", false, nil, false},
		{"date with dots", field{kind: date}, "2023.03.14", "", "2023-03-14", false},
		{"JSON list to a list", field{kind: list}, `["a","b"]`, []string{}, []string{"a", "b"}, false},
		{"empty JSON list left out", field{kind: list}, `[]`, []string{}, nil, false},
		{"JSON list to a one-URL field", field{kind: text}, `["http://crl"]`, "", "http://crl", false},
		{"longer JSON list to a one-URL field", field{kind: text}, `["a","b"]`, "", "a", true},
		{"plain value to a list field", field{kind: text}, "http://crl", []string{}, []string{"http://crl"}, false},
		{"not revoked", field{kind: revocationStatus}, "Not Revoked", "", nil, false},
		{"revoked left out with a note", field{kind: revocationStatus}, "Revoked", "", nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, note := importValue(c.f, c.raw, c.shape)
			if !reflect.DeepEqual(got, c.want) || (note != "") != c.note {
				t.Errorf("importValue(%q) = %#v, %q; want %#v, note %v", c.raw, got, note, c.want, c.note)
			}
		})
	}
}

// Every report column of the catalogue has an inventory leaf to write it to.
func TestImportShapesCoverCatalogue(t *testing.T) {
	shapes := leafShapes()
	for _, f := range fields {
		if _, ok := shapes[f.path]; f.column != "" && !ok {
			t.Errorf("%s: no inventory leaf", f.path)
		}
	}
}
