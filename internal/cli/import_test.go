package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// demoed applies the example inventory to a fresh sandbox (what make demo
// does) and returns the runner and the example's folder.
func demoed(t *testing.T) (*runner, string) {
	t.Helper()
	example := exampleCopy(t)
	r := newRunner(t)
	if res := r.run("apply", "--sandbox", "--auto-approve", "-i", example); res.code != ExitOK {
		t.Fatalf("apply exit %d:\n%s%s", res.code, res.stdout, res.stderr)
	}
	return r, filepath.Dir(example)
}

func readYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return doc
}

// noKeyMaterial fails when any file below dir holds a private key.
func noKeyMaterial(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), "PRIVATE KEY") {
			t.Errorf("%s holds a private key", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// After the demo, the imported inventory covers all three vendors and plans
// no change against the state it was read from.
func TestImportPlansNoChange(t *testing.T) {
	r, dir := demoed(t)
	outDir := t.TempDir()
	out := filepath.Join(outDir, "imported.yaml")
	res := r.run("import", "--sandbox", "--ca-owner", "Example CA", "--pem-dir", filepath.Join(dir, "testdata", "pki"), "--out", out)
	if res.code != ExitOK {
		t.Fatalf("import exit %d:\n%s%s", res.code, res.stdout, res.stderr)
	}
	doc := readYAML(t, out)
	for _, c := range []struct {
		path []any
		n    int
	}{
		{[]any{"ccadb", "intermediates"}, 4},
		{[]any{"markmonitor", "organizations"}, 1},
		{[]any{"markmonitor", "orders"}, 1},
		{[]any{"quantil", "certificates"}, 1},
	} {
		if l, _ := dig(doc, c.path...).([]any); len(l) != c.n {
			t.Errorf("%v: %d item(s), want %d", c.path, len(l), c.n)
		}
	}
	if got := dig(doc, "markmonitor", "orders", 0, "name"); got != "www" {
		t.Errorf("the order certsync placed is keyed %v, want its marker's name www", got)
	}
	// The report lists records in no promised order: find tls-sub's record
	// (the one with two partitioned CRLs) wherever it is.
	withTwo := 0
	inters, _ := dig(doc, "ccadb", "intermediates").([]any)
	for i := range inters {
		if l, _ := dig(doc, "ccadb", "intermediates", i, "crls", "partitioned").([]any); len(l) == 2 {
			withTwo++
		}
	}
	if withTwo != 1 {
		t.Errorf("%d imported intermediates with two partitioned CRLs, want 1 (tls-sub)", withTwo)
	}
	text, _ := os.ReadFile(out)
	// The CDN certificate is the one order www issued: it deploys that
	// order, and names the key file the order's comment asks for.
	if got := dig(doc, "quantil", "certificates", 0, "from"); got != "markmonitor/order/www" {
		t.Errorf("the CDN certificate deploys %v, want markmonitor/order/www", got)
	}
	if got := dig(doc, "quantil", "certificates", 0, "private_key"); got != "imported-files/markmonitor/www.key" {
		t.Errorf("the CDN certificate's key is %v, want the order's key file imported-files/markmonitor/www.key", got)
	}
	for _, want := range []string{"Fields the report does not show are left out", "replace csr: with private_key:", "never returns a certificate's or key's content"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("the inventory lacks the comment %q", want)
		}
	}
	noKeyMaterial(t, outDir)

	res = r.run("plan", "--sandbox", "-i", out, "--detailed-exitcode")
	if res.code != ExitOK || !strings.Contains(res.stdout, "No changes.") {
		t.Fatalf("plan of the imported inventory exit %d:\n%s%s", res.code, res.stdout, res.stderr)
	}
	if strings.Contains(res.stdout, "waiting") {
		t.Errorf("the QUANTIL item should match the order's certificate by serial, not wait:\n%s", res.stdout)
	}
}

// --vendor limits the import; the CCADB needs a CA owner; the inventory goes
// to standard output without --out.
func TestImportVendorSelection(t *testing.T) {
	r, _ := demoed(t)
	cases := []struct {
		name     string
		args     []string
		code     int
		sections []string
		stderr   string
	}{
		{"one vendor", []string{"--vendor", "quantil"}, ExitOK, []string{"quantil"}, ""},
		{"two vendors", []string{"--vendor", "quantil", "--vendor", "markmonitor"}, ExitOK, []string{"markmonitor", "quantil"}, ""},
		{"all but the CCADB without a CA owner", nil, ExitOK, []string{"markmonitor", "quantil"}, "ccadb: skipped; give --ca-owner"},
		{"the CCADB asked for without a CA owner", []string{"--vendor", "ccadb"}, ExitError, nil, "--ca-owner is required"},
		{"unknown vendor", []string{"--vendor", "digicert"}, ExitError, nil, `--vendor "digicert": not a vendor`},
		{"a CA owner with no record", []string{"--vendor", "ccadb", "--ca-owner", "Nobody"}, ExitOK, []string{"ccadb"}, `no intermediate of CA owner "Nobody"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Chdir(t.TempDir()) // files of the stdout form go to the working folder
			res := r.run(append([]string{"import", "--sandbox"}, c.args...)...)
			if res.code != c.code || !strings.Contains(res.stderr, c.stderr) {
				t.Fatalf("exit %d, want %d; stderr should contain %q:\n%s", res.code, c.code, c.stderr, res.stderr)
			}
			if c.code != ExitOK {
				return
			}
			var doc map[string]any
			if err := yaml.Unmarshal([]byte(res.stdout), &doc); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range []string{"ccadb", "markmonitor", "quantil"} {
				if _, ok := doc[v]; ok {
					got = append(got, v)
				}
			}
			if strings.Join(got, ",") != strings.Join(c.sections, ",") {
				t.Errorf("sections %v, want %v", got, c.sections)
			}
		})
	}
}

// An import never overwrites a file unless --force; a refusal writes
// nothing at all.
func TestImportKeepsExistingFiles(t *testing.T) {
	r, _ := demoed(t)
	outDir := t.TempDir()
	out := filepath.Join(outDir, "imported.yaml")
	args := []string{"import", "--sandbox", "--vendor", "markmonitor", "--out", out}
	if res := r.run(args...); res.code != ExitOK {
		t.Fatalf("import exit %d:\n%s", res.code, res.stderr)
	}
	crt := filepath.Join(outDir, "imported-files", "markmonitor", "www.crt")
	writeFile(t, filepath.Dir(crt), "www.crt", "mine\n")
	if err := os.Remove(out); err != nil {
		t.Fatal(err)
	}
	res := r.run(args...)
	if res.code != ExitError || !strings.Contains(res.stderr, "exist already and were not overwritten") || !strings.Contains(res.stderr, crt) {
		t.Fatalf("second import exit %d:\n%s", res.code, res.stderr)
	}
	if b, _ := os.ReadFile(crt); string(b) != "mine\n" {
		t.Errorf("%s was overwritten", crt)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a refused import wrote %s", out)
	}
	if res := r.run(append(args, "--force")...); res.code != ExitOK {
		t.Fatalf("import --force exit %d:\n%s", res.code, res.stderr)
	}
	if b, _ := os.ReadFile(crt); !strings.Contains(string(b), "BEGIN CERTIFICATE") {
		t.Errorf("--force did not replace %s", crt)
	}
}

// Without --pem-dir the certificates come from the CCADB's public PEM
// report: the four intermediates are imported and plan no change.
func TestImportCCADBFromPEMReport(t *testing.T) {
	r, _ := demoed(t)
	outDir := t.TempDir()
	out := filepath.Join(outDir, "imported.yaml")
	res := r.run("import", "--sandbox", "--ca-owner", "Example CA", "--out", out)
	if res.code != ExitOK || strings.Contains(res.stderr, "left out, their PEMs") {
		t.Fatalf("import exit %d:\n%s", res.code, res.stderr)
	}
	doc := readYAML(t, out)
	inters, _ := dig(doc, "ccadb", "intermediates").([]any)
	if len(inters) != 4 {
		t.Fatalf("%d intermediates imported, want 4", len(inters))
	}
	for i := range inters {
		for _, k := range []string{"certificate", "parent"} {
			p, _ := dig(doc, "ccadb", "intermediates", i, k).(string)
			b, err := os.ReadFile(filepath.Join(outDir, filepath.FromSlash(p)))
			if err != nil || !strings.Contains(string(b), "BEGIN CERTIFICATE") {
				t.Errorf("intermediate %d %s %q: %v", i, k, p, err)
			}
		}
	}
	noKeyMaterial(t, outDir)
	res = r.run("plan", "--sandbox", "-i", out, "--detailed-exitcode")
	if res.code != ExitOK || !strings.Contains(res.stdout, "No changes.") {
		t.Fatalf("plan exit %d:\n%s%s", res.code, res.stdout, res.stderr)
	}
}

// A --pem-dir that lacks the certificates' PEMs leaves the CCADB records
// out, listed; the rest still plans no change.
func TestImportCCADBWithoutPEMs(t *testing.T) {
	r, _ := demoed(t)
	out := filepath.Join(t.TempDir(), "imported.yaml")
	res := r.run("import", "--sandbox", "--ca-owner", "Example CA", "--pem-dir", t.TempDir(), "--out", out)
	if res.code != ExitOK || !strings.Contains(res.stderr, "4 record(s) left out") {
		t.Fatalf("import exit %d:\n%s", res.code, res.stderr)
	}
	text, _ := os.ReadFile(out)
	if !strings.Contains(string(text), "certsync Test TLS Sub CA (SHA-256 ") {
		t.Errorf("the left-out records are not listed:\n%s", text)
	}
	if res := r.run("plan", "--sandbox", "-i", out, "--detailed-exitcode"); res.code != ExitOK {
		t.Fatalf("plan exit %d:\n%s%s", res.code, res.stdout, res.stderr)
	}
}

// Imported on its own, the QUANTIL section cannot reproduce the demo's CDN
// certificate (no order is imported to match its serial): it is only
// described in a comment, and the inventory still plans no change.
func TestImportUnmatchedCDNCertificate(t *testing.T) {
	r, _ := demoed(t)
	out := filepath.Join(t.TempDir(), "imported.yaml")
	res := r.run("import", "--sandbox", "--vendor", "quantil", "--out", out)
	if res.code != ExitOK || !strings.Contains(res.stderr, "certificate www.example.com (") {
		t.Fatalf("import exit %d, want 0 and a note on www.example.com:\n%s", res.code, res.stderr)
	}
	doc := readYAML(t, out)
	if l, _ := dig(doc, "quantil", "certificates").([]any); len(l) != 0 {
		t.Errorf("quantil.certificates: %v, want none", l)
	}
	text, _ := os.ReadFile(out)
	for _, want := range []string{"# - name: www.example.com", "#   certificate: imported-files/quantil/www.example.com.crt", "# Used by www.example.com, example.com."} {
		if !strings.Contains(string(text), want) {
			t.Errorf("the inventory lacks the comment %q:\n%s", want, text)
		}
	}
	if res := r.run("plan", "--sandbox", "-i", out, "--detailed-exitcode"); res.code != ExitOK {
		t.Fatalf("plan exit %d:\n%s%s", res.code, res.stdout, res.stderr)
	}
}
