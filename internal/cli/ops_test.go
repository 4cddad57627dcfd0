package cli

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/certsync/certsync/internal/notify"
	"github.com/certsync/certsync/internal/sim"
	"github.com/certsync/certsync/internal/vendors"
	"github.com/certsync/certsync/internal/vendors/ccadb/ccadbsim"
	"github.com/certsync/certsync/internal/vendors/markmonitor/mmsim"
	"github.com/certsync/certsync/internal/vendors/quantil/quantilsim"
)

func TestEveryCommandHasHelp(t *testing.T) {
	r := newRunner(t)
	// Broken settings do not keep anyone from reading the help.
	r.env["CERTSYNC_CONCURRENCY"] = "abc"
	for cmd := range helps {
		for _, args := range [][]string{{cmd, "-h"}, {cmd, "--help"}, {"help", cmd}} {
			res := r.run(args...)
			if res.code != ExitOK {
				t.Errorf("%q: exit %d, want 0\n%s", args, res.code, res.stderr)
			}
			for _, want := range []string{"Usage: certsync " + cmd, "Example:\n  certsync "} {
				if !strings.Contains(res.stdout, want) {
					t.Errorf("%q: help lacks %q:\n%s", args, want, res.stdout)
				}
			}
		}
	}
	res := r.run("plan", "-h")
	for _, want := range []string{"Flags:", "--detailed-exitcode", "--ci", "-i FILE", "Settings read:", "CERTSYNC_STATE_DIR", "CERTSYNC_NOTIFY_URL", "CERTSYNC_CCADB_*"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("plan -h lacks %q:\n%s", want, res.stdout)
		}
	}
	// A guard flag's default is the inventory's: no "(default -1)".
	for _, cmd := range []string{"plan", "apply", "run"} {
		res := r.run(cmd, "-h")
		if strings.Contains(res.stdout, "(default -1)") || !strings.Contains(res.stdout, "--max-paid N\n      at most N paid changes (create, renew, reissue) in one apply (default: the inventory's guards.max_paid, else 10)\n") {
			t.Errorf("%s -h, guard flags:\n%s", cmd, res.stdout)
		}
	}
	delete(r.env, "CERTSYNC_CONCURRENCY")
	if res := r.run("plan", "--max-paid", "-1"); res.code != ExitError || !strings.Contains(res.stderr, "must be a whole number, 0 or more") {
		t.Errorf("--max-paid -1: exit %d, stderr %q", res.code, res.stderr)
	}
	if res := r.run("plan", "--bogus"); res.code != ExitError || !strings.Contains(res.stderr, "certsync plan -h") {
		t.Errorf("a bad flag: exit %d, stderr %q", res.code, res.stderr)
	}
	for _, args := range [][]string{{"--version"}, {"version"}} {
		res := r.run(args...)
		if res.code != ExitOK || !strings.HasPrefix(res.stdout, "certsync ") {
			t.Errorf("%q: exit %d, stdout %q", args, res.code, res.stdout)
		}
	}
	if res := r.run("version", "extra"); res.code != ExitError {
		t.Error("version accepted an argument")
	}
}

// Every setting a help page lists exists, every one of certsync's own
// settings is listed by some command, and the usage shows every flag each
// command's help shows.
func TestHelpListsRealSettingsAndFlags(t *testing.T) {
	real := map[string]bool{"NO_COLOR": true}
	envNames := func(prefix string, typ reflect.Type) {
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		for i := range typ.NumField() {
			if name, _, _ := strings.Cut(typ.Field(i).Tag.Get("env"), ","); name != "" {
				real[prefix+strings.TrimSpace(name)] = true
			}
		}
	}
	envNames("CERTSYNC_", reflect.TypeOf(Config{}))
	own := maps.Clone(real)
	for _, e := range vendors.All() {
		envNames(vendors.EnvPrefix(e.Name), reflect.TypeOf(e.NewConfig()))
	}
	listed := map[string]bool{}
	for cmd, h := range helps {
		for _, r := range h.reads {
			name, _, _ := strings.Cut(r, " ")
			if name != "vendors" && !real[name] {
				t.Errorf("%s -h lists %q, which certsync does not read", cmd, name)
			}
			listed[name] = true
		}
		block := usageBlock(cmd)
		if block == "" {
			t.Errorf("the usage has no line for %s", cmd)
		}
		for _, f := range regexp.MustCompile(`--?[a-z][a-z-]*`).FindAllString(h.usage, -1) {
			if !strings.Contains(block, f) {
				t.Errorf("the usage of %s lacks %s:\n%s", cmd, f, block)
			}
		}
	}
	for name := range own {
		if !listed[name] && name != "NO_COLOR" {
			t.Errorf("no command's help lists %s", name)
		}
	}
}

