package diff

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Field is one named value of an object. Values are string, bool or
// []string; nil means "no value".
type Field struct {
	Name  string
	Value any
	// Sensitive values never appear in plans or logs.
	Sensitive bool
	// Unknown, on a live object, says why the value could not be read; the
	// diff then plans to send the desired value.
	Unknown string
}

// Object is one side of a comparison: the desired state of an item, or what
// the vendor holds.
type Object struct {
	// ID is the vendor's identifier (live objects only).
	ID string
	// Fields in display order. Desired objects list only managed fields.
	Fields []Field
	// Keys is data the vendor needs to act on the object but that is not
	// compared or printed in text plans: a certificate's PEM, its parent's.
	// Never put a secret here.
	Keys map[string]string
}

func (o *Object) field(name string) (Field, bool) {
	for _, f := range o.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Pair is what a vendor reports for one managed object.
type Pair struct {
	Address Address
	// Desired is the inventory's view; only managed fields.
	Desired *Object
	// Live is the vendor's view; nil when the object does not exist.
	Live *Object
	// Absent means the inventory asks for the object to be gone.
	Absent bool
	// Action, when set, is the vendor's decision (one of its declared
	// actions); the field differences are still computed. Empty lets
	// Compute decide: create, update, delete or nothing.
	Action Action
	// NoChange is the vendor's decision that nothing is to be done now,
	// whatever the objects say (an item waiting for another vendor's
	// result); Info says why.
	NoChange bool
	// Bundle, when set, is what this item makes available to other
	// vendors' items that refer to its address (see Artifacts).
	Bundle *Bundle
	// Reason explains a vendor-decided Action.
	Reason string
	// Price is what the change costs, if the vendor priced it; its Amount
	// must be a decimal number (CheckAmount), else the change carries no
	// price and a note says why.
	Price *Price
	// DependsOn lists objects whose changes must be applied first.
	DependsOn []Address
	// Uses lists the other vendors' items this pair's desired state comes
	// from (a CDN certificate's source order), whether or not they change
	// in this run: when their vendor cannot be observed, the engine makes
	// this pair an error instead of planning from stale inputs.
	Uses []Address
	// Notes go with the change, if there is one.
	Notes []string
	// Info is shown even when no change is needed.
	Info []string
	// Records are what must be published for the object to progress (see
	// Info.Records). They go with the pair's first Info message; a pair
	// with records and no Info gets one saying so.
	Records []Record
	// InfoKind, when set, classifies every message of Info (see the Info*
	// constants, e.g. InfoDCVPending), so that notifications can tell a
	// pending validation from other information without parsing text.
	InfoKind string
	// RenewAt, when set, is when the vendor starts renewing this item's
	// certificate (the start of its renewal window); the expiry itself is
	// the live object's "expires" field (see Expires). Zero: the vendor
	// does not renew it, or does not say.
	RenewAt time.Time
	// Attention, when set, means a person must act before this item can
	// converge (a key file that is gone, a change the vendor is known to
	// refuse): no change is planned for it, the plan lists it under "needs
	// attention", and the run ends with exit code 1.
	Attention []string
	// Error, when set, means this item could not be planned; it gets no
	// change and the plan carries the error, so one bad item never stops
	// the others.
	Error string
}

// ExpiresField is the live field in which a vendor reports when the
// object's certificate expires, as RFC 3339 text.
const ExpiresField = "expires"

// Expires returns when the live object's certificate expires (its
// ExpiresField); ok is false when there is no live object or no readable
// expiry.
func (pr Pair) Expires() (t time.Time, ok bool) {
	if pr.Live == nil {
		return time.Time{}, false
	}
	f, found := pr.Live.field(ExpiresField)
	s, isText := f.Value.(string)
	if !found || !isText {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}

var valueEqual = cmpopts.EquateEmpty()

// Equal reports whether two field values are the same for planning: nil,
// "" and an empty list are not interchangeable, but an empty list equals a
// nil list.
//
// Text, lists of text and booleans (almost every field) are compared
// directly: go-cmp's reflection was most of the CPU of a 10,000-item plan's
// diff. Anything else, and any two values of different types, go to
// go-cmp, which the direct comparisons must agree with (a test checks).
func Equal(a, b any) bool {
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return x == y
		}
	case []string:
		if y, ok := b.([]string); ok {
			return slices.Equal(x, y) // nil and empty are equal, as EquateEmpty makes them
		}
	case bool:
		if y, ok := b.(bool); ok {
			return x == y
		}
	}
	return cmp.Equal(a, b, valueEqual)
}

// Compute turns pairs into a plan. Changes come out in the pairs' order, so a
// vendor that lists parents before children gets a readable plan; apply
// follows DependsOn, not the order.
func Compute(pairs []Pair, now time.Time) *Plan {
	p := &Plan{FormatVersion: FormatVersion, CreatedAt: now.UTC(), Changes: []Change{}}
	for _, pr := range pairs {
		for i, msg := range pr.Info {
			in := Info{Address: pr.Address, Message: msg, Kind: pr.InfoKind}
			if i == 0 {
				in.Records = pr.Records
			}
			p.Info = append(p.Info, in)
		}
		if len(pr.Info) == 0 && len(pr.Records) > 0 {
			p.Info = append(p.Info, Info{Address: pr.Address, Message: "publish these records", Kind: pr.InfoKind, Records: pr.Records})
		}
		if pr.Error != "" {
			p.Errors = append(p.Errors, Info{Address: pr.Address, Message: pr.Error})
			continue
		}
		if len(pr.Attention) > 0 {
			for _, msg := range pr.Attention {
				p.Attention = append(p.Attention, Info{Address: pr.Address, Message: msg})
			}
			continue
		}
		c, ok := change(pr)
		if ok {
			p.Changes = append(p.Changes, c)
		}
	}
	p.PriceTotals = PriceTotals(p.Changes)
	return p
}

