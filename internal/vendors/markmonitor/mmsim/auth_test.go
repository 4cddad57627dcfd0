package mmsim

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestAPIKeyRequired(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name, method, path, key string
	}{
		{"cert API without key", http.MethodGet, api + "/order/prices", ""},
		{"cert API with a wrong key", http.MethodGet, api + "/order/prices", "nope"},
		{"authenticate without key", http.MethodPost, AuthenticatePath, ""},
		{"refresh with a wrong key", http.MethodGet, RefreshPath, "nope"},
		{"unknown path without key", http.MethodGet, "/nothing", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := f.fail(tc.method, tc.path, Credentials{Username: testUser, Password: testPassword},
				http.StatusForbidden, "X-API-KEY", tc.key)
			if e.Message != "Forbidden" || len(e.Errors) > 0 {
				t.Errorf("body %+v, want {\"message\":\"Forbidden\"}", e)
			}
		})
	}
}

func TestAuthenticate(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name string
		body any
		want int
		code string
	}{
		{"good", Credentials{Username: testUser, Password: testPassword}, http.StatusOK, ""},
		{"bad password", Credentials{Username: testUser, Password: "wrong"}, http.StatusUnauthorized, CodeInvalidCredentials},
		{"bad user", Credentials{Username: "other", Password: testPassword}, http.StatusUnauthorized, CodeInvalidCredentials},
		{"empty object", map[string]string{}, http.StatusUnauthorized, CodeInvalidCredentials},
		{"not JSON", "user=x", http.StatusBadRequest, CodeBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, data := f.request(http.MethodPost, AuthenticatePath, tc.body, "Authorization", "")
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.want, data)
			}
			if tc.code != "" {
				var e ErrorResponse
				_ = json.Unmarshal(data, &e)
				if e.code() != tc.code {
					t.Errorf("code %q, want %q", e.code(), tc.code)
				}
				return
			}
			var tok Token
			if err := json.Unmarshal(data, &tok); err != nil {
				t.Fatal(err)
			}
			if tok.ExpiresIn != 5400 {
				t.Errorf("expiresIn %d, want 5400 (90 minutes)", tok.ExpiresIn)
			}
			parts := strings.Split(tok.Token, ".")
			if len(parts) != 3 {
				t.Fatalf("token %q is not a JWT", tok.Token)
			}
			var head map[string]string
			var claims map[string]any
			if err := unb64JSON(parts[0], &head); err != nil || head["alg"] != "HS256" || head["typ"] != "JWT" {
				t.Errorf("header %v (%v)", head, err)
			}
			if err := unb64JSON(parts[1], &claims); err != nil || claims["sub"] != testUser {
				t.Errorf("claims %v (%v)", claims, err)
			}
			if exp := int64(claims["exp"].(float64)); exp != f.clock.Now().Add(90*time.Minute).Unix() {
				t.Errorf("exp %d, want now + 90 min", exp)
			}
		})
	}
	resp, _ := f.request(http.MethodGet, AuthenticatePath, nil)
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET authenticate: %d, want 405", resp.StatusCode)
	}
}

func TestBearerToken(t *testing.T) {
	f := newFixture(t)
	parts := strings.Split(f.token, ".")
	forged := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString([]byte("not the signature"))
	var claims jwtClaims
	_ = unb64JSON(parts[1], &claims)
	claims.Exp += 3600 // a longer life, with the old signature
	extended := parts[0] + "." + b64(mustJSON(claims)) + "." + parts[2]
	for _, tc := range []struct {
		name, auth string
		want       int
	}{
		{"valid", "Bearer " + f.token, http.StatusOK},
		{"lower-case scheme", "bearer " + f.token, http.StatusOK},
		{"missing", "", http.StatusUnauthorized},
		{"not a JWT", "Bearer abc", http.StatusUnauthorized},
		{"bad signature", "Bearer " + forged, http.StatusUnauthorized},
		{"tampered claims", "Bearer " + extended, http.StatusUnauthorized},
		{"basic scheme", "Basic " + f.token, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, data := f.request(http.MethodGet, api+"/order/prices", nil, "Authorization", tc.auth)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.want, data)
			}
			if tc.want == http.StatusUnauthorized {
				var e ErrorResponse
				if err := json.Unmarshal(data, &e); err != nil || e.code() != CodeUnauthorized {
					t.Errorf("body %s, want errors[auth.unauthorized]", data)
				}
				if resp.Header.Get("WWW-Authenticate") == "" {
					t.Error("no WWW-Authenticate header")
				}
			}
		})
	}
}

