package inventory

import (
	"reflect"
	"strings"
)

// Leaf is one value-bearing field of an inventory item, named by its path
// below the item (e.g. "audits.standard.url").
type Leaf struct {
	Path string
	// Value is a string, bool or []string.
	Value any
	// Set is false for a field the inventory does not manage.
	Set bool
	Pos Pos
}

// Leaves lists every String, Bool and Strings field below v (a struct or a
// pointer to one) in declaration order (those under a nil pointer to a
// group of fields too, unset), following `yaml` tags and inline
// structs. Vendors use it to turn an item into fields without repeating the
// inventory's key names.
func Leaves(v any) []Leaf {
	var out []Leaf
	walkLeaves(reflect.Indirect(reflect.ValueOf(v)), "", &out)
	return out
}

func walkLeaves(v reflect.Value, prefix string, out *[]Leaf) {
	if !v.IsValid() { // Leaves(nil) or Leaves of a nil pointer
		return
	}
	switch v.Type() {
	case stringType:
		s := v.Interface().(String)
		*out = append(*out, Leaf{Path: prefix, Value: s.Value, Set: s.Set, Pos: s.Pos})
		return
	case boolType:
		b := v.Interface().(Bool)
		*out = append(*out, Leaf{Path: prefix, Value: b.Value, Set: b.Set, Pos: b.Pos})
		return
	case stringsType:
		l := v.Interface().(Strings)
		vals := l.Values
		if vals == nil {
			vals = []string{}
		}
		*out = append(*out, Leaf{Path: prefix, Value: vals, Set: l.Set, Pos: l.Pos})
		return
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			// A group nobody set: its fields are all there, all unset.
			v = reflect.Zero(v.Type().Elem())
		} else {
			v = v.Elem()
		}
	}
	if v.Kind() != reflect.Struct {
		return
	}
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if tag == "-" || tag == "" || !f.IsExported() {
			continue
		}
		switch {
		case opts == "inline":
			walkLeaves(v.Field(i), prefix, out)
		case prefix == "":
			walkLeaves(v.Field(i), name, out)
		default:
			walkLeaves(v.Field(i), prefix+"."+name, out)
		}
	}
}
