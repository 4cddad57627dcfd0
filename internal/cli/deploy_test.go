package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sethvargo/go-envconfig"
	"go.yaml.in/yaml/v3"

	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/vendors"
)

func yamlDocs(t *testing.T, path string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var docs []map[string]any
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var d map[string]any
		if err := dec.Decode(&d); err != nil {
			if err.Error() == "EOF" {
				return docs
			}
			t.Fatalf("%s: %v", path, err)
		}
		if d != nil {
			docs = append(docs, d)
		}
	}
}

func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

var knownCommands = []string{"validate", "plan", "apply", "run", "sandbox", "ccadb-login", "schema", "version"}

// The Kubernetes files parse, have the kinds a user needs, and use only
// environment variables and commands the binary knows. The strict decode into
// the Kubernetes API types and the Pod Security checks are in
// deploy/manifesttest (its own module, for the k8s.io dependency).
func TestKubernetesManifests(t *testing.T) {
	// GOMEMLIMIT is read by the Go runtime in the binary (the soft memory
	// limit under the container's limit).
	known := append(EnvNames(), "GOMEMLIMIT")
	files, _ := filepath.Glob("../../deploy/kubernetes/*.yaml")
	kinds := map[string]map[string]any{}
	for _, f := range files {
		for _, d := range yamlDocs(t, f) {
			kind, _ := d["kind"].(string)
			if kind == "" || d["apiVersion"] == nil {
				t.Errorf("%s: a document without kind or apiVersion", f)
			}
			kinds[kind] = d
		}
	}
	for _, k := range []string{"CronJob", "Deployment", "Secret", "ConfigMap", "PersistentVolumeClaim", "Service"} {
		if kinds[k] == nil {
			t.Errorf("no %s in deploy/kubernetes", k)
		}
	}
	if got := dig(kinds["CronJob"], "spec", "concurrencyPolicy"); got != "Forbid" {
		t.Errorf("CronJob concurrencyPolicy = %v, want Forbid", got)
	}
	if got := dig(kinds["Deployment"], "spec", "strategy", "type"); got != "Recreate" {
		t.Errorf("Deployment strategy = %v, want Recreate (one pod on the state volume)", got)
	}
	for name, podSpec := range map[string]any{
		"CronJob":    dig(kinds["CronJob"], "spec", "jobTemplate", "spec", "template", "spec"),
		"Deployment": dig(kinds["Deployment"], "spec", "template", "spec"),
	} {
		c := dig(podSpec, "containers", 0)
		args, _ := dig(c, "args").([]any)
		if len(args) == 0 || !slices.Contains(knownCommands, args[0].(string)) {
			t.Errorf("%s: args %v do not start with a certsync command", name, args)
		}
		// The image only plans by default; these workloads apply, and say
		// so in their own args.
		if !slices.Contains(args, any("--auto-approve")) && !slices.Contains(args, any("--apply")) {
			t.Errorf("%s: args %v do not choose to apply explicitly", name, args)
		}
		if img := dig(c, "image"); img != "REGISTRY/certsync:VERSION" {
			t.Errorf("%s: image %v, want the placeholder REGISTRY/certsync:VERSION (kustomization.yaml sets it)", name, img)
		}
		if dig(podSpec, "securityContext", "runAsNonRoot") != true {
			t.Errorf("%s: not runAsNonRoot", name)
		}
		envs, _ := dig(c, "env").([]any)
		for _, e := range envs {
			n := dig(e, "name").(string)
			if !slices.Contains(known, n) {
				t.Errorf("%s: env %s is not read by certsync", name, n)
			}
		}
		if dig(c, "envFrom", 0, "secretRef", "name") != dig(kinds["Secret"], "metadata", "name") {
			t.Errorf("%s: envFrom does not use the credentials Secret", name)
		}
	}
	secret, _ := dig(kinds["Secret"], "stringData").(map[string]any)
	for k := range secret {
		if !slices.Contains(known, k) {
			t.Errorf("Secret key %s is not read by certsync", k)
		}
	}
	inv, _ := dig(kinds["ConfigMap"], "data", "inventory.yaml").(string)
	if _, err := inventory.Parse(filepath.Join(t.TempDir(), "inventory.yaml"), []byte(inv), vendors.Sections()); err != nil {
		t.Errorf("the ConfigMap's inventory is not valid:\n%v", err)
	}
}