func change(pr Pair) (Change, bool) {
	if pr.NoChange {
		return Change{}, false
	}
	// Whether there is a change is decided first: the fingerprint and the
	// desired map below are most of the cost, and at 10,000 items nearly
	// every pair has no change.
	fields := Fields(pr.Desired, pr.Live)
	action, reason := pr.Action, pr.Reason
	if action == "" {
		switch {
		case pr.Absent && pr.Live != nil:
			action, reason, fields = Delete, "the inventory asks for it to be absent", nil
		case pr.Absent:
			return Change{}, false
		case pr.Live == nil:
			action, reason = Create, "does not exist yet"
		case len(fields) > 0:
			action, reason = Update, "fields differ"
		default:
			return Change{}, false
		}
	}
	c := Change{
		Address:     pr.Address,
		Action:      action,
		Reason:      reason,
		Fingerprint: Fingerprint(pr.Live),
		DependsOn:   pr.DependsOn,
		Notes:       pr.Notes,
		Price:       pr.Price,
		Fields:      fields,
	}
	if c.Price != nil {
		if err := CheckAmount(c.Price.Amount); err != nil {
			c.Notes = append(append([]string(nil), c.Notes...), "no price: the vendor's price is "+err.Error())
			c.Price = nil
		}
	}
	if pr.Live != nil {
		c.LiveID = pr.Live.ID
	}
	if pr.Desired != nil {
		c.Keys = pr.Desired.Keys
		c.Desired = map[string]any{}
		for _, f := range pr.Desired.Fields {
			v := emptyList(f.Value)
			if f.Sensitive {
				v = Redacted
			}
			c.Desired[f.Name] = v
		}
	}
	return c, true
}

// Fields returns the managed fields whose desired value differs from the
// live one, in desired order. With no live object every desired field is new.
func Fields(desired, live *Object) []FieldChange {
	if desired == nil {
		return nil
	}
	var out []FieldChange
	for _, d := range desired.Fields {
		fc := FieldChange{Field: d.Name, New: emptyList(d.Value), Sensitive: d.Sensitive}
		if live != nil {
			l, ok := live.field(d.Name)
			switch {
			case ok && l.Unknown != "":
				fc.Unknown = l.Unknown
			case ok && Equal(l.Value, d.Value):
				continue
			case ok:
				fc.Old = emptyList(l.Value)
			case d.Value == nil:
				continue // the vendor does not report it, and nothing is wanted
			}
		}
		if fc.Sensitive {
			fc.New = Redacted
			if fc.Old != nil {
				fc.Old = Redacted
			}
		}
		out = append(out, fc)
	}
	return out
}

// emptyList turns a nil []string into an empty one. Both mean "empty list"
// (see Equal), but a nil slice marshals as JSON null, which a saved plan
// would decode as "no value": a different value.
func emptyList(v any) any {
	if l, ok := v.([]string); ok && l == nil {
		return []string{}
	}
	return v
}

// Fingerprint is a SHA-256 over a live object's id and fields; "" for nil.
// Two observations of unchanged state give the same fingerprint.
func Fingerprint(live *Object) string {
	if live == nil {
		return ""
	}
	m := map[string]any{"": live.ID}
	for _, f := range live.Fields {
		v := f.Value
		if f.Unknown != "" {
			v = fmt.Sprintf("(unknown: %s)", f.Unknown)
		}
		m[f.Name] = v
	}
	b, _ := json.Marshal(m) // map keys marshal sorted: stable
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// Targets keeps the changes whose address is in targets, plus everything they
// depend on, so that a targeted apply still runs in a consistent order.
func (p *Plan) Targets(targets []Address) *Plan {
	if len(targets) == 0 {
		return p
	}
	want := map[Address]bool{}
	for _, t := range targets {
		want[t] = true
	}
	byAddr := map[Address]Change{}
	for _, c := range p.Changes {
		byAddr[c.Address] = c
	}
	var visit func(a Address)
	visit = func(a Address) {
		c, ok := byAddr[a]
		if !ok {
			return
		}
		for _, d := range c.DependsOn {
			if !want[d] {
				want[d] = true
				visit(d)
			}
		}
	}
	for _, t := range targets {
		visit(t)
	}
	out := *p
	out.Changes = []Change{}
	for _, c := range p.Changes {
		if want[c.Address] {
			out.Changes = append(out.Changes, c)
		}
	}
	vendors := map[string]bool{}
	for a := range want {
		vendors[a.Vendor] = true
	}
	keep := func(in []Info) []Info {
		var out []Info
		for _, x := range in {
			// A vendor-wide message (VENDOR/*/*: the vendor could not be
			// observed) concerns every targeted item of that vendor.
			if want[x.Address] || (x.Address.Kind == AnyKind && vendors[x.Address.Vendor]) {
				out = append(out, x)
			}
		}
		return out
	}
	out.Info, out.Attention, out.Errors = keep(p.Info), keep(p.Attention), keep(p.Errors)
	out.PriceTotals = PriceTotals(out.Changes)
	return &out
}
