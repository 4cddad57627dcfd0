package diff_test

import (
	"testing"

	"github.com/certsync/certsync/internal/diff"
)

func TestActionSpecs(t *testing.T) {
	p := &diff.Plan{}
	p.Describe(
		diff.ActionSpec{Action: "renew", Verb: "renewed", Symbol: "+", Paid: true},
		diff.ActionSpec{Vendor: "ca", Kind: "order", Action: diff.Create, Verb: "created", Symbol: "+", Paid: true},
	)
	order := diff.Address{Vendor: "ca", Kind: "order", Name: "www"}
	contact := diff.Address{Vendor: "ca", Kind: "contact", Name: "pki"}
	tests := []struct {
		name   string
		got    diff.ActionSpec
		verb   string
		symbol string
		paid   bool
	}{
		{"built-in delete", p.Spec(diff.Delete), "deleted", "-", false},
		{"described vendor action", p.Spec("renew"), "renewed", "+", true},
		{"kind-specific spec wins for its kind", p.SpecOf(order, diff.Create), "created", "+", true},
		{"other kinds keep the built-in", p.SpecOf(contact, diff.Create), "created", "+", false},
		{"undescribed action", p.Spec("frobnicate"), "frobnicate", "?", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got.Verb != tt.verb || tt.got.Symbol != tt.symbol || tt.got.Paid != tt.paid {
				t.Errorf("spec = %+v, want verb %q symbol %q paid %v", tt.got, tt.verb, tt.symbol, tt.paid)
			}
		})
	}
	if !p.Spec(diff.Delete).Irreversible {
		t.Error("delete is not marked irreversible")
	}
}
