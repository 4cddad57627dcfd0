// Package inventory loads and checks the YAML inventory: the desired state of
// every vendor certsync manages. Load never touches the network; every
// problem it finds is reported at once as FILE:LINE:COL: PATH: MESSAGE.
//
// The package owns what every section shares: reading the file, positions,
// the problem list, the decoder that keeps "absent" apart from "empty", and
// references between items by address. Each top-level key is a vendor's
// section, handed to the SectionSpec the caller passes in; the vendor
// package defines its types, checks and schema hints.
package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/certsync/certsync/internal/readfile"
)

// Inventory is a parsed and checked inventory file.
type Inventory struct {
	// File is the path the inventory was loaded from, as the user gave it.
	File string
	// Dir is the directory that relative file references resolve against.
	Dir string

	// Guards are the apply limits the inventory sets (the top-level
	// guards: section); a limit it leaves out is not Set.
	Guards Guards

	specs    []SectionSpec
	sections map[string]Section
	warnings Problems
	// absDir is Dir made absolute once, when Dir was absDirOf: Resolve
	// runs for every file of every item, and filepath.Abs asks the
	// operating system for the working directory each time.
	absDir, absDirOf string
	// verified answers SignedBy; nil checks every pair.
	verified *VerifyCache
}

// GuardsKey is the top-level key of the guards section. It is not a
// vendor: the inventory package reads it for every inventory.
const GuardsKey = "guards"

// Guards are the limits on one apply that the inventory may set; flags
// of a run override them.
type Guards struct {
	// MaxPaid is the most changes a vendor charges for in one apply.
	MaxPaid Int `yaml:"max_paid"`
	// MaxDestructive is the most changes that delete, cancel or revoke
	// in one apply.
	MaxDestructive Int `yaml:"max_destructive"`
}

// guardsSchema documents the guards section for the JSON Schema.
var guardsSchema = SchemaHints{Docs: map[string]string{
	GuardsKey:                      "Limits on one apply: a plan over a limit is refused as a whole, nothing sent, unless the run raises the limit (--max-paid, --max-destructive) or uses --force.",
	GuardsKey + ".max_paid":        "The most paid changes (placing, renewing or reissuing a certificate order) one apply may make; default 10.",
	GuardsKey + ".max_destructive": "The most destructive changes (delete, cancel, revoke) one apply may make; default 3.",
}}

// Warnings returns what the checks flagged without refusing the inventory
// (Report.Warn), in file order, each message starting with "warning: ".
// Callers print them; they never stop a run.
func (inv *Inventory) Warnings() Problems { return inv.warnings }

// Section is one vendor's part of the inventory: a pointer to a struct whose
// fields carry `yaml` tags (see the decoder's rules in decode.go).
type Section interface {
	// Check runs the section's offline rules after every section has been
	// decoded, adding what it finds to r. It may fill derived fields (a
	// default name, a parsed certificate). inv gives file resolution and
	// the other sections' items by address.
	Check(r *Report, inv *Inventory)
}

// SectionSpec tells Parse how to read one top-level key.
type SectionSpec struct {
	// Key is the top-level key, the vendor's name.
	Key string
	// New returns a new, empty section to decode into.
	New func() Section
	// Schema describes the section beyond its Go types.
	Schema SchemaHints
}

// Load reads, decodes and checks the inventory at path, with one section
// per spec. A bad inventory returns Problems (which wraps ErrInvalid)
// listing every mistake found.
func Load(path string, specs []SectionSpec) (*Inventory, error) {
	return LoadWith(path, specs, LoadOptions{})
}

// LoadWith is Load with options (a signature cache).
func LoadWith(path string, specs []SectionSpec, opts LoadOptions) (*Inventory, error) {
	data, err := readfile.Limited(path, MaxInventoryBytes)
	if err != nil {
		return nil, fmt.Errorf("read inventory: %w", err)
	}
	return ParseWith(path, data, specs, opts)
}

// Parse is Load for data already in memory; path names the file in errors and
// anchors relative references.
func Parse(path string, data []byte, specs []SectionSpec) (*Inventory, error) {
	return ParseWith(path, data, specs, LoadOptions{})
}

