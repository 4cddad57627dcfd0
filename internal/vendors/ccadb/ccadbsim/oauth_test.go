package ccadbsim

import (
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// authorize runs the browser step and returns the code from the redirect.
func (f *fixture) authorize(redirect string) string {
	f.t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	q := url.Values{"client_id": {testClientID}, "redirect_uri": {redirect}, "response_type": {"code"}}
	resp, err := client.Get(f.ts.URL + AuthorizePath + "?" + q.Encode())
	if err != nil {
		f.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		f.t.Fatalf("authorize: %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		f.t.Fatal(err)
	}
	return loc.Query().Get("code")
}

func TestAuthorizeRedirect(t *testing.T) {
	f := newFixture(t)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	q := url.Values{"client_id": {testClientID}, "redirect_uri": {"https://ccadb.example/"}, "response_type": {"code"}, "state": {"xyz"}}
	resp, err := client.Get(f.ts.URL + AuthorizePath + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	// The documentation: https://[HOST_URL]/?code=…%3D%3D&sfdc_community_url=https://[HOST_URL]&sfdc_community_id=…
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, "https://ccadb.example/?code=") ||
		!strings.Contains(loc, "%3D%3D&sfdc_community_url=https://ccadb.example&sfdc_community_id=") ||
		!strings.HasSuffix(loc, "&state=xyz") {
		t.Errorf("redirect %d %s", resp.StatusCode, loc)
	}

	q.Set("client_id", "nobody")
	resp, err = client.Get(f.ts.URL + AuthorizePath + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `{"error":"invalid_client_id","error_description":"client identifier invalid"}`; resp.StatusCode != 400 || string(b) != want {
		t.Errorf("unknown client: %d %s", resp.StatusCode, b)
	}
}

// Keys of the documentation's token responses. Never expires_in.
var (
	refreshKeys  = []string{"access_token", "sfdc_community_url", "sfdc_community_id", "signature", "scope", "instance_url", "id", "token_type", "issued_at"}
	authCodeKeys = append([]string{"refresh_token"}, refreshKeys...)
)

func keysOf(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestTokenEndpoint(t *testing.T) {
	f := newFixture(t)
	const redirect = "https://ccadb.example/"
	creds := func(v url.Values) url.Values {
		v.Set("client_id", testClientID)
		v.Set("client_secret", testClientSecret)
		return v
	}

	// The authorization-code grant, the documentation's spelling.
	code := f.authorize(redirect)
	status, body := f.tokenRequest(creds(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}}))
	if status != 200 || !slices.Equal(keysOf(body), sorted(authCodeKeys)) {
		t.Fatalf("code grant: %d %v", status, body)
	}
	if body["token_type"] != "Bearer" || body["scope"] != scopeAuthCode || body["instance_url"] != "https://ccadb.example" {
		t.Errorf("code grant body %v", body)
	}
	if ms, err := strconv.ParseInt(body["issued_at"].(string), 10, 64); err != nil || ms != f.clock.Now().UnixMilli() {
		t.Errorf("issued_at %v", body["issued_at"])
	}
	refresh := body["refresh_token"].(string)

	// The refresh grant with the refresh token just issued.
	status, body = f.tokenRequest(creds(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}))
	if status != 200 || !slices.Equal(keysOf(body), sorted(refreshKeys)) || body["scope"] != scopeRefresh {
		t.Fatalf("refresh grant: %d %v", status, body)
	}
	if st, _ := f.postToken(GetIDPath, `{"SHA256":"00","RecordType":"Root Certificate"}`, body["access_token"].(string)); st != 400 {
		t.Errorf("the refreshed access token should reach the API, got %d", st)
	}

	// The 2020 documentation's spelling: grant_type=code, redirect_url.
	code2 := f.authorize(redirect)
	if status, body := f.tokenRequest(creds(url.Values{"grant_type": {"code"}, "code": {code2}, "redirect_url": {redirect}})); status != 200 || body["refresh_token"] == nil {
		t.Errorf("2020 code grant: %d %v", status, body)
	}

	expiredCode := f.authorize(redirect)
	f.clock.Advance(11 * time.Minute)
	freshCode := f.authorize(redirect)

	tests := []struct {
		name       string
		form       url.Values
		basic      bool
		wantStatus int
		wantErr    string
		wantDesc   string
	}{
		{"code reused", creds(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}}), false, 400, "invalid_grant", OAuthInvalidCode},
		{"code unknown", creds(url.Values{"grant_type": {"authorization_code"}, "code": {"aPrxnope=="}}), false, 400, "invalid_grant", OAuthInvalidCode},
		{"code expired", creds(url.Values{"grant_type": {"authorization_code"}, "code": {expiredCode}}), false, 400, "invalid_grant", OAuthExpiredCode},
		{"redirect mismatch", creds(url.Values{"grant_type": {"authorization_code"}, "code": {freshCode}, "redirect_uri": {"https://evil.example/"}}), false, 400, "redirect_uri_mismatch", OAuthRedirectMismatch},
		{"code burnt by the mismatch", creds(url.Values{"grant_type": {"authorization_code"}, "code": {freshCode}, "redirect_uri": {redirect}}), false, 400, "invalid_grant", OAuthInvalidCode},
		{"basic auth only", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}, true, 400, "invalid_client", OAuthInvalidClient},
		{"no client", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}, false, 400, "invalid_client_id", OAuthInvalidClientID},
		{"unknown client", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {"x"}, "client_secret": {testClientSecret}}, false, 400, "invalid_client_id", OAuthInvalidClientID},
		{"bad secret", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {testClientID}, "client_secret": {"x"}}, false, 400, "invalid_client", OAuthInvalidClient},
		{"password grant", creds(url.Values{"grant_type": {"password"}}), false, 400, "unsupported_grant_type", OAuthUnsupportedGrant},
		{"no grant", creds(url.Values{}), false, 400, "unsupported_grant_type", OAuthUnsupportedGrant},
		{"unknown refresh token", creds(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"nope"}}), false, 400, "invalid_grant", OAuthExpiredToken},
		{"refresh still works", creds(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}), false, 200, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, f.ts.URL+TokenPath, strings.NewReader(tt.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.basic {
				req.SetBasicAuth(testClientID, testClientSecret)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, b)
			}
			if resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", resp.Header.Get("Cache-Control"))
			}
			if strings.Contains(string(b), "expires_in") {
				t.Errorf("expires_in sent: %s", b)
			}
			if tt.wantErr != "" {
				want := `{"error":"` + tt.wantErr + `","error_description":"` + tt.wantDesc + `"}`
				if string(b) != want {
					t.Errorf("body %s, want %s", b, want)
				}
			}
		})
	}

	// Revoked refresh tokens answer invalid_grant.
	f.s.RevokeRefreshTokens()
	if status, body := f.tokenRequest(creds(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}})); status != 400 ||
		body["error"] != "invalid_grant" || body["error_description"] != OAuthExpiredToken {
		t.Errorf("revoked refresh token: %d %v", status, body)
	}
}

