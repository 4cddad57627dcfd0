package cli

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/oauth2"

	"github.com/certsync/certsync/internal/vendors"
	"github.com/certsync/certsync/internal/vendors/ccadb"
)

// ccadbLogin runs the one-time authorization-code flow of the CCADB
// documents without Postman: it prints the authorize URL, reads the redirect
// URL (or the bare code) the browser ends on, exchanges it once and prints
// the refresh token to store as CERTSYNC_CCADB_REFRESH_TOKEN.
func (a *app) ccadbLogin(ctx context.Context, args []string) (int, error) {
	fs := a.flagSet("ccadb-login")
	pos, err := a.parse(fs, args)
	if err != nil {
		return ExitError, err
	}
	if err := noArgs("ccadb-login", pos); err != nil {
		return ExitError, err
	}
	cfg := vendors.ConfigOf[ccadb.Config](a.cfg.Vendors, ccadb.Name)

	var missing []string
	for _, x := range []struct{ name, v string }{
		{"CERTSYNC_CCADB_URL", cfg.URL},
		{"CERTSYNC_CCADB_CLIENT_ID", cfg.ClientID},
		{"CERTSYNC_CCADB_CLIENT_SECRET", cfg.ClientSecret},
	} {
		if x.v == "" {
			missing = append(missing, x.name)
		}
	}
	if len(missing) > 0 {
		return ExitError, fmt.Errorf("ccadb-login needs %s", strings.Join(missing, ", "))
	}
	conf := ccadb.OAuthConfig(cfg)
	nonce := make([]byte, 8)
	_, _ = rand.Read(nonce)
	authURL := conf.AuthCodeURL(hex.EncodeToString(nonce))
	fmt.Fprintf(a.stderr, "1. Log in to the CCADB as your CA's API Community User.\n2. Open this address in that browser and click Allow:\n\n   %s\n\n", authURL)
	// The redirect URI is the connected app's callback, a setting of its
	// own (CERTSYNC_CCADB_REDIRECT_URI) that defaults to the host plus "/".
	fmt.Fprintf(a.stderr, "3. The browser is sent to %s?code=... (the connected app's callback; set CERTSYNC_CCADB_REDIRECT_URI if yours differs); paste that whole address (or just the code) here and press Enter.\n   The code works once and expires within minutes.\n> ", conf.RedirectURL)
	line, err := bufio.NewReader(a.io.Stdin).ReadString('\n')
	if err != nil && strings.TrimSpace(line) == "" {
		return ExitError, errors.New("no redirect URL or code was given")
	}
	code, err := extractCode(strings.TrimSpace(line), hex.EncodeToString(nonce))
	if err != nil {
		return ExitError, err
	}
	a.redactor.Add(code)
	hctx := ctx
	if a.io.HTTP != nil {
		hctx = context.WithValue(ctx, oauth2.HTTPClient, a.io.HTTP)
	}
	tok, err := conf.Exchange(hctx, code)
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return ExitError, fmt.Errorf("the CCADB refused the code (%s: %s); codes work once and expire quickly: start again from step 2", re.ErrorCode, re.ErrorDescription)
		}
		return ExitError, fmt.Errorf("exchange the code: %w", err)
	}
	if tok.RefreshToken == "" {
		return ExitError, errors.New("the CCADB answered without a refresh token; ask the CCADB administrators to enable the refresh_token scope for your connected app")
	}
	a.redactor.Add(tok.AccessToken)
	// The refresh token is this command's output: printed once, to stdout
	// only, unredacted on purpose, for the operator to put in a secret store.
	fmt.Fprintf(a.io.Stdout, "export CERTSYNC_CCADB_REFRESH_TOKEN=%s\n", tok.RefreshToken)
	fmt.Fprintln(a.stderr, "Store the refresh token as a secret (never in the inventory or a repository). It stays valid until revoked.")
	return ExitOK, nil
}

// extractCode takes a pasted redirect URL (…/?code=…&sfdc_community_url=…)
// or a bare code, URL-escaped or not. A URL that carries a state must carry
// ours: a code from another login attempt would not be ours to exchange.
func extractCode(s, state string) (string, error) {
	if s == "" {
		return "", errors.New("no redirect URL or code was given")
	}
	if strings.Contains(s, "code=") || strings.Contains(s, "error=") || strings.Contains(s, "?") {
		raw := s
		if i := strings.Index(s, "?"); i >= 0 {
			raw = s[i+1:]
		}
		q, err := url.ParseQuery(raw)
		if err != nil {
			return "", fmt.Errorf("cannot read the pasted address: %w", err)
		}
		if e := q.Get("error"); e != "" {
			return "", fmt.Errorf("the CCADB sent an error instead of a code: %s: %s", e, q.Get("error_description"))
		}
		if st := q.Get("state"); st != "" && st != state {
			return "", errors.New("the pasted address belongs to another login attempt (its state does not match); open the address printed above")
		}
		if c := q.Get("code"); c != "" {
			return c, nil
		}
		return "", errors.New("the pasted address has no code parameter")
	}
	if strings.Contains(s, "%") {
		if u, err := url.QueryUnescape(s); err == nil {
			return u, nil
		}
	}
	return s, nil
}
