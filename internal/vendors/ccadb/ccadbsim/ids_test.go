package ccadbsim

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCaseSafeIDExamples(t *testing.T) {
	// Three published ids: two from the API documentation, one from a V2 report.
	for _, id := range []string{"0010r00000UqC4AAAV", "0010r00000damffAAA", "0018Z00002vyRdNQAU"} {
		if got := CaseSafeID(id[:15]); got != id {
			t.Errorf("CaseSafeID(%s) = %s, want %s", id[:15], got, id)
		}
		if !ValidID(id) {
			t.Errorf("ValidID(%s) = false", id)
		}
	}
}

func TestValidID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"0010r00000UqC4AAAV", true},
		{"0010r00000UqC4Aaav", true}, // the checksum itself is case-insensitive
		{"0010r00000UqC4AAAA", false},
		{"0010r00000uqC4AAAV", false}, // a case change in the id changes its checksum
		{"0010r00000UqC4A", false},    // 15 characters
		{"1300870009327", false},      // the 2022 documentation's 13-digit update sample
		{"0010r00000UqC4-AAV", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := ValidID(tt.id); got != tt.want {
			t.Errorf("ValidID(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
	if CaseSafeID("short") != "" {
		t.Error("CaseSafeID of a short id should be empty")
	}
}

func TestNewRecordIDs(t *testing.T) {
	f := newFixture(t)
	seen := map[string]bool{}
	ids := []string{f.rootID}
	for i := range 50 {
		id, err := f.s.Seed(Record{SHA256: fmt.Sprintf("%064X", i), ParentID: f.rootID})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for _, id := range ids {
		if !ValidID(id) || !strings.HasPrefix(id, "001") || seen[strings.ToUpper(id)] {
			t.Errorf("bad or repeated id %s", id)
		}
		seen[strings.ToUpper(id)] = true
	}
	// The counter starts where ids mix upper and lower case, so the
	// checksum is not the trivial "AAA".
	if strings.HasSuffix(ids[0], "AAA") {
		t.Errorf("first id %s has a trivial checksum", ids[0])
	}
}

func TestCCADBIDs(t *testing.T) {
	for id, want := range map[string]bool{
		"A000086": true, "A012486": true, "a000001": true,
		"A00008": false, "A0000861": false, "B000086": false, "A00008x": false, "": false,
		"0018Z00002vyRdNQAU": false,
	} {
		if got := ValidCCADBID(id); got != want {
			t.Errorf("ValidCCADBID(%q) = %v", id, got)
		}
	}

	f := newFixture(t)
	root, _ := f.s.Record(f.rootID)
	if root.CCADBID != "A000001" {
		t.Errorf("first CCADB id %q", root.CCADBID)
	}
	id, err := f.s.Seed(Record{SHA256: strings.Repeat("0A", 32), ParentID: f.rootID, CCADBID: "A000086"})
	if err != nil {
		t.Fatal(err)
	}
	next := f.add(f.issue("After A000086"), f.root, nil)
	for ccadbID, want := range map[string]string{"A000086": id, "a000086": id, "A000087": next} {
		if rec, ok := f.s.Record(ccadbID); !ok || rec.ID != want {
			t.Errorf("Record(%s) = %s, %v; want %s", ccadbID, rec.ID, ok, want)
		}
	}
	if rec, ok := f.s.Record(strings.ToLower(next)); !ok || rec.CCADBID != "A000087" {
		t.Errorf("Record(lower-case 18-character id) = %+v, %v", rec, ok)
	}
	for name, bad := range map[string]Record{
		"malformed CCADB id":               {SHA256: strings.Repeat("0B", 32), CCADBID: "A86"},
		"used CCADB id":                    {SHA256: strings.Repeat("0C", 32), CCADBID: "A000001"},
		"same certificate and owner twice": {SHA256: strings.Repeat("0a", 32), ParentID: f.rootID},
	} {
		if _, err := f.s.Seed(bad); err == nil {
			t.Errorf("Seed with a %s: no error", name)
		}
	}
	if _, ok := f.s.Record("A999999"); ok {
		t.Error("Record of an unknown CCADB id")
	}
}

// TestCCADBIDsPersist: CCADB unique ids survive a restart and the counter
// continues; a state file written before there were any gets them on load.
func TestCCADBIDsPersist(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ccadb.json")
	f := newFixture(t, func(o *Options) { o.StatePath = path })
	id := f.add(f.issue("Persisted CA"), f.root, nil)
	s2, err := New(f.opt)
	if err != nil {
		t.Fatal(err)
	}
	if rec, ok := s2.Record("A000002"); !ok || rec.ID != id {
		t.Errorf("after restart A000002 = %+v, %v", rec, ok)
	}
	next, err := s2.Seed(Record{SHA256: strings.Repeat("0D", 32), ParentID: f.rootID})
	if err != nil {
		t.Fatal(err)
	}
	if got := s2.mustCCADBID(t, next); got != "A000003" {
		t.Errorf("next CCADB id after restart %s", got)
	}

	// A state file in the older one-object layout, written before records
	// had CCADB ids: New converts it and gives every record a distinct id.
	var recs []Record
	for _, rec := range s2.Records() {
		rec.CCADBID = ""
		recs = append(recs, rec)
	}
	b, err := json.Marshal(persistedState{NextID: s2.nextID, Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	f.opt.StatePath = filepath.Join(t.TempDir(), "older.json")
	if err := os.WriteFile(f.opt.StatePath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	s3, err := New(f.opt)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, rec := range s3.Records() {
		if !ValidCCADBID(rec.CCADBID) || seen[rec.CCADBID] {
			t.Errorf("record %s loaded with CCADB id %q", rec.ID, rec.CCADBID)
		}
		seen[rec.CCADBID] = true
	}
	if len(seen) != len(recs) {
		t.Errorf("loaded %d records with ids, want %d", len(seen), len(recs))
	}
}
