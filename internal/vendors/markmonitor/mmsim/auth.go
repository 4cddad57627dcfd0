package mmsim

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"
)

// Authentication (API guide §5): every request carries the x-api-key header, and
// every cert API request also an "Authorization: Bearer <JWT>" obtained from
// POST /auth/v1/auth/authenticate ({"username","password"} →
// {"token","expiresIn"}) and renewed with GET /auth/v1/auth/refresh.
//
// The tokens are real HS256 JWTs signed with a per-simulator secret (kept in
// the state file, so tokens survive a restart), checked for signature and
// for expiry by Options.Now. ExpireTokens bumps an epoch carried in every
// token, which invalidates all tokens issued before it without a list of
// them.

// DefaultTokenTTL is the API guide's 90-minute JWT lifetime.
const DefaultTokenTTL = 90 * time.Minute

// Auth paths.
const (
	AuthenticatePath = "/auth/v1/auth/authenticate"
	RefreshPath      = "/auth/v1/auth/refresh"
)

// jwtIssuer is the iss claim of the simulator's tokens.
const jwtIssuer = "mmsim"

type jwtClaims struct {
	Sub   string `json:"sub"`
	Iss   string `json:"iss"`
	Iat   int64  `json:"iat"`
	Exp   int64  `json:"exp"`
	Jti   string `json:"jti"`
	Epoch int64  `json:"epoch"` // the simulator's revocation epoch (see ExpireTokens)
}

var errTokenExpired = errors.New("JWT expired")

// checkAPIKey reports whether r carries the configured API key.
func (s *Server) checkAPIKey(r *http.Request) bool {
	k := r.Header.Get("X-Api-Key")
	return k != "" && subtle.ConstantTimeCompare([]byte(k), []byte(s.opt.APIKey)) == 1
}

// newTokenLocked signs a token for user, valid for TokenTTL from now.
func (s *Server) newTokenLocked(user string, now time.Time) Token {
	jti := make([]byte, 12)
	_, _ = rand.Read(jti)
	claims := jwtClaims{
		Sub: user, Iss: jwtIssuer, Iat: now.Unix(), Exp: now.Add(s.opt.TokenTTL).Unix(),
		Jti: hex.EncodeToString(jti), Epoch: s.st.TokenEpoch,
	}
	head := b64(mustJSON(map[string]string{"alg": "HS256", "typ": "JWT"}))
	body := b64(mustJSON(claims))
	signed := head + "." + body
	return Token{Token: signed + "." + b64(s.sign(signed)), ExpiresIn: int64(s.opt.TokenTTL / time.Second)}
}

func (s *Server) sign(signed string) []byte {
	m := hmac.New(sha256.New, s.st.JWTSecret)
	m.Write([]byte(signed))
	return m.Sum(nil)
}

// verifyTokenLocked checks a JWT's form, algorithm, signature, epoch and
// expiry, and returns its subject.
func (s *Server) verifyTokenLocked(tok string, now time.Time) (string, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "", errors.New("malformed JWT")
	}
	var head struct{ Alg string }
	if err := unb64JSON(parts[0], &head); err != nil || head.Alg != "HS256" {
		return "", errors.New("malformed JWT header")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, s.sign(parts[0]+"."+parts[1])) {
		return "", errors.New("invalid JWT signature")
	}
	var c jwtClaims
	if err := unb64JSON(parts[1], &c); err != nil || c.Iss != jwtIssuer {
		return "", errors.New("malformed JWT claims")
	}
	if c.Epoch != s.st.TokenEpoch || now.Unix() >= c.Exp {
		return "", errTokenExpired
	}
	return c.Sub, nil
}

// bearer returns the token of an "Authorization: Bearer …" header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// authenticateRequest checks the bearer token of a cert API request and
// returns the user. The 401 body is undocumented: it is this simulator's
// {"errors":[{"code":"auth.unauthorized",…}]}, in the API's error shape.
func (s *Server) authenticateRequest(r *http.Request) (string, error) {
	tok := bearer(r)
	if tok == "" {
		return "", errf(http.StatusUnauthorized, CodeUnauthorized, "Full authentication is required to access this resource")
	}
	s.mu.Lock()
	user, err := s.verifyTokenLocked(tok, s.opt.Now())
	s.mu.Unlock()
	switch {
	case errors.Is(err, errTokenExpired):
		return "", errf(http.StatusUnauthorized, CodeUnauthorized, "JWT expired")
	case err != nil:
		return "", errf(http.StatusUnauthorized, CodeUnauthorized, "Invalid JWT: %v", err)
	}
	return user, nil
}

// handleAuthenticate is POST /auth/v1/auth/authenticate.
func (s *Server) handleAuthenticate(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, http.MethodPost)
		return
	}
	var c Credentials
	if !s.decodeBody(w, r, &c) {
		return
	}
	okUser := subtle.ConstantTimeCompare([]byte(c.Username), []byte(s.opt.Username)) == 1
	okPass := subtle.ConstantTimeCompare([]byte(c.Password), []byte(s.opt.Password)) == 1
	if !okUser || !okPass {
		writeErrors(w, http.StatusUnauthorized, CodeInvalidCredentials, "Invalid username or password")
		return
	}
	s.mu.Lock()
	t := s.newTokenLocked(c.Username, s.opt.Now())
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, t)
}

// handleRefresh is GET /auth/v1/auth/refresh: a valid (unexpired) token buys
// a new one with a full lifetime; the old one stays valid until it expires.
// The answer's shape is undocumented; it is the authenticate answer's.
func (s *Server) handleRefresh(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, http.MethodGet)
		return
	}
	user, err := s.authenticateRequest(r)
	if err != nil {
		w.Header().Set("WWW-Authenticate", "Bearer")
		writeErr(w, err)
		return
	}
	s.mu.Lock()
	t := s.newTokenLocked(user, s.opt.Now())
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, t)
}

// ExpireTokens makes every JWT issued so far answer 401, as if they had all
// expired; clients must authenticate again. It survives a restart.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.TokenEpoch++
	_ = s.saveLocked()
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func unb64JSON(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only fixed, marshalable types are passed
	}
	return b
}
