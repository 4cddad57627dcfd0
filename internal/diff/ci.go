package diff

import "fmt"

// ForCI returns the plan as CI mode counts it, with reason (why CI mode is
// on) in CI. A plan made on a CI runner for a pull request must show what
// the merge would change at the vendors, and nothing else:
//
//   - a field whose live value cannot be read back (FieldChange.Unknown, a
//     write-only field) is not known to differ: it moves to Unknown, and a
//     change left with no known field difference is dropped (an update, or
//     a vendor action, whose only fields are unknown);
//   - a change whose action is declared Local (ActionSpec.Local) only
//     writes files on this machine: it moves to LocalOnly.
//
// Creates keep every field: nothing is unknown about an object that does
// not exist. Empty, Count, Summary and PriceTotals then count only the
// changes left, so --detailed-exitcode exits 2 only for changes to a
// vendor. p is not modified.
func (p *Plan) ForCI(reason string) *Plan {
	out := *p
	out.CI = reason
	out.Changes = []Change{}
	out.Unknown, out.LocalOnly = nil, nil
	for _, c := range p.Changes {
		if p.SpecOf(c.Address, c.Action).Local {
			out.LocalOnly = append(out.LocalOnly, c)
			continue
		}
		if c.Action == Create || c.LiveID == "" && c.Fingerprint == "" {
			out.Changes = append(out.Changes, c)
			continue
		}
		var known, unknown []FieldChange
		for _, f := range c.Fields {
			if f.Unknown != "" {
				unknown = append(unknown, f)
			} else {
				known = append(known, f)
			}
		}
		if len(unknown) > 0 {
			u := c
			u.Fields, u.Notes, u.DependsOn = unknown, nil, nil
			out.Unknown = append(out.Unknown, u)
		}
		if len(unknown) > 0 && len(known) == 0 {
			continue
		}
		c.Fields = known
		if len(unknown) > 0 {
			c.Notes = append(append([]string(nil), c.Notes...), unknownNote(len(unknown)))
		}
		out.Changes = append(out.Changes, c)
	}
	// The cost is that of the changes that count.
	out.PriceTotals = PriceTotals(out.Changes)
	return &out
}

func unknownNote(n int) string {
	if n == 1 {
		return "1 write-only field is listed apart: its live value cannot be read back"
	}
	return fmt.Sprintf("%d write-only fields are listed apart: their live values cannot be read back", n)
}
