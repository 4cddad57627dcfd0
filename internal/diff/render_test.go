package diff_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/certsync/certsync/internal/diff"
)

var update = flag.Bool("update", false, "rewrite golden files")

var (
	caAddr    = diff.Address{Vendor: "ccadb", Kind: "intermediate", Name: "Example Issuing CA 1"}
	orderAddr = diff.Address{Vendor: "markmonitor", Kind: "order", Name: "www.example.com"}
	cdnAddr   = diff.Address{Vendor: "quantil", Kind: "certificate", Name: "cdn | edge"}
	oldAddr   = diff.Address{Vendor: "quantil", Kind: "certificate", Name: "retired"}
	waitAddr  = diff.Address{Vendor: "markmonitor", Kind: "order", Name: "pending.example.com"}
)

// fixturePlan has a create, an update with an unknown old value, list fields,
// a dependency, notes, a sensitive field, a vendor-decided action, a delete
// and info entries, with a fixed CreatedAt.
func fixturePlan() *diff.Plan {
	pairs := []diff.Pair{
		{
			Address: caAddr,
			Desired: &diff.Object{
				Fields: []diff.Field{
					{Name: "certificate_name", Value: "Example Issuing CA 1"},
					{Name: "policy_urls", Value: []string{"https://example.com/cp", "https://example.com/cps"}},
					{Name: "technically_constrained", Value: false},
				},
				Keys: map[string]string{"sha256": "0f1e2d"},
			},
			Notes: []string{"the CCADB shows new records after its nightly report"},
		},
		{
			Address: orderAddr,
			Desired: &diff.Object{Fields: []diff.Field{
				{Name: "common_name", Value: "www.example.com"},
				{Name: "sans", Value: []string{"www.example.com", "example.com"}},
				{Name: "auto_renew", Value: true},
				{Name: "contact_password", Value: secret, Sensitive: true},
				{Name: "comment", Value: "new | pipe"},
			}},
			Live: &diff.Object{ID: "ORD-42", Fields: []diff.Field{
				{Name: "common_name", Value: "www.example.com"},
				{Name: "sans", Value: []string{"www.example.com"}},
				{Name: "auto_renew", Unknown: "the API does not report it"},
				{Name: "contact_password", Value: "old-" + secret, Sensitive: true},
				{Name: "comment", Value: "old | pipe"},
				{Name: "status", Value: "issued"},
			}},
			DependsOn: []diff.Address{caAddr},
			Notes:     []string{"a reissue of this order is paid | per SAN"},
		},
		{
			Address:   cdnAddr,
			Action:    renew,
			Price:     &diff.Price{Amount: "149.50", Currency: "USD", Note: "1-year term"},
			Reason:    "expires in 10 days | before 2025-03-24",
			Desired:   &diff.Object{Fields: []diff.Field{{Name: "domain", Value: "cdn.example.com"}}},
			Live:      &diff.Object{ID: "Q-7", Fields: []diff.Field{{Name: "domain", Value: "cdn.example.com"}}},
			DependsOn: []diff.Address{orderAddr, caAddr},
		},
		{
			Address: oldAddr,
			Absent:  true,
			Live:    &diff.Object{ID: "Q-1", Fields: []diff.Field{{Name: "domain", Value: "old.example.com"}}},
		},
		{
			Address: waitAddr,
			Desired: &diff.Object{Fields: []diff.Field{{Name: "common_name", Value: "pending.example.com"}}},
			Live:    &diff.Object{ID: "ORD-43", Fields: []diff.Field{{Name: "common_name", Value: "pending.example.com"}}},
			Info:    []string{"waiting for domain validation | DNS"},
			Records: []diff.Record{{Type: "TXT", Name: "pending.example.com", Value: "0123abcd|x"}},
		},
		{
			Address:   diff.Address{Vendor: "markmonitor", Kind: "order", Name: "nokey.example.com"},
			Desired:   &diff.Object{Fields: []diff.Field{{Name: "common_name", Value: "nokey.example.com"}}},
			Live:      &diff.Object{ID: "ORD-44", Fields: []diff.Field{{Name: "common_name", Value: "nokey.example.com"}}},
			Attention: []string{"the key file is missing; restore it, or set rekey to order a new key"},
		},
	}
	p := diff.Compute(pairs, time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC))
	p.Describe(diff.ActionSpec{Action: renew, Verb: "renewed", Symbol: "+", Paid: true})
	return p
}

