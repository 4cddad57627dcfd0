package diff_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/certsync/certsync/internal/diff"
)

var now = time.Date(2025, 3, 14, 15, 9, 26, 0, time.FixedZone("CET", 3600))

func addr(kind, name string) diff.Address {
	return diff.Address{Vendor: "acme", Kind: kind, Name: name}
}

func TestEqual(t *testing.T) {
	tests := []struct {
		name string
		a, b any
		want bool
	}{
		{"same string", "x", "x", true},
		{"different string", "x", "y", false},
		{"empty list vs nil list", []string{}, []string(nil), true},
		{"nil list vs empty list", []string(nil), []string{}, true},
		{"same list", []string{"a", "b"}, []string{"a", "b"}, true},
		{"list order matters", []string{"a", "b"}, []string{"b", "a"}, false},
		{"empty string vs nil", "", nil, false},
		{"false vs nil", false, nil, false},
		{"empty list vs no value", []string{}, nil, false},
		{"empty string vs empty list", "", []string{}, false},
		{"bool", true, true, true},
		{"nil vs nil", nil, nil, true},
		{"bool vs its text", true, "true", false},
		{"different bools", true, false, false},
		{"list vs one-item text", []string{"a"}, "a", false},
		{"different lengths", []string{"a"}, []string{"a", "b"}, false},
		{"maps go to go-cmp", map[string]string{"a": ""}, map[string]string{"a": ""}, true},
		{"empty map vs nil map", map[string]string{}, map[string]string(nil), true},
		{"ints", 3, 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := diff.Equal(tt.a, tt.b); got != tt.want {
				t.Errorf("Equal(%#v, %#v) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
			// The direct comparisons must agree with go-cmp's, both ways round.
			for _, ab := range [][2]any{{tt.a, tt.b}, {tt.b, tt.a}} {
				if got, ref := diff.Equal(ab[0], ab[1]), cmp.Equal(ab[0], ab[1], cmpopts.EquateEmpty()); got != ref {
					t.Errorf("Equal(%#v, %#v) = %v but go-cmp says %v", ab[0], ab[1], got, ref)
				}
			}
		})
	}
}

func TestCompute(t *testing.T) {
	a := addr("thing", "a")
	dep := addr("parent", "p")
	tests := []struct {
		name string
		pair diff.Pair
		want []diff.Change // Fingerprint is checked separately
	}{
		{
			name: "create when there is no live object",
			pair: diff.Pair{
				Address: a,
				Desired: &diff.Object{Fields: []diff.Field{
					{Name: "b", Value: "x"},
					{Name: "a", Value: []string{"1", "2"}},
					{Name: "c", Value: false},
				}},
			},
			want: []diff.Change{{
				Address: a, Action: diff.Create, Reason: "does not exist yet",
				Fields: []diff.FieldChange{
					{Field: "b", New: "x"},
					{Field: "a", New: []string{"1", "2"}},
					{Field: "c", New: false},
				},
				Desired: map[string]any{"b": "x", "a": []string{"1", "2"}, "c": false},
			}},
		},
		{
			name: "update lists exactly the differing fields in desired order",
			pair: diff.Pair{
				Address: a,
				Desired: &diff.Object{Fields: []diff.Field{
					{Name: "z", Value: "new"},
					{Name: "same", Value: "v"},
					{Name: "list", Value: []string{"a", "b"}},
					{Name: "flag", Value: true},
					{Name: "emptylist", Value: []string{}},
				}},
				Live: &diff.Object{ID: "L1", Fields: []diff.Field{
					{Name: "emptylist", Value: []string(nil)},
					{Name: "flag", Value: false},
					{Name: "list", Value: []string{"a"}},
					{Name: "same", Value: "v"},
					{Name: "z", Value: "old"},
				}},
			},
			want: []diff.Change{{
				Address: a, Action: diff.Update, Reason: "fields differ", LiveID: "L1",
				Fields: []diff.FieldChange{
					{Field: "z", Old: "old", New: "new"},
					{Field: "list", Old: []string{"a"}, New: []string{"a", "b"}},
					{Field: "flag", Old: false, New: true},
				},
				Desired: map[string]any{"z": "new", "same": "v", "list": []string{"a", "b"}, "flag": true, "emptylist": []string{}},
			}},
		},
		{
			name: "no change when equal, including empty list vs nil list",
			pair: diff.Pair{
				Address: a,
				Desired: &diff.Object{Fields: []diff.Field{
					{Name: "s", Value: "v"},
					{Name: "l", Value: []string{}},
					{Name: "m", Value: []string(nil)},
					{Name: "b", Value: false},
					{Name: "n", Value: nil},
				}},
				Live: &diff.Object{ID: "L1", Fields: []diff.Field{
					{Name: "s", Value: "v"},
					{Name: "l", Value: []string(nil)},
					{Name: "m", Value: []string{}},
					{Name: "b", Value: false},
					{Name: "n", Value: nil},
				}},
			},
			want: []diff.Change{},
		},
		{
			name: "empty string and false differ from no value",
			pair: diff.Pair{
				Address: a,
				Desired: &diff.Object{Fields: []diff.Field{
					{Name: "s", Value: ""},
					{Name: "b", Value: false},
					{Name: "l", Value: []string{}},
				}},
				Live: &diff.Object{ID: "L1", Fields: []diff.Field{
					{Name: "s", Value: nil},
					{Name: "b", Value: nil},
					{Name: "l", Value: nil},
				}},
			},
			want: []diff.Change{{
				Address: a, Action: diff.Update, Reason: "fields differ", LiveID: "L1",
				Fields: []diff.FieldChange{
					{Field: "s", Old: nil, New: ""},
					{Field: "b", Old: nil, New: false},
					{Field: "l", Old: nil, New: []string{}},
				},
				Desired: map[string]any{"s": "", "b": false, "l": []string{}},
			}},
		},
		{
			name: "unmanaged live fields are ignored",
			pair: diff.Pair{
				Address: a,
				Desired: &diff.Object{Fields: []diff.Field{{Name: "managed", Value: "v"}}},
				Live: &diff.Object{ID: "L1", Fields: []diff.Field{
					{Name: "managed", Value: "v"},
					{Name: "unmanaged", Value: "whatever"},
					{Name: "unreadable", Unknown: "write-only"},
				}},
			},
			want: []diff.Change{},
		},
		{
			name: "unknown live value plans the desired value",
			pair: diff.Pair{
				Address: a,
				Desired: &diff.Object{Fields: []diff.Field{
					{Name: "u", Value: "want"},
					{Name: "k", Value: "same"},
				}},
				Live: &diff.Object{ID: "L1", Fields: []diff.Field{
					{Name: "u", Value: "stale", Unknown: "the API does not show it"},
					{Name: "k", Value: "same"},
				}},
			},
			want: []diff.Change{{
				Address: a, Action: diff.Update, Reason: "fields differ", LiveID: "L1",
				Fields:  []diff.FieldChange{{Field: "u", Old: nil, New: "want", Unknown: "the API does not show it"}},
				Desired: map[string]any{"u": "want", "k": "same"},
			}},
		},
		{
			name: "delete only when absent and live exists",
			pair: diff.Pair{
				Address: a,
				Absent:  true,
				Live:    &diff.Object{ID: "L1", Fields: []diff.Field{{Name: "x", Value: "y"}}},
			},
			want: []diff.Change{{
				Address: a, Action: diff.Delete, Reason: "the inventory asks for it to be absent", LiveID: "L1",
			}},
		},
		{
			name: "delete drops field differences",
			pair: diff.Pair{
				Address: a,
				Absent:  true,
				Desired: &diff.Object{Fields: []diff.Field{{Name: "x", Value: "z"}}},
				Live:    &diff.Object{ID: "L1", Fields: []diff.Field{{Name: "x", Value: "y"}}},
			},
			want: []diff.Change{{
				Address: a, Action: diff.Delete, Reason: "the inventory asks for it to be absent", LiveID: "L1",
				Desired: map[string]any{"x": "z"},
			}},
		},
		{
			name: "absent and no live object is nothing to do",
			pair: diff.Pair{Address: a, Absent: true},
			want: []diff.Change{},
		},
		{
			name: "vendor-decided action is kept with its reason even without field changes",
			pair: diff.Pair{
				Address: a,
				Action:  renew,
				Reason:  "expires in 10 days",
				Desired: &diff.Object{Fields: []diff.Field{{Name: "cn", Value: "example.com"}}},
				Live:    &diff.Object{ID: "O-1", Fields: []diff.Field{{Name: "cn", Value: "example.com"}}},
			},
			want: []diff.Change{{
				Address: a, Action: renew, Reason: "expires in 10 days", LiveID: "O-1",
				Desired: map[string]any{"cn": "example.com"},
			}},
		},
		{
			name: "vendor-decided action still carries field differences",
			pair: diff.Pair{
				Address: a,
				Action:  reissue,
				Reason:  "key changed",
				Desired: &diff.Object{Fields: []diff.Field{{Name: "csr", Value: "new"}}},
				Live:    &diff.Object{ID: "O-1", Fields: []diff.Field{{Name: "csr", Value: "old"}}},
			},
			want: []diff.Change{{
				Address: a, Action: reissue, Reason: "key changed", LiveID: "O-1",
				Fields:  []diff.FieldChange{{Field: "csr", Old: "old", New: "new"}},
				Desired: map[string]any{"csr": "new"},
			}},
		},
		{
			name: "keys, dependencies and notes are carried",
			pair: diff.Pair{
				Address:   a,
				Desired:   &diff.Object{Fields: []diff.Field{{Name: "x", Value: "y"}}, Keys: map[string]string{"pem": "-----BEGIN", "sha256": "ab"}},
				DependsOn: []diff.Address{dep},
				Notes:     []string{"costs money", "takes a day"},
			},
			want: []diff.Change{{
				Address: a, Action: diff.Create, Reason: "does not exist yet",
				Fields:    []diff.FieldChange{{Field: "x", New: "y"}},
				Desired:   map[string]any{"x": "y"},
				Keys:      map[string]string{"pem": "-----BEGIN", "sha256": "ab"},
				DependsOn: []diff.Address{dep},
				Notes:     []string{"costs money", "takes a day"},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := diff.Compute([]diff.Pair{tt.pair}, now)
			for i := range p.Changes {
				if got, want := p.Changes[i].Fingerprint, diff.Fingerprint(tt.pair.Live); got != want {
					t.Errorf("Fingerprint = %q, want Fingerprint(live) = %q", got, want)
				}
				p.Changes[i].Fingerprint = ""
			}
			if d := cmp.Diff(tt.want, p.Changes); d != "" {
				t.Errorf("changes (-want +got):\n%s", d)
			}
			if p.FormatVersion != diff.FormatVersion {
				t.Errorf("FormatVersion = %d", p.FormatVersion)
			}
			if !p.CreatedAt.Equal(now) || p.CreatedAt.Location() != time.UTC {
				t.Errorf("CreatedAt = %v, want %v in UTC", p.CreatedAt, now)
			}
			if p.Changes == nil {
				t.Error("Changes is nil; an empty plan must have an empty list")
			}
		})
	}
}

func TestComputeKeepsPairOrderAndCollectsInfo(t *testing.T) {
	x, y, z := addr("k", "x"), addr("k", "y"), addr("k", "z")
	obj := func(v string) *diff.Object {
		return &diff.Object{ID: "id-" + v, Fields: []diff.Field{{Name: "f", Value: v}}}
	}
	p := diff.Compute([]diff.Pair{
		{Address: z, Desired: obj("1")},
		{Address: x, Desired: obj("1"), Live: obj("1"), Info: []string{"waiting for validation", "second"}},
		{Address: y, Desired: obj("2"), Live: obj("1"), Info: []string{"drifting"}},
	}, now)
	var got []diff.Address
	for _, c := range p.Changes {
		got = append(got, c.Address)
	}
	if d := cmp.Diff([]diff.Address{z, y}, got); d != "" {
		t.Errorf("change order (-want +got):\n%s", d)
	}
	wantInfo := []diff.Info{
		{Address: x, Message: "waiting for validation"},
		{Address: x, Message: "second"},
		{Address: y, Message: "drifting"},
	}
	if d := cmp.Diff(wantInfo, p.Info); d != "" {
		t.Errorf("Info (-want +got):\n%s", d)
	}
}

const secret = "s3cr3t-Hunter2-value"

func TestSensitiveFieldsAreRedactedEverywhere(t *testing.T) {
	pairs := []diff.Pair{
		{ // create: only a new value
			Address: addr("k", "created"),
			Desired: &diff.Object{Fields: []diff.Field{{Name: "password", Value: secret, Sensitive: true}, {Name: "user", Value: "bob"}}},
		},
		{ // update: old and new are secret
			Address: addr("k", "updated"),
			Desired: &diff.Object{Fields: []diff.Field{{Name: "password", Value: secret, Sensitive: true}}},
			Live:    &diff.Object{ID: "1", Fields: []diff.Field{{Name: "password", Value: "old-" + secret, Sensitive: true}}},
		},
		{ // vendor action with an unchanged secret
			Address: addr("k", "renewed"),
			Action:  renew,
			Desired: &diff.Object{Fields: []diff.Field{{Name: "password", Value: secret, Sensitive: true}}},
			Live:    &diff.Object{ID: "2", Fields: []diff.Field{{Name: "password", Value: secret}}},
		},
		{ // unknown live secret
			Address: addr("k", "unknown"),
			Desired: &diff.Object{Fields: []diff.Field{{Name: "password", Value: secret, Sensitive: true}}},
			Live:    &diff.Object{ID: "3", Fields: []diff.Field{{Name: "password", Unknown: "write-only"}}},
		},
	}
	p := diff.Compute(pairs, now)
	if len(p.Changes) != 4 {
		t.Fatalf("got %d changes, want 4", len(p.Changes))
	}
	for _, c := range p.Changes {
		if got := c.Desired["password"]; got != diff.Redacted {
			t.Errorf("%s: Desired[password] = %v, want %q", c.Address, got, diff.Redacted)
		}
		for _, f := range c.Fields {
			if f.Field != "password" {
				continue
			}
			if !f.Sensitive || f.New != diff.Redacted {
				t.Errorf("%s: field %+v not redacted", c.Address, f)
			}
			if f.Old != nil && f.Old != diff.Redacted {
				t.Errorf("%s: old value %v not redacted", c.Address, f.Old)
			}
		}
	}
	if got := p.Changes[1].Fields[0].Old; got != diff.Redacted {
		t.Errorf("update: Old = %v, want %q", got, diff.Redacted)
	}
	if got := p.Changes[3].Fields[0]; got.Old != nil || got.Unknown != "write-only" {
		t.Errorf("unknown: field = %+v, want Old nil and Unknown set", got)
	}
	if got := p.Changes[0].Desired["user"]; got != "bob" {
		t.Errorf("non-sensitive field redacted: %v", got)
	}

	var out bytes.Buffer
	for name, render := range map[string]func() error{
		"json":     func() error { return diff.JSON(&out, p) },
		"text":     func() error { return diff.Text(&out, p, false) },
		"color":    func() error { return diff.Text(&out, p, true) },
		"markdown": func() error { return diff.Markdown(&out, p) },
	} {
		out.Reset()
		if err := render(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if strings.Contains(out.String(), secret) {
			t.Errorf("%s rendering contains the secret:\n%s", name, out.String())
		}
		if !strings.Contains(out.String(), diff.Redacted) {
			t.Errorf("%s rendering does not show %q", name, diff.Redacted)
		}
	}
}

func TestFingerprint(t *testing.T) {
	base := &diff.Object{ID: "id-1", Fields: []diff.Field{
		{Name: "a", Value: "x"},
		{Name: "b", Value: []string{"1", "2"}},
		{Name: "c", Value: true},
		{Name: "d", Unknown: "write-only"},
	}}
	fp := diff.Fingerprint(base)
	if fp == "" {
		t.Fatal("Fingerprint of a live object is empty")
	}
	if len(fp) != 32 {
		t.Errorf("Fingerprint %q: want 32 hex digits", fp)
	}
	if got := diff.Fingerprint(base); got != fp {
		t.Errorf("Fingerprint is not deterministic: %q then %q", fp, got)
	}
	reordered := &diff.Object{ID: "id-1", Fields: []diff.Field{base.Fields[3], base.Fields[1], base.Fields[0], base.Fields[2]}}
	if got := diff.Fingerprint(reordered); got != fp {
		t.Errorf("field order changed the fingerprint: %q vs %q", got, fp)
	}
	if got := diff.Fingerprint(nil); got != "" {
		t.Errorf("Fingerprint(nil) = %q, want empty", got)
	}

	changed := map[string]*diff.Object{
		"value":             {ID: "id-1", Fields: []diff.Field{{Name: "a", Value: "y"}, base.Fields[1], base.Fields[2], base.Fields[3]}},
		"list element":      {ID: "id-1", Fields: []diff.Field{base.Fields[0], {Name: "b", Value: []string{"1"}}, base.Fields[2], base.Fields[3]}},
		"bool":              {ID: "id-1", Fields: []diff.Field{base.Fields[0], base.Fields[1], {Name: "c", Value: false}, base.Fields[3]}},
		"unknown now known": {ID: "id-1", Fields: []diff.Field{base.Fields[0], base.Fields[1], base.Fields[2], {Name: "d", Value: "v"}}},
		"id":                {ID: "id-2", Fields: base.Fields},
		"field added":       {ID: "id-1", Fields: append(append([]diff.Field{}, base.Fields...), diff.Field{Name: "e", Value: "x"})},
		"field renamed":     {ID: "id-1", Fields: []diff.Field{{Name: "A", Value: "x"}, base.Fields[1], base.Fields[2], base.Fields[3]}},
		"string vs nil":     {ID: "id-1", Fields: []diff.Field{{Name: "a", Value: nil}, base.Fields[1], base.Fields[2], base.Fields[3]}},
	}
	for name, o := range changed {
		if got := diff.Fingerprint(o); got == fp {
			t.Errorf("%s: changed live state kept fingerprint %q", name, fp)
		}
	}
	if diff.Fingerprint(&diff.Object{}) == "" {
		t.Error("an existing object with no fields must not have the empty fingerprint")
	}
}

func TestTargets(t *testing.T) {
	a, b, c, d, e := addr("k", "a"), addr("k", "b"), addr("k", "c"), addr("k", "d"), addr("k", "e")
	outside := addr("k", "not in plan")
	p := &diff.Plan{
		FormatVersion: diff.FormatVersion,
		CreatedAt:     now,
		Changes: []diff.Change{
			{Address: a, Action: diff.Create},
			{Address: b, Action: diff.Create, DependsOn: []diff.Address{a}},
			{Address: c, Action: diff.Update, DependsOn: []diff.Address{b, outside}},
			{Address: d, Action: diff.Update},
			{Address: e, Action: diff.Delete, DependsOn: []diff.Address{d}},
		},
		Info: []diff.Info{{Address: a, Message: "info a"}, {Address: d, Message: "info d"}, {Address: outside, Message: "x"}},
	}
	addrs := func(p *diff.Plan) []diff.Address {
		out := []diff.Address{}
		for _, c := range p.Changes {
			out = append(out, c.Address)
		}
		return out
	}
	tests := []struct {
		name     string
		targets  []diff.Address
		want     []diff.Address
		wantInfo []diff.Info
	}{
		// Info about a dependency outside the plan is kept: it may explain
		// why the target will not work.
		{"transitive dependencies kept in plan order", []diff.Address{c}, []diff.Address{a, b, c}, []diff.Info{{Address: a, Message: "info a"}, {Address: outside, Message: "x"}}},
		{"dependency alone", []diff.Address{a}, []diff.Address{a}, []diff.Info{{Address: a, Message: "info a"}}},
		{"two targets", []diff.Address{e, b}, []diff.Address{a, b, d, e}, []diff.Info{{Address: a, Message: "info a"}, {Address: d, Message: "info d"}}},
		{"target that is also a dependency", []diff.Address{b, a}, []diff.Address{a, b}, []diff.Info{{Address: a, Message: "info a"}}},
		{"target listed after its dependent", []diff.Address{c, b}, []diff.Address{a, b, c}, []diff.Info{{Address: a, Message: "info a"}, {Address: outside, Message: "x"}}},
		{"unknown target", []diff.Address{outside}, []diff.Address{}, []diff.Info{{Address: outside, Message: "x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := p.Targets(tt.targets)
			if d := cmp.Diff(tt.want, addrs(got)); d != "" {
				t.Errorf("changes (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.wantInfo, got.Info); d != "" {
				t.Errorf("info (-want +got):\n%s", d)
			}
			if got.FormatVersion != p.FormatVersion || !got.CreatedAt.Equal(p.CreatedAt) {
				t.Errorf("plan metadata not kept: %+v", got)
			}
		})
	}
	if got := p.Targets(nil); len(got.Changes) != 5 || len(got.Info) != 3 {
		t.Errorf("no targets must keep the whole plan, got %d changes", len(got.Changes))
	}
	if len(p.Changes) != 5 || len(p.Info) != 3 {
		t.Error("Targets modified the original plan")
	}
	// A dependency cycle must not make Targets loop.
	cyc := &diff.Plan{Changes: []diff.Change{
		{Address: a, DependsOn: []diff.Address{b}},
		{Address: b, DependsOn: []diff.Address{a}},
		{Address: c},
	}}
	if d := cmp.Diff([]diff.Address{a, b}, addrs(cyc.Targets([]diff.Address{a}))); d != "" {
		t.Errorf("cycle (-want +got):\n%s", d)
	}
}

func TestAddress(t *testing.T) {
	good := []struct {
		in   string
		want diff.Address
	}{
		{"ccadb/intermediate/Example Issuing CA 1", diff.Address{Vendor: "ccadb", Kind: "intermediate", Name: "Example Issuing CA 1"}},
		{"v/k/n", diff.Address{Vendor: "v", Kind: "k", Name: "n"}},
		// SplitN keeps any further slash in the name.
		{"v/k/a/b", diff.Address{Vendor: "v", Kind: "k", Name: "a/b"}},
	}
	for _, tt := range good {
		got, err := diff.ParseAddress(tt.in)
		if err != nil {
			t.Errorf("ParseAddress(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseAddress(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		if got.String() != tt.in {
			t.Errorf("String() = %q, want %q", got.String(), tt.in)
		}
		b, err := got.MarshalText()
		if err != nil || string(b) != tt.in {
			t.Errorf("MarshalText = %q, %v", b, err)
		}
		var back diff.Address
		if err := back.UnmarshalText(b); err != nil || back != got {
			t.Errorf("UnmarshalText(%q) = %+v, %v", b, back, err)
		}
	}

	for _, in := range []string{"", "v", "v/k", "v/k/", "/k/n", "v//n", "//", "vkn"} {
		_, err := diff.ParseAddress(in)
		if !errors.Is(err, diff.ErrBadAddress) {
			t.Errorf("ParseAddress(%q) error = %v, want ErrBadAddress", in, err)
		}
		if err != nil && !strings.Contains(err.Error(), `"`+in+`"`) {
			t.Errorf("ParseAddress(%q) error %q does not quote the input", in, err)
		}
		keep := diff.Address{Vendor: "keep", Kind: "k", Name: "n"}
		if err := keep.UnmarshalText([]byte(in)); !errors.Is(err, diff.ErrBadAddress) {
			t.Errorf("UnmarshalText(%q) error = %v, want ErrBadAddress", in, err)
		}
		if keep.Vendor != "keep" {
			t.Errorf("UnmarshalText(%q) changed the address on error: %+v", in, keep)
		}
	}

	// Addresses are JSON strings, also as map keys.
	m := map[diff.Address]int{{Vendor: "v", Kind: "k", Name: "n m"}: 1}
	b, err := json.Marshal(m)
	if err != nil || string(b) != `{"v/k/n m":1}` {
		t.Errorf("json map = %s, %v", b, err)
	}
	var back map[diff.Address]int
	if err := json.Unmarshal(b, &back); err != nil || !cmp.Equal(back, m) {
		t.Errorf("json map round trip = %v, %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"address":"nope"}`), &struct{ Address diff.Address }{}); !errors.Is(err, diff.ErrBadAddress) {
		t.Errorf("bad address in JSON: err = %v, want ErrBadAddress", err)
	}
}

func TestDecodeRoundTrip(t *testing.T) {
	p := fixturePlan()
	var b bytes.Buffer
	if err := diff.JSON(&b, p); err != nil {
		t.Fatal(err)
	}
	got, err := diff.Decode(b.Bytes())
	if err != nil {
		t.Fatalf("Decode: %v\n%s", err, b.String())
	}
	p.ActionSpecs = nil // not saved: the vendor table describes a plan read back
	if d := cmp.Diff(p, got); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	// Lists must come back as []string, not []any.
	for _, c := range got.Changes {
		for k, v := range c.Desired {
			if _, isAny := v.([]any); isAny {
				t.Errorf("%s: Desired[%s] decoded as []any", c.Address, k)
			}
		}
	}
}

func TestDecodeKeepsEmptyLists(t *testing.T) {
	// An empty list and "no value" are different values (see Equal); saving a
	// plan must not turn one into the other, whichever way the list was
	// built.
	p := diff.Compute([]diff.Pair{{
		Address: addr("k", "lists"),
		Desired: &diff.Object{Fields: []diff.Field{
			{Name: "empty", Value: []string{}},
			{Name: "nil", Value: []string(nil)},
			{Name: "none", Value: nil},
		}},
		Live: &diff.Object{ID: "1", Fields: []diff.Field{
			{Name: "empty", Value: "x"},
			{Name: "nil", Value: "x"},
			{Name: "none", Value: []string(nil)},
		}},
	}}, now)
	var b bytes.Buffer
	if err := diff.JSON(&b, p); err != nil {
		t.Fatal(err)
	}
	got, err := diff.Decode(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	c := got.Changes[0]
	for _, name := range []string{"empty", "nil"} {
		if v, ok := c.Desired[name].([]string); !ok || len(v) != 0 {
			t.Errorf("Desired[%s] = %#v after round trip, want an empty []string", name, c.Desired[name])
		}
	}
	if v := c.Desired["none"]; v != nil {
		t.Errorf("Desired[none] = %#v, want nil", v)
	}
	if len(c.Fields) != 3 {
		t.Fatalf("fields = %+v", c.Fields)
	}
	for i, f := range c.Fields {
		if !diff.Equal(f.New, p.Changes[0].Fields[i].New) || !diff.Equal(f.Old, p.Changes[0].Fields[i].Old) {
			t.Errorf("field %s: %#v -> %#v after round trip, was %#v -> %#v", f.Field, f.Old, f.New, p.Changes[0].Fields[i].Old, p.Changes[0].Fields[i].New)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"not json", `plan`, "not a certsync plan"},
		{"wrong type", `[]`, "not a certsync plan"},
		{"no version", `{"changes": []}`, "format_version 0 is not supported"},
		{"future version", `{"format_version": 2, "changes": []}`, "format_version 2 is not supported"},
		{"bad address", `{"format_version": 1, "changes": [{"address": "x", "action": "create"}]}`, "VENDOR/KIND/NAME"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := diff.Decode([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Decode(%s) = %v, %v; want error containing %q", tt.in, p, err, tt.want)
			}
		})
	}
	p, err := diff.Decode([]byte(`{"format_version": 1, "changes": []}`))
	if err != nil || !p.Empty() {
		t.Errorf("minimal plan: %+v, %v", p, err)
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, want any
	}{
		{[]any{"a", "b"}, []string{"a", "b"}},
		{[]any{}, []string{}},
		{"s", "s"},
		{true, true},
		{nil, nil},
		{[]string{"x"}, []string{"x"}},
	}
	for _, tt := range tests {
		if got := diff.Normalize(tt.in); !cmp.Equal(got, tt.want) {
			t.Errorf("Normalize(%#v) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestSummary(t *testing.T) {
	with := func(p *diff.Plan, attention, errs int) *diff.Plan {
		for i := range attention {
			p.Attention = append(p.Attention, diff.Info{Address: addr("k", fmt.Sprint("att", i)), Message: "restore the key"})
		}
		for i := range errs {
			p.Errors = append(p.Errors, diff.Info{Address: addr("k", fmt.Sprint("err", i)), Message: "unreachable"})
		}
		return p
	}
	mk := func(actions ...diff.Action) *diff.Plan {
		p := &diff.Plan{Changes: []diff.Change{}}
		for i, a := range actions {
			p.Changes = append(p.Changes, diff.Change{Address: addr("k", string(rune('a'+i))), Action: a})
		}
		return p
	}
	tests := []struct {
		name string
		plan *diff.Plan
		want string
	}{
		{"empty", mk(), "No changes. The vendors match the inventory."},
		{"nil changes", &diff.Plan{}, "No changes. The vendors match the inventory."},
		{"create only", mk(diff.Create), "Plan: 1 to create, 0 to update, 0 to delete."},
		{"mixed", mk(diff.Create, diff.Update, diff.Create, diff.Delete), "Plan: 2 to create, 1 to update, 1 to delete."},
		{"lifecycle actions", mk(diff.Update, renew, download, revoke, download),
			"Plan: 0 to create, 1 to update, 0 to delete, 2 to download, 1 to renew, 1 to revoke."},
		// A plan with open items never says that the vendors match.
		{"attention only", with(mk(), 1, 0), "No changes planned; 1 item needs attention."},
		{"errors only", with(mk(), 0, 1), "No changes planned; 1 item could not be planned."},
		{"attention and errors", with(mk(), 1, 2), "No changes planned; 1 item needs attention, 2 could not be planned."},
		{"many of both", with(mk(), 3, 2), "No changes planned; 3 items need attention, 2 could not be planned."},
		{"changes and errors", with(mk(diff.Create), 0, 2), "Plan: 1 to create, 0 to update, 0 to delete; 2 items could not be planned."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.plan.Summary(); got != tt.want {
				t.Errorf("Summary() = %q, want %q", got, tt.want)
			}
		})
	}
	if got := mk(diff.Create, diff.Create, renew).Count(); !cmp.Equal(got, map[diff.Action]int{diff.Create: 2, renew: 1}) {
		t.Errorf("Count() = %v", got)
	}
}

// An item that could not be planned gets no change, lands in Errors, and
// does not stop the other items.
func TestComputeItemError(t *testing.T) {
	bad := diff.Pair{Address: diff.Address{Vendor: "v", Kind: "k", Name: "bad"}, Error: "key file unreadable",
		Desired: &diff.Object{Fields: []diff.Field{{Name: "x", Value: "1"}}}}
	good := diff.Pair{Address: diff.Address{Vendor: "v", Kind: "k", Name: "good"},
		Desired: &diff.Object{Fields: []diff.Field{{Name: "x", Value: "1"}}}}
	p := diff.Compute([]diff.Pair{bad, good}, time.Now())
	if len(p.Changes) != 1 || p.Changes[0].Address.Name != "good" {
		t.Fatalf("changes = %+v", p.Changes)
	}
	if len(p.Errors) != 1 || p.Errors[0].Message != "key file unreadable" {
		t.Fatalf("errors = %+v", p.Errors)
	}
	var b strings.Builder
	_ = diff.Text(&b, p, false)
	if !strings.Contains(b.String(), "Could not be planned:") || !strings.Contains(b.String(), "key file unreadable") {
		t.Errorf("text plan does not show the error:\n%s", b.String())
	}
	if tp := p.Targets([]diff.Address{good.Address}); len(tp.Errors) != 0 {
		t.Error("a target plan kept another item's error")
	}
}

// An item that needs a person's attention gets no change, even when its
// objects differ, lands in Attention, and does not stop the other items.
func TestComputeAttention(t *testing.T) {
	held := diff.Pair{Address: diff.Address{Vendor: "v", Kind: "k", Name: "held"}, Attention: []string{"key file is gone"},
		Desired: &diff.Object{Fields: []diff.Field{{Name: "x", Value: "2"}}},
		Live:    &diff.Object{ID: "1", Fields: []diff.Field{{Name: "x", Value: "1"}}}}
	good := diff.Pair{Address: diff.Address{Vendor: "v", Kind: "k", Name: "good"},
		Desired: &diff.Object{Fields: []diff.Field{{Name: "x", Value: "1"}}}}
	p := diff.Compute([]diff.Pair{held, good}, time.Now())
	if len(p.Changes) != 1 || p.Changes[0].Address.Name != "good" {
		t.Fatalf("changes = %+v", p.Changes)
	}
	if len(p.Attention) != 1 || p.Attention[0].Message != "key file is gone" {
		t.Fatalf("attention = %+v", p.Attention)
	}
	var b strings.Builder
	_ = diff.Text(&b, p, false)
	if !strings.Contains(b.String(), "Needs attention") || !strings.Contains(b.String(), "key file is gone") {
		t.Errorf("text plan does not show the attention item:\n%s", b.String())
	}
	if tp := p.Targets([]diff.Address{good.Address}); len(tp.Attention) != 0 {
		t.Error("a target plan kept another item's attention message")
	}
	if tp := p.Targets([]diff.Address{held.Address}); len(tp.Attention) != 1 {
		t.Error("a target plan lost its own item's attention message")
	}
}

// Vendor actions the tests use, as a vendor would declare them.
const (
	renew    diff.Action = "renew"
	reissue  diff.Action = "reissue"
	revoke   diff.Action = "revoke"
	download diff.Action = "download"
)

func TestRecordsGoWithTheFirstInfo(t *testing.T) {
	a := diff.Address{Vendor: "v", Kind: "k", Name: "n"}
	recs := []diff.Record{{Type: "TXT", Name: "example.com", Value: "tok"}}
	p := diff.Compute([]diff.Pair{
		{Address: a, NoChange: true, Info: []string{"first", "second"}, Records: recs},
		{Address: diff.Address{Vendor: "v", Kind: "k", Name: "bare"}, NoChange: true, Records: recs},
	}, time.Time{})
	if len(p.Info) != 3 {
		t.Fatalf("info %+v", p.Info)
	}
	if !cmp.Equal(p.Info[0].Records, recs) || p.Info[1].Records != nil {
		t.Errorf("records not on the first info only: %+v", p.Info)
	}
	if p.Info[2].Message == "" || !cmp.Equal(p.Info[2].Records, recs) {
		t.Errorf("records without info lost: %+v", p.Info[2])
	}
	if got := recs[0].String(); got != "TXT example.com tok" {
		t.Errorf("String() = %q", got)
	}
}