func TestTokenExpiryAndRefresh(t *testing.T) {
	f := newFixture(t)
	first := f.token
	prices := func(tok string) int {
		resp, _ := f.request(http.MethodGet, api+"/order/prices", nil, "Authorization", "Bearer "+tok)
		return resp.StatusCode
	}

	f.clock.Advance(60 * time.Minute)
	var refreshed Token
	f.call(http.MethodGet, RefreshPath, nil, http.StatusOK, &refreshed)
	if refreshed.Token == first || refreshed.ExpiresIn != 5400 {
		t.Fatalf("refresh gave %+v", refreshed)
	}

	f.clock.Advance(30*time.Minute - time.Second)
	if got := prices(first); got != http.StatusOK {
		t.Errorf("first token 1 s before expiry: %d", got)
	}
	f.clock.Advance(time.Second)
	if got := prices(first); got != http.StatusUnauthorized {
		t.Errorf("first token at expiry: %d, want 401", got)
	}
	if got := prices(refreshed.Token); got != http.StatusOK {
		t.Errorf("refreshed token: %d, want 200", got)
	}
	// An expired token cannot be refreshed.
	resp, _ := f.request(http.MethodGet, RefreshPath, nil, "Authorization", "Bearer "+first)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("refresh with an expired token: %d, want 401", resp.StatusCode)
	}

	f.s.ExpireTokens()
	if got := prices(refreshed.Token); got != http.StatusUnauthorized {
		t.Errorf("after ExpireTokens: %d, want 401", got)
	}
	if got := prices(f.authenticate()); got != http.StatusOK {
		t.Errorf("new token after ExpireTokens: %d, want 200", got)
	}
}

func TestTokenTTLOption(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.TokenTTL = 5 * time.Minute })
	var tok Token
	f.call(http.MethodPost, AuthenticatePath, Credentials{Username: testUser, Password: testPassword}, http.StatusOK, &tok)
	if tok.ExpiresIn != 300 {
		t.Errorf("expiresIn %d, want 300", tok.ExpiresIn)
	}
	f.clock.Advance(5 * time.Minute)
	f.fail(http.MethodGet, api+"/order/prices", nil, http.StatusUnauthorized)
}

func TestPrefixesAndRouting(t *testing.T) {
	f := newFixture(t)
	var prices []Price
	f.call(http.MethodGet, "/certs/v1/order/prices", nil, http.StatusOK, &prices)
	if len(prices) != 12 {
		t.Errorf("%d prices", len(prices))
	}
	// Only the live prefix is served: the API guide's /cert/v1 and its examples'
	// /v1 and /api/v1 are unknown paths.
	for _, p := range []string{"/cert/v1", "/v1", "/api/v1", "/CERTS/v1"} {
		if e := f.fail(http.MethodGet, p+"/order/prices", nil, http.StatusNotFound); e.code() != CodeNotFound {
			t.Errorf("%s: %+v", p, e)
		}
	}
	for _, tc := range []struct {
		method, path string
		want         int
		code         string
	}{
		{http.MethodGet, "/certs/v2/order", http.StatusNotFound, CodeNotFound},
		{http.MethodGet, "/certs/v1x/order", http.StatusNotFound, CodeNotFound},
		{http.MethodGet, api + "/nothing", http.StatusNotFound, CodeNotFound},
		{http.MethodDelete, api + "/order", http.StatusMethodNotAllowed, CodeMethodNotAllowed},
		{http.MethodPost, api + "/order/prices", http.StatusMethodNotAllowed, CodeMethodNotAllowed},
		{http.MethodGet, api + "/order/not-a-uuid", http.StatusBadRequest, CodeInvalidID},
		{http.MethodGet, api + "/order/3fa85f64-5717-4562-b3fc-2c963f66afa6", http.StatusNotFound, CodeOrderNotFound},
		{http.MethodGet, api + "/organization/3fa85f64-5717-4562-b3fc-2c963f66afa6", http.StatusNotFound, CodeOrgNotFound},
		{http.MethodGet, api + "/contact/3fa85f64-5717-4562-b3fc-2c963f66afa6", http.StatusNotFound, CodeContactNotFound},
		{http.MethodGet, api + "/contact/xyz", http.StatusBadRequest, CodeInvalidID},
		{http.MethodGet, api + "/cert/parse", http.StatusMethodNotAllowed, CodeMethodNotAllowed},
	} {
		if e := f.fail(tc.method, tc.path, nil, tc.want); e.code() != tc.code {
			t.Errorf("%s %s: code %q, want %q", tc.method, tc.path, e.code(), tc.code)
		}
	}
}
