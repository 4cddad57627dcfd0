package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/sethvargo/go-envconfig"

	"github.com/certsync/certsync/internal/vendors/ccadb/ccadbsim"
	"github.com/certsync/certsync/internal/vendors/markmonitor/mmsim"
	"github.com/certsync/certsync/internal/vendors/quantil"
	"github.com/certsync/certsync/internal/vendors/quantil/quantilsim"
)

// exampleCopy copies inventory.example.yaml and the test PKI it uses into a
// temporary directory, so that the files a run writes (keys, certificates)
// never land in the source tree.
func exampleCopy(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	data, err := os.ReadFile("../../inventory.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "inventory.example.yaml", string(data))
	if err := os.MkdirAll(filepath.Join(dir, "testdata", "pki"), 0o755); err != nil {
		t.Fatal(err)
	}
	pems, _ := filepath.Glob("../../testdata/pki/*.pem")
	for _, f := range pems {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "testdata", "pki"), filepath.Base(f), string(b))
	}
	return filepath.Join(dir, "inventory.example.yaml")
}

// result is one in-process run of certsync.
type result struct {
	code           int
	stdout, stderr string
}

type runner struct {
	t        *testing.T
	env      map[string]string
	http     *http.Client
	terminal bool
	stdin    string
}

func newRunner(t *testing.T) *runner {
	return &runner{t: t, env: map[string]string{"CERTSYNC_STATE_DIR": t.TempDir()}}
}

func (r *runner) run(args ...string) result {
	r.t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, IO{
		Stdin:    strings.NewReader(r.stdin),
		Stdout:   &out,
		Stderr:   &errb,
		Lookup:   envconfig.MapLookuper(r.env),
		HTTP:     r.http,
		Terminal: func(any) bool { return r.terminal },
	})
	return result{code, out.String(), errb.String()}
}

// countingClient fails the test if any request leaves the process.
type countingTransport struct {
	mu    sync.Mutex
	n     int
	inner http.RoundTripper
	seen  []string // Authorization headers and response bodies, for the secrets test
	keep  bool
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n++
	if c.keep {
		c.seen = append(c.seen, r.Header.Get("Authorization"))
	}
	c.mu.Unlock()
	if c.inner == nil {
		return nil, http.ErrNotSupported
	}
	resp, err := c.inner.RoundTrip(r)
	if err == nil && c.keep {
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		resp.Body.Close()
		c.mu.Lock()
		c.seen = append(c.seen, buf.String())
		c.mu.Unlock()
		resp.Body = ioNopCloser{bytes.NewReader(buf.Bytes())}
	}
	return resp, err
}

type ioNopCloser struct{ *bytes.Reader }

func (ioNopCloser) Close() error { return nil }

func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func abs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// A broken inventory gets every problem as FILE:LINE:COL with the field
// path, exit 1, and no request leaves the machine, even with credentials set.
func TestBrokenInventoryNothingSent(t *testing.T) {
	r := newRunner(t)
	ct := &countingTransport{}
	r.http = &http.Client{Transport: ct}
	for k, v := range map[string]string{
		"CERTSYNC_CCADB_URL": "https://ccadb.invalid", "CERTSYNC_CCADB_CLIENT_ID": "id",
		"CERTSYNC_CCADB_CLIENT_SECRET": "secret-value", "CERTSYNC_CCADB_REFRESH_TOKEN": "refresh-value",
	} {
		r.env[k] = v
	}
	dir := t.TempDir()
	inv := writeFile(t, dir, "inventory.yaml", `ccadb:
  intermediates:
    - certificate: `+abs(t, "../../testdata/pki/tls-issuing.pem")+`
      parent: `+abs(t, "../../testdata/pki/root.pem")+`
      ca_owner: Example CA
      audits:
        standard:
          url: http://audits.example.com/a.pdf
          type: WebTrust
          statement_date: "2025-06-30"
          period_start: "2024-04-01"
          period_end: "2025-07-31"
      revocation:
        status: revoked
      colour: blue
`)
	for _, cmd := range [][]string{{"validate", "-i", inv}, {"plan", "-i", inv}, {"apply", "-i", inv, "--auto-approve"}} {
		res := r.run(cmd...)
		if res.code != ExitError {
			t.Errorf("%s: exit %d, want 1", cmd[0], res.code)
		}
		for _, want := range []string{
			inv + ":8:16: ccadb.intermediates[0].audits.standard.url: ",
			inv + ":12:23: ccadb.intermediates[0].audits.standard.period_end: ",
			inv + ":14:17: ccadb.intermediates[0].revocation.status: ",
		} {
			if !strings.Contains(res.stderr, want) {
				t.Errorf("%s: stderr lacks %q:\n%s", cmd[0], want, res.stderr)
			}
		}
		if !strings.Contains(res.stderr, "nothing was sent") {
			t.Errorf("%s: stderr does not say nothing was sent", cmd[0])
		}
	}
	// The unknown key is a decoding error, reported before semantic checks.
	if res := r.run("validate", "-i", inv); !strings.Contains(res.stderr, "revocation.status") {
		t.Errorf("validate output:\n%s", res.stderr)
	}
	if ct.n != 0 {
		t.Fatalf("%d request(s) left the machine", ct.n)
	}
}

