package ccadbsim

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// A small JSON parser that keeps the position of every value. Apex REST
// deserialises request bodies with a Jackson-based parser: malformed JSON and
// values of the wrong type are answered with JSON_PARSER_ERROR messages that
// carry "[line:L, column:C]". encoding/json reports neither positions of type
// errors nor the null/absent/blank distinction the CCADB API depends on, hence
// this parser and the typed accessors in api.go.

type jsonKind int

const (
	jsonNull jsonKind = iota
	jsonBool
	jsonNumber
	jsonString
	jsonArray
	jsonObject
)

// jsonNode is one parsed JSON value.
type jsonNode struct {
	kind  jsonKind
	text  string      // string value (unescaped), number literal, "true"/"false"
	items []*jsonNode // array elements
	keys  []string    // object keys, in document order
	vals  []*jsonNode // object values, parallel to keys
	off   int         // byte offset of the value's first character
}

// maxJSONDepth bounds nesting so that a hostile body cannot exhaust the stack.
const maxJSONDepth = 512

// jsonSyntaxError is a parse failure at a byte offset.
type jsonSyntaxError struct {
	msg string
	off int
}

func (e *jsonSyntaxError) Error() string { return e.msg }

type jsonParser struct {
	data  []byte
	pos   int
	depth int
}

// parseJSON parses a complete JSON document.
func parseJSON(data []byte) (*jsonNode, error) {
	p := &jsonParser{data: data}
	p.skipSpace()
	if p.pos >= len(p.data) {
		return nil, &jsonSyntaxError{"No content to map due to end-of-input", p.pos}
	}
	n, err := p.value()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos < len(p.data) {
		return nil, p.unexpected("expected end-of-input after the root value")
	}
	return n, nil
}

// position turns a byte offset into Jackson's 1-based line and column.
func position(data []byte, off int) (line, col int) {
	off = min(off, len(data))
	line, start := 1, 0
	for i := range off {
		if data[i] == '\n' {
			line++
			start = i + 1
		}
	}
	return line, off - start + 1
}

func (p *jsonParser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// unexpected reports the character at the current position, in Jackson's words.
func (p *jsonParser) unexpected(expecting string) error {
	if p.pos >= len(p.data) {
		return &jsonSyntaxError{"Unexpected end-of-input: " + expecting, p.pos}
	}
	r, _ := utf8.DecodeRune(p.data[p.pos:])
	return &jsonSyntaxError{fmt.Sprintf("Unexpected character (%s (code %d)): %s", quoteChar(r), r, expecting), p.pos}
}

func quoteChar(r rune) string {
	if r < 0x20 {
		return fmt.Sprintf("CTRL-CHAR, code %d", r)
	}
	return "'" + string(r) + "'"
}

func (p *jsonParser) value() (*jsonNode, error) {
	p.skipSpace()
	if p.pos >= len(p.data) {
		return nil, p.unexpected("expected a valid value (number, String, array, object, 'true', 'false' or 'null')")
	}
	start := p.pos
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		return &jsonNode{kind: jsonString, text: s, off: start}, nil
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		end := p.pos
		for end < len(p.data) && isAlnum(p.data[end]) {
			end++
		}
		word := string(p.data[p.pos:end])
		switch word {
		case "true", "false":
			p.pos = end
			return &jsonNode{kind: jsonBool, text: word, off: start}, nil
		case "null":
			p.pos = end
			return &jsonNode{kind: jsonNull, off: start}, nil
		}
		return nil, &jsonSyntaxError{fmt.Sprintf("Unrecognized token '%s': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')", word), start}
	default:
		return nil, p.unexpected("expected a valid value (number, String, array, object, 'true', 'false' or 'null')")
	}
}

func (p *jsonParser) enter() error {
	p.depth++
	if p.depth > maxJSONDepth {
		return &jsonSyntaxError{fmt.Sprintf("Document nesting depth exceeds the maximum allowed (%d)", maxJSONDepth), p.pos}
	}
	return nil
}

func (p *jsonParser) object() (*jsonNode, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	n := &jsonNode{kind: jsonObject, off: p.pos}
	p.pos++ // '{'
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return n, nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.unexpected("expected close marker for OBJECT")
		}
		if p.data[p.pos] != '"' {
			return nil, p.unexpected("was expecting double-quote to start field name")
		}
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.unexpected("was expecting a colon to separate field name and value")
		}
		p.pos++
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		n.keys = append(n.keys, key)
		n.vals = append(n.vals, v)
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.unexpected("expected close marker for OBJECT")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return n, nil
		default:
			return nil, p.unexpected("was expecting comma to separate Object entries")
		}
	}
}

