package ccadbsim

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Salesforce OAuth 2.0 as the CCADB uses it: the web-server (authorization
// code) flow once in a browser, then the refresh-token grant whenever an
// access token is needed. Error bodies are RFC 6749 JSON with Salesforce's
// error_description strings.

// OAuth error descriptions. The first six are Salesforce's wording as the
// public write-ups quote it; the last three are Salesforce's wording as
// far as known, not quoted by any source at hand.
const (
	OAuthInvalidClientID         = "client identifier invalid"             // error "invalid_client_id"
	OAuthInvalidClient           = "invalid client credentials"            // error "invalid_client"
	OAuthUnsupportedGrant        = "grant type not supported"              // error "unsupported_grant_type"
	OAuthInvalidCode             = "invalid authorization code"            // error "invalid_grant"
	OAuthExpiredCode             = "expired authorization code"            // error "invalid_grant"
	OAuthExpiredToken            = "expired access/refresh token"          // error "invalid_grant"
	OAuthRedirectMismatch        = "redirect_uri must match configuration" // error "redirect_uri_mismatch"
	OAuthUnsupportedResponseType = "response type not supported"           // error "unsupported_response_type"
	OAuthMustPost                = "must use HTTP POST"                    // error "invalid_request"
)

// Scopes the API documentation shows for the two grants (same set, different order).
const (
	scopeAuthCode = "visualforce refresh_token web api full"
	scopeRefresh  = "refresh_token visualforce web api full"
)

type authCode struct {
	issued      time.Time
	redirectURI string
}

// tokenResponse is shaped like the API documentation's samples. There is deliberately no
// expires_in: Salesforce never sends one, so clients only learn of an expiry
// from a 401 INVALID_SESSION_ID.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"` // authorization-code grant only
	CommunityURL string `json:"sfdc_community_url"`
	CommunityID  string `json:"sfdc_community_id"`
	Signature    string `json:"signature"`
	Scope        string `json:"scope"`
	InstanceURL  string `json:"instance_url"`
	ID           string `json:"id"`
	TokenType    string `json:"token_type"`
	IssuedAt     string `json:"issued_at"` // milliseconds since the epoch
}

// authorize simulates the browser part of the web-server flow: the community
// user logs in and clicks "Allow", and Salesforce redirects to redirect_uri
// with the code.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != s.opt.ClientID {
		oauthError(w, http.StatusBadRequest, "invalid_client_id", OAuthInvalidClientID)
		return
	}
	if q.Get("response_type") != "code" {
		oauthError(w, http.StatusBadRequest, "unsupported_response_type", OAuthUnsupportedResponseType)
		return
	}
	redirect := q.Get("redirect_uri")
	if u, err := url.Parse(redirect); err != nil || u.Scheme == "" || u.Host == "" {
		oauthError(w, http.StatusBadRequest, "redirect_uri_mismatch", OAuthRedirectMismatch)
		return
	}
	// Real codes are base64 and end in "==", which the redirect escapes as
	// %3D%3D (the API documentation's sample): 40 random bytes give exactly that padding.
	code := "aPrx" + randomToken(40, base64.StdEncoding)
	s.mu.Lock()
	now := s.opt.Now()
	// Forget codes long expired; recently expired ones stay, so that their
	// exchange can answer "expired authorization code".
	for c, ac := range s.authCodes {
		if now.Sub(ac.issued) >= s.opt.AuthCodeTTL+time.Hour {
			delete(s.authCodes, c)
		}
	}
	s.authCodes[code] = authCode{issued: now, redirectURI: redirect}
	s.mu.Unlock()

	sep := "?"
	if strings.Contains(redirect, "?") {
		sep = "&"
	}
	// The community URL goes unescaped, as in the API documentation's sample redirect.
	loc := redirect + sep + "code=" + url.QueryEscape(code) +
		"&sfdc_community_url=" + s.opt.CommunityURL +
		"&sfdc_community_id=" + s.communityID
	if st := q.Get("state"); st != "" {
		loc += "&state=" + url.QueryEscape(st)
	}
	w.Header().Set("Location", loc)
	w.WriteHeader(http.StatusFound)
}

// token is POST /services/oauth2/token.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		oauthError(w, http.StatusBadRequest, "invalid_request", OAuthMustPost)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "malformed request body")
		return
	}
	f := r.PostForm // the body only: Salesforce wants everything there
	grant := f.Get("grant_type")
	switch grant {
	case "authorization_code", "refresh_token":
	case "code": // the 2020 documentation's spelling of authorization_code
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", OAuthUnsupportedGrant)
		return
	}
	clientID := f.Get("client_id")
	if clientID == "" {
		// Salesforce is a "broken auth header provider": client credentials
		// in an HTTP Basic header alone are not accepted.
		if _, _, ok := r.BasicAuth(); ok {
			oauthError(w, http.StatusBadRequest, "invalid_client", OAuthInvalidClient)
			return
		}
	}
	if clientID != s.opt.ClientID {
		oauthError(w, http.StatusBadRequest, "invalid_client_id", OAuthInvalidClientID)
		return
	}
	if subtle.ConstantTimeCompare([]byte(f.Get("client_secret")), []byte(s.opt.ClientSecret)) != 1 {
		oauthError(w, http.StatusBadRequest, "invalid_client", OAuthInvalidClient)
		return
	}

	resp, oerr := s.grant(grant, f)
	if oerr != nil {
		oauthError(w, oerr.status, oerr.code, oerr.desc)
		return
	}
	body, _ := json.Marshal(resp)
	setNoStore(w)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// oauthFailure is an OAuth error answer.