// The image is static, non-root, reports the version it was built with, and
// by default only plans: applying is a choice written where it runs.
func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	if n := len(regexp.MustCompile(`(?m)^FROM `).FindAllString(text, -1)); n < 2 {
		t.Errorf("%d FROM lines: want a multi-stage build", n)
	}
	cut := strings.LastIndex(text, "\nFROM ")
	build, last := text[:cut], text[cut:]
	for _, want := range []string{"FROM gcr.io/distroless/static-debian12:nonroot", "USER 65532", `ENTRYPOINT ["/usr/local/bin/certsync"]`, "CERTSYNC_STATE_DIR=/state"} {
		if !strings.Contains(last, want) {
			t.Errorf("final stage lacks %q", want)
		}
	}
	if !strings.Contains(build, "CGO_ENABLED=0") {
		t.Error("the binary is not built static")
	}
	// VERSION is a build argument that reaches the linker.
	if !regexp.MustCompile(`(?m)^ARG VERSION\b`).MatchString(build) {
		t.Error("the build stage has no ARG VERSION")
	}
	if !strings.Contains(build, "-X github.com/certsync/certsync/internal/cli.Version=${VERSION}") {
		t.Error("VERSION is not passed to -ldflags -X ...cli.Version")
	}
	if regexp.MustCompile(`https?://`).MatchString(build) {
		t.Error("the build stage names an address; the module proxy comes from the build argument GOPROXY")
	}
	// The default command plans, with the inventory path; it never applies.
	m := regexp.MustCompile(`(?m)^CMD (\[.*\])\s*$`).FindStringSubmatch(last)
	if m == nil {
		t.Fatal("no exec-form CMD in the final stage")
	}
	var cmd []string
	if err := json.Unmarshal([]byte(m[1]), &cmd); err != nil {
		t.Fatalf("CMD %s: %v", m[1], err)
	}
	if len(cmd) == 0 || cmd[0] != "plan" || !slices.Contains(cmd, "/config/inventory.yaml") {
		t.Errorf("CMD %q: want plan with the inventory path", cmd)
	}
	for _, a := range cmd {
		if a == "--apply" || a == "--auto-approve" || a == "apply" {
			t.Errorf("CMD %q applies; the image's default must only plan", cmd)
		}
	}
}