func emptyPlan() *diff.Plan {
	return diff.Compute(nil, time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC))
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs from the golden file (-want +got); run go test -update if intended:\n%s", path, d)
	}
}

func render(t *testing.T, f func(*bytes.Buffer) error) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := f(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestFixturePlanShape(t *testing.T) {
	// Guards the fixture itself, so the golden files keep covering what they
	// are meant to.
	p := fixturePlan()
	var actions []diff.Action
	for _, c := range p.Changes {
		actions = append(actions, c.Action)
	}
	if d := cmp.Diff([]diff.Action{diff.Create, diff.Update, renew, diff.Delete}, actions); d != "" {
		t.Fatalf("fixture actions (-want +got):\n%s", d)
	}
	upd := p.Changes[1]
	want := []diff.FieldChange{
		{Field: "sans", Old: []string{"www.example.com"}, New: []string{"www.example.com", "example.com"}},
		{Field: "auto_renew", New: true, Unknown: "the API does not report it"},
		{Field: "contact_password", Old: diff.Redacted, New: diff.Redacted, Sensitive: true},
		{Field: "comment", Old: "old | pipe", New: "new | pipe"},
	}
	if d := cmp.Diff(want, upd.Fields); d != "" {
		t.Errorf("update fields (-want +got):\n%s", d)
	}
	if len(p.Info) != 1 {
		t.Errorf("Info = %+v", p.Info)
	}
}

func TestTextGolden(t *testing.T) {
	p := fixturePlan()
	plain := render(t, func(b *bytes.Buffer) error { return diff.Text(b, p, false) })
	color := render(t, func(b *bytes.Buffer) error { return diff.Text(b, p, true) })
	golden(t, "plan.txt", plain)
	golden(t, "plan_color.txt", color)
	empty := render(t, func(b *bytes.Buffer) error { return diff.Text(b, emptyPlan(), false) })
	golden(t, "empty.txt", empty)
	emptyColor := render(t, func(b *bytes.Buffer) error { return diff.Text(b, emptyPlan(), true) })

	for name, out := range map[string][]byte{"plan.txt": plain, "empty.txt": empty} {
		if bytes.Contains(out, []byte("\x1b[")) {
			t.Errorf("%s has colour codes without color", name)
		}
	}
	if !bytes.Contains(color, []byte("\x1b[32m+\x1b[0m")) || !bytes.Contains(color, []byte("\x1b[31m-\x1b[0m")) {
		t.Error("coloured plan lacks coloured + and - markers")
	}
	if got := stripANSI(string(color)); got != string(plain) {
		t.Errorf("colour changes more than colour:\n%s", cmp.Diff(string(plain), got))
	}
	if got := stripANSI(string(emptyColor)); got != string(empty) {
		t.Errorf("empty plan: colour changes more than colour:\n%s", cmp.Diff(string(empty), got))
	}

	s := string(plain)
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if last := lines[len(lines)-1]; last != p.Summary() {
		t.Errorf("last line = %q, want the summary %q", last, p.Summary())
	}
	for _, want := range []string{
		"  + " + caAddr.String() + "\n",
		"  ~ " + orderAddr.String() + "\n",
		"  + " + cdnAddr.String() + "\n", // renew
		"  - " + oldAddr.String() + "\n",
		`~ auto_renew = (unknown: the API does not report it) -> true`,
		`~ sans = ["www.example.com"] -> ["www.example.com", "example.com"]`,
		`~ contact_password = (sensitive) -> (sensitive)`,
		`+ policy_urls = ["https://example.com/cp", "https://example.com/cps"]`,
		"after: " + caAddr.String() + "\n",
		"note: a reissue of this order is paid | per SAN",
		"      price: 149.50 USD (1-year term)\n",
		"\nPrice: 149.50 USD (1 paid change(s))\n",
		"i " + waitAddr.String() + ": waiting for domain validation | DNS",
		"      publish: TXT pending.example.com 0123abcd|x\n",
		"! markmonitor/order/nokey.example.com: the key file is missing",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("text plan lacks %q", want)
		}
	}
	if strings.Contains(s, "status") {
		t.Error("text plan shows an unmanaged live field")
	}
	if got := string(empty); !strings.Contains(got, "No changes.") || strings.Contains(got, "certsync will perform") {
		t.Errorf("empty text plan:\n%s", got)
	}
}

