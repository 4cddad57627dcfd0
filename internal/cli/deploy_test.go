package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sethvargo/go-envconfig"
	"gopkg.in/yaml.v3"

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
// environment variables and commands the binary knows.
func TestKubernetesManifests(t *testing.T) {
	known := EnvNames()
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

func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	if n := len(regexp.MustCompile(`(?m)^FROM `).FindAllString(text, -1)); n < 2 {
		t.Errorf("%d FROM lines: want a multi-stage build", n)
	}
	last := text[strings.LastIndex(text, "\nFROM "):]
	for _, want := range []string{"USER 65532", `ENTRYPOINT ["/usr/local/bin/certsync"]`, "CERTSYNC_STATE_DIR=/state"} {
		if !strings.Contains(last, want) {
			t.Errorf("final stage lacks %q", want)
		}
	}
	if !strings.Contains(text, "CGO_ENABLED=0") {
		t.Error("the binary is not built static")
	}
}

// The example CI workflow's certsync commands run as written against a
// sandbox (the settings `certsync sandbox` prints), in a checkout that holds
// inventory.yaml.
func TestCIWorkflowCommandsAgainstSandbox(t *testing.T) {
	docs := yamlDocs(t, "../../deploy/ci/github-actions-plan.yaml")
	steps, _ := dig(docs[0], "jobs", "plan", "steps").([]any)
	var commands []string
	for _, s := range steps {
		run, _ := dig(s, "run").(string)
		for _, line := range strings.Split(run, "\n") {
			if line = strings.TrimSpace(line); strings.HasPrefix(line, "certsync ") {
				commands = append(commands, line)
			}
		}
		env, _ := dig(s, "env").(map[string]any)
		for k := range env {
			if !slices.Contains(EnvNames(), k) {
				t.Errorf("workflow env %s is not read by certsync", k)
			}
		}
	}
	if len(commands) != 2 {
		t.Fatalf("found %d certsync commands in the workflow, want validate and plan: %q", len(commands), commands)
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
	for _, line := range commands {
		args, outFile, _ := strings.Cut(line, ">")
		var out, errb bytes.Buffer
		code := Main(context.Background(), strings.Fields(args)[1:], IO{
			Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
			Lookup: envconfig.MapLookuper(env), Terminal: func(any) bool { return false },
		})
		switch {
		case strings.Contains(line, "validate"):
			if code != ExitOK {
				t.Errorf("%s: exit %d\n%s", line, code, errb.String())
			}
		case strings.Contains(line, "plan"):
			if code != ExitChanges {
				t.Errorf("%s: exit %d, want 2 (changes pending)\n%s", line, code, errb.String())
			}
			if !strings.HasPrefix(out.String(), "### certsync plan") || !strings.Contains(out.String(), "<details>") {
				t.Errorf("%s: not a Markdown plan:\n%s", line, out.String())
			}
			if strings.TrimSpace(outFile) != "plan.md" {
				t.Errorf("the plan is not saved for the comment step: %q", line)
			}
		}
	}
}
