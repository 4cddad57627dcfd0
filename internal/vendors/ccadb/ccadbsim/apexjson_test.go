package ccadbsim

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseJSONStringsMatchEncodingJSON(t *testing.T) {
	for _, lit := range []string{
		`""`, `"plain"`, `"a\"b\\c\/d"`, `"\b\f\n\r\t"`, `"\u00e9\u20AC"`, `"\ud83d\ude00"`, `"lone \ud800 surrogate"`,
		`"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"`, `"Ωmega ünïcode"`,
	} {
		n, err := parseJSON([]byte(lit))
		if err != nil {
			t.Errorf("%s: %v", lit, err)
			continue
		}
		var want string
		if err := json.Unmarshal([]byte(lit), &want); err != nil {
			t.Fatal(err)
		}
		if n.kind != jsonString || n.text != want {
			t.Errorf("%s = %q, want %q", lit, n.text, want)
		}
	}
}

func TestParseJSONValues(t *testing.T) {
	n, err := parseJSON([]byte(" {\"a\" : [ 0 , -1.5e+3 , true , false , null , { } , [ ] ] } \n"))
	if err != nil {
		t.Fatal(err)
	}
	items := n.field("A")[0].items
	kinds := []jsonKind{jsonNumber, jsonNumber, jsonBool, jsonBool, jsonNull, jsonObject, jsonArray}
	if len(items) != len(kinds) {
		t.Fatalf("%d items", len(items))
	}
	for i, k := range kinds {
		if items[i].kind != k {
			t.Errorf("item %d kind %v, want %v", i, items[i].kind, k)
		}
	}
	if items[1].text != "-1.5e+3" {
		t.Errorf("number literal %q", items[1].text)
	}

	for _, bad := range []string{`01`, `-`, `1.`, `1e`, `"\x"`, `"\u12"`, `"\u12zz"`, `"abc`, `{"a":1} x`, `{"a":1`, `[1`, `nul`,
		strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1)} {
		if _, err := parseJSON([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	// Positions count lines and columns from 1.
	if l, c := position([]byte("ab\ncd\nef"), 7); l != 3 || c != 2 {
		t.Errorf("position = %d:%d, want 3:2", l, c)
	}
}
