package diff_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/diff"
)

// ciPlan has an update whose only difference is a write-only field, an
// update with a known and an unknown field, a local-only download and a
// create.
func ciPlan() *diff.Plan {
	live := func(fields ...diff.Field) *diff.Object { return &diff.Object{ID: "1", Fields: fields} }
	desired := func(fields ...diff.Field) *diff.Object { return &diff.Object{Fields: fields} }
	pairs := []diff.Pair{
		{Address: diff.Address{Vendor: "ccadb", Kind: "intermediate", Name: "only-unknown"},
			Desired: desired(diff.Field{Name: "audit_url", Value: "https://a"}),
			Live:    live(diff.Field{Name: "audit_url", Unknown: "write-only"})},
		{Address: diff.Address{Vendor: "ccadb", Kind: "intermediate", Name: "mixed"},
			Desired: desired(diff.Field{Name: "audit_url", Value: "https://a"}, diff.Field{Name: "name", Value: "new"}),
			Live:    live(diff.Field{Name: "audit_url", Unknown: "write-only"}, diff.Field{Name: "name", Value: "old"})},
		{Address: diff.Address{Vendor: "markmonitor", Kind: "order", Name: "www"}, Action: "download",
			Desired: desired(), Live: live(), Reason: "the certificate file is missing"},
		{Address: diff.Address{Vendor: "quantil", Kind: "certificate", Name: "new"},
			Desired: desired(diff.Field{Name: "name", Value: "new"})},
	}
	p := diff.Compute(pairs, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	p.Describe(diff.ActionSpec{Action: "download", Vendor: "markmonitor", Kind: "order", Verb: "downloaded", Symbol: "<=", Local: true})
	return p
}

func TestForCI(t *testing.T) {
	full := ciPlan()
	ci := full.ForCI("--ci")
	var got []string
	for _, c := range ci.Changes {
		got = append(got, fmt.Sprintf("%s %s %d", c.Address.Name, c.Action, len(c.Fields)))
	}
	if want := "mixed update 1,new create 1"; strings.Join(got, ",") != want {
		t.Errorf("counted changes %q, want %q", strings.Join(got, ","), want)
	}
	if len(ci.Unknown) != 2 || ci.Unknown[0].Address.Name != "only-unknown" || ci.Unknown[1].Fields[0].Field != "audit_url" {
		t.Errorf("unknown = %+v", ci.Unknown)
	}
	if len(ci.LocalOnly) != 1 || ci.LocalOnly[0].Action != "download" {
		t.Errorf("local only = %+v", ci.LocalOnly)
	}
	if !strings.Contains(strings.Join(ci.Changes[0].Notes, " "), "write-only field is listed apart") {
		t.Errorf("the mixed change does not say a field is listed apart: %v", ci.Changes[0].Notes)
	}
	if len(full.Changes) != 4 || len(full.Changes[1].Fields) != 2 {
		t.Error("ForCI modified the plan it was given")
	}
	if !strings.Contains(ci.Summary(), "Not counted (CI mode): 2 object(s) with write-only fields, 1 local-only change(s).") {
		t.Errorf("summary: %s", ci.Summary())
	}

	// Only unknown fields and local files: nothing counts.
	onlyNoise := &diff.Plan{Changes: []diff.Change{full.Changes[0], full.Changes[2]}, ActionSpecs: full.ActionSpecs}
	if ci := onlyNoise.ForCI("no state directory"); !ci.Empty() {
		t.Errorf("CI plan of unknown fields and a download has changes: %+v", ci.Changes)
	}

	var text, md bytes.Buffer
	if err := diff.Text(&text, ci, false); err != nil {
		t.Fatal(err)
	}
	if err := diff.Markdown(&md, ci); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"text": text.String(), "markdown": md.String()} {
		for _, want := range []string{"CI mode (--ci)", "only-unknown", "audit_url (write-only)", "Local only", "markmonitor/order/www"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q:\n%s", name, want, out)
			}
		}
	}
}

