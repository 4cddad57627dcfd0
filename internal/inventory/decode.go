package inventory

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The decoder walks the yaml.v3 node tree into the inventory types itself,
// rather than using yaml.Unmarshal, so that every error carries line, column
// and the field path, unknown keys are errors, and a key that is absent stays
// distinguishable from one set to "" or false.
//
// Struct fields are matched by their `yaml` tag; `yaml:",inline"` embeds a
// struct's keys; a field of type Pos receives the position of the mapping.
// A field tagged `retired:"MESSAGE"` (type struct{}) is a key the vendor has
// retired: using it is an error that reads "is retired: MESSAGE", and the
// schema leaves it out. A list field tagged `retired_scalar:"MESSAGE"` was a
// single value once: given one, it is refused with MESSAGE instead of the
// generic "must be a list".
//
// A pointer field tagged `yaml:"key,group"` (GroupOption) is a group of
// fields held by pointer only so that items can share their defaults' copy:
// like a struct field, it must be a mapping when written, never empty.

// GroupOption is the `yaml` tag option of a pointer to a group of fields
// that must be written as a mapping (see the decoder's doc above).
const GroupOption = "group"

var (
	stringType  = reflect.TypeOf(String{})
	boolType    = reflect.TypeOf(Bool{})
	intType     = reflect.TypeOf(Int{})
	stringsType = reflect.TypeOf(Strings{})
	posType     = reflect.TypeOf(Pos{})
)

type decoder struct {
	r *Report
	expansion
	// anchored counts the anchors on the path being decoded: a node under
	// one may be decoded again through an alias, so it is kept.
	anchored int
	// structs caches what mapping needs of each struct type: working it
	// out per mapping was a tenth of loading a 10,000-item inventory.
	structs map[reflect.Type]*structInfo
}

// structInfo is what decoding a mapping into a struct type needs.
type structInfo struct {
	fields map[string][]int // yaml key -> field index path (fieldIndex)
	pos    []int            // the fields of type Pos, which receive the mapping's position
	// retired and retiredScalar are the keys' `retired` and
	// `retired_scalar` tags, where set.
	retired, retiredScalar map[string]string
	// groups are the keys tagged with GroupOption.
	groups map[string]bool
}

func (d *decoder) structOf(t reflect.Type) *structInfo {
	if si, ok := d.structs[t]; ok {
		return si
	}
	si := &structInfo{fields: fieldIndex(t), retired: map[string]string{}, retiredScalar: map[string]string{}, groups: map[string]bool{}}
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Type == posType {
			si.pos = append(si.pos, i)
		}
	}
	for key, idx := range si.fields {
		sf := t.FieldByIndex(idx)
		if msg := sf.Tag.Get("retired"); msg != "" {
			si.retired[key] = msg
		}
		if msg := sf.Tag.Get("retired_scalar"); msg != "" {
			si.retiredScalar[key] = msg
		}
		if _, opts, _ := strings.Cut(sf.Tag.Get("yaml"), ","); opts == GroupOption {
			si.groups[key] = true
		}
	}
	if d.structs == nil {
		d.structs = map[reflect.Type]*structInfo{}
	}
	d.structs[t] = si
	return si
}

func posOf(n *yaml.Node) Pos { return Pos{Line: n.Line, Col: n.Column} }

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "empty"
		}
		return fmt.Sprintf("the scalar %q", n.Value)
	}
	return "an unexpected node"
}

// decode fills v (addressable) from n; path names n in messages.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	n, done, ok := d.follow(n, path)
	if !ok {
		return
	}
	defer done()
	if n.Anchor != "" {
		d.anchored++ // see the release of list items below
		defer func() { d.anchored-- }()
	}
	switch v.Type() {
	case stringType:
		d.scalar(n, v, path)
		return
	case boolType:
		d.boolean(n, v, path)
		return
	case intType:
		d.integer(n, v, path)
		return
	case stringsType:
		d.list(n, v, path)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if isNull(n) {
			return
		}
		p := reflect.New(v.Type().Elem())
		d.decode(n, p.Elem(), path)
		v.Set(p)
	case reflect.Struct:
		d.mapping(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.r.Add(posOf(n), path, "must be a list, found %s", kindName(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, s.Index(i), path+"["+strconv.Itoa(i)+"]")
			if d.depth == 0 && d.anchored == 0 {
				// The item's nodes are not needed again (problems keep
				// positions, not nodes; an alias to an anchor inside the
				// item holds that node itself): drop them, so that the
				// parsed tree (about 25 MB at 10,000 items) shrinks as the
				// decoded items grow instead of both being held at once.
				// Not inside an alias or merge, nor under an anchor: those
				// nodes are (or may be) decoded again through an alias.
				n.Content[i] = nil
			}
		}
		v.Set(s)
	default:
		panic(fmt.Sprintf("inventory: no decoder for %s", v.Type()))
	}
}

