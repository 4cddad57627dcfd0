package engine

import (
	"context"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Importer is implemented by a vendor that can describe its live state as
// its inventory section (certsync import). The section must plan to zero
// changes against the state it was read from; what cannot be read (keys,
// write-only fields) is left out and a comment says so. Import must not
// change anything at the vendor.
type Importer interface {
	Import(ctx context.Context, o ImportOptions) (*ImportResult, error)
}

// ImportOptions limit and place what an Importer returns.
type ImportOptions struct {
	// CAOwner selects the CA owner whose records are imported, for a
	// vendor whose live state holds the records of many CA owners.
	CAOwner string
	// PEMDir is a folder of certificate PEMs, matched by SHA-256, for
	// vendors whose live state names certificates without their content.
	PEMDir string
	// FilesDir is the folder, relative to the inventory being written, that
	// ImportResult.Files and the paths in the section go under.
	FilesDir string
	// Offers are the certificates that items of vendors imported earlier
	// in the same run publish, by NormalSerial of their serial: a
	// downstream importer writes a live certificate with that serial as
	// deploying the item (from: ADDRESS) instead of as a copy it cannot
	// reproduce. Vendors are imported in the vendor table's order, so an
	// upstream vendor comes first.
	Offers map[string]ImportOffer
}

// ImportOffer is a certificate an imported item publishes as its bundle
// (inventory.BundleSource), so that items of other vendors may deploy it
// with from: Address.
type ImportOffer struct {
	// Address is the publishing item's address, VENDOR/KIND/NAME.
	Address string
	// Serial is the certificate's serial number, lower-case hex.
	Serial string
	// KeyFile is set when the written item does not publish its private key
	// (it follows a CSR): the path, relative to the inventory, where the
	// item's comments ask for the key. A downstream item that deploys the
	// certificate must then name the key itself; the same path keeps both
	// items on one file.
	KeyFile string
}

// ImportResult is one vendor's imported section.
type ImportResult struct {
	// Section is the value of the vendor's top-level key: a mapping node,
	// with comments.
	Section *yaml.Node
	// Files are written beside the inventory (certificates, CSRs; never a
	// private key). Path is relative to the inventory's folder.
	Files []ImportFile
	// Notes are told to the person running the import (what was left out).
	Notes []string
	// Offers are the certificates the section's items publish to other
	// vendors' items (see ImportOptions.Offers).
	Offers []ImportOffer
}

// NormalSerial writes a certificate serial number the one way offers are
// keyed by: lower-case hex, without colons or leading zeros ("0" for zero).
func NormalSerial(s string) string {
	t := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), ":", ""))
	if t == "" {
		return ""
	}
	if t = strings.TrimLeft(t, "0"); t == "" {
		return "0"
	}
	return t
}

// ImportFile is one file an import writes.
type ImportFile struct {
	Path string
	Data []byte
	Mode os.FileMode
}

// YAMLMap builds a mapping node key by key, for importers.
type YAMLMap struct{ Node *yaml.Node }

// NewYAMLMap returns an empty block mapping.
func NewYAMLMap() YAMLMap { return YAMLMap{Node: &yaml.Node{Kind: yaml.MappingNode}} }

// Set appends key: value. value is a *yaml.Node, a YAMLMap, a string, a
// bool or a []string (written as a flow list). It returns the key node so
// that the caller can attach a comment.
func (m YAMLMap) Set(key string, value any) *yaml.Node {
	k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}
	m.Node.Content = append(m.Node.Content, k, YAMLValue(value))
	return k
}

// Len is the number of keys.
func (m YAMLMap) Len() int { return len(m.Node.Content) / 2 }

// YAMLValue makes a node of a string, bool, []string, YAMLMap or node.
func YAMLValue(v any) *yaml.Node {
	switch x := v.(type) {
	case *yaml.Node:
		return x
	case YAMLMap:
		return x.Node
	case string:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: x}
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(x)}
	case []string:
		n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, s := range x {
			n.Content = append(n.Content, YAMLValue(s))
		}
		return n
	}
	panic(fmt.Sprintf("engine.YAMLValue: unsupported %T", v))
}

// YAMLList is a block sequence of the given items.
func YAMLList(items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Content: items}
}
