package ccadbsim

import (
	"maps"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPersistence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "ccadb.json")
	f := newFixture(t, func(o *Options) { o.StatePath = path })
	c := f.issue("Persistent CA")
	id := f.add(c, f.root, obj{"Description": "kept", "PertainingToCertificatesIssued": obj{"JSONArrayofPartitionedCRLs": []string{"http://a"}}})
	refresh := f.s.NewRefreshToken()
	before := f.s.Records()

	// A second simulator on the same file, as after a restart.
	s2, err := New(f.opt)
	if err != nil {
		t.Fatal(err)
	}
	after := s2.Records()
	if len(after) != len(before) {
		t.Fatalf("%d records after restart, want %d", len(after), len(before))
	}
	for i := range before {
		b, a := before[i], after[i]
		if a.ID != b.ID || a.PEM != b.PEM || a.SHA256 != b.SHA256 || a.ParentID != b.ParentID || a.Name != b.Name ||
			!a.CreatedAt.Equal(b.CreatedAt) || !a.ValidTo.Equal(b.ValidTo) || !maps.Equal(a.Fields, b.Fields) {
			t.Errorf("record %d changed:\n%+v\n%+v", i, b, a)
		}
	}

	ts := httptest.NewServer(s2)
	defer ts.Close()
	f2 := &fixture{t: t, s: s2, ts: ts, clock: f.clock, opt: f.opt, root: f.root, rootID: f.rootID, token: f.token}
	// The old access token and refresh token still work.
	if status, body := f2.post(GetIDPath, encode(t, obj{"SHA256": c.SHA256(), "RecordType": "Intermediate Certificate"})); status != 200 || !strings.Contains(body, id) {
		t.Errorf("lookup with the old token: %d %s", status, body)
	}
	status, body := f2.tokenRequest(url.Values{"grant_type": {"refresh_token"}, "client_id": {testClientID},
		"client_secret": {testClientSecret}, "refresh_token": {refresh}})
	if status != 200 {
		t.Errorf("old refresh token: %d %v", status, body)
	}
	// The id counter continues.
	newID := f2.add(f2.issue("After Restart CA"), f.root, nil)
	for _, r := range before {
		if r.ID == newID {
			t.Errorf("id %s reused after restart", newID)
		}
	}
	// Revocation persists too.
	s2.RevokeRefreshTokens()
	s3, err := New(f.opt)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(s3.Records()); n != 3 {
		t.Errorf("%d records, want 3", n)
	}
	ts3 := httptest.NewServer(s3)
	defer ts3.Close()
	f3 := &fixture{t: t, s: s3, ts: ts3}
	if status, body := f3.tokenRequest(url.Values{"grant_type": {"refresh_token"}, "client_id": {testClientID},
		"client_secret": {testClientSecret}, "refresh_token": {refresh}}); status != 400 || body["error"] != "invalid_grant" {
		t.Errorf("revoked refresh token after restart: %d %v", status, body)
	}
}

func TestPersistenceSeedAllAndErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ccadb.json")
	o := Options{ClientID: "id", ClientSecret: "secret", StatePath: path}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	recs := []Record{{SHA256: strings.Repeat("A1", 32)}, {SHA256: strings.Repeat("B2", 32), ParentSHA256: strings.Repeat("a1", 32)}}
	ids, err := s.SeedAll(recs)
	if err != nil || len(ids) != 2 {
		t.Fatal(ids, err)
	}
	s2, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if rec, ok := s2.RecordBySHA256(strings.Repeat("b2", 32)); !ok || rec.ParentID != ids[0] || rec.RecordType != IntermediateCertificate {
		t.Errorf("seeded child after restart: %+v", rec)
	}

	if _, err := New(Options{ClientID: "id"}); err == nil {
		t.Error("New without a client secret should fail")
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Options{ClientID: "id", ClientSecret: "s", StatePath: bad}); err == nil {
		t.Error("New on a corrupt state file should fail")
	}
}

// A state file written before the store had records (one JSON object) is
// read, converted, and keeps working after the next restart.
func TestOlderStateFileConverted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ccadb.json")
	older := `{"NextID": 1000040, "Records": [{"ID": "0018Z00000000ABCDE", "RecordType": "Root Certificate", "SHA256": "` +
		strings.Repeat("c3", 32) + `"}], "RefreshTokens": ["5Aep861old"], "AccessTokens": {}}`
	if err := os.WriteFile(path, []byte(older), 0o600); err != nil {
		t.Fatal(err)
	}
	o := Options{ClientID: "id", ClientSecret: "secret", StatePath: path}
	for range 2 { // the converted file, then the file as converted
		s, err := New(o)
		if err != nil {
			t.Fatal(err)
		}
		if rec, ok := s.RecordBySHA256(strings.Repeat("C3", 32)); !ok || rec.ID != "0018Z00000000ABCDE" {
			t.Fatalf("record after conversion: %+v %v", rec, ok)
		}
		if s.nextID != 1000040 || !s.refreshTokens["5Aep861old"] {
			t.Fatalf("counter %d, refresh tokens %v", s.nextID, s.refreshTokens)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil || strings.Contains(string(b), `"Records"`) || !strings.Contains(string(b), `"record/0018Z00000000ABCDE"`) {
		t.Fatalf("file not converted to one record per CCADB record: %v\n%s", err, b)
	}
}
