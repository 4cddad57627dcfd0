package inventory_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/vendors"
)

// parseProblems parses data and returns its problems; it fails the test when
// the input is accepted.
func parseProblems(t *testing.T, data string) inventory.Problems {
	t.Helper()
	_, err := inventory.Parse("inv.yaml", []byte(data), vendors.Sections())
	var ps inventory.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Parse(%q) = %v, want Problems", data, err)
	}
	return ps
}

// Syntax errors point at the mistake itself: yaml.v3 alone says "line 2"
// for several of these, and never a column.
func TestSyntaxErrorPositions(t *testing.T) {
	tests := []struct {
		name      string
		yaml      string
		line, col int
		msg       string
	}{
		{"unclosed double quote", "ccadb:\n  defaults:\n    ca_owner: \"Example\n    name: x\n", 3, 15,
			"not valid YAML: found unexpected end of stream (the quoted value that starts here is not closed)"},
		{"unclosed single quote on line 1", "ccadb: 'x\n", 1, 8,
			"not valid YAML: found unexpected end of stream (the quoted value that starts here is not closed)"},
		{"bad indentation", "ccadb:\n  defaults:\n    ca_owner: X\n   name: y\n", 4, 4,
			"not valid YAML: did not find expected key"},
		{"dedent to a column no mapping has", "a:\n  b: 1\n c: 2\n", 3, 2,
			"not valid YAML: did not find expected key"},
		{"tab indentation", "ccadb:\n  defaults:\n\tca_owner: X\n", 3, 1,
			"not valid YAML: found character that cannot start any token (indent with spaces: YAML does not allow tabs for indentation)"},
		{"unclosed flow sequence", "ccadb:\n  intermediates: [a, b\nmarkmonitor: {}\n", 2, 18,
			"not valid YAML: did not find expected ',' or ']' (the list opened here is not closed)"},
		{"unclosed flow mapping", "ccadb: {defaults: {}\nquantil: {}\n", 1, 8,
			"not valid YAML: did not find expected ',' or '}' (the mapping opened here is not closed)"},
		{"mapping value in a plain scalar", "ccadb:\n  defaults:\n    ca_owner: a: b\n", 3, 16,
			"not valid YAML: mapping values are not allowed in this context"},
		{"unknown alias", "ccadb:\n  defaults: *nope\n", 2, 13,
			"not valid YAML: unknown anchor 'nope' referenced"},
		{"error in a second document", "ccadb: {}\n---\nquantil: [\n", 3, 10,
			"not valid YAML: did not find expected node content"},
		{"tab after the indentation", "ccadb:\n  defaults:\n    ca_owner: X\n    \tname: y\n", 4, 5,
			"not valid YAML: found a tab character that violates indentation (indent with spaces: YAML does not allow tabs for indentation)"},
		{"tab indenting a key", "ccadb:\n  defaults:\n    ca_owner: X\n\tname: y\n", 4, 1,
			"not valid YAML: found a tab character that violates indentation (indent with spaces: YAML does not allow tabs for indentation)"},
		{"CR LF line breaks", "ccadb:\r\n  defaults:\r\n\tca_owner: X\r\n", 3, 1,
			"not valid YAML: found character that cannot start any token (indent with spaces: YAML does not allow tabs for indentation)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := parseProblems(t, tt.yaml)
			if len(ps) != 1 {
				t.Fatalf("got %d problems, want 1: %v", len(ps), ps)
			}
			p := ps[0]
			if p.Pos.Line != tt.line || p.Pos.Col != tt.col || p.Msg != tt.msg {
				t.Errorf("got %d:%d %q\nwant %d:%d %q", p.Pos.Line, p.Pos.Col, p.Msg, tt.line, tt.col, tt.msg)
			}
			if want := fmt.Sprintf("inv.yaml:%d:%d: ", tt.line, tt.col); !strings.HasPrefix(p.Error(), want) {
				t.Errorf("formats as %q, want prefix %q", p.Error(), want)
			}
		})
	}
}

// A key written twice is refused where the second one is written.
func TestDuplicateKeyPosition(t *testing.T) {
	ps := parseProblems(t, "ccadb:\n  defaults:\n    ca_owner: X\n    ca_owner: Y\n")
	if len(ps) != 1 || ps[0].Pos != (inventory.Pos{Line: 4, Col: 5}) || ps[0].Path != "ccadb.defaults.ca_owner" || ps[0].Msg != "is set twice in the same mapping" {
		t.Fatalf("got %v", ps)
	}
}

// Text YAML cannot hold is reported at its character, before parsing.
func TestBadTextPositions(t *testing.T) {
	tests := []struct {
		name      string
		data      string
		line, col int
		msg       string
	}{
		{"invalid UTF-8", "ccadb:\n  defaults:\n    ca_owner: Ex\xffample\n", 3, 17,
			"is not valid UTF-8 (byte 0xFF here); save the inventory as UTF-8 text"},
		{"Latin-1 after multi-byte characters", "# Zürich\nca: M\xfcnchen\n", 2, 6,
			"is not valid UTF-8 (byte 0xFC here); save the inventory as UTF-8 text"},
		{"NUL byte", "ccadb:\n  x\x00y\n", 2, 4,
			"holds a NUL byte: this looks like a binary file, not a YAML inventory"},
		{"binary file", "\x7fELF\x02\x01\x01\x00\x00\x00", 1, 1,
			"holds the control character U+007F, which YAML does not allow (in a double-quoted string write it as an escape, e.g. \"\\x7F\")"},
		{"bell character", "a:\n  b: \"x\ay\"\n", 2, 8,
			"holds the control character U+0007, which YAML does not allow (in a double-quoted string write it as an escape, e.g. \"\\x07\")"},
		{"C1 control", "a: b\u0090\n", 1, 5,
			"holds the control character U+0090, which YAML does not allow (in a double-quoted string write it as an escape, e.g. \"\\x90\")"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := parseProblems(t, tt.data)
			if len(ps) != 1 || ps[0].Pos.Line != tt.line || ps[0].Pos.Col != tt.col || ps[0].Msg != tt.msg {
				t.Fatalf("got %v\nwant %d:%d %s", ps, tt.line, tt.col, tt.msg)
			}
		})
	}
}

// Past the size where locating is affordable, yaml.v3's own line (here
// none) is given and said to be approximate.
func TestSyntaxErrorInAHugeFile(t *testing.T) {
	data := "ccadb:\n  defaults:\n    description: \"" + strings.Repeat("x", 1<<20) + "\"\n   name: y\n"
	ps := parseProblems(t, data)
	if len(ps) != 1 || ps[0].Pos.Line > 4 || !strings.Contains(ps[0].Msg, "did not find expected key (the line, if any, is the YAML parser's and can be off: the file is too large to locate the mistake exactly)") {
		t.Fatalf("got %v", ps)
	}
}