func (d *decoder) scalar(n *yaml.Node, v reflect.Value, path string) {
	switch {
	case isNull(n):
		d.r.Add(posOf(n), path, `has no value: write "" to clear the field at the vendor, or remove the key to leave it unmanaged`)
	case n.Kind != yaml.ScalarNode:
		d.r.Add(posOf(n), path, "must be a single value, found %s", kindName(n))
	default:
		v.Set(reflect.ValueOf(String{Value: n.Value, Set: true, Pos: posOf(n)}))
	}
}

func (d *decoder) boolean(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		d.r.Add(posOf(n), path, "must be true or false, found %s", kindName(n))
		return
	}
	var b bool
	if err := n.Decode(&b); err != nil {
		d.r.Add(posOf(n), path, "must be true or false: %v", err)
		return
	}
	v.Set(reflect.ValueOf(Bool{Value: b, Set: true, Pos: posOf(n)}))
}

func (d *decoder) integer(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		d.r.Add(posOf(n), path, "must be a whole number, found %s", kindName(n))
		return
	}
	var i int
	if err := n.Decode(&i); err != nil || i < 0 {
		d.r.Add(posOf(n), path, "must be a whole number from 0 up, found %s", n.Value)
		return
	}
	v.Set(reflect.ValueOf(Int{Value: i, Set: true, Pos: posOf(n)}))
}

func (d *decoder) list(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.r.Add(posOf(n), path, "must be a list (write [] for an empty one), found %s", kindName(n))
		return
	}
	out := Strings{Set: true, Pos: posOf(n), Values: []string{}}
	for i, item := range n.Content {
		d.count(1, item)
		item = resolveAlias(item)
		if item.Kind != yaml.ScalarNode || isNull(item) {
			d.r.Add(posOf(item), fmt.Sprintf("%s[%d]", path, i), "must be a single value, found %s", kindName(item))
			continue
		}
		out.Values = append(out.Values, item.Value)
		out.Items = append(out.Items, posOf(item))
	}
	v.Set(reflect.ValueOf(out))
}

// fieldIndex maps yaml keys to field index paths, following inline structs.
func fieldIndex(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if tag == "-" || !f.IsExported() {
			continue
		}
		if opts == "inline" {
			for k, idx := range fieldIndex(f.Type) {
				out[k] = append([]int{i}, idx...)
			}
			continue
		}
		if name != "" {
			out[name] = []int{i}
		}
	}
	return out
}

func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.r.Add(posOf(n), path, "must be a mapping of keys to values, found %s", kindName(n))
		return
	}
	t := v.Type()
	si := d.structOf(t)
	for _, i := range si.pos {
		v.Field(i).Set(reflect.ValueOf(posOf(n)))
	}
	fields := si.fields
	seen := map[string]bool{}
	for _, p := range d.pairs(n, path) {
		k, val := p.key, p.val
		key := k.Value
		sub := key
		if path != "" {
			sub = path + "." + key
		}
		idx, ok := fields[key]
		if !ok {
			d.r.Add(posOf(k), sub, "unknown field%s (allowed here: %s)", suggest(key, fields), strings.Join(keys(fields), ", "))
			continue
		}
		if seen[key] {
			d.r.Add(posOf(k), sub, "is set twice in the same mapping")
			continue
		}
		// A key the vendor has retired is refused with the vendor's own
		// message naming its replacement (`retired:"…"`); a key whose value
		// changed from a single value to a list says so when given the old
		// form (`retired_scalar:"…"`).
		if msg := si.retired[key]; msg != "" {
			d.r.Add(posOf(k), sub, "is retired: %s", msg)
			seen[key] = true
			continue
		}
		if msg := si.retiredScalar[key]; msg != "" {
			if rv := resolveAlias(val); rv.Kind == yaml.ScalarNode && !isNull(rv) {
				d.r.Add(posOf(val), sub, "a single value is the retired form: %s", msg)
				seen[key] = true
				continue
			}
		}
		seen[key] = true
		if rv := resolveAlias(val); si.groups[key] && rv != nil && isNull(rv) {
			d.r.Add(posOf(val), sub, "must be a mapping of keys to values, found %s", kindName(rv))
			continue
		}
		if p.merged {
			d.depth++ // a merged value is expanded like an alias
		}
		d.decode(val, v.FieldByIndex(idx), sub)
		if p.merged {
			d.depth--
		}
	}
}

func keys(m map[string][]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// suggest names the allowed key closest to a misspelt one, when one is close.
func suggest(key string, fields map[string][]int) string {
	best, bestDist := "", 3
	for _, k := range keys(fields) { // sorted, so that a tie always picks the same key
		if dist := levenshtein(strings.ToLower(key), k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
