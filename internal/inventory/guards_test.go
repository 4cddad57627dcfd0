package inventory_test

import (
	"strings"
	"testing"

	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/vendors"
)

func TestGuardsSection(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       inventory.Guards
		problem    string
	}{
		{"both", "guards:\n  max_paid: 20\n  max_destructive: 0\n", inventory.Guards{
			MaxPaid:        inventory.Int{Value: 20, Set: true, Pos: inventory.Pos{Line: 2, Col: 13}},
			MaxDestructive: inventory.Int{Value: 0, Set: true, Pos: inventory.Pos{Line: 3, Col: 20}},
		}, ""},
		{"absent", "ccadb:\n", inventory.Guards{}, ""},
		{"empty", "guards:\n", inventory.Guards{}, ""},
		{"through an anchor", "guards: &g {max_paid: 2}\n", inventory.Guards{MaxPaid: inventory.Int{Value: 2, Set: true, Pos: inventory.Pos{Line: 1, Col: 23}}}, ""},
		{"quoted", "guards:\n  max_paid: \"20\"\n", inventory.Guards{}, `:2:13: guards.max_paid: must be a whole number, found the scalar "20"`},
		{"negative", "guards:\n  max_paid: -1\n", inventory.Guards{}, ":2:13: guards.max_paid: must be a whole number from 0 up, found -1"},
		{"unknown", "guards:\n  max_pad: 1\n", inventory.Guards{}, `:2:3: guards.max_pad: unknown field; did you mean "max_paid"?`},
		{"twice", "guards:\n  max_paid: 1\nguards:\n  max_paid: 2\n", inventory.Guards{}, ":3:1: guards: is set twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := inventory.Parse("inv.yaml", []byte(tt.yaml), vendors.Sections())
			if tt.problem != "" {
				if err == nil || !strings.Contains(err.Error(), tt.problem) {
					t.Fatalf("err = %v, want %q", err, tt.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if inv.Guards != tt.want {
				t.Errorf("Guards = %+v, want %+v", inv.Guards, tt.want)
			}
		})
	}
}
