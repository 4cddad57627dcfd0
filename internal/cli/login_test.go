package cli

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"
	"golang.org/x/oauth2"

	"github.com/certsync/certsync/internal/vendors/ccadb"
	"github.com/certsync/certsync/internal/vendors/ccadb/ccadbsim"
)

// ccadb-login end to end: print the authorize URL, take the pasted redirect,
// exchange the single-use code, print a refresh token that works.
func TestCCADBLogin(t *testing.T) {
	const secret = "login-client-secret"
	s, err := ccadbsim.New(ccadbsim.Options{ClientID: "cid", ClientSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	env := map[string]string{"CERTSYNC_CCADB_URL": srv.URL, "CERTSYNC_CCADB_CLIENT_ID": "cid", "CERTSYNC_CCADB_CLIENT_SECRET": secret}

	login := func(answer func(authURL string) string) (int, string, string) {
		inR, inW := io.Pipe()
		var out, errb syncBuffer
		done := make(chan int)
		go func() {
			done <- Main(context.Background(), []string{"ccadb-login"}, IO{Stdin: inR, Stdout: &out, Stderr: &errb, Lookup: envconfig.MapLookuper(env)})
		}()
		urlRE := regexp.MustCompile(`(?m)^\s+(http://\S+/services/oauth2/authorize\S+)$`)
		deadline := time.Now().Add(10 * time.Second)
		var authURL string
		for authURL == "" {
			if m := urlRE.FindStringSubmatch(errb.String()); m != nil {
				authURL = m[1]
			} else if time.Now().After(deadline) {
				t.Fatalf("no authorize URL printed:\n%s", errb.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
		_, _ = io.WriteString(inW, answer(authURL)+"\n")
		inW.Close()
		return <-done, out.String(), errb.String()
	}
	// The browser step: log in, Allow, land on the redirect URL.
	browse := func(authURL string) string {
		noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := noRedirect.Get(authURL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("authorize answered %d", resp.StatusCode)
		}
		return resp.Header.Get("Location")
	}

	var redirect string
	code, out, errs := login(func(u string) string { redirect = browse(u); return redirect })
	if code != ExitOK {
		t.Fatalf("exit %d:\n%s", code, errs)
	}
	m := regexp.MustCompile(`^export CERTSYNC_CCADB_REFRESH_TOKEN=(\S+)\n$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("stdout = %q", out)
	}
	if strings.Contains(errs, secret) || strings.Contains(errs, m[1]) {
		t.Error("stderr shows a secret")
	}
	// The printed refresh token works.
	conf := ccadb.OAuthConfig(ccadb.Config{URL: srv.URL, ClientID: "cid", ClientSecret: secret})
	if _, err := conf.TokenSource(context.WithValue(context.Background(), oauth2.HTTPClient, srv.Client()), &oauth2.Token{RefreshToken: m[1]}).Token(); err != nil {
		t.Fatalf("the printed refresh token does not work: %v", err)
	}
	// A code works once: pasting the same redirect again is refused, and so
	// is a redirect from another login attempt (its state differs).
	code, _, errs = login(func(string) string { return redirect })
	if code != ExitError || !strings.Contains(errs, "another login attempt") {
		t.Fatalf("reused redirect: exit %d\n%s", code, errs)
	}
	code, _, errs = login(func(u string) string {
		loc := browse(u)
		return loc[:strings.Index(loc, "?")+1] + "code=" + strings.Split(strings.SplitN(loc, "code=", 2)[1], "&")[0]
	})
	if code != ExitOK {
		t.Fatalf("pasting only the code: exit %d\n%s", code, errs)
	}
	// The redirect URI is a setting of its own; by default the host plus /.
	if !strings.Contains(errs, "redirect_uri="+url.QueryEscape(srv.URL+"/")) {
		t.Errorf("the default redirect_uri is not the host plus /:\n%s", errs)
	}
	env["CERTSYNC_CCADB_REDIRECT_URI"] = "https://callback.example.com/ccadb"
	_, _, errs = login(func(string) string { return "not-a-code" })
	if !strings.Contains(errs, "redirect_uri="+url.QueryEscape("https://callback.example.com/ccadb")) || !strings.Contains(errs, "sent to https://callback.example.com/ccadb?code=") {
		t.Errorf("CERTSYNC_CCADB_REDIRECT_URI is not used:\n%s", errs)
	}
}

func TestExtractCode(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"aPrx%3D%3D", "aPrx==", ""},
		{"aPrx==", "aPrx==", ""},
		{"https://h/?code=aPrx%3D%3D&sfdc_community_url=x&state=s1", "aPrx==", ""},
		{"https://h/?code=aPrx&state=other", "", "another login attempt"},
		{"https://h/?error=access_denied&error_description=no", "", "access_denied"},
		{"", "", "no redirect URL"},
	} {
		got, err := extractCode(tc.in, "s1")
		if got != tc.want || (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("extractCode(%q) = %q, %v; want %q, %q", tc.in, got, err, tc.want, tc.err)
		}
	}
}
