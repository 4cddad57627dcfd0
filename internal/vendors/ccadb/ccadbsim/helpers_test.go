package ccadbsim

import (
	"encoding/json"
	"github.com/certsync/certsync/internal/sim"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/testpki"
)

const (
	testClientID     = "3MVG9test.consumer.key"
	testClientSecret = "consumer-secret"
)

type testClock = sim.Clock

// fixture is a simulator behind an httptest server, with a root record and a
// valid access token.
type fixture struct {
	t      *testing.T
	s      *Server
	ts     *httptest.Server
	clock  *testClock
	opt    Options
	token  string
	root   *testpki.Cert
	rootID string
}

func newFixture(t *testing.T, opts ...func(*Options)) *fixture {
	t.Helper()
	clock := sim.NewClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	o := Options{ClientID: testClientID, ClientSecret: testClientSecret, Now: clock.Now}
	for _, f := range opts {
		f(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	f := &fixture{t: t, s: s, ts: ts, clock: clock, opt: o}
	f.root = testpki.Root(testpki.Options{CommonName: "Example Root CA", Organization: "Example CA"})
	f.rootID, err = s.AddRoot(f.root.PEM(), "")
	if err != nil {
		t.Fatal(err)
	}
	f.token = f.accessToken()
	return f
}

func (f *fixture) caOwner() string {
	if f.opt.CAOwner == "" {
		return "Example CA"
	}
	return f.opt.CAOwner
}

// accessToken runs the refresh-token grant with a freshly minted refresh token.
func (f *fixture) accessToken() string {
	f.t.Helper()
	status, body := f.tokenRequest(url.Values{
		"grant_type":    {"refresh_token"},
		"client_id":     {testClientID},
		"client_secret": {testClientSecret},
		"refresh_token": {f.s.NewRefreshToken()},
	})
	if status != 200 {
		f.t.Fatalf("refresh grant: %d %v", status, body)
	}
	return body["access_token"].(string)
}

func (f *fixture) tokenRequest(form url.Values) (int, map[string]any) {
	f.t.Helper()
	resp, err := http.PostForm(f.ts.URL+TokenPath, form)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		f.t.Fatalf("token response: %v", err)
	}
	return resp.StatusCode, m
}

// post sends body to an Apex REST path with the fixture's token.
func (f *fixture) post(path, body string) (int, string) {
	f.t.Helper()
	return f.postToken(path, body, f.token)
}

func (f *fixture) postToken(path, body, token string) (int, string) {
	f.t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.ts.URL+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// issue makes an intermediate signed by the fixture's root.
func (f *fixture) issue(cn string) *testpki.Cert {
	return testpki.Issue(f.root, testpki.Options{CommonName: cn, Organization: "Example CA"})
}

type obj = map[string]any

// addBody is a minimal valid add request for c under parent.
func (f *fixture) addBody(c, parent *testpki.Cert, sections obj) string {
	ci := obj{
		"CAOwner":                     f.caOwner(),
		"IntermediateCertificateName": c.Cert.Subject.CommonName,
		"IntermediateCertPEM":         c.FlatPEM(),
		"ParentCertPEM":               parent.FlatPEM(),
	}
	return encode(f.t, merge(obj{"CertificateInformation": ci}, sections))
}

// updateBody is a minimal valid update request for record id of c.
func (f *fixture) updateBody(id string, c *testpki.Cert, sections obj) string {
	ci := obj{
		"SalesforceRecordId":          id,
		"IntermediateCertificateName": c.Cert.Subject.CommonName,
		"IntermediateCertPEM":         c.FlatPEM(),
	}
	return encode(f.t, merge(obj{"CertificateInformation": ci}, sections))
}

// merge adds sections to m; a section already in m gets its fields merged.
func merge(m, sections obj) obj {
	for k, v := range sections {
		if old, ok := m[k].(obj); ok {
			if add, ok := v.(obj); ok {
				for kk, vv := range add {
					old[kk] = vv
				}
				continue
			}
		}
		m[k] = v
	}
	return m
}

func encode(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// add adds c under parent through the API and returns its id.
func (f *fixture) add(c, parent *testpki.Cert, sections obj) string {
	f.t.Helper()
	status, body := f.post(AddUpdatePath, f.addBody(c, parent, sections))
	resp := decodeAddUpdate(f.t, body)
	if status != 200 || resp.ProcessingStatus != StatusSuccess {
		f.t.Fatalf("add %s: %d %s", c.Cert.Subject.CommonName, status, body)
	}
	return resp.SalesforceRecordID
}

func decodeAddUpdate(t *testing.T, body string) addUpdateResponse {
	t.Helper()
	var r addUpdateResponse
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
	return r
}

// record returns the record with id.
func (f *fixture) record(id string) Record {
	f.t.Helper()
	for _, r := range f.s.Records() {
		if r.ID == id {
			return r
		}
	}
	f.t.Fatalf("no record %s", id)
	return Record{}
}

// failBody is the exact JSON of a Fail response.
func failBody(id string, msgs ...string) string {
	return string(mustJSON(addUpdateResponse{StatusFail, msgs, id}))
}

// mustCCADBID returns the CCADB unique id of the record with 18-character id.
func (s *Server) mustCCADBID(t *testing.T, id string) string {
	t.Helper()
	rec, ok := s.Record(id)
	if !ok {
		t.Fatalf("no record %s", id)
	}
	return rec.CCADBID
}
