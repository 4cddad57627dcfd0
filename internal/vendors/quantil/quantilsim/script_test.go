package quantilsim

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// The vendor's reference client: the curl/openssl script of QUANTIL's
// "Modify SSL Certificate" page, stored byte for byte in
// testdata/seed_modify.sh (no-break spaces and typo included). The test
// applies only the fixes docs/vendors/quantil.md lists, in code, so that
// the template stays the vendor's text:
//
//  1. U+00A0 no-break spaces (from the HTML) become spaces;
//  2. the typo private_key=""-----BEGIN… becomes private_key="-----BEGIN…;
//  3. API_SERVER, USER and API_KEY point at the simulator;
//
// plus a real certificate and key in the script's cert and private_key
// variables, certificate id 123 (the script's) seeded beforehand, and
// OpenSSL 3's legacy provider enabled through OPENSSL_CONF
// (testdata/openssl-legacy.cnf, docs/vendors/quantil.md) rather than by editing
// the script.

// scriptTools are the commands the reference script runs.
var scriptTools = []string{"bash", "curl", "openssl", "od", "sed"}

func requireScriptTools(t *testing.T) {
	t.Helper()
	var missing []string
	for _, tool := range scriptTools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	// The script calls /bin/echo by absolute path.
	if _, err := os.Stat("/bin/echo"); err != nil {
		missing = append(missing, "/bin/echo")
	}
	if len(missing) > 0 {
		t.Skipf("the reference script needs %s, not found", strings.Join(missing, ", "))
	}
}

