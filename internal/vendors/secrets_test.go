package vendors_test

import (
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/certsync/certsync/internal/redact"
	"github.com/certsync/certsync/internal/vendors"
)

// Every field tagged secret reaches the redactor, and no setting whose name
// says it is a credential goes without the tag.
func TestEverySecretReachesTheRedactor(t *testing.T) {
	c := vendors.Fresh()
	credential := regexp.MustCompile(`(?i)secret|token|password|key`)
	var tagged []string
	for _, e := range vendors.All() {
		sec := reflect.ValueOf(c[e.Name]).Elem()
		for j := 0; j < sec.NumField(); j++ {
			f := sec.Type().Field(j)
			name := e.Name + "." + f.Name
			if f.Tag.Get("secret") != "true" {
				if credential.MatchString(f.Name) {
					t.Errorf("%s looks like a credential but is not tagged secret:\"true\"", name)
				}
				continue
			}
			if f.Type.Kind() != reflect.String {
				t.Fatalf("%s is tagged secret but is a %s", name, f.Type)
			}
			val := "s3cret-value-of-" + strings.ToLower(name)
			sec.Field(j).SetString(val)
			tagged = append(tagged, val)
		}
	}
	if len(tagged) < 5 {
		t.Fatalf("only %d secret settings found; the vendors have at least 5", len(tagged))
	}
	got := c.Secrets()
	r := &redact.Redactor{}
	r.Add(got...)
	for _, val := range tagged {
		if !slices.Contains(got, val) {
			t.Errorf("Secrets() lacks %q", val)
		}
		if out := r.String("token=" + val); strings.Contains(out, val) {
			t.Errorf("the redactor let %q through: %q", val, out)
		}
	}
}
