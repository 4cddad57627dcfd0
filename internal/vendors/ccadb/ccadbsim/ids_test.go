package ccadbsim

import (
	"strings"
	"testing"
)

func TestCaseSafeIDExamples(t *testing.T) {
	// The three ids of vendor notes §2.5 (seed 001, seed 000, a V2 report).
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
		{"1300870009327", false},      // seed 001's 13-digit update sample
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
	for range 50 {
		id, err := f.s.Seed(Record{SHA256: strings.Repeat("AB", 32), ParentID: f.rootID})
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
