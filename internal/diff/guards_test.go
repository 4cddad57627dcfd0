package diff

import (
	"reflect"
	"strings"
	"testing"
)

func TestGuard(t *testing.T) {
	specs := []ActionSpec{
		{Vendor: "ca", Kind: "order", Action: Create, Verb: "created", Symbol: "+", Paid: true},
		{Action: "revoke", Verb: "revoked", Symbol: "-", Destructive: true},
		{Action: "renew", Verb: "renewed", Symbol: "+", Paid: true},
	}
	order := func(n string, a Action) Change {
		return Change{Address: Address{Vendor: "ca", Kind: "order", Name: n}, Action: a}
	}
	contact := Change{Address: Address{Vendor: "ca", Kind: "contact", Name: "c"}, Action: Create}
	tests := []struct {
		name    string
		changes []Change
		g       Guards
		want    []Trip
	}{
		{"within limits", []Change{order("a", Create), order("b", "renew"), contact}, Guards{MaxPaid: 2, MaxDestructive: 0}, nil},
		{"a create is paid only for the kind that says so", []Change{contact, contact, contact}, Guards{MaxPaid: 0, MaxDestructive: 0}, nil},
		{"paid over", []Change{order("a", Create), order("b", "renew"), order("c", Create)}, Guards{MaxPaid: 2, MaxDestructive: 3},
			[]Trip{{Guard: "max-paid", Count: 3, Limit: 2}}},
		{"built-in delete and a vendor's revoke are destructive", []Change{order("a", Delete), order("b", "revoke")}, Guards{MaxPaid: 10, MaxDestructive: 1},
			[]Trip{{Guard: "max-destructive", Count: 2, Limit: 1}}},
		{"both", []Change{order("a", Create), order("b", "revoke")}, Guards{},
			[]Trip{{Guard: "max-paid", Count: 1, Limit: 0}, {Guard: "max-destructive", Count: 1, Limit: 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Plan{Changes: tt.changes}
			p.Describe(specs...)
			if got := p.Guard(tt.g); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Guard = %+v, want %+v", got, tt.want)
			}
			var b strings.Builder
			if err := Text(&b, p, false); err != nil {
				t.Fatal(err)
			}
			if shown := strings.Contains(b.String(), "Guards tripped"); shown != (len(tt.want) > 0) {
				t.Fatalf("text shows guards: %v, want %v:\n%s", shown, len(tt.want) > 0, b.String())
			}
			for _, tr := range tt.want {
				if !strings.Contains(b.String(), "--"+tr.Guard) {
					t.Errorf("text does not name --%s:\n%s", tr.Guard, b.String())
				}
			}
			b.Reset()
			if err := Markdown(&b, p); err != nil {
				t.Fatal(err)
			}
			if shown := strings.Contains(b.String(), "Guards tripped"); shown != (len(tt.want) > 0) {
				t.Fatalf("markdown shows guards: %v:\n%s", shown, b.String())
			}
		})
	}
}
