package inventory

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// MaxInventoryBytes is the largest inventory file Load reads. An inventory
// of thousands of items is well under 1 MiB; the limit refuses a file named
// by mistake before it fills memory. Certificate, key and CSR files have
// their own, smaller limit, pemutil.MaxFileBytes.
const MaxInventoryBytes = 16 << 20

// A string argument of a message longer than maxArg is shortened to its
// first maxQuoted bytes and its length. Messages composed from the
// inventory's own names stay well under maxArg.
const (
	maxArg    = 1024
	maxQuoted = 80
)

// short wraps a string argument of a message so that a huge value (a
// megabyte scalar, a key of a thousand characters) prints its first
// maxQuoted characters and its length instead of all of it.
type short string

// Format prints %q and %s/%v shortened; other verbs print the full string.
func (s short) Format(f fmt.State, verb rune) {
	str := string(s)
	cut := str
	if len(str) > maxQuoted {
		cut = str[:maxQuoted]
		for len(cut) > 0 && !utf8.ValidString(cut) { // never split a character
			cut = cut[:len(cut)-1]
		}
	}
	switch {
	case cut == str && verb == 'q':
		fmt.Fprint(f, strconv.Quote(str))
	case cut == str:
		fmt.Fprint(f, str)
	case verb == 'q':
		fmt.Fprintf(f, "%s… (%d bytes)", strconv.Quote(cut), len(str))
	default:
		fmt.Fprintf(f, "%s… (%d bytes)", cut, len(str))
	}
}

// shortArgs shortens the string arguments of a message.
func shortArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		if s, ok := a.(string); ok && len(s) > maxArg {
			a = short(s)
		}
		out[i] = a
	}
	return out
}

// shortPath shortens the keys of a field path that embed a huge key.
func shortPath(path string) string {
	if len(path) <= maxArg {
		return path
	}
	return fmt.Sprint(short(path))
}
