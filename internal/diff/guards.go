package diff

import "fmt"

// Guards are the limits an unattended apply must stay within: a plan with
// more paid or destructive changes than these is refused as a whole,
// nothing sent, unless the limits are raised for that run or it is
// forced. Whether a change is paid or destructive comes from its
// ActionSpec, so guards know no vendor by name.
type Guards struct {
	// MaxPaid is the most changes the vendors may charge for (actions
	// declared Paid, e.g. placing, renewing or reissuing an order) one
	// apply may make.
	MaxPaid int
	// MaxDestructive is the most changes that remove or end something
	// (delete, cancel, revoke) one apply may make.
	MaxDestructive int
}

// DefaultGuards are the limits when neither the inventory nor a flag sets
// them.
var DefaultGuards = Guards{MaxPaid: 10, MaxDestructive: 3}

// Trip is one guard a plan exceeds.
type Trip struct {
	// Guard is the guard's name, as its flag spells it without dashes:
	// "max-paid" or "max-destructive".
	Guard string `json:"guard"`
	// Count is how many changes of the plan the guard counts; Limit is
	// its limit.
	Count int `json:"count"`
	Limit int `json:"limit"`
}

// String says what tripped and how to go past it.
func (t Trip) String() string {
	what := "paid"
	if t.Guard == "max-destructive" {
		what = "destructive"
	}
	return fmt.Sprintf("%d %s change(s), more than the limit of %d: apply refuses the plan (raise it for one run with --%s %d, or set guards.%s in the inventory, or use --force)",
		t.Count, what, t.Limit, t.Guard, t.Count, guardKey(t.Guard))
}

func guardKey(g string) string {
	if g == "max-destructive" {
		return "max_destructive"
	}
	return "max_paid"
}

// Guard counts the plan's paid and destructive changes (from the action
// specs given to Describe) and records in p.Tripped every guard of g they
// exceed. It returns p.Tripped.
func (p *Plan) Guard(g Guards) []Trip {
	paid, destructive := 0, 0
	for _, c := range p.Changes {
		s := p.SpecOf(c.Address, c.Action)
		if s.Paid {
			paid++
		}
		if s.Destructive {
			destructive++
		}
	}
	p.Tripped = nil
	if paid > g.MaxPaid {
		p.Tripped = append(p.Tripped, Trip{Guard: "max-paid", Count: paid, Limit: g.MaxPaid})
	}
	if destructive > g.MaxDestructive {
		p.Tripped = append(p.Tripped, Trip{Guard: "max-destructive", Count: destructive, Limit: g.MaxDestructive})
	}
	return p.Tripped
}
