package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// yaml.v3 reports a syntax error as "yaml: line N: PROBLEM" without a
// column, and N is not always the line of the mistake: it is the line where
// the enclosing construct began when the parser has one, counted from 0 for
// parser errors and from 1 for scanner errors, and it is left out on the
// first line. The functions below find the true position from the input
// instead: the parser reads the input front to back and fails as soon as
// the mistake has been read, so the shortest prefix of the input that fails
// with the same problem ends at the mistake.

// maxLocateBytes bounds the input that syntax errors are located in: each
// step of the search parses a prefix again (about ten parses when yaml.v3's
// line is near the mistake, 2·log2(size) otherwise; ~1 s for 600 KiB on a
// slow machine). A larger file reports yaml.v3's own line.
const maxLocateBytes = 1 << 20

var yamlLineRE = regexp.MustCompile(`^yaml: (?:line (\d+): )?`)

// splitYAMLError returns yaml.v3's line (0 when absent) and the problem text.
func splitYAMLError(err error) (int, string) {
	msg := err.Error()
	m := yamlLineRE.FindStringSubmatch(msg)
	if m == nil {
		return 0, msg
	}
	line, _ := strconv.Atoi(m[1])
	return line, msg[len(m[0]):]
}

// parseError parses every document in data and returns the first error.
func parseError(data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// syntaxProblem turns a yaml.v3 syntax error in data into a position and a
// message.
func syntaxProblem(data []byte, err error) (Pos, string) {
	yamlLine, problem := splitYAMLError(err)
	msg := "not valid YAML: " + problem
	if len(data) > maxLocateBytes {
		return Pos{Line: yamlLine}, msg + " (the line, if any, is the YAML parser's and can be off: the file is too large to locate the mistake exactly)"
	}
	same := func(end int) bool {
		e := parseError(data[:end])
		if e == nil {
			return false
		}
		_, p := splitYAMLError(e)
		return p == problem
	}
	// The line whose end first makes the prefix fail, then the byte.
	ends := lineEnds(data)
	lo, hi := 0, len(ends)
	if yamlLine > 0 {
		// yaml.v3's line is usually within a line or two of the mistake:
		// try those lines first, so that a large file is parsed ~10 times
		// rather than ~2·log2(lines).
		// (yaml.v3 also counts a lone CR as a line break, so its line can
		// be past the last of ours.)
		b := min(yamlLine+1, len(ends)-1)
		a := min(max(yamlLine-3, 0), b)
		if (a == 0 || !same(ends[a-1])) && same(ends[b]) {
			lo, hi = a, b+1
		}
	}
	k := lo + search(hi-lo, func(i int) bool { return same(ends[lo+i]) })
	if k == hi {
		return Pos{Line: max(yamlLine, 1)}, msg
	}
	start := 0
	if k > 0 {
		start = ends[k-1]
	}
	e := start + 1 + search(ends[k]-start-1, func(i int) bool { return same(start + 1 + i) })
	off := e - 1
	for off > 0 && !utf8.RuneStart(data[off]) {
		off--
	}
	off, hint := refine(data, off, problem)
	return posAt(data, off), msg + hint
}

// search returns the smallest i in [0, n) for which f is true, or n; f is
// assumed false before and true from some index on.
func search(n int, f func(int) bool) int {
	lo, hi := 0, n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if f(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// lineEnds returns the offset just past each line of data (the last one
// possibly without a line break).
func lineEnds(data []byte) []int {
	var out []int
	for i, b := range data {
		if b == '\n' {
			out = append(out, i+1)
		}
	}
	if len(out) == 0 || out[len(out)-1] != len(data) {
		out = append(out, len(data))
	}
	return out
}

var unknownAnchorRE = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)

// refine moves the offset where the parser noticed a mistake to where the
// user should look, and adds a hint for the usual causes.
func refine(data []byte, off int, problem string) (int, string) {
	switch {
	case unknownAnchorRE.MatchString(problem):
		name := unknownAnchorRE.FindStringSubmatch(problem)[1]
		if i := bytes.LastIndex(data[:min(off+1, len(data))], []byte("*"+name)); i >= 0 {
			return i, ""
		}
	case strings.HasPrefix(problem, "did not find expected ',' or ']'"):
		if i := unclosed(data, off, '[', ']'); i >= 0 {
			return i, " (the list opened here is not closed)"
		}
	case strings.HasPrefix(problem, "did not find expected ',' or '}'"):
		if i := unclosed(data, off, '{', '}'); i >= 0 {
			return i, " (the mapping opened here is not closed)"
		}
	case problem == "found unexpected end of stream" && (data[off] == '"' || data[off] == '\''):
		return off, " (the quoted value that starts here is not closed)"
	case strings.HasPrefix(problem, "found a tab character") || data[off] == '\t':
		return off, " (indent with spaces: YAML does not allow tabs for indentation)"
	}
	return off, ""
}

// unclosed returns the offset of the opening bracket before off that has no
// closing one before off, or -1. Quoted text and comments are not told
// apart: this only picks a better place to point at.
func unclosed(data []byte, off int, open, close byte) int {
	depth := 0
	for i := min(off, len(data)-1); i >= 0; i-- {
		switch data[i] {
		case close:
			depth++
		case open:
			if depth == 0 {
				return i
			}
			depth--
		}
	}
	return -1
}

// posAt returns the 1-based line and column (in characters) of offset off,
// counting line breaks as YAML does: LF, CR LF, CR, NEL, LS and PS.
func posAt(data []byte, off int) Pos {
	p := Pos{Line: 1, Col: 1}
	for i := 0; i < off && i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == '\r' && i+1 < len(data) && data[i+1] == '\n':
			// the break is counted at the \n
			p.Col++
		case r == '\n' || r == '\r' || r == '\u0085' || r == '\u2028' || r == '\u2029':
			p.Line, p.Col = p.Line+1, 1
		default:
			p.Col++
		}
		i += size
	}
	return p
}

// textProblem finds the first character of data that a YAML file cannot
// hold: bytes that are not UTF-8, NUL (a binary file) and the control
// characters YAML excludes. yaml.v3 reports those without a position.
func textProblem(data []byte) (Pos, string, bool) {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		var msg string
		switch {
		case r == utf8.RuneError && size <= 1:
			msg = fmt.Sprintf("is not valid UTF-8 (byte 0x%02X here); save the inventory as UTF-8 text", data[i])
		case r == 0:
			msg = "holds a NUL byte: this looks like a binary file, not a YAML inventory"
		case !yamlPrintable(r):
			msg = fmt.Sprintf("holds the control character U+%04X, which YAML does not allow (in a double-quoted string write it as an escape, e.g. \"\\x%02X\")", r, r)
		}
		if msg != "" {
			return posAt(data, i), msg, true
		}
		i += size
	}
	return Pos{}, "", false
}

// yamlPrintable is the character set YAML 1.2 allows in a stream (c-printable).
func yamlPrintable(r rune) bool {
	switch {
	case r == '\t', r == '\n', r == '\r', r == 0x85:
		return true
	case r >= 0x20 && r <= 0x7E, r >= 0xA0 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}
