// Package diff compares desired state (from the inventory) with live state
// (from a vendor) and produces a Plan: plain data that can be rendered for a
// person, a pull request or a program, saved to a file, and applied later.
//
// The package knows nothing about any vendor. A vendor describes each object
// it manages as a Pair of Objects; Compute turns the pairs into changes with
// field-level differences, and the vendor executes those changes.
package diff

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// FormatVersion is the version of the plan's JSON form. It changes only when
// a field is removed or changes meaning.
const FormatVersion = 1

// Address names one managed object: VENDOR/KIND/NAME, e.g.
// ca/intermediate/Example Issuing CA 1. Names may contain spaces but not '/'.
type Address struct {
	Vendor, Kind, Name string
}

// AnyKind and AnyName make a vendor-wide address, VENDOR/*/*, for a
// message about every item of a vendor (it could not be observed).
const (
	AnyKind = "*"
	AnyName = "*"
)

// VendorWide returns the address VENDOR/*/* of every item of vendor.
func VendorWide(vendor string) Address { return Address{Vendor: vendor, Kind: AnyKind, Name: AnyName} }

// String returns VENDOR/KIND/NAME.
func (a Address) String() string { return a.Vendor + "/" + a.Kind + "/" + a.Name }

// MarshalText encodes the address as VENDOR/KIND/NAME.
func (a Address) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText parses VENDOR/KIND/NAME.
func (a *Address) UnmarshalText(b []byte) error {
	p, err := ParseAddress(string(b))
	if err != nil {
		return err
	}
	*a = p
	return nil
}

// ErrBadAddress is returned for a string that is not VENDOR/KIND/NAME.
var ErrBadAddress = errors.New("address must be VENDOR/KIND/NAME")

// ParseAddress parses VENDOR/KIND/NAME.
func ParseAddress(s string) (Address, error) {
	parts := strings.SplitN(s, "/", 3)
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return Address{}, fmt.Errorf("%q: %w", s, ErrBadAddress)
	}
	return Address{Vendor: parts[0], Kind: parts[1], Name: parts[2]}, nil
}

// Action is what a change does. Vendors may use only the actions they declare.
type Action string

// The generic actions. A vendor may declare others (see ActionSpec).
const (
	Create Action = "create"
	Update Action = "update"
	Delete Action = "delete"
)

// Redacted replaces a sensitive value in every plan output.
const Redacted = "(sensitive)"

// FieldChange is one field that differs: Old is the live value (nil when the
// object does not exist yet or the value is unknown), New the desired one.
type FieldChange struct {
	Field string `json:"field"`
	Old   any    `json:"old"`
	New   any    `json:"new"`
	// Unknown says why the live value could not be read, when it could not.
	Unknown string `json:"unknown,omitempty"`
	// Sensitive values are never printed; Old and New hold Redacted.
	Sensitive bool `json:"sensitive,omitempty"`
}

// Change is one step of a plan.
type Change struct {
	Address Address `json:"address"`
	Action  Action  `json:"action"`
	// Reason says in a few words why the change is needed.
	Reason string        `json:"reason,omitempty"`
	Fields []FieldChange `json:"fields,omitempty"`
	// Fingerprint identifies the live state the change was computed from;
	// applying a saved plan refuses a change whose live state has moved.
	// Empty when the object did not exist.
	Fingerprint string `json:"fingerprint"`
	// DependsOn lists changes that must succeed before this one starts.
	DependsOn []Address `json:"depends_on,omitempty"`
	// Notes are things the user should know about this change.
	Notes []string `json:"notes,omitempty"`
	// LiveID is the vendor's identifier of the live object, if it exists.
	LiveID string `json:"live_id,omitempty"`
	// Desired is every managed field of the desired object (sensitive ones
	// redacted), what the vendor sends when it executes the change.
	Desired map[string]any `json:"desired,omitempty"`
	// Keys identify the object to the vendor (see Object.Keys).
	Keys map[string]string `json:"keys,omitempty"`
	// Price is what the change costs, when it is paid and the vendor
	// could price it.
	Price *Price `json:"price,omitempty"`
}