// make docker passes the version into the image.
func TestMakeDockerPassesVersion(t *testing.T) {
	data, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^docker:[^\n]*\n((?:\t[^\n]*\n)+)`).FindStringSubmatch(string(data))
	if m == nil {
		t.Fatal("no docker target")
	}
	if !strings.Contains(m[1], "--build-arg VERSION=$(VERSION)") {
		t.Errorf("make docker does not pass --build-arg VERSION=$(VERSION):\n%s", m[1])
	}
}

// workflowCommand is one certsync command line of the workflow, with the
// files its standard output and error are redirected to.
type workflowCommand struct {
	line           string
	args           []string
	stdout, stderr string
}

// parseCommand splits a simple shell line (words, `> file`, `2> file`).
func parseCommand(line string) workflowCommand {
	c := workflowCommand{line: line}
	f := strings.Fields(line)
	for i := 0; i < len(f); i++ {
		target := &c.stdout
		w := f[i]
		switch {
		case strings.HasPrefix(w, "2>"):
			target, w = &c.stderr, strings.TrimPrefix(w, "2>")
		case strings.HasPrefix(w, ">"):
			w = strings.TrimPrefix(w, ">")
		default:
			c.args = append(c.args, w)
			continue
		}
		if w == "" && i+1 < len(f) {
			i++
			w = f[i]
		}
		*target = w
	}
	return c
}

// The example CI workflow's certsync commands run as written against a
// sandbox (the settings `certsync sandbox` prints), in a checkout that holds
// inventory.yaml; the files they write are the ones the artifact and comment
// steps read.
func TestCIWorkflowCommandsAgainstSandbox(t *testing.T) {
	docs := yamlDocs(t, "../../deploy/ci/github-actions-plan.yaml")
	steps, _ := dig(docs[0], "jobs", "plan", "steps").([]any)
	var commands []workflowCommand
	var artifact, script string
	for _, s := range steps {
		run, _ := dig(s, "run").(string)
		found := false
		for _, line := range strings.Split(run, "\n") {
			if line = strings.TrimSpace(line); strings.HasPrefix(line, "certsync ") {
				commands = append(commands, parseCommand(line))
				found = true
			}
		}
		if found {
			env, _ := dig(s, "env").(map[string]any)
			for k := range env {
				if !slices.Contains(EnvNames(), k) {
					t.Errorf("workflow env %s is not read by certsync", k)
				}
			}
		}
		uses, _ := dig(s, "uses").(string)
		switch {
		case strings.HasPrefix(uses, "actions/upload-artifact@"):
			artifact, _ = dig(s, "with", "path").(string)
		case strings.HasPrefix(uses, "actions/github-script@"):
			script, _ = dig(s, "with", "script").(string)
		}
	}
	if len(commands) != 2 {
		t.Fatalf("found %d certsync commands in the workflow, want validate and plan: %q", len(commands), commands)
	}
	if artifact == "" || script == "" {
		t.Fatal("the workflow has no upload-artifact or no github-script step")
	}

	work := filepath.Dir(exampleCopy(t))
	if err := os.Rename(filepath.Join(work, "inventory.example.yaml"), filepath.Join(work, "inventory.yaml")); err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.Load(filepath.Join(work, "inventory.yaml"), vendors.Sections())
	if err != nil {
		t.Fatal(err)
	}
	sb, err := startSandbox(context.Background(), sandboxOptions{stateDir: t.TempDir(), inv: inv})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	env := map[string]string{"CERTSYNC_STATE_DIR": t.TempDir()}
	for _, kv := range sb.env() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	t.Chdir(work)
	for _, c := range commands {
		var out, errb bytes.Buffer
		code := Main(context.Background(), c.args[1:], IO{
			Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
			Lookup: envconfig.MapLookuper(env), Terminal: func(any) bool { return false },
		})
		// Every error text is kept for the comment and the artifact.
		if c.stderr == "" || !strings.Contains(script, "'"+c.stderr+"'") || !strings.Contains(artifact, c.stderr) {
			t.Errorf("%s: stderr goes to %q, which the comment or the artifact does not read", c.line, c.stderr)
		}
		switch c.args[1] {
		case "validate":
			if code != ExitOK {
				t.Errorf("%s: exit %d\n%s", c.line, code, errb.String())
			}
		case "plan":
			if code != ExitChanges {
				t.Errorf("%s: exit %d, want 2 (changes pending)\n%s", c.line, code, errb.String())
			}
			// A runner has no state: the plan is made in CI mode, and says so.
			if !slices.Contains(c.args, "--ci") || !strings.Contains(out.String(), "CI mode (--ci)") {
				t.Errorf("%s: not a CI-mode plan:\n%.300s", c.line, out.String())
			}
			if !strings.HasPrefix(out.String(), "### certsync plan") || !strings.Contains(out.String(), "<details>") {
				t.Errorf("%s: not a Markdown plan:\n%s", c.line, out.String())
			}
			if c.stdout != "plan.md" || !strings.Contains(script, "'plan.md'") || !strings.Contains(artifact, "plan.md") {
				t.Errorf("the Markdown plan goes to %q, not to plan.md that the comment and the artifact read: %q", c.stdout, c.line)
			}
			// The JSON plan (--out) is written and uploaded.
			i := slices.Index(c.args, "--out")
			if i < 0 || i+1 >= len(c.args) {
				t.Fatalf("%s: no --out for the JSON plan", c.line)
			}
			data, err := os.ReadFile(filepath.Join(work, c.args[i+1]))
			if err != nil {
				t.Fatalf("%s: %v", c.line, err)
			}
			if !json.Valid(data) {
				t.Errorf("%s: %s is not JSON", c.line, c.args[i+1])
			}
			if !strings.Contains(artifact, c.args[i+1]) {
				t.Errorf("the artifact does not upload %s", c.args[i+1])
			}
		default:
			t.Errorf("unexpected command %q", c.line)
		}
	}
}

// commentHarness runs the workflow's github-script with a recording stand-in
// for the GitHub API, as actions/github-script does (an async function of
// github, context and require); it prints the API calls as JSON.
const commentHarness = `
const fs = require('fs');
const calls = [];
const existing = JSON.parse(process.env.EXISTING || '[]');
const github = {
  paginate: async (fn, args) => existing,
  rest: {issues: {
    listComments: () => {},
    updateComment: async (a) => { calls.push({op: 'update', ...a}); },
    createComment: async (a) => { calls.push({op: 'create', ...a}); },
  }},
};
const context = {repo: {owner: 'o', repo: 'r'}, serverUrl: 'https://github.invalid', runId: 7, issue: {number: 3}};
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
const script = fs.readFileSync(process.argv[2], 'utf8');
new AsyncFunction('github', 'context', 'require', script)(github, context, require)
  .then(() => console.log(JSON.stringify(calls)), e => { console.error(e); process.exit(1); });
`

// The comment step posts the plan, or the error text when validate or plan
// failed (never an empty body over the last good plan), stays under GitHub's
// 65,536 characters, and keeps one comment updated.
func TestCIWorkflowComment(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed (.ci/run installs it); the comment script is not run")
	}
	docs := yamlDocs(t, "../../deploy/ci/github-actions-plan.yaml")
	steps, _ := dig(docs[0], "jobs", "plan", "steps").([]any)
	var script string
	for _, s := range steps {
		if uses, _ := dig(s, "uses").(string); strings.HasPrefix(uses, "actions/github-script@") {
			script, _ = dig(s, "with", "script").(string)
		}
	}
	if script == "" {
		t.Fatal("no github-script step")
	}
	const marker = "<!-- certsync-plan -->"
	existing := `[{"id": 41, "body": "someone else"}, {"id": 42, "body": "` + marker + `\nold plan"}]`
	huge := "### certsync plan\n\n" + strings.Repeat("<details><summary>change</summary>\n\nline\n</details>\n", 3000)
	for _, tc := range []struct {
		name           string
		validate, plan string            // exit codes as the steps output them
		files          map[string]string // files left by the steps
		existing       string
		wantOp         string
		want           []string
	}{
		{"plan posted", "0", "2", map[string]string{"plan.md": "### certsync plan\n\n1 to add"}, "[]", "create",
			[]string{"### certsync plan", "1 to add"}},
		{"no changes updates the comment", "0", "0", map[string]string{"plan.md": "### certsync plan\n\nNo changes."}, existing, "update",
			[]string{"No changes."}},
		{"plan error posts stderr", "0", "1", map[string]string{"plan.md": "", "plan.err": "error: ccadb: token refused (HTTP 400 invalid_grant)\n"}, existing, "update",
			[]string{"certsync plan failed", "token refused (HTTP 400 invalid_grant)"}},
		{"partial plan folded under the error", "0", "1", map[string]string{"plan.md": "### certsync plan\n\npartial", "plan.err": "error: 1 item(s) could not be planned\n"}, existing, "update",
			[]string{"could not be planned", "<details><summary>What was planned before the error", "partial"}},
		{"validate error posts stderr", "1", "", map[string]string{"validate.err": "inventory.yaml:3:5: markmonitor.orders[0].cert_type: unknown\n"}, existing, "update",
			[]string{"certsync validate failed", "inventory.yaml:3:5"}},
		{"backticks in the error", "0", "1", map[string]string{"plan.err": "error: ```x```\n"}, "[]", "create",
			[]string{"````\nerror: ```x```\n````"}},
		{"huge plan cut", "0", "2", map[string]string{"plan.md": huge}, "[]", "create",
			[]string{"cut at 60000 characters", "certsync-plan"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "script.js"), []byte(script), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "harness.js"), []byte(commentHarness), 0o600); err != nil {
				t.Fatal(err)
			}
			for name, body := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command(node, "harness.js", "script.js")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "VALIDATE_EXIT="+tc.validate, "PLAN_EXIT="+tc.plan, "EXISTING="+tc.existing)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("node: %v\n%s", err, stderr.String())
			}
			var calls []struct {
				Op        string `json:"op"`
				Body      string `json:"body"`
				CommentID int    `json:"comment_id"`
			}
			if err := json.Unmarshal(out, &calls); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if len(calls) != 1 || calls[0].Op != tc.wantOp {
				t.Fatalf("calls = %+v, want one %s", calls, tc.wantOp)
			}
			body := calls[0].Body
			if tc.wantOp == "update" && calls[0].CommentID != 42 {
				t.Errorf("updated comment %d, want 42 (the one with the marker)", calls[0].CommentID)
			}
			if !strings.HasPrefix(body, marker+"\n") {
				t.Errorf("body does not start with the marker:\n%.200s", body)
			}
			if len(body) > 65536 {
				t.Errorf("body has %d characters, over GitHub's 65,536", len(body))
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("body lacks %q:\n%.600s", w, body)
				}
			}
		})
	}
}
