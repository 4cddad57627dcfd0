package cli

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A positional FILE is the inventory of validate and plan; anything else
// positional is refused on every command, never silently ignored.
func TestPositionalArguments(t *testing.T) {
	dir := t.TempDir()
	broken := writeFile(t, dir, "broken.yaml", "ccadb:\n  defaults:\n    ca_owner: \"Example\n")
	empty := writeFile(t, dir, "empty.yaml", "# manages nothing\n")
	tests := []struct {
		name       string
		args       []string
		wantStdout string
		wantStderr string
	}{
		{"validate reads its FILE", []string{"validate", broken}, "", broken + ":3:15: not valid YAML: found unexpected end of stream"},
		{"validate a valid FILE", []string{"validate", empty}, empty + " is valid: 0 item(s).", ""},
		{"validate -i and FILE", []string{"validate", "-i", empty, broken}, "", "validate: name the inventory once, with -i " + empty + " or as " + broken + ", not both"},
		{"validate two files", []string{"validate", empty, broken}, "", "validate takes one inventory FILE (or -i FILE), got 2 arguments"},
		{"plan reads its FILE", []string{"plan", broken}, "", broken + ":3:15: not valid YAML"},
		{"plan two files", []string{"plan", "--sandbox", empty, "extra"}, "", "plan takes one inventory FILE (or -i FILE), got 2 arguments: " + empty + " extra"},
		{"apply two arguments", []string{"apply", "a.json", "b.json"}, "", "apply takes at most one PLANFILE, got 2 arguments"},
		{"run", []string{"run", "--schedule", "@every 1h", "-i", empty, "extra"}, "", "run takes no arguments besides its flags, got: extra"},
		{"sandbox", []string{"sandbox", "extra"}, "", "sandbox takes no arguments besides its flags, got: extra"},
		{"ccadb-login", []string{"ccadb-login", "extra", "more"}, "", "ccadb-login takes no arguments besides its flags, got: extra more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRunner(t)
			ct := &countingTransport{}
			r.http = &http.Client{Transport: ct}
			res := r.run(tt.args...)
			wantCode := ExitError
			if tt.wantStderr == "" {
				wantCode = ExitOK
			}
			if res.code != wantCode || !strings.Contains(res.stdout, tt.wantStdout) || !strings.Contains(res.stderr, tt.wantStderr) {
				t.Fatalf("exit %d, stdout %q, stderr %q\nwant exit %d, stdout with %q, stderr with %q", res.code, res.stdout, res.stderr, wantCode, tt.wantStdout, tt.wantStderr)
			}
			if ct.n != 0 {
				t.Errorf("%d request(s) sent", ct.n)
			}
		})
	}
}

// An inventory over the size limit is refused before it is read whole.
func TestInventoryTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.yaml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(17 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	res := newRunner(t).run("validate", path)
	if res.code != ExitError || !strings.Contains(res.stderr, "file too large: it is 17 MiB; the limit is 16 MiB") {
		t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
	}
}