// Plan is an ordered list of changes plus what it was computed from.
type Plan struct {
	FormatVersion int       `json:"format_version"`
	CreatedAt     time.Time `json:"created_at"`
	// Inventory is the path of the inventory file the plan was made from.
	Inventory string `json:"inventory,omitempty"`
	// Sandbox is true when the plan was computed against the simulators.
	Sandbox bool     `json:"sandbox,omitempty"`
	Changes []Change `json:"changes"`
	// PriceTotals sums the changes' prices per currency (see PriceTotals).
	PriceTotals []Price `json:"price_totals,omitempty"`
	// Info lists objects that need no change now but that the user should
	// know about (an order waiting for validation, a CDN certificate waiting
	// for its order).
	Info []Info `json:"info,omitempty"`
	// Attention lists items a person must act on before they can converge
	// (see Pair.Attention): no change is planned for them and the run ends
	// with exit code 1.
	Attention []Info `json:"attention,omitempty"`
	// Errors are items that could not be planned (a key file gone bad, an
	// environment variable unset): the other items are planned as usual,
	// and the run still ends with exit code 1.
	Errors []Info `json:"errors,omitempty"`
	// Tripped lists the guards (see Guard) the plan exceeds: apply
	// refuses such a plan, nothing sent, unless the run raises the limits
	// or is forced. A saved plan's list is recomputed when it is applied.
	Tripped []Trip `json:"guards_tripped,omitempty"`

	// CI, when set, says the plan was made in CI mode and why ("--ci", or
	// that there is no state directory): see ForCI. Changes then holds only
	// the changes that count; Unknown and LocalOnly hold the rest.
	CI string `json:"ci,omitempty"`
	// Unknown lists, in CI mode, the fields whose live value cannot be read
	// back (write-only fields, FieldChange.Unknown), one entry per object
	// with only those fields. They are not changes: whether they differ is
	// not known from here.
	Unknown []Change `json:"unknown,omitempty"`
	// LocalOnly lists, in CI mode, the changes whose only effect is on the
	// machine running certsync (ActionSpec.Local: files missing on a CI
	// runner). They are not changes to any vendor.
	LocalOnly []Change `json:"local_only,omitempty"`

	// ActionSpecs describe the vendors' own actions (see Describe); they
	// are not saved with the plan.
	ActionSpecs map[string]ActionSpec `json:"-"`
}

// Info is a message about an object that is not a change.
type Info struct {
	Address Address `json:"address"`
	Message string  `json:"message"`
	// Records are what someone must publish for the object to progress
	// (the DNS records or HTTP files of a certificate order's domain
	// validation), as data a DNS tool can read from the plan's JSON.
	Records []Record `json:"records,omitempty"`
	// Kind, when set, classifies the message for programs (notifications,
	// JSON readers): one of the InfoKind constants. "" is plain information.
	Kind string `json:"kind,omitempty"`
}

// Record is one DNS record or HTTP file to publish. Type is a DNS record
// type ("TXT", "CNAME") or "HTTP", for a file whose URL is Name and whose
// content is Value. Name is a fully qualified DNS owner name without the
// trailing dot (or the file's URL); Value the record's data (TXT text,
// CNAME target) or the file's content.
type Record struct {
	Type  string `json:"type"`
	Name  string `json:"name"`
	Value string `json:"value"`
}

// String is the record as plans print it: TYPE NAME VALUE.
func (r Record) String() string { return r.Type + " " + r.Name + " " + r.Value }

// Kinds of Info a vendor may mark (Pair.InfoKind).
const (
	// InfoDCVPending: the item waits for domain control validation.
	InfoDCVPending = "dcv_pending"
)

// Empty reports whether the plan has nothing to apply.
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

// Count returns the number of changes per action.
func (p *Plan) Count() map[Action]int {
	out := map[Action]int{}
	for _, c := range p.Changes {
		out[c.Action]++
	}
	return out
}

// Summary is the closing line of a text plan, e.g.
// "Plan: 2 to create, 1 to update, 0 to delete."
func (p *Plan) Summary() string {
	if p.Empty() {
		return "No changes. The vendors match the inventory." + p.notCounted()
	}
	n := p.Count()
	parts := []string{
		fmt.Sprintf("%d to create", n[Create]),
		fmt.Sprintf("%d to update", n[Update]),
		fmt.Sprintf("%d to delete", n[Delete]),
	}
	var others []Action
	for a := range n {
		switch a {
		case Create, Update, Delete:
		default:
			others = append(others, a)
		}
	}
	sort.Slice(others, func(i, j int) bool { return others[i] < others[j] })
	for _, a := range others {
		parts = append(parts, fmt.Sprintf("%d to %s", n[a], a))
	}
	return "Plan: " + strings.Join(parts, ", ") + "." + p.notCounted()
}

// notCounted is the Summary's note of what CI mode left out, or "".
func (p *Plan) notCounted() string {
	if p.CI == "" || len(p.Unknown)+len(p.LocalOnly) == 0 {
		return ""
	}
	return fmt.Sprintf(" Not counted (CI mode): %d object(s) with write-only fields, %d local-only change(s).", len(p.Unknown), len(p.LocalOnly))
}

// Decode reads a plan saved as JSON and checks its version.
func Decode(data []byte) (*Plan, error) {
	var p Plan
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("not a certsync plan: %w", err)
	}
	if p.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("plan format_version %d is not supported (want %d)", p.FormatVersion, FormatVersion)
	}
	for i := range p.Changes {
		c := &p.Changes[i]
		for k, v := range c.Desired {
			c.Desired[k] = Normalize(v)
		}
		for j := range c.Fields {
			c.Fields[j].Old = Normalize(c.Fields[j].Old)
			c.Fields[j].New = Normalize(c.Fields[j].New)
		}
	}
	return &p, nil
}

// Normalize turns JSON-decoded lists back into []string, the form field
// values take everywhere else.
func Normalize(v any) any {
	if l, ok := v.([]any); ok {
		out := make([]string, 0, len(l))
		for _, x := range l {
			out = append(out, fmt.Sprint(x))
		}
		return out
	}
	return v
}
