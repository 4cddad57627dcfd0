package inventory

import (
	"fmt"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Checks that sections share. Each reports through the Report, naming the
// field path, and never stops at the first problem.

// Required reports a String that is unset or blank, at owner (the item's
// position, since the key is not there). It returns whether s has a value.
func Required(r *Report, path string, s String, owner Pos) bool {
	if !s.Set || strings.TrimSpace(s.Value) == "" {
		r.Add(owner, path, "is required")
		return false
	}
	return true
}

// RequireOneOf is Required for a value from a fixed list.
func RequireOneOf(r *Report, path string, s String, owner Pos, allowed []string) {
	if !s.Set || s.Value == "" {
		r.Add(owner, path, "is required (one of %s)", QuoteAll(allowed))
		return
	}
	OneOfExact(r, path, s, allowed)
}

// OneOfExact reports a set value that is not exactly one of allowed, with a
// suggestion when only the case differs.
func OneOfExact(r *Report, path string, s String, allowed []string) {
	if !s.Set || slices.Contains(allowed, s.Value) {
		return
	}
	for _, a := range allowed {
		if strings.EqualFold(a, s.Value) {
			r.Add(s.Pos, path, "%q: did you mean %q?", s.Value, a)
			return
		}
	}
	r.Add(s.Pos, path, "%q is not one of: %s", s.Value, QuoteAll(allowed))
}

// QuoteAll lists values quoted, for messages.
func QuoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// CheckURL checks an absolute URL with one of the schemes; "" is fine.
func CheckURL(r *Report, path string, s String, schemes ...string) {
	if !s.Set || s.Value == "" {
		return
	}
	u, err := url.Parse(s.Value)
	if err != nil || u.Host == "" || !slices.Contains(schemes, u.Scheme) {
		r.Add(s.Pos, path, "%q is not a valid %s URL", s.Value, strings.Join(schemes, " or "))
	}
}

// UnwrapPathErr drops the path from a file error, for messages that name
// the file already.
func UnwrapPathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// MergeDefaults copies every String, Bool and Strings that dst leaves unset
// from def; dst and def are values of the same struct type. A pointer to a
// group of fields that dst leaves nil takes def's pointer: the group is then
// shared, not copied, and must not be written to through dst. When both are
// set, def's group is merged into dst's (which must be dst's own).
func MergeDefaults(dst, def reflect.Value) {
	switch dst.Type() {
	case stringType, boolType, stringsType:
		if !dst.FieldByName("Set").Bool() {
			dst.Set(def)
		}
		return
	}
	if dst.Kind() == reflect.Pointer {
		switch {
		case def.IsNil():
		case dst.IsNil():
			dst.Set(def)
		default:
			MergeDefaults(dst.Elem(), def.Elem())
		}
		return
	}
	if dst.Kind() != reflect.Struct {
		return
	}
	for i := 0; i < dst.NumField(); i++ {
		if dst.Type().Field(i).Type == posType {
			continue
		}
		MergeDefaults(dst.Field(i), def.Field(i))
	}
}

// ParseDuration reads a duration with a day unit too: "30d", "720h", "1d12h".
func ParseDuration(s string) (time.Duration, error) {
	var total time.Duration
	rest := s
	if i := strings.Index(rest, "d"); i > 0 {
		days, err := strconv.Atoi(rest[:i])
		if err != nil || days < 0 {
			return 0, fmt.Errorf("%q is not a duration like 30d or 720h", s)
		}
		total = time.Duration(days) * 24 * time.Hour
		rest = rest[i+1:]
	}
	if rest != "" {
		d, err := time.ParseDuration(rest)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("%q is not a duration like 30d or 720h", s)
		}
		total += d
	}
	if total == 0 {
		return 0, fmt.Errorf("%q is not a positive duration", s)
	}
	return total, nil
}

// itemPrefix is the part of a problem's path that names the section and the
// item (or the section's defaults): SECTION.LIST[i]. or SECTION.KEY.
var itemPrefix = regexp.MustCompile(`^[a-z_]+\.[a-z_]+(\[\d+\])?\.`)

// dedupe drops repeats of a problem at the same position: a bad value in a
// section's defaults is reported once, not once per item it applies to.
// Problems about different fields of an item (e.g. two required fields
// both missing, reported at the item's position) are not repeats.
func dedupe(r *Report) {
	r.ps = dedupeProblems(r.ps)
	r.warns = dedupeProblems(r.warns) // the same holds for warnings
}

func dedupeProblems(ps Problems) Problems {
	seen := map[string]bool{}
	out := ps[:0]
	for _, p := range ps {
		k := fmt.Sprintf("%d:%d:%s:%s", p.Pos.Line, p.Pos.Col, itemPrefix.ReplaceAllString(p.Path, ""), p.Msg)
		if p.Pos.Line > 0 && seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, p)
	}
	return out
}