func TestMissingCredentialsNothingSent(t *testing.T) {
	example := exampleCopy(t)
	r := newRunner(t)
	ct := &countingTransport{}
	r.http = &http.Client{Transport: ct}
	res := r.run("plan", "-i", example)
	if res.code != ExitError || !strings.Contains(res.stderr, "CERTSYNC_CCADB_CLIENT_SECRET") || !strings.Contains(res.stderr, "nothing was sent") {
		t.Fatalf("exit %d, stderr:\n%s", res.code, res.stderr)
	}
	if ct.n != 0 {
		t.Fatalf("%d request(s) sent", ct.n)
	}
}

// The README's demo: apply to the sandbox, then a plan with
// --detailed-exitcode exits 0.
func TestSandboxDemoConverges(t *testing.T) {
	example := exampleCopy(t)
	r := newRunner(t)
	res := r.run("plan", "--sandbox", "-i", example, "--detailed-exitcode")
	if res.code != ExitChanges {
		t.Fatalf("first plan exit %d, want 2:\n%s%s", res.code, res.stdout, res.stderr)
	}
	res = r.run("apply", "--sandbox", "--auto-approve", "-i", example)
	if res.code != ExitOK || !strings.Contains(res.stdout, "Apply complete: 7 ok, 0 failed, 0 skipped.") {
		t.Fatalf("apply exit %d:\n%s%s", res.code, res.stdout, res.stderr)
	}
	res = r.run("plan", "--sandbox", "-i", example, "--detailed-exitcode")
	if res.code != ExitOK || !strings.Contains(res.stdout, "No changes.") {
		t.Fatalf("second plan exit %d:\n%s%s", res.code, res.stdout, res.stderr)
	}
}

