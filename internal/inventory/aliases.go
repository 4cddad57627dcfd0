package inventory

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// yaml.v3 keeps an alias as a pointer to its anchor's node, so the tree it
// builds stays as small as the file; it is the decoder that expands them.
// A handful of nested anchors ("billion laughs") expands to billions of
// nodes, and an alias can refer to the mapping that contains it. The
// decoder therefore counts the nodes it reaches through aliases and merge
// keys, and stops at the first alias that refers to itself.

// aliasAllowance is how many nodes aliases and merge keys may expand to
// beyond twice the number of nodes written in the file. Sharing defaults
// between a few hundred items stays far below; an alias bomb is stopped
// after a few thousand nodes.
const aliasAllowance = 1000

// expansion is the decoder's bookkeeping of aliases.
type expansion struct {
	limit    int  // nodes that may be reached through aliases and merges
	expanded int  // nodes reached so far
	depth    int  // >0 while decoding inside an alias or merge
	aborted  bool // the limit was hit: decoding stops, one problem remains
	fatal    Problem
	active   map[*yaml.Node]bool // anchors being expanded, to catch cycles
	outer    *yaml.Node          // the outermost alias being expanded, named in the problem
}

// decodeRoot runs decode (which decodes the document root) under the alias
// limit. It returns false when the limit was hit; the report then holds only
// that problem, since everything else found would be about the expansion.
func (d *decoder) decodeRoot(root *yaml.Node, decode func(root *yaml.Node)) bool {
	d.limit = 2*countNodes(root) + aliasAllowance
	d.active = map[*yaml.Node]bool{}
	decode(root)
	if d.aborted {
		d.r.ps = Problems{d.fatal}
		return false
	}
	return true
}

// countNodes counts the nodes written in the file (aliases not followed).
func countNodes(n *yaml.Node) int {
	c := 1
	for _, child := range n.Content {
		if child.Kind != yaml.AliasNode {
			c += countNodes(child)
		} else {
			c++
		}
	}
	return c
}

// count records k nodes reached; inside an alias they count against the limit.
func (d *decoder) count(k int, at *yaml.Node) {
	if d.depth == 0 || d.aborted {
		return
	}
	d.expanded += k
	if d.expanded > d.limit {
		d.aborted = true
		if d.outer != nil {
			at = d.outer
		}
		d.fatal = Problem{File: d.r.file, Pos: posOf(at), Msg: fmt.Sprintf("aliases expand to more than %d nodes "+
			"(twice the nodes written in the file, plus %d); this looks like an alias bomb: "+
			"write the values out instead of nesting aliases", d.limit, aliasAllowance)}
	}
}

// follow resolves an alias for decoding. done must be called when the
// target has been decoded; ok is false when it must not be decoded (a
// cycle, or the limit was hit).
func (d *decoder) follow(n *yaml.Node, path string) (target *yaml.Node, done func(), ok bool) {
	if d.aborted {
		return nil, nil, false
	}
	if n.Kind != yaml.AliasNode {
		d.count(1, n)
		return n, func() {}, !d.aborted
	}
	at := n
	n = resolveAlias(n)
	if n == nil {
		d.r.Add(posOf(at), path, "is an alias to nothing")
		return nil, nil, false
	}
	if d.active[n] {
		d.r.Add(posOf(at), path, "is an alias to a node that contains it (*%s refers to itself)", at.Value)
		return nil, nil, false
	}
	d.active[n] = true
	if d.depth == 0 {
		d.outer = at
	}
	d.depth++
	d.count(1, at)
	return n, func() { d.depth--; delete(d.active, n) }, !d.aborted
}

// pair is one key and value of a mapping; merged when it came in by a merge key.
type pair struct {
	key, val *yaml.Node
	merged   bool
}

func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge"
}

// pairs returns the keys and values of mapping n with merge keys (<<)
// expanded as YAML 1.1 defines them: a key written in the mapping wins
// over a merged one, and among merged mappings (<<: [*a, *b]) the earlier
// wins. Merged nodes keep the positions they were written at.
func (d *decoder) pairs(n *yaml.Node, path string) []pair {
	var own, merged []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMergeKey(k) {
			merged = append(merged, d.mergeSources(v, path)...)
			continue
		}
		own = append(own, pair{key: k, val: v})
	}
	if len(merged) == 0 {
		return own
	}
	have := map[string]bool{}
	for _, p := range own {
		have[p.key.Value] = true
	}
	out := own
	for _, p := range merged {
		if !have[p.key.Value] {
			have[p.key.Value] = true
			p.merged = true
			out = append(out, p)
		}
	}
	return out
}

// mergeSources returns the pairs a merge key's value brings in, in order.
func (d *decoder) mergeSources(v *yaml.Node, path string) []pair {
	sub := "<<"
	if path != "" {
		sub = path + ".<<"
	}
	target, done, ok := d.follow(v, sub)
	if !ok {
		return nil
	}
	defer done()
	switch target.Kind {
	case yaml.MappingNode:
		d.count(len(target.Content)/2, v)
		return d.pairs(target, path)
	case yaml.SequenceNode:
		var out []pair
		for _, item := range target.Content {
			m, doneItem, ok := d.follow(item, sub)
			if !ok {
				continue
			}
			if m.Kind != yaml.MappingNode {
				d.r.Add(posOf(item), sub, "a merge key takes mappings, found %s", kindName(m))
			} else {
				d.count(len(m.Content)/2, item)
				out = append(out, d.pairs(m, path)...)
			}
			doneItem()
		}
		return out
	}
	d.r.Add(posOf(v), sub, "a merge key takes a mapping or a list of mappings, found %s", kindName(target))
	return nil
}
