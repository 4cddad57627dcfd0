package inventory

// A field that the inventory leaves out is not managed: certsync never sends
// it and never reports drift on it. The value types below keep that apart
// from a field set to its zero value ("" clears a field at the vendor).

// String is an optional scalar with the position it was written at.
type String struct {
	Value string
	// Set is true when the key was written in the inventory.
	Set bool
	Pos Pos
}

// Bool is an optional boolean with its position.
type Bool struct {
	Value bool
	Set   bool
	Pos   Pos
}

// Int is an optional non-negative whole number (a YAML integer, not a
// quoted one) with its position.
type Int struct {
	Value int
	Set   bool
	Pos   Pos
}

// Strings is an optional list of scalars with its position and the position
// of every item.
type Strings struct {
	Values []string
	Set    bool
	Pos    Pos
	Items  []Pos
}

// Str returns a set String, for code and tests that build inventories.
func Str(v string) String { return String{Value: v, Set: true} }