func TestPlanFormats(t *testing.T) {
	example := exampleCopy(t)
	r := newRunner(t)
	res := r.run("plan", "--sandbox", "-i", example, "-o", "json")
	var p struct {
		FormatVersion int `json:"format_version"`
		Changes       []struct {
			Address, Action string
		} `json:"changes"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &p); err != nil || p.FormatVersion != 1 || len(p.Changes) != 7 || p.Changes[0].Action != "create" {
		t.Fatalf("json plan: %v %+v\n%s", err, p, res.stdout)
	}
	res = r.run("plan", "--sandbox", "-i", example, "-o", "markdown")
	if !strings.HasPrefix(res.stdout, "### certsync plan") || strings.Index(res.stdout, "| action | changes |") > strings.Index(res.stdout, "<details>") {
		t.Fatalf("markdown plan does not start with its summary table:\n%s", res.stdout)
	}
	if res := r.run("plan", "--sandbox", "-i", example, "-o", "yaml"); res.code != ExitError {
		t.Error("-o yaml accepted")
	}
	// Text output is plain unless on a terminal.
	if res := r.run("plan", "--sandbox", "-i", example); strings.Contains(res.stdout, "\x1b[") {
		t.Error("colour codes without a terminal")
	}
	r.terminal = true
	if res := r.run("plan", "--sandbox", "-i", example); !strings.Contains(res.stdout, "\x1b[") {
		t.Error("no colour on a terminal")
	}
	r.env["NO_COLOR"] = "1"
	if res := r.run("plan", "--sandbox", "-i", example); strings.Contains(res.stdout, "\x1b[") {
		t.Error("colour despite NO_COLOR")
	}
}

func TestTargets(t *testing.T) {
	example := exampleCopy(t)
	r := newRunner(t)
	res := r.run("apply", "--sandbox", "--auto-approve", "-i", example, "--target", "ccadb/intermediate/tls-sub")
	// tls-sub depends on its parent, which is created first.
	if res.code != ExitOK || !strings.Contains(res.stdout, "Apply complete: 2 ok") {
		t.Fatalf("targeted apply exit %d:\n%s%s", res.code, res.stdout, res.stderr)
	}
	res = r.run("plan", "--sandbox", "-i", example, "-o", "json")
	if n := strings.Count(res.stdout, `"action": "create"`); n != 5 {
		t.Fatalf("after the targeted apply %d creates remain, want 5", n)
	}
	if res := r.run("plan", "--sandbox", "-i", example, "--target", "ccadb/intermediate/nope"); res.code != ExitError || !strings.Contains(res.stderr, "matches nothing") {
		t.Fatalf("unknown target: exit %d %s", res.code, res.stderr)
	}
}

func TestApplyAsksOnATerminalOnly(t *testing.T) {
	example := exampleCopy(t)
	r := newRunner(t)
	if res := r.run("apply", "--sandbox", "-i", example); res.code != ExitError || !strings.Contains(res.stderr, "--auto-approve") {
		t.Fatalf("apply without a terminal: exit %d %s", res.code, res.stderr)
	}
	r.terminal, r.stdin = true, "no\n"
	if res := r.run("apply", "--sandbox", "-i", example); res.code != ExitError || !strings.Contains(res.stderr, "cancelled") {
		t.Fatalf("answer no: exit %d %s", res.code, res.stderr)
	}
	if res := r.run("plan", "--sandbox", "-i", example, "--detailed-exitcode"); res.code != ExitChanges {
		t.Fatal("something was applied without a yes")
	}
	r.stdin = "yes\n"
	if res := r.run("apply", "--sandbox", "-i", example); res.code != ExitOK {
		t.Fatalf("answer yes: exit %d %s", res.code, res.stderr)
	}
}

// apply PLANFILE applies exactly the saved plan, and refuses it once the
// live state has moved.
func TestSavedPlanAndStaleRefusal(t *testing.T) {
	example := exampleCopy(t)
	r := newRunner(t)
	dir := t.TempDir()
	planA := filepath.Join(dir, "a.json")
	planB := filepath.Join(dir, "b.json")
	if res := r.run("plan", "--sandbox", "-i", example, "--out", planA); res.code != ExitOK {
		t.Fatalf("plan --out: %d %s", res.code, res.stderr)
	}
	if res := r.run("plan", "--sandbox", "-i", example, "--out", planB); res.code != ExitOK {
		t.Fatalf("plan --out: %d %s", res.code, res.stderr)
	}
	if res := r.run("apply", planA, "--auto-approve"); res.code != ExitError || !strings.Contains(res.stderr, "with --sandbox") {
		t.Fatalf("a sandbox plan applied without --sandbox: %d %s", res.code, res.stderr)
	}
	if res := r.run("apply", planA, "--sandbox", "--auto-approve"); res.code != ExitOK || !strings.Contains(res.stdout, "7 ok") {
		t.Fatalf("apply planA: %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	// planB was computed from the state before planA was applied.
	res := r.run("apply", planB, "--sandbox", "--auto-approve")
	if res.code != ExitError || !strings.Contains(res.stderr, "stale") || !strings.Contains(res.stderr, "nothing was applied") {
		t.Fatalf("stale plan: %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if strings.Contains(res.stdout, "Apply complete") {
		t.Fatal("the stale plan ran")
	}
}

// No secret (client secret, refresh token, access tokens) appears in any
// output, even at debug level, on success, on a token expired mid-run and on
// a refused refresh token.
func TestNoSecretsInOutput(t *testing.T) {
	example := exampleCopy(t)
	const secret = "super-secret-client-value-123"
	s, err := ccadbsim.New(ccadbsim.Options{ClientID: "cid", ClientSecret: secret, CAOwner: "Example CA"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	root, _ := os.ReadFile("../../testdata/pki/root.pem")
	if _, err := s.AddRoot(string(root), "Example CA"); err != nil {
		t.Fatal(err)
	}
	refresh := s.NewRefreshToken()
	const mmKey, mmPass = "mm-api-key-secret-value", `mm-pass"word\\secret&value`
	mm, err := mmsim.New(mmsim.Options{APIKey: mmKey, Username: "mm-user", Password: mmPass})
	if err != nil {
		t.Fatal(err)
	}
	mmSrv := httptest.NewServer(mm)
	defer mmSrv.Close()
	const cdnKey = "cdn-api-key-secret-value"
	cdn, err := quantilsim.New(quantilsim.Options{User: "cdn-user", APIKey: cdnKey})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range quantil.SandboxDomains { // the example binds some of them
		if _, err := cdn.SeedDomain(d, ""); err != nil {
			t.Fatal(err)
		}
	}
	cdnSrv := httptest.NewServer(cdn)
	defer cdnSrv.Close()
	ct := &countingTransport{inner: http.DefaultTransport, keep: true}
	r := newRunner(t)
	r.http = &http.Client{Transport: ct}
	for k, v := range map[string]string{
		"CERTSYNC_CCADB_URL": srv.URL, "CERTSYNC_CCADB_CLIENT_ID": "cid", "CERTSYNC_CCADB_CLIENT_SECRET": secret,
		"CERTSYNC_CCADB_REFRESH_TOKEN": refresh, "CERTSYNC_CCADB_REPORT_URL": srv.URL + ccadbsim.ReportPath,
		"CERTSYNC_CCADB_REQUEST_INTERVAL": "0s", "CERTSYNC_LOG_LEVEL": "debug",
		"CERTSYNC_MARKMONITOR_URL": mmSrv.URL + "/certs/v1", "CERTSYNC_MARKMONITOR_AUTH_URL": mmSrv.URL + "/auth/v1",
		"CERTSYNC_MARKMONITOR_API_KEY": mmKey, "CERTSYNC_MARKMONITOR_USERNAME": "mm-user", "CERTSYNC_MARKMONITOR_PASSWORD": mmPass,
		"CERTSYNC_QUANTIL_URL": cdnSrv.URL, "CERTSYNC_QUANTIL_USER": "cdn-user", "CERTSYNC_QUANTIL_API_KEY": cdnKey,
	} {
		r.env[k] = v
	}
	var outputs []string
	for _, format := range []string{"text", "json"} {
		r.env["CERTSYNC_LOG_FORMAT"] = format
		res := r.run("plan", "-i", example, "-o", "json")
		outputs = append(outputs, res.stdout, res.stderr)
	}
	res := r.run("apply", "-i", example, "--auto-approve", "--target", "ccadb/intermediate/revoked")
	if res.code != ExitOK {
		t.Fatalf("apply: %d %s", res.code, res.stderr)
	}
	outputs = append(outputs, res.stdout, res.stderr)
	s.ExpireAccessTokens()
	mm.ExpireTokens()
	res = r.run("apply", "-i", example, "--auto-approve")
	if res.code != ExitOK {
		t.Fatalf("apply after expiry: %d %s", res.code, res.stderr)
	}
	outputs = append(outputs, res.stdout, res.stderr)
	s.RevokeRefreshTokens()
	s.ExpireAccessTokens()
	r.env["CERTSYNC_CCADB_REFRESH_TOKEN"] = refresh
	res = r.run("apply", "-i", example, "--auto-approve")
	outputs = append(outputs, res.stdout, res.stderr)

	secrets := []string{secret, refresh, mmKey, mmPass, cdnKey}
	// The private key the order generated must not appear either.
	if key, err := os.ReadFile(filepath.Join(filepath.Dir(example), "out", "www.example.com.key")); err == nil {
		for _, line := range strings.Split(string(key), "\n") {
			if len(line) > 20 && !strings.HasPrefix(line, "-----") {
				secrets = append(secrets, line)
			}
		}
	} else {
		t.Fatalf("the order's key was not generated: %v", err)
	}
	tokenRE := regexp.MustCompile(`"(?:access_token|token)"\s*:\s*"([^"]+)"`)
	for _, s := range ct.seen {
		if strings.HasPrefix(s, "Bearer ") {
			secrets = append(secrets, strings.TrimPrefix(s, "Bearer "))
		}
		for _, m := range tokenRE.FindAllStringSubmatch(s, -1) {
			secrets = append(secrets, m[1])
		}
	}
	if len(secrets) < 8 {
		t.Fatalf("saw only %d secrets; the test would prove nothing", len(secrets))
	}
	all := strings.Join(outputs, "\n")
	if !strings.Contains(all, "level=DEBUG") && !strings.Contains(all, `"level":"DEBUG"`) {
		t.Fatal("no debug logs were produced")
	}
	for _, sec := range secrets {
		if sec != "" && strings.Contains(all, sec) {
			t.Errorf("secret %.6s… appears in the output", sec)
		}
	}
}