func stripANSI(s string) string {
	for _, c := range []string{"\x1b[0m", "\x1b[1m", "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[36m"} {
		s = strings.ReplaceAll(s, c, "")
	}
	return s
}

func TestJSONGolden(t *testing.T) {
	out := render(t, func(b *bytes.Buffer) error { return diff.JSON(b, fixturePlan()) })
	golden(t, "plan.json", out)
	empty := render(t, func(b *bytes.Buffer) error { return diff.JSON(b, emptyPlan()) })
	golden(t, "empty.json", empty)

	if !bytes.Contains(empty, []byte(`"format_version": 1`)) || !bytes.Contains(empty, []byte(`"changes": []`)) {
		t.Errorf("empty plan JSON lacks format_version 1 or an empty changes list:\n%s", empty)
	}
	// The JSON contract (format_version 1), checked through a generic decoder.
	var generic struct {
		FormatVersion *int `json:"format_version"`
		Changes       []struct {
			Address string `json:"address"`
			Action  string `json:"action"`
		} `json:"changes"`
	}
	if err := json.Unmarshal(out, &generic); err != nil {
		t.Fatal(err)
	}
	if generic.FormatVersion == nil || *generic.FormatVersion != 1 {
		t.Errorf("format_version = %v", generic.FormatVersion)
	}
	want := []string{caAddr.String(), orderAddr.String(), cdnAddr.String(), oldAddr.String()}
	var got []string
	for _, c := range generic.Changes {
		got = append(got, c.Address)
		if c.Action == "" {
			t.Errorf("%s: no action", c.Address)
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("addresses (-want +got):\n%s", d)
	}
	if bytes.Contains(out, []byte("\x1b[")) {
		t.Error("JSON has colour codes")
	}
}

func TestMarkdownGolden(t *testing.T) {
	out := render(t, func(b *bytes.Buffer) error { return diff.Markdown(b, fixturePlan()) })
	golden(t, "plan.md", out)
	empty := render(t, func(b *bytes.Buffer) error { return diff.Markdown(b, emptyPlan()) })
	golden(t, "empty.md", empty)

	s := string(out)
	table := strings.Index(s, "| action | changes |")
	details := strings.Index(s, "<details>")
	if table < 0 || details < 0 || table > details {
		t.Errorf("summary table (at %d) must come before the first <details> (at %d)", table, details)
	}
	// One folded block per change, and one for the info list.
	if n := strings.Count(s, "<details>"); n != 5 || strings.Count(s, "</details>") != 5 {
		t.Errorf("%d <details> blocks, want one per change (4) and one for the info list", n)
	}
	if a, c := strings.Index(s, "Needs attention"), strings.Index(s, "<details>"); a < 0 || a > c {
		t.Error("what needs attention does not come before the changes")
	}
	for _, want := range []string{
		"<summary><code>+</code> <code>quantil/certificate/cdn | edge</code> will be renewed (0 field(s))</summary>\n\nexpires in 10 days \\| before 2025-03-24\n",
		"> a reissue of this order is paid \\| per SAN",
		"\nPrice: 149.50 USD (1-year term)\n",
		"\nPrice: 149.50 USD (1 paid change(s))\n",
		"waiting for domain validation \\| DNS",
		"  | TXT | `pending.example.com` | `0123abcd\\|x` |\n",
		"- auto_renew = (unknown: the API does not report it)\n+ auto_renew = true\n",
		"- contact_password = (sensitive)\n+ contact_password = (sensitive)\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	// Every table row has the right number of unescaped pipes.
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(line, "|") {
			continue
		}
		cells := len(strings.Split(strings.ReplaceAll(line, `\|`, ""), "|")) - 2
		if cells != 2 && cells != 4 {
			t.Errorf("table row has %d cells: %q", cells, line)
		}
	}
	if !strings.HasSuffix(s, "\n"+fixturePlan().Summary()+"\n") {
		t.Error("markdown does not end with the summary line")
	}
	if strings.Contains(s, "\x1b[") || strings.Contains(string(empty), "\x1b[") {
		t.Error("markdown has colour codes")
	}
	if strings.Contains(string(empty), "<details>") || strings.Contains(string(empty), "| action |") {
		t.Errorf("empty markdown plan has a table or details:\n%s", empty)
	}
}
