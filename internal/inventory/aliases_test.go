package inventory_test

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/vendors"
	"github.com/certsync/certsync/internal/vendors/ccadb"
	"github.com/certsync/certsync/internal/vendors/markmonitor"
)

// Merge keys follow YAML 1.1: a key written in the mapping wins over a merged
// one, the earlier of several merged mappings wins, and every merged value
// keeps the position it was written at.
func TestMergeKeys(t *testing.T) {
	const doc = `ccadb:
  defaults:
    audits:
      standard: &std
        url: https://audits.example.com/standard.pdf
        type: WebTrust
        statement_date: "2025-06-30"
        period_start: "2024-01-01"
        period_end: "2025-03-31"
      code_signing: &cs
        type: ETSI EN 319 411
        period_start: "2024-04-01"
      tls_br:
        <<: *std
        url: https://audits.example.com/br.pdf
      tls_evg:
        <<: [*cs, *std]
        period_end: "2025-06-30"
`
	inv, err := inventory.Parse("inv.yaml", []byte(doc), vendors.Sections())
	if err != nil {
		t.Fatal(err)
	}
	a := ccadb.SectionOf(inv).Defaults.Audits
	tests := []struct {
		name      string
		got       inventory.String
		value     string
		line, col int
	}{
		{"explicit key wins over the merged one", a.TLSBR.URL, "https://audits.example.com/br.pdf", 15, 14},
		{"merged value keeps its source position", a.TLSBR.Type, "WebTrust", 6, 15},
		{"merged value keeps its source position (2)", a.TLSBR.StatementDate, "2025-06-30", 7, 25},
		{"earlier mapping of a list wins", a.TLSEVG.PeriodStart, "2024-04-01", 12, 23},
		{"first mapping's own key", a.TLSEVG.Type, "ETSI EN 319 411", 11, 15},
		{"later mapping of a list fills the rest", a.TLSEVG.URL, "https://audits.example.com/standard.pdf", 5, 14},
		{"explicit key beside a list merge", a.TLSEVG.PeriodEnd, "2025-06-30", 18, 21},
	}
	for _, tt := range tests {
		if tt.got.Value != tt.value || !tt.got.Set || tt.got.Pos != (inventory.Pos{Line: tt.line, Col: tt.col}) {
			t.Errorf("%s: got %q (set %v) at %v, want %q at %d:%d", tt.name, tt.got.Value, tt.got.Set, tt.got.Pos, tt.value, tt.line, tt.col)
		}
	}
	if a.CodeSigning.URL.Set || a.CodeSigning.PeriodEnd.Set {
		t.Errorf("a merge changed the mapping it merged from: %+v", a.CodeSigning)
	}
}

