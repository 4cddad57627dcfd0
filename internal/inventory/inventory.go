// Package inventory loads and checks the YAML inventory: the desired state of
// every vendor certsync manages. Load never touches the network; every
// problem it finds is reported at once as FILE:LINE:COL: PATH: MESSAGE.
package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"

	"gopkg.in/yaml.v3"

	"github.com/certsync/certsync/internal/readfile"
)

// Inventory is a parsed and checked inventory file.
type Inventory struct {
	// File is the path the inventory was loaded from, as the user gave it.
	File string `yaml:"-"`
	// Dir is the directory that relative file references resolve against.
	Dir string `yaml:"-"`

	// CCADB holds intermediate-certificate records; nil when the section is absent.
	CCADB *CCADB `yaml:"ccadb"`
	// Markmonitor holds organizations and certificate orders; nil when absent.
	Markmonitor *Markmonitor `yaml:"markmonitor"`
	// Quantil holds CDN certificates; nil when absent.
	Quantil *Quantil `yaml:"quantil"`
}

// Load reads, decodes and checks the inventory at path. A bad inventory
// returns Problems (which wraps ErrInvalid) listing every mistake found.
func Load(path string) (*Inventory, error) {
	data, err := readfile.Limited(path, MaxInventoryBytes)
	if err != nil {
		return nil, fmt.Errorf("read inventory: %w", err)
	}
	return Parse(path, data)
}

// Parse is Load for data already in memory; path names the file in errors and
// anchors relative references.
func Parse(path string, data []byte) (*Inventory, error) {
	r := &report{file: path}
	inv := &Inventory{File: path, Dir: filepath.Dir(path)}

	if pos, msg, bad := textProblem(data); bad {
		r.add(pos, "", "%s", msg)
		return nil, r.err()
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return inv, nil // an empty inventory manages nothing
		}
		pos, msg := syntaxProblem(data, err)
		r.add(pos, "", "%s", msg)
		return nil, r.err()
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		r.add(posOf(&extra), "", "holds more than one YAML document; put everything in one")
	} else if !errors.Is(err, io.EOF) {
		pos, msg := syntaxProblem(data, err)
		r.add(pos, "", "%s", msg)
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		// Nothing managed; but a second document may have been reported.
		if err := r.err(); err != nil {
			return nil, err
		}
		return inv, nil
	}
	root := doc.Content[0]
	d := &decoder{r: r}
	if !d.decodeRoot(root, reflect.ValueOf(inv).Elem()) {
		return nil, r.err()
	}
	// Semantic checks run even after decoding problems, so that one pass
	// reports every mistake; a check on a field that failed to decode (and
	// so looks unset) would only repeat the first problem, and is dropped.
	decodeProblems := len(r.ps)
	if inv.CCADB != nil {
		inv.CCADB.check(r, inv.Dir)
	}
	if inv.Markmonitor != nil {
		inv.Markmonitor.check(r, inv)
	}
	if inv.Quantil != nil {
		inv.Quantil.check(r, inv) // after markmonitor: from_order needs its key paths
	}
	r.dropShadowed(decodeProblems)
	dedupe(r) // a bad value in ccadb.defaults is reported once, not per item
	if err := r.err(); err != nil {
		return nil, err
	}
	return inv, nil
}

// Items counts the items of every section, for messages.
func (inv *Inventory) Items() int {
	n := 0
	if inv.CCADB != nil {
		n += len(inv.CCADB.Intermediates)
	}
	if inv.Markmonitor != nil {
		n += len(inv.Markmonitor.Organizations) + len(inv.Markmonitor.Orders)
	}
	if inv.Quantil != nil {
		n += len(inv.Quantil.Certificates)
	}
	return n
}