func TestTokenEndpointTransport(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct {
		method, path string
		want         int
	}{
		{http.MethodPost, TokenPath + "/", http.StatusNotFound}, // trailing slash
		{http.MethodGet, TokenPath, http.StatusBadRequest},
		{http.MethodGet, "/nowhere", http.StatusNotFound},
	} {
		req, _ := http.NewRequest(tt.method, f.ts.URL+tt.path, strings.NewReader("grant_type=refresh_token"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s: %d, want %d", tt.method, tt.path, resp.StatusCode, tt.want)
		}
	}
}

func TestAccessTokenExpiry(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.AccessTokenTTL = time.Hour })
	const invalid = `[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]`
	getRoot := `{"SHA256":"` + f.root.SHA256() + `","RecordType":"Root Certificate"}`

	if status, body := f.post(GetIDPath, getRoot); status != 200 {
		t.Fatalf("fresh token: %d %s", status, body)
	}
	for name, token := range map[string]string{"none": "", "unknown": "00Dxx!nope"} {
		if status, body := f.postToken(GetIDPath, getRoot, token); status != 401 || body != invalid {
			t.Errorf("%s token: %d %s", name, status, body)
		}
	}

	f.s.ExpireAccessTokens()
	if status, body := f.post(GetIDPath, getRoot); status != 401 || body != invalid {
		t.Errorf("after ExpireAccessTokens: %d %s", status, body)
	}
	f.token = f.accessToken()
	f.clock.Advance(time.Minute) // past the duplicate-request window
	if status, _ := f.post(GetIDPath, getRoot); status != 200 {
		t.Errorf("after refresh: %d", status)
	}

	f.clock.Advance(time.Hour)
	if status, body := f.post(AddUpdatePath, `{}`); status != 401 || body != invalid {
		t.Errorf("after the TTL: %d %s", status, body)
	}
}