func TestMergeKeyMistakes(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{"merge of a scalar", "ccadb:\n  defaults:\n    auditor:\n      <<: x\n",
			`inv.yaml:4:11: ccadb.defaults.auditor.<<: a merge key takes a mapping or a list of mappings, found the scalar "x"`},
		{"merge of a list of scalars", "ccadb:\n  defaults:\n    auditor:\n      <<: [x]\n",
			`inv.yaml:4:12: ccadb.defaults.auditor.<<: a merge key takes mappings, found the scalar "x"`},
		{"unknown key brought in by a merge is reported where it is written", "ccadb:\n  defaults:\n    policy: &p {nmae: x}\n    auditor:\n      <<: *p\n",
			`inv.yaml:3:17: ccadb.defaults.auditor.nmae: unknown field; did you mean "name"?`},
		{"a mapping merging itself", "ccadb:\n  defaults:\n    auditor: &a\n      <<: *a\n",
			`inv.yaml:4:11: ccadb.defaults.auditor.<<: is an alias to a node that contains it (*a refers to itself)`},
		{"mappings merging each other", "ccadb:\n  defaults:\n    auditor: &a\n      <<: {<<: [*a]}\n",
			`inv.yaml:4:17: ccadb.defaults.auditor.<<: is an alias to a node that contains it (*a refers to itself)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := parseProblems(t, tt.yaml)
			if !strings.Contains(ps.Error(), tt.want) {
				t.Fatalf("got\n%v\nwant a problem starting %q", ps, tt.want)
			}
		})
	}
}

// An alias bomb is one clear problem, found after a bounded amount of work:
// the decoder stops counting expanded nodes at the limit instead of
// building (or reporting on) billions of them.
func TestAliasBomb(t *testing.T) {
	// One anchored list of 1,500 bad URLs, aliased by 250 intermediates:
	// 375,000 values, each a problem, from a 13 KB file.
	lols := strings.TrimSuffix(strings.Repeat("lol, ", 1500), ", ")
	bombs := map[string]string{
		"aliases": "ccadb:\n  defaults:\n    crls:\n      partitioned: &p [" + lols + "]\n  intermediates:\n" +
			strings.Repeat("    - crls: {partitioned: *p}\n", 250),
		"merge keys": "ccadb:\n  defaults: &d\n    crls:\n      partitioned: [" + lols + "]\n  intermediates:\n" +
			strings.Repeat("    - <<: *d\n", 250),
	}
	for name, bomb := range bombs {
		t.Run(name, func(t *testing.T) {
			if len(bomb) > 16<<10 {
				t.Fatalf("the bomb is %d bytes; it should be a small file", len(bomb))
			}
			var ps inventory.Problems
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := inventory.Parse("inv.yaml", []byte(bomb), vendors.Sections())
			runtime.ReadMemStats(&after)
			if !errors.As(err, &ps) {
				t.Fatalf("got %v, want Problems", err)
			}
			var bombs int
			for _, p := range ps {
				if strings.Contains(p.Msg, "alias bomb") {
					bombs++
					// It names an alias that uses the anchor (lines 6 on),
					// not a node inside the anchored list (line 4).
					if p.Pos.Line < 6 {
						t.Errorf("the problem is at %v, not at an alias using the anchor", p.Pos)
					}
				}
			}
			if bombs != 1 || len(ps) > 2 {
				t.Fatalf("got %d problems (%d about the alias bomb), want the alias bomb once:\n%.2000s", len(ps), bombs, ps.Error())
			}
			allocated := after.TotalAlloc - before.TotalAlloc
			t.Logf("%d-byte bomb: %d bytes allocated, %d problem(s)", len(bomb), allocated, len(ps))
			if allocated > 8<<20 {
				t.Errorf("parsing a %d-byte bomb allocated %d bytes; want under 8 MiB", len(bomb), allocated)
			}
			if len(ps.Error()) > 1000 {
				t.Errorf("the report is %d bytes long", len(ps.Error()))
			}
		})
	}
}

// Shared defaults used by many items are not mistaken for a bomb.
func TestAliasesWithinTheLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("ccadb:\n  defaults:\n    audits:\n      standard: &std {url: https://a.example.com/s.pdf, type: WebTrust, statement_date: \"2025-06-30\", period_start: \"2024-04-01\", period_end: \"2025-03-31\"}\n")
	b.WriteString("      tls_br: {<<: *std}\n      tls_evg: *std\n      code_signing: *std\n      smime: {<<: [*std], url: https://a.example.com/x.pdf}\n")
	if _, err := inventory.Parse("inv.yaml", []byte(b.String()), vendors.Sections()); err != nil {
		t.Fatal(err)
	}
}

// The decoder drops each list item's nodes once it is decoded, to save
// memory; nodes an alias can reach again must survive: a list with an
// anchor, and a list under an anchored mapping reached by a merge key.
func TestAliasedListsDecodeTwice(t *testing.T) {
	const doc = `markmonitor:
  organizations:
    - &first
      name: First Inc.
      address1: 1 Example Way
      city: Boise
      state: Idaho
      country: US
      zipcode: "83702"
      phone: "+1 208 555 0100"
      contacts: &people
        - email: pki@example.com
          first_name: Pat
          last_name: Example
          job_title: PKI Lead
          phone: "+1 208 555 0101"
          types: [ORGANIZATION_CONTACT]
        - email: ev@example.com
          first_name: Eve
          last_name: Example
          job_title: Approver
          phone: "+1 208 555 0102"
          types: [EXTENDED_VALIDATION_APPROVER]
    - <<: *first
      name: Second Inc.
    - name: Third Inc.
      address1: 3 Example Way
      city: Boise
      state: Idaho
      country: US
      zipcode: "83702"
      phone: "+1 208 555 0300"
      contacts: *people
`
	inv, err := inventory.Parse("inv.yaml", []byte(doc), vendors.Sections())
	if err != nil {
		t.Fatal(err)
	}
	orgs := markmonitor.SectionOf(inv).Organizations
	if len(orgs) != 3 {
		t.Fatalf("%d organizations, want 3", len(orgs))
	}
	for _, o := range orgs {
		var emails []string
		for _, c := range o.Contacts {
			emails = append(emails, c.Email.Value)
		}
		if got := strings.Join(emails, " "); got != "pki@example.com ev@example.com" {
			t.Errorf("%s has contacts %q, want both of the anchored list's", o.Name.Value, got)
		}
	}
}

// A group of fields held by pointer (so that items share their defaults'
// copy) must still be a mapping when written: an empty one is refused, as
// it was when the group was a plain struct, rather than taken as unset.
func TestEmptyGroupRefused(t *testing.T) {
	const doc = "ccadb:\n  defaults:\n    ca_owner: X\n    audits:\n    policy: ~\n    issuance:\n"
	_, err := inventory.Parse("inv.yaml", []byte(doc), vendors.Sections())
	if err == nil {
		t.Fatal("empty audits, policy and issuance were accepted")
	}
	for _, want := range []string{
		"inv.yaml:4:12: ccadb.defaults.audits: must be a mapping of keys to values, found empty",
		"ccadb.defaults.policy: must be a mapping",
		"ccadb.defaults.issuance: must be a mapping",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q\nlacks %q", err, want)
		}
	}
}