// ParseWith is Parse with options (a signature cache).
func ParseWith(path string, data []byte, specs []SectionSpec, opts LoadOptions) (*Inventory, error) {
	r := &Report{file: path}
	inv := &Inventory{File: path, Dir: filepath.Dir(path), specs: specs, sections: map[string]Section{}, verified: opts.Verified}
	if abs, err := filepath.Abs(inv.Dir); err == nil {
		inv.absDir, inv.absDirOf = abs, inv.Dir
	}

	if pos, msg, bad := textProblem(data); bad {
		r.Add(pos, "", "%s", msg)
		return nil, r.err()
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return inv, nil // an empty inventory manages nothing
		}
		pos, msg := syntaxProblem(data, err)
		r.Add(pos, "", "%s", msg)
		return nil, r.err()
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		r.Add(posOf(&extra), "", "holds more than one YAML document; put everything in one")
	} else if !errors.Is(err, io.EOF) {
		pos, msg := syntaxProblem(data, err)
		r.Add(pos, "", "%s", msg)
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		// Nothing managed; but a second document may have been reported.
		if err := r.err(); err != nil {
			return nil, err
		}
		return inv, nil
	}
	d := &decoder{r: r}
	if !d.decodeRoot(doc.Content[0], func(root *yaml.Node) { d.sections(root, inv) }) {
		return nil, r.err()
	}
	// Semantic checks run even after decoding problems, so that one pass
	// reports every mistake; a check on a field that failed to decode (and
	// so looks unset) would only repeat the first problem, and is dropped.
	// Sections are checked in spec order.
	decodeProblems := len(r.ps)
	for _, s := range specs {
		if sec, ok := inv.sections[s.Key]; ok {
			sec.Check(r, inv)
		}
	}
	r.dropShadowed(decodeProblems)
	dedupe(r) // a bad value in a section's defaults is reported once, not per item
	if err := r.err(); err != nil {
		return nil, err
	}
	inv.warnings = r.warns.sorted()
	return inv, nil
}

// sections hands each top-level key to its spec's section.
func (d *decoder) sections(n *yaml.Node, inv *Inventory) {
	n, done, ok := d.follow(n, "")
	if !ok {
		return
	}
	defer done()
	if n.Kind != yaml.MappingNode {
		d.r.Add(posOf(n), "", "must be a mapping of keys to values, found %s", kindName(n))
		return
	}
	known := map[string][]int{GuardsKey: nil}
	byKey := map[string]SectionSpec{}
	for i, s := range inv.specs {
		known[s.Key] = []int{i}
		byKey[s.Key] = s
	}
	seen := map[string]bool{}
	for _, p := range d.pairs(n, "") {
		k, val := p.key, p.val
		key := k.Value
		spec, ok := byKey[key]
		if key == GuardsKey && !ok {
			if seen[key] {
				d.r.Add(posOf(k), key, "is set twice in the same mapping")
				continue
			}
			seen[key] = true
			if p.merged {
				d.depth++
			}
			if !isNull(resolveAlias(val)) {
				d.decode(val, reflect.ValueOf(&inv.Guards).Elem(), key)
			}
			if p.merged {
				d.depth--
			}
			continue
		}
		if !ok {
			d.r.Add(posOf(k), key, "unknown field%s (allowed here: %s)", suggest(key, known), strings.Join(keys(known), ", "))
			continue
		}
		if seen[key] {
			d.r.Add(posOf(k), key, "is set twice in the same mapping")
			continue
		}
		seen[key] = true
		if isNull(resolveAlias(val)) {
			continue // an empty section manages nothing
		}
		sec := spec.New()
		if p.merged {
			d.depth++ // a merged value is expanded like an alias
		}
		d.decode(val, reflect.ValueOf(sec).Elem(), key)
		if p.merged {
			d.depth--
		}
		inv.sections[key] = sec
	}
}

// Section returns the decoded section under key, or nil when the
// inventory does not have it.
func (inv *Inventory) Section(key string) Section {
	if inv == nil {
		return nil
	}
	return inv.sections[key]
}

// Items counts the items of every section, for messages.
func (inv *Inventory) Items() int {
	n := 0
	for key := range inv.sections {
		n += inv.SectionItems(key)
	}
	return n
}

// SectionItems counts the items of one section: the entries of its
// top-level lists. A section with none manages nothing.
func (inv *Inventory) SectionItems(key string) int {
	sec := inv.Section(key)
	if sec == nil {
		return 0
	}
	v := reflect.Indirect(reflect.ValueOf(sec))
	n := 0
	for i := 0; i < v.NumField(); i++ {
		if v.Field(i).Kind() == reflect.Slice {
			n += v.Field(i).Len()
		}
	}
	return n
}

// Resolve returns a file reference as an absolute path, relative paths being
// relative to the inventory file.
func (inv *Inventory) Resolve(s String) string {
	if s.Value == "" || filepath.IsAbs(s.Value) {
		return s.Value
	}
	if inv.absDir != "" && inv.absDirOf == inv.Dir {
		return filepath.Join(inv.absDir, s.Value)
	}
	abs, err := filepath.Abs(filepath.Join(inv.Dir, s.Value))
	if err != nil {
		return filepath.Join(inv.Dir, s.Value)
	}
	return abs
}