// A plan of 500 changes (and as many info lines) stays under the limit,
// keeps its summary first and says how much is not shown.
func TestMarkdownLimit(t *testing.T) {
	var pairs []diff.Pair
	for i := range 500 {
		pairs = append(pairs, diff.Pair{
			Address: diff.Address{Vendor: "ccadb", Kind: "intermediate", Name: fmt.Sprintf("Example Issuing CA %03d", i)},
			Desired: &diff.Object{Fields: []diff.Field{
				{Name: "certificate_name", Value: fmt.Sprintf("Example Issuing CA %03d", i)},
				{Name: "policy_urls", Value: []string{"https://example.com/cp", "https://example.com/cps"}},
				{Name: "audit_url", Value: "https://audits.example.com/2025/webtrust-baseline-requirements.pdf"},
				{Name: "crl_urls", Value: []string{fmt.Sprintf("http://crl.example.com/%03d.crl", i)}},
			}},
			Info: []string{"the CCADB shows new records after its nightly report"},
		})
	}
	p := diff.Compute(pairs, time.Now())
	var b bytes.Buffer
	if err := diff.Markdown(&b, p); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	if len(s) >= 60000 {
		t.Fatalf("%d characters, want under 60,000", len(s))
	}
	if !strings.HasPrefix(s, "### certsync plan\n\n**Plan: 500 to create") {
		t.Errorf("the summary is not first:\n%.300s", s)
	}
	shown := strings.Count(s, "<summary><code>+</code>")
	if shown == 0 || shown == 500 {
		t.Fatalf("%d changes shown", shown)
	}
	want := fmt.Sprintf("%d of 500 changes", 500-shown)
	if !strings.Contains(s, want) || !strings.Contains(s, "500 other entries") {
		t.Errorf("the closing line does not say %q and 500 other entries:\n%s", want, s[len(s)-600:])
	}
	if strings.Count(s, "<details>") != strings.Count(s, "</details>") {
		t.Error("a <details> block is left open")
	}
	if !strings.HasSuffix(s, "\n"+p.Summary()+"\n") {
		t.Error("the summary line is not last")
	}
}

func TestForCICostsOnlyTheChangesThatCount(t *testing.T) {
	a := diff.Address{Vendor: "markmonitor", Kind: "order", Name: "www"}
	p := diff.Compute([]diff.Pair{{
		Address: a, Action: "reissue", Price: &diff.Price{Amount: "100", Currency: "USD"},
		Desired: &diff.Object{Fields: []diff.Field{{Name: "auto_renew", Value: true}}},
		Live:    &diff.Object{ID: "1", Fields: []diff.Field{{Name: "auto_renew", Unknown: "write-only"}}},
	}}, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	p.Describe(diff.ActionSpec{Action: "reissue", Vendor: "markmonitor", Kind: "order", Verb: "reissued", Symbol: "~", Paid: true})
	if len(p.PriceTotals) != 1 || p.CostLine() == "" {
		t.Fatalf("fixture: the change is not priced: %v", p.PriceTotals)
	}
	ci := p.ForCI("--ci")
	if len(ci.Changes) != 0 || len(ci.Unknown) != 1 {
		t.Fatalf("the change whose only field is write-only still counts: %+v", ci.Changes)
	}
	if len(ci.PriceTotals) != 0 || ci.CostLine() != "" {
		t.Errorf("CI plan prices a change it does not count: %v %q", ci.PriceTotals, ci.CostLine())
	}
}

func TestMarkdownLimitKeepsGuardsAndCost(t *testing.T) {
	var pairs []diff.Pair
	for i := range 500 {
		pairs = append(pairs, diff.Pair{
			Address: diff.Address{Vendor: "markmonitor", Kind: "order", Name: fmt.Sprintf("www%03d.example.com", i)},
			Desired: &diff.Object{Fields: []diff.Field{
				{Name: "sans", Value: []string{fmt.Sprintf("www%03d.example.com", i), fmt.Sprintf("api%03d.example.com", i)}},
				{Name: "product", Value: "OV-SSL-with-a-long-product-name-to-fill-the-comment"},
			}},
			Price: &diff.Price{Amount: "100.25", Currency: "USD"},
		})
	}
	p := diff.Compute(pairs, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	p.Describe(diff.ActionSpec{Action: diff.Create, Vendor: "markmonitor", Kind: "order", Verb: "ordered", Symbol: "+", Paid: true})
	if len(p.Guard(diff.DefaultGuards)) != 1 {
		t.Fatalf("fixture: want the paid guard tripped, got %v", p.Tripped)
	}
	var b bytes.Buffer
	if err := diff.Markdown(&b, p); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	if len(s) >= diff.MarkdownLimit {
		t.Fatalf("%d characters, want under %d", len(s), diff.MarkdownLimit)
	}
	if !strings.Contains(s, "of 500 changes") {
		t.Fatal("fixture: the plan was not cut")
	}
	guards, first := strings.Index(s, "**Guards tripped"), strings.Index(s, "<details>")
	if guards < 0 || guards > first || !strings.Contains(s, "- "+p.Tripped[0].String()) {
		t.Errorf("the tripped guard is not listed before the changes (at %d, first change at %d)", guards, first)
	}
	cost := "\n" + p.CostLine() + "\n\n" + p.Summary() + "\n"
	if p.CostLine() != "Price: 50125.00 USD (500 paid change(s))" || !strings.HasSuffix(s, cost) {
		t.Errorf("the cost line %q does not come right before the closing summary:\n%s", p.CostLine(), s[len(s)-400:])
	}
}