func TestSeedScript(t *testing.T) {
	requireScriptTools(t)
	legacy, err := filepath.Abs(filepath.Join("testdata", "openssl-legacy.cnf"))
	if err != nil {
		t.Fatal(err)
	}
	defaultOnly, err := filepath.Abs(filepath.Join("testdata", "openssl-default-only.cnf"))
	if err != nil {
		t.Fatal(err)
	}
	pki(t)

	// The script's `date "+… %Z"` prints the host's zone: UTC on our
	// containers, PST/PDT for QUANTIL's own samples, CST (UTC+8) in China.
	for _, tc := range []struct{ tz, zone string }{
		{"UTC0", "UTC"},
		{"PST8PDT", "P[SD]T"},
		{"CST-8", "CST"},
	} {
		t.Run("legacy provider, TZ="+tc.tz, func(t *testing.T) {
			requireDES(t, legacy, true)
			run := newScriptRun(t)
			out := run.exec(t, legacy, tc.tz)
			const success = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<response><message>success</message></response>`
			if !strings.HasPrefix(out, "HTTP/1.1 200 OK") || !strings.HasSuffix(out, success) {
				t.Fatalf("script output:\n%s", out)
			}
			date, body := run.sent()
			if !regexp.MustCompile(`^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d ` + tc.zone + `$`).MatchString(date) {
				t.Errorf("the script sent Date %q", date)
			}
			// The body went through eval: newlines became spaces, inside the
			// base64 too, and the chain was not sent.
			if !regexp.MustCompile(`<ssl-certificate>[A-Za-z0-9+/=]{64} [A-Za-z0-9+/]`).MatchString(body) ||
				strings.Contains(body, "\n") || strings.Contains(body, "ssl-certificate-chain") {
				t.Errorf("the script sent an unexpected body:\n%s", body)
			}
			certs := run.s.Certificates()
			if len(certs) != 1 {
				t.Fatalf("%d certificates", len(certs))
			}
			c := certs[0]
			if c.ID != "123" || c.Serial == run.old.Serial || c.Serial != run.leaf.Cert.Cert.SerialNumber.Text(16) ||
				c.CertPEM != strings.TrimSpace(run.leaf.PEM()) || c.KeyPEM != strings.TrimSpace(run.leaf.keyPEM) ||
				c.Name != "{certificate name}" || c.Comment != "{any comment you want}" ||
				strings.Join(c.DNSNames, ",") != "shop.example.com,www.shop.example.com" {
				t.Errorf("certificate 123 after the script: %+v", c)
			}
		})
	}

	t.Run("no legacy provider", func(t *testing.T) {
		requireDES(t, defaultOnly, false)
		run := newScriptRun(t)
		out := run.exec(t, defaultOnly, "UTC0")
		if !strings.HasPrefix(out, "HTTP/1.1 403 Forbidden") || !strings.Contains(out, "<code>InvalidCertificate</code>") ||
			!strings.Contains(out, "<message>"+MsgInvalidCertificate) {
			t.Fatalf("script output:\n%s", out)
		}
		// openssl failed, the command substitutions were empty, and the PUT
		// went out anyway.
		if _, body := run.sent(); !strings.Contains(body, "<ssl-certificate></ssl-certificate> <ssl-key></ssl-key>") {
			t.Errorf("the script sent:\n%s", body)
		}
		if c := run.s.Certificates()[0]; c.Serial != run.old.Serial || c.Name != run.old.Name {
			t.Errorf("certificate 123 changed: %+v", c)
		}
	})
}

// requireDES skips the test unless `openssl des` under conf works (want) or
// fails (!want). When it works it must agree with Encrypt on the vendor
// notes' test vector.
func requireDES(t *testing.T, conf string, want bool) {
	t.Helper()
	cmd := exec.Command("openssl", "des", "-e", "-nosalt", "-K", "3335356466626130", "-iv", "6163643231323233", "-a")
	cmd.Env = append(os.Environ(), "OPENSSL_CONF="+conf)
	cmd.Stdin = strings.NewReader("hello world")
	out, err := cmd.Output()
	switch {
	case want && err != nil:
		t.Skipf("openssl cannot run DES-CBC with %s (no legacy provider installed?): %v", filepath.Base(conf), err)
	case !want && err == nil:
		t.Skipf("this openssl runs DES-CBC without the legacy provider (OpenSSL 1.x?)")
	case want:
		if got, vec := strings.TrimSpace(string(out)), Encrypt([]byte("hello world"), "Thu, 17 May 2012 19:37:58 GMT"); got != vec {
			t.Fatalf("openssl des gives %s, Encrypt %s", got, vec)
		}
	}
}

// scriptRun is one run of the reference script against a fresh simulator holding
// certificate 123.
type scriptRun struct {
	s    *Server
	ts   *httptest.Server
	old  Certificate // certificate 123 before the run
	leaf *pkiCert    // what the script uploads

	mu         sync.Mutex
	date, body string // of the last PUT received
}

func newScriptRun(t *testing.T) *scriptRun {
	t.Helper()
	// The script uses the real clock, so the simulator does too.
	s, err := New(Options{User: testUser, APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	run := &scriptRun{s: s}
	oldLeaf := newLeaf(t, leafOpts{})
	if run.old, err = s.Seed(Certificate{ID: "123", Name: "before the script", CertPEM: oldLeaf.PEM(), KeyPEM: oldLeaf.keyPEM}); err != nil {
		t.Fatal(err)
	}
	run.leaf = newLeaf(t, leafOpts{cn: "shop.example.com", dns: []string{"shop.example.com", "www.shop.example.com"},
		notAfter: time.Now().Add(90 * 24 * time.Hour)})
	run.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			b, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(b))
			run.mu.Lock()
			run.date, run.body = r.Header.Get("Date"), string(b)
			run.mu.Unlock()
		}
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(run.ts.Close)
	return run
}

// exec runs the fixed script with OPENSSL_CONF=conf and TZ=tz and returns
// what it printed (curl -i: status line, headers, body).
func (run *scriptRun) exec(t *testing.T, conf, tz string) string {
	t.Helper()
	tmpl, err := os.ReadFile(filepath.Join("testdata", "seed_modify.sh"))
	if err != nil {
		t.Fatal(err)
	}
	script := fixScript(t, string(tmpl), run.ts.URL, run.leaf)
	dir := t.TempDir()
	path := filepath.Join(dir, "modify.sh")
	if err := os.WriteFile(path, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", path)
	// A clean environment: no proxies, no ~/.curlrc, C locale for `date`.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "LC_ALL=C", "TZ=" + tz, "OPENSSL_CONF=" + conf, "NO_PROXY=*"}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("script: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	if n := run.s.Faults().Count("PUT /api/ssl/certificate/123"); n != 1 {
		t.Fatalf("%d PUTs of certificate 123 reached the simulator\nstdout:\n%s\nstderr:\n%s", n, stdout.String(), stderr.String())
	}
	t.Logf("script stdout:\n%s\nopenssl/curl stderr:\n%s", stdout.String(), stderr.String())
	return stdout.String()
}

// sent returns the Date header and body of the last PUT received.
func (run *scriptRun) sent() (date, body string) {
	run.mu.Lock()
	defer run.mu.Unlock()
	return run.date, run.body
}

// fixScript applies the fixes docs/vendors/quantil.md lists to the reference script and
// puts leaf and its key into it. Each edit must apply exactly once, so that
// a changed template fails here rather than silently.
func fixScript(t *testing.T, s, server string, leaf *pkiCert) string {
	t.Helper()
	once := func(old, new string) {
		t.Helper()
		if n := strings.Count(s, old); n != 1 {
			t.Fatalf("template has %d occurrences of %q, want 1", n, old)
		}
		s = strings.Replace(s, old, new, 1)
	}
	onceRE := func(re, repl string) {
		t.Helper()
		rx := regexp.MustCompile(re)
		if n := len(rx.FindAllStringIndex(s, -1)); n != 1 {
			t.Fatalf("template has %d matches of %s, want 1", n, re)
		}
		s = rx.ReplaceAllLiteralString(s, repl)
	}
	if !strings.Contains(s, "\u00a0") {
		t.Fatal("the template lost its no-break spaces: is it still the published text?")
	}
	s = strings.ReplaceAll(s, "\u00a0", " ")                                                      // fix 1
	once(`private_key=""-----BEGIN PRIVATE KEY-----`, `private_key="-----BEGIN PRIVATE KEY-----`) // fix 2
	once("API_SERVER=https://api.quantil.com", "API_SERVER="+server)                              // fix 3
	once("USER=username", "USER="+testUser)
	once(`API_KEY="apikey"`, `API_KEY="`+testKey+`"`)
	// The real certificate and key. PEM text holds no character special
	// inside double quotes.
	onceRE(`(?ms)^cert="-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----"`, `cert="`+strings.TrimSpace(leaf.PEM())+`"`)
	onceRE(`(?ms)^private_key="-----BEGIN PRIVATE KEY-----.*?-----END PRIVATE KEY-----\s*"`, `private_key="`+strings.TrimSpace(leaf.keyPEM)+`"`)
	once("CERTIFICATE_ID=123 ", "CERTIFICATE_ID=123 ") // the id seeded by newScriptRun
	return s
}