type oauthFailure struct {
	status     int
	code, desc string
}

func invalidGrant(desc string) *oauthFailure {
	return &oauthFailure{http.StatusBadRequest, "invalid_grant", desc}
}

// grant checks the code or refresh token of an authenticated token request
// and issues the tokens.
func (s *Server) grant(grant string, f url.Values) (*tokenResponse, *oauthFailure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opt.Now()
	resp := &tokenResponse{Scope: scopeRefresh}
	if grant == "refresh_token" {
		if !s.refreshTokens[f.Get("refresh_token")] {
			return nil, invalidGrant(OAuthExpiredToken)
		}
	} else {
		code := f.Get("code")
		ac, ok := s.authCodes[code]
		delete(s.authCodes, code) // single use, whatever the outcome
		switch {
		case !ok:
			return nil, invalidGrant(OAuthInvalidCode)
		case now.Sub(ac.issued) >= s.opt.AuthCodeTTL:
			return nil, invalidGrant(OAuthExpiredCode)
		}
		// redirect_uri must repeat the authorize request's; the 2020 documentation spells
		// it redirect_url. Absent is tolerated.
		redirect := f.Get("redirect_uri")
		if redirect == "" {
			redirect = f.Get("redirect_url")
		}
		if redirect != "" && strings.TrimRight(redirect, "/") != strings.TrimRight(ac.redirectURI, "/") {
			return nil, &oauthFailure{http.StatusBadRequest, "redirect_uri_mismatch", OAuthRedirectMismatch}
		}
		resp.RefreshToken = s.mintRefreshTokenLocked()
		resp.Scope = scopeAuthCode
	}
	resp.AccessToken = s.mintAccessTokenLocked(now)
	resp.CommunityURL = s.opt.CommunityURL
	resp.CommunityID = s.communityID
	resp.InstanceURL = s.opt.CommunityURL
	resp.ID = s.opt.CommunityURL + "/id/" + s.orgID + "/" + s.userID
	resp.TokenType = "Bearer"
	resp.IssuedAt = strconv.FormatInt(now.UnixMilli(), 10)
	// Salesforce's signature: HMAC-SHA256 of id and issued_at, keyed with
	// the client secret, so clients can check the response's origin.
	mac := hmac.New(sha256.New, []byte(s.opt.ClientSecret))
	mac.Write([]byte(resp.ID + resp.IssuedAt))
	resp.Signature = base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if err := s.saveTokensLocked(); err != nil {
		return nil, &oauthFailure{http.StatusInternalServerError, "server_error", err.Error()}
	}
	return resp, nil
}

// mintAccessTokenLocked issues an access token in Salesforce's shape
// (15-character org id, "!", opaque part) and forgets expired ones.
func (s *Server) mintAccessTokenLocked(now time.Time) string {
	for t, at := range s.accessTokens {
		if now.Sub(at) >= s.opt.AccessTokenTTL {
			delete(s.accessTokens, t)
		}
	}
	tok := s.orgID[:15] + "!" + strings.NewReplacer("-", ".", "_", ".").Replace(randomToken(72, base64.RawURLEncoding))
	s.accessTokens[tok] = now
	return tok
}

func (s *Server) mintRefreshTokenLocked() string {
	tok := "5Aep861" + strings.NewReplacer("-", ".", "_", ".").Replace(randomToken(60, base64.RawURLEncoding))
	s.refreshTokens[tok] = true
	return tok
}

// validAccessToken reports whether tok was issued and has not expired.
func (s *Server) validAccessToken(tok string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.accessTokens[tok]
	return ok && s.opt.Now().Sub(at) < s.opt.AccessTokenTTL
}

// NewRefreshToken mints a refresh token as if the authorization-code flow
// had run in a browser, for tests and demos that skip it.
func (s *Server) NewRefreshToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok := s.mintRefreshTokenLocked()
	_ = s.saveTokensLocked()
	return tok
}

// ExpireAccessTokens expires every access token issued so far: the API then
// answers them 401 INVALID_SESSION_ID. Refresh tokens keep working.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.accessTokens)
	_ = s.saveTokensLocked()
}

// RevokeRefreshTokens revokes every refresh token issued so far: refresh
// grants then answer 400 invalid_grant "expired access/refresh token".
// Access tokens already issued stay valid until they expire.
func (s *Server) RevokeRefreshTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.refreshTokens)
	_ = s.saveTokensLocked()
}

func setNoStore(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	body, _ := json.Marshal(struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{code, desc})
	setNoStore(w)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