// usageBlock is the top-level usage's lines for cmd.
func usageBlock(cmd string) string {
	var b strings.Builder
	in := false
	for _, line := range strings.Split(usage, "\n") {
		if rest, ok := strings.CutPrefix(line, "  certsync "); ok {
			in = strings.HasPrefix(rest, cmd+" ") || rest == cmd
		} else if !strings.HasPrefix(line, "     ") {
			in = false
		}
		if in {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

func TestSettingsErrorsNameTheVariable(t *testing.T) {
	example := exampleCopy(t)
	for _, tc := range []struct{ name, value, want string }{
		{"CERTSYNC_CONCURRENCY", "abc", `CERTSYNC_CONCURRENCY="abc": want a whole number of changes applied at once, 1 or more`},
		{"CERTSYNC_CONCURRENCY", "0", `CERTSYNC_CONCURRENCY="0": want a whole number`},
		{"CERTSYNC_CONCURRENCY", "-3", `CERTSYNC_CONCURRENCY="-3": want a whole number`},
		{"CERTSYNC_SANDBOX_LATENCY", "soon", `CERTSYNC_SANDBOX_LATENCY="soon": want a duration`},
		{"CERTSYNC_LOG_LEVEL", "loud", `CERTSYNC_LOG_LEVEL="loud": want debug, info, warn or error`},
		{"CERTSYNC_LOG_FORMAT", "xml", `CERTSYNC_LOG_FORMAT="xml": want text or json`},
		{"CERTSYNC_CCADB_REQUEST_INTERVAL", "x", `CERTSYNC_CCADB_REQUEST_INTERVAL: time: invalid duration "x" (want a duration`},
		{"CERTSYNC_NOTIFY_URL", "http://hooks.example.com/services/T0/B0/hooktoken", "CERTSYNC_NOTIFY_URL entry 1 (http://hooks.example.com/…)"},
	} {
		r := newRunner(t)
		r.env[tc.name] = tc.value
		res := r.run("plan", "--sandbox", "-i", example)
		if res.code != ExitError || !strings.Contains(res.stderr, tc.want) {
			t.Errorf("%s=%s: exit %d, stderr %q, want %q", tc.name, tc.value, res.code, res.stderr, tc.want)
		}
		if strings.Contains(res.stderr, "hooktoken") {
			t.Errorf("the webhook's token was printed: %s", res.stderr)
		}
	}
}

// Without CERTSYNC_STATE_DIR the state lives in .certsync beside the
// inventory, wherever the command is run from; the variable still wins.
func TestStateDirBesideInventory(t *testing.T) {
	example := exampleCopy(t)
	elsewhere := t.TempDir()
	t.Chdir(elsewhere)
	r := newRunner(t)
	delete(r.env, "CERTSYNC_STATE_DIR")
	if res := r.run("apply", "--sandbox", "--auto-approve", "-i", example, "--target", "ccadb/intermediate/revoked"); res.code != ExitOK {
		t.Fatalf("apply: %d\n%s", res.code, res.stderr)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(example), ".certsync", "sandbox")); err != nil {
		t.Errorf("no state beside the inventory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(elsewhere, ".certsync")); err == nil {
		t.Error("state was written in the working directory")
	}
	chosen := filepath.Join(t.TempDir(), "state")
	r.env["CERTSYNC_STATE_DIR"] = chosen
	if res := r.run("plan", "--sandbox", "-i", example); res.code != ExitOK {
		t.Fatalf("plan: %d\n%s", res.code, res.stderr)
	}
	if _, err := os.Stat(filepath.Join(chosen, "sandbox")); err != nil {
		t.Errorf("CERTSYNC_STATE_DIR was not used: %v", err)
	}
}

// apply -o json prints one document: the plan and one result per change.
// With JSON logs JSON is the default, and stdout holds nothing else; a
// text plan comes only with -o text.
func TestJSONOutput(t *testing.T) {
	example := exampleCopy(t)
	r := newRunner(t)
	r.env["CERTSYNC_LOG_FORMAT"] = "json"
	res := r.run("plan", "--sandbox", "-i", example)
	if !json.Valid([]byte(res.stdout)) {
		t.Fatalf("plan with JSON logs printed something else than JSON:\n%s", res.stdout)
	}
	if res := r.run("plan", "--sandbox", "-i", example, "-o", "text"); !strings.Contains(res.stdout, "certsync will perform") {
		t.Errorf("-o text printed no text plan:\n%s", res.stdout)
	}
	res = r.run("apply", "--sandbox", "--auto-approve", "-i", example)
	var out struct {
		Plan    struct{ Changes []any } `json:"plan"`
		Results []struct {
			Address, Action, Outcome, Error string
		} `json:"results"`
		Summary string `json:"summary"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil || res.code != ExitOK {
		t.Fatalf("apply: exit %d, %v:\n%s\n%s", res.code, err, res.stdout, res.stderr)
	}
	if len(out.Results) != 7 || len(out.Plan.Changes) != 7 || !strings.HasPrefix(out.Summary, "Apply complete: 7 ok") {
		t.Errorf("results %+v, summary %q", out.Results, out.Summary)
	}
	for _, r := range out.Results {
		if r.Address == "" || r.Action == "" || r.Outcome != "ok" {
			t.Errorf("result %+v", r)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(res.stderr), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("stderr has a line that is not a JSON log line: %q", line)
		}
	}
	delete(r.env, "CERTSYNC_LOG_FORMAT")
	res = r.run("apply", "--sandbox", "--auto-approve", "-i", example, "-o", "json")
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil || len(out.Results) != 0 || res.code != ExitOK {
		t.Errorf("apply -o json with nothing to do: exit %d, %v:\n%s", res.code, err, res.stdout)
	}
}

// hook is a webhook receiver that keeps every payload.
type hook struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
}

func newHook(t *testing.T) *hook {
	h := &hook{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.bodies = append(h.bodies, string(b))
		h.mu.Unlock()
	}))
	t.Cleanup(h.Close)
	return h
}

// take returns the payloads received since the last call.
func (h *hook) take(t *testing.T) []notify.Payload {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []notify.Payload
	for _, b := range h.bodies {
		var p notify.Payload
		if err := json.Unmarshal([]byte(b), &p); err != nil {
			t.Fatalf("not a payload: %v\n%s", err, b)
		}
		out = append(out, p)
	}
	h.bodies = nil
	return out
}

func (h *hook) raw() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.bodies, "\n")
}

func kinds(ps []notify.Payload) []string {
	var out []string
	for _, p := range ps {
		for _, e := range p.Events {
			out = append(out, string(e.Kind)+" "+e.Address)
		}
	}
	return out
}

// A real webhook receives one event for a drifting plan-only run and one
// for a failed change; no payload holds a secret, and the failed change is
// logged at ERROR with its error.
func TestNotifications(t *testing.T) {
	example := exampleCopy(t)
	v := startVendors(t)
	cc := v.cc
	h := newHook(t)
	const hookPath = "/services/T000/B000/notifyhooktoken"
	r := newRunner(t)
	for k, val := range v.env {
		r.env[k] = val
	}
	r.env["CERTSYNC_NOTIFY_URL"] = h.URL + hookPath

	res := r.run("plan", "-i", example, "--detailed-exitcode")
	if res.code != ExitChanges {
		t.Fatalf("plan: exit %d\n%s", res.code, res.stderr)
	}
	got := h.take(t)
	if k := kinds(got); len(got) != 1 || len(k) != 1 || k[0] != "drift_found " {
		t.Fatalf("after a drifting plan: %d payload(s) with events %q, want one drift_found", len(got), k)
	}
	if d := got[0].Events[0].Details; d["changes"] != float64(7) {
		t.Errorf("drift details %v", d)
	}

	cc.Faults().Add(sim.Fault{Method: http.MethodPost, Path: ccadbsim.AddUpdatePath, Status: http.StatusBadRequest,
		Body: `[{"message":"Audit statement link is not valid","errorCode":"INVALID_FIELD"}]`})
	res = r.run("apply", "-i", example, "--auto-approve", "--target", "ccadb/intermediate/revoked")
	if res.code != ExitError {
		t.Fatalf("apply with a refused change: exit %d\n%s", res.code, res.stdout)
	}
	if !strings.Contains(res.stderr, `level=ERROR msg="change failed" address=ccadb/intermediate/revoked`) || !strings.Contains(res.stderr, "Audit statement link is not valid") {
		t.Errorf("the failed change is not logged at ERROR with its error:\n%s", res.stderr)
	}
	all := h.raw()
	got = h.take(t)
	k := kinds(got)
	if len(got) != 1 || len(k) != 1 || k[0] != "change_failed ccadb/intermediate/revoked" {
		t.Fatalf("after a failed change: %d payload(s) with events %q, want one change_failed", len(got), k)
	}
	if e := got[0].Events[0]; !strings.Contains(e.Message, "Audit statement link is not valid") || e.Severity != notify.Error {
		t.Errorf("change_failed event %+v", e)
	}
	for _, s := range append(v.secrets, "notifyhooktoken", "BEGIN") {
		if strings.Contains(all, s) {
			t.Errorf("a notification holds %.10s…", s)
		}
	}
	if strings.Contains(res.stderr, "notifyhooktoken") || strings.Contains(res.stdout, "notifyhooktoken") {
		t.Error("the webhook URL's token was printed")
	}
}

// vendorSims are the three simulators behind real HTTP servers, with the
// settings that point certsync at them.
type vendorSims struct {
	cc      *ccadbsim.Server
	env     map[string]string
	secrets []string
}

func startVendors(t *testing.T) vendorSims {
	t.Helper()
	const secret = "ops-test-client-secret"
	cc, err := ccadbsim.New(ccadbsim.Options{ClientID: "cid", ClientSecret: secret, CAOwner: "Example CA"})
	if err != nil {
		t.Fatal(err)
	}
	ccSrv := httptest.NewServer(cc)
	t.Cleanup(ccSrv.Close)
	root, _ := os.ReadFile("../../testdata/pki/root.pem")
	if _, err := cc.AddRoot(string(root), "Example CA"); err != nil {
		t.Fatal(err)
	}
	refresh := cc.NewRefreshToken()
	const mmKey, mmPass, cdnKey = "ops-test-mm-key-value", "ops-test-mm-pass-value", "ops-test-cdn-key-value"
	mm, err := mmsim.New(mmsim.Options{APIKey: mmKey, Username: "mm-user", Password: mmPass})
	if err != nil {
		t.Fatal(err)
	}
	mmSrv := httptest.NewServer(mm)
	t.Cleanup(mmSrv.Close)
	cdn, err := quantilsim.New(quantilsim.Options{User: "cdn-user", APIKey: cdnKey})
	if err != nil {
		t.Fatal(err)
	}
	cdnSrv := httptest.NewServer(cdn)
	t.Cleanup(cdnSrv.Close)
	return vendorSims{
		cc: cc,
		env: map[string]string{
			"CERTSYNC_CCADB_URL": ccSrv.URL, "CERTSYNC_CCADB_CLIENT_ID": "cid", "CERTSYNC_CCADB_CLIENT_SECRET": secret,
			"CERTSYNC_CCADB_REFRESH_TOKEN": refresh, "CERTSYNC_CCADB_REPORT_URL": ccSrv.URL + ccadbsim.ReportPath,
			"CERTSYNC_CCADB_REQUEST_INTERVAL": "0s",
			"CERTSYNC_MARKMONITOR_URL":        mmSrv.URL + "/certs/v1", "CERTSYNC_MARKMONITOR_AUTH_URL": mmSrv.URL + "/auth/v1",
			"CERTSYNC_MARKMONITOR_API_KEY": mmKey, "CERTSYNC_MARKMONITOR_USERNAME": "mm-user", "CERTSYNC_MARKMONITOR_PASSWORD": mmPass,
			"CERTSYNC_QUANTIL_URL": cdnSrv.URL, "CERTSYNC_QUANTIL_USER": "cdn-user", "CERTSYNC_QUANTIL_API_KEY": cdnKey,
		},
		secrets: []string{secret, refresh, mmKey, mmPass, cdnKey},
	}
}

// A plan on a machine without the state directory (a CI runner) is made in
// CI mode by itself and says so; the CCADB's write-only fields, which only
// certsync's own records know, are listed apart and are not changes. --out
// (a plan meant to be applied) keeps the normal mode.
func TestCIModeWithoutStateDirectory(t *testing.T) {
	example := exampleCopy(t)
	v := startVendors(t)
	r := newRunner(t)
	for k, val := range v.env {
		r.env[k] = val
	}
	state := r.env["CERTSYNC_STATE_DIR"]
	if res := r.run("apply", "-i", example, "--auto-approve", "--target", "ccadb/intermediate/revoked"); res.code != ExitOK {
		t.Fatalf("apply: %d\n%s", res.code, res.stderr)
	}
	r.env["CERTSYNC_STATE_DIR"] = filepath.Join(t.TempDir(), "fresh-runner")
	res := r.run("plan", "-i", example, "-o", "json", "--target", "ccadb/intermediate/revoked")
	var p struct {
		CI      string `json:"ci"`
		Changes []struct{ Address string }
		Unknown []struct {
			Address string
			Fields  []struct{ Field, Unknown string }
		}
	}
	if err := json.Unmarshal([]byte(res.stdout), &p); err != nil {
		t.Fatalf("%v\n%s\n%s", err, res.stdout, res.stderr)
	}
	if !strings.Contains(p.CI, "no state directory") || len(p.Changes) != 0 || len(p.Unknown) != 1 || p.Unknown[0].Address != "ccadb/intermediate/revoked" {
		t.Fatalf("CI plan: %+v\n%s", p, res.stdout)
	}
	if res.code != ExitOK {
		t.Errorf("CI plan with only unknown fields: exit %d", res.code)
	}
	text := r.run("plan", "-i", example, "--target", "ccadb/intermediate/revoked", "--detailed-exitcode")
	if text.code != ExitOK || !strings.Contains(text.stdout, "CI mode (automatic: no state directory") || !strings.Contains(text.stdout, "Not known from here") {
		t.Errorf("text CI plan: exit %d\n%s", text.code, text.stdout)
	}
	// With --out the plan is meant to be applied: no CI mode.
	saved := r.run("plan", "-i", example, "--target", "ccadb/intermediate/revoked", "--detailed-exitcode", "--out", filepath.Join(t.TempDir(), "p.json"))
	if saved.code != ExitChanges || strings.Contains(saved.stdout, "CI mode") {
		t.Errorf("plan --out without state: exit %d\n%s", saved.code, saved.stdout)
	}
	// With its state, the same machine plans normally: nothing to change.
	r.env["CERTSYNC_STATE_DIR"] = state
	if res := r.run("plan", "-i", example, "--target", "ccadb/intermediate/revoked", "--detailed-exitcode"); res.code != ExitOK || strings.Contains(res.stdout, "CI mode") {
		t.Errorf("plan with state: exit %d\n%s", res.code, res.stdout)
	}
}

// A run that fails as a whole sends one run_failed event, even when
// nothing reached a vendor; validate sends none (it is no run).
func TestRunFailedNotification(t *testing.T) {
	h := newHook(t)
	r := newRunner(t)
	r.env["CERTSYNC_NOTIFY_URL"] = h.URL + "/hook/runfailedtoken"
	bad := writeFile(t, t.TempDir(), "inventory.yaml", "ccadb:\n  intermediates: 5\n")
	if res := r.run("validate", bad); res.code != ExitError {
		t.Fatalf("validate: exit %d", res.code)
	}
	if got := h.take(t); len(got) != 0 {
		t.Errorf("validate sent %d notification(s)", len(got))
	}
	if res := r.run("plan", bad); res.code != ExitError {
		t.Fatalf("plan: exit %d", res.code)
	}
	got := h.take(t)
	if k := kinds(got); len(k) != 1 || k[0] != "run_failed " || !strings.Contains(got[0].Events[0].Message, "1 problem(s) in the inventory") {
		t.Errorf("events %q: %+v", k, got)
	}
}

// apply logs its own cost at debug level, once, after the results: the
// number of changes, the wall time and the process's CPU time of the apply
// phase (the benchmark reads it). At info level it is not logged.
func TestApplyLogsItsCost(t *testing.T) {
	for _, level := range []string{"info", "debug"} {
		r := newRunner(t) // a fresh state: the example's 7 changes each time
		r.env["CERTSYNC_LOG_FORMAT"], r.env["CERTSYNC_LOG_LEVEL"] = "json", level
		res := r.run("apply", "--sandbox", "--auto-approve", "-i", exampleCopy(t), "-o", "text")
		if res.code != ExitOK || !strings.Contains(res.stdout, "Apply complete: 7 ok") {
			t.Fatalf("apply: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
		}
		var found []map[string]any
		for _, line := range strings.Split(strings.TrimSpace(res.stderr), "\n") {
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("not a JSON log line: %q", line)
			}
			if rec["msg"] == "apply finished" {
				found = append(found, rec)
			}
		}
		if level == "info" {
			if len(found) != 0 {
				t.Errorf("apply finished logged at info level: %v", found)
			}
			continue
		}
		if len(found) != 1 {
			t.Fatalf("%d \"apply finished\" records, want 1:\n%s", len(found), res.stderr)
		}
		rec := found[0]
		if rec["level"] != "DEBUG" || rec["changes"] != float64(7) {
			t.Errorf("apply finished: %v; want level DEBUG and 7 changes", rec)
		}
		for _, k := range []string{"cpu_seconds", "wall_seconds"} {
			if v, ok := rec[k].(float64); !ok || v < 0 {
				t.Errorf("apply finished: %s = %v, want a number of seconds", k, rec[k])
			}
		}
	}
}