func (p *jsonParser) array() (*jsonNode, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	n := &jsonNode{kind: jsonArray, off: p.pos}
	p.pos++ // '['
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return n, nil
	}
	for {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		n.items = append(n.items, v)
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.unexpected("expected close marker for ARRAY")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return n, nil
		default:
			return nil, p.unexpected("was expecting comma to separate Array entries")
		}
	}
}

func (p *jsonParser) number() (*jsonNode, error) {
	start := p.pos
	digits := func() int {
		s := p.pos
		for p.pos < len(p.data) && p.data[p.pos] >= '0' && p.data[p.pos] <= '9' {
			p.pos++
		}
		return p.pos - s
	}
	if p.data[p.pos] == '-' {
		p.pos++
	}
	intStart := p.pos
	if digits() == 0 {
		return nil, p.unexpected("expected digit (0-9) to follow minus sign, for valid numeric value")
	}
	if p.data[intStart] == '0' && p.pos-intStart > 1 {
		return nil, &jsonSyntaxError{"Invalid numeric value: Leading zeroes not allowed", intStart}
	}
	if p.pos < len(p.data) && p.data[p.pos] == '.' {
		p.pos++
		if digits() == 0 {
			return nil, p.unexpected("Decimal point not followed by a digit")
		}
	}
	if p.pos < len(p.data) && (p.data[p.pos] == 'e' || p.data[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.data) && (p.data[p.pos] == '+' || p.data[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			return nil, p.unexpected("Exponent indicator not followed by a digit")
		}
	}
	return &jsonNode{kind: jsonNumber, text: string(p.data[start:p.pos]), off: start}, nil
}

// str reads a string literal starting at the opening quote.
func (p *jsonParser) str() (string, error) {
	p.pos++ // opening quote
	var b strings.Builder
	for {
		if p.pos >= len(p.data) {
			return "", &jsonSyntaxError{"Unexpected end-of-input in VALUE_STRING", p.pos}
		}
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			return b.String(), nil
		case c < 0x20:
			return "", &jsonSyntaxError{fmt.Sprintf("Illegal unquoted character ((CTRL-CHAR, code %d)): has to be escaped using backslash to be included in string value", c), p.pos}
		case c != '\\':
			b.WriteByte(c)
			p.pos++
			continue
		}
		// Escape sequence.
		p.pos++
		if p.pos >= len(p.data) {
			return "", &jsonSyntaxError{"Unexpected end-of-input in character escape sequence", p.pos}
		}
		e := p.data[p.pos]
		p.pos++
		switch e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, err := p.hex4()
			if err != nil {
				return "", err
			}
			if utf16.IsSurrogate(r) && p.pos+1 < len(p.data) && p.data[p.pos] == '\\' && p.data[p.pos+1] == 'u' {
				save := p.pos
				p.pos += 2
				r2, err := p.hex4()
				if err != nil {
					return "", err
				}
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					r = d
				} else {
					p.pos = save
				}
			}
			b.WriteRune(r)
		default:
			return "", &jsonSyntaxError{fmt.Sprintf("Unrecognized character escape '%c' (code %d)", e, e), p.pos - 1}
		}
	}
}

func (p *jsonParser) hex4() (rune, error) {
	if p.pos+4 > len(p.data) {
		return 0, &jsonSyntaxError{"Unexpected end-of-input in character escape sequence", len(p.data)}
	}
	v, err := strconv.ParseUint(string(p.data[p.pos:p.pos+4]), 16, 32)
	if err != nil {
		return 0, &jsonSyntaxError{"Unexpected character in Unicode escape: expected a hex-digit for character escape sequence", p.pos}
	}
	p.pos += 4
	return rune(v), nil
}

// describe renders a value the way Jackson names what it found instead of
// the expected type: strings quoted, scalars literally, "{" or "[" for
// containers.
func (n *jsonNode) describe() string {
	switch n.kind {
	case jsonNull:
		return "null"
	case jsonString:
		return strconv.Quote(n.text)
	case jsonArray:
		return "["
	case jsonObject:
		return "{"
	default:
		return n.text
	}
}

// field returns the values of obj whose key equals one of names, compared
// case-insensitively like Apex does, in document order.
func (n *jsonNode) field(names ...string) []*jsonNode {
	var out []*jsonNode
	for i, k := range n.keys {
		for _, name := range names {
			if strings.EqualFold(k, name) {
				out = append(out, n.vals[i])
				break
			}
		}
	}
	return out
}
