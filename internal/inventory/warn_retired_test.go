package inventory_test

import (
	"strings"
	"testing"

	"github.com/certsync/certsync/internal/inventory"
)

// warnSection exercises the generic warning level and the retired tags.
type warnSection struct {
	Value  inventory.String  `yaml:"value"`
	List   inventory.Strings `yaml:"list" retired_scalar:"write list: [X]"`
	OldKey struct{}          `yaml:"old_key" retired:"use value"`
}

func (s *warnSection) Check(r *inventory.Report, _ *inventory.Inventory) {
	if s.Value.Value == "odd" {
		r.Warn(s.Value.Pos, "w.value", "%q is unusual", s.Value.Value)
	}
}

func TestWarningsAndRetiredKeys(t *testing.T) {
	specs := []inventory.SectionSpec{{Key: "w", New: func() inventory.Section { return &warnSection{} }}}
	inv, err := inventory.Parse("inv.yaml", []byte("w:\n  value: odd\n  list: [a]\n"), specs)
	if err != nil {
		t.Fatalf("a warning failed the load: %v", err)
	}
	if w := inv.Warnings(); len(w) != 1 || w[0].Error() != `inv.yaml:2:10: w.value: warning: "odd" is unusual` {
		t.Errorf("warnings = %v", w)
	}
	for src, want := range map[string]string{
		"w:\n  old_key: 1\n": "inv.yaml:2:3: w.old_key: is retired: use value",
		"w:\n  list: a\n":    "inv.yaml:2:9: w.list: a single value is the retired form: write list: [X]",
	} {
		_, err := inventory.Parse("inv.yaml", []byte(src), specs)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", src, err, want)
		}
	}
	if _, err := inventory.Parse("inv.yaml", []byte("w:\n  value: odd\n  old_key: 1\n"), specs); err == nil {
		t.Error("an inventory with a problem and a warning loaded")
	}
	s := inventory.Schema(specs)
	props := s["properties"].(map[string]any)["w"].(map[string]any)["properties"].(map[string]any)
	if _, ok := props["old_key"]; ok {
		t.Error("the schema offers a retired key")
	}
}
