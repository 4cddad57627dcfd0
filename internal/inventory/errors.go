package inventory

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrInvalid is wrapped by every error that Load returns for a bad inventory,
// so callers can tell "fix your file" (exit 1, nothing sent) from I/O trouble.
var ErrInvalid = errors.New("invalid inventory")

// Pos is a position in the inventory file, 1-based like editors show it.
type Pos struct {
	Line, Col int
}

// Problem is one mistake in the inventory: where it is, which field, what is
// wrong.
type Problem struct {
	File string
	Pos  Pos
	// Path is the field path, e.g. VENDOR.items[2].audits.standard.url.
	Path string
	Msg  string
}

// Error formats the problem as FILE:LINE:COL: PATH: MESSAGE.
func (p Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Pos.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", p.Pos.Line, p.Pos.Col)
	}
	b.WriteString(": ")
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is every mistake found in one file, in file order. It is an error
// that wraps ErrInvalid.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (ps Problems) Unwrap() error { return ErrInvalid }

// sorted returns the problems in file order, keeping the order of problems
// found at the same position.
func (ps Problems) sorted() Problems {
	out := append(Problems(nil), ps...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Pos, out[j].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return out
}

// Report collects problems while a file is checked. Sections add theirs
// with Add; Parse sorts and returns them.
type Report struct {
	file string
	ps   Problems
	// warns are findings that do not make the inventory invalid (Warn).
	warns Problems
}

// Add records a problem at pos about the field path (e.g.
// VENDOR.items[0].name). Long paths and string arguments are shortened, so
// a huge value never floods a message.
func (r *Report) Add(pos Pos, path, format string, args ...any) {
	r.ps = append(r.ps, Problem{File: r.file, Pos: pos, Path: shortPath(path), Msg: fmt.Sprintf(format, shortArgs(args)...)})
}

// Warn records a finding that is worth printing but does not make the
// inventory invalid: a value the vendor may accept although certsync cannot
// confirm it (e.g. a picklist the vendor does not publish). Load still
// succeeds; the warnings are on Inventory.Warnings.
func (r *Report) Warn(pos Pos, path, format string, args ...any) {
	r.warns = append(r.warns, Problem{File: r.file, Pos: pos, Path: shortPath(path), Msg: "warning: " + fmt.Sprintf(format, shortArgs(args)...)})
}

func (r *Report) err() error {
	if len(r.ps) == 0 {
		return nil
	}
	return r.ps.sorted()
}

// dropShadowed removes problems found after the first n whose path is, or
// lies below, the path of one of the first n: those fields failed to decode,
// and what a later check says about them is noise.
func (r *Report) dropShadowed(n int) {
	if n == 0 {
		return
	}
	bad := r.ps[:n]
	out := append(Problems(nil), bad...)
	for _, p := range r.ps[n:] {
		shadowed := false
		for _, b := range bad {
			if b.Path != "" && (p.Path == b.Path || strings.HasPrefix(p.Path, b.Path+".") || strings.HasPrefix(p.Path, b.Path+"[")) {
				shadowed = true
				break
			}
		}
		if !shadowed {
			out = append(out, p)
		}
	}
	r.ps = out
}
