package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/certsync/certsync/internal/atomicfile"
	"github.com/certsync/certsync/internal/engine"
	"github.com/certsync/certsync/internal/lock"
	"github.com/certsync/certsync/internal/vendors"
)

// errKeyMaterial stops an import whose output would hold a private key
// (a vendor bug): nothing is written.
var errKeyMaterial = errors.New("the import would write private key material; nothing was written")

// importSelection says which vendors an import reads.
type importSelection struct {
	named   []string // --vendor, empty for all
	caOwner string
}

// wants reports whether the vendor takes part; explicit says it was named.
func (s importSelection) wants(name string) (want, explicit bool) {
	if len(s.named) == 0 {
		return true, false
	}
	return slices.Contains(s.named, name), true
}

// importCmd is `certsync import`: read every selected vendor's live state
// and write it as an inventory that plans no change against that state.
func (a *app) importCmd(ctx context.Context, args []string) (int, error) {
	fs := a.flagSet("import")
	sandbox := fs.Bool("sandbox", false, "read the built-in simulators")
	var named multi
	fs.Var(&named, "vendor", "import only this vendor (repeatable): ccadb, markmonitor or quantil")
	caOwner := fs.String("ca-owner", "", "CCADB: the CA owner whose intermediates to import (required for the CCADB)")
	pemDir := fs.String("pem-dir", "", "CCADB: a folder of certificate PEMs, matched by SHA-256 (default: read them from the CCADB's public PEM report)")
	out := fs.String("out", "", "write the inventory to this file (default: standard output)")
	filesDir := fs.String("files", "", "folder for the certificate files, relative to the inventory (default: NAME-files beside --out, or imported-files)")
	force := fs.Bool("force", false, "overwrite existing files")
	pos, err := a.parse(fs, args)
	if err != nil {
		return ExitError, err
	}
	if err := noArgs("import", pos); err != nil {
		return ExitError, err
	}
	sel := importSelection{named: named, caOwner: *caOwner}
	known := map[string]bool{}
	for _, e := range vendors.All() {
		known[e.Name] = true
	}
	for _, n := range named {
		if !known[n] {
			return ExitError, fmt.Errorf("--vendor %q: not a vendor (want one of ccadb, markmonitor, quantil)", n)
		}
	}
	base := "."
	if *out != "" {
		base = filepath.Dir(*out)
	}
	if *filesDir == "" {
		*filesDir = "imported-files"
		if *out != "" {
			*filesDir = strings.TrimSuffix(filepath.Base(*out), filepath.Ext(*out)) + "-files"
		}
	}
	if filepath.IsAbs(*filesDir) || strings.HasPrefix(filepath.Clean(*filesDir), "..") {
		return ExitError, fmt.Errorf("--files %q: give a folder below the inventory's", *filesDir)
	}

	doc, files, notes, err := a.importVendors(ctx, sel, *sandbox, engine.ImportOptions{CAOwner: *caOwner, PEMDir: *pemDir, FilesDir: filepath.ToSlash(*filesDir)})
	if err != nil {
		return ExitError, err
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return ExitError, fmt.Errorf("write the inventory: %w", err)
	}
	if err := enc.Close(); err != nil {
		return ExitError, fmt.Errorf("write the inventory: %w", err)
	}
	for _, f := range files {
		if bytes.Contains(f.Data, []byte("PRIVATE KEY")) {
			return ExitError, fmt.Errorf("%s: %w", f.Path, errKeyMaterial)
		}
	}
	if bytes.Contains(buf.Bytes(), []byte("PRIVATE KEY")) {
		return ExitError, errKeyMaterial
	}
	if err := a.checkImported(buf.Bytes(), files, *out); err != nil {
		return ExitError, err
	}
	// Refuse before writing anything, so that a refusal leaves no half set.
	targets := make([]string, 0, len(files)+1)
	for _, f := range files {
		targets = append(targets, filepath.Join(base, filepath.FromSlash(f.Path)))
	}
	if *out != "" {
		targets = append(targets, *out)
	}
	if !*force {
		var exist []string
		for _, t := range targets {
			if _, err := os.Lstat(t); err == nil {
				exist = append(exist, t)
			}
		}
		if len(exist) > 0 {
			return ExitError, fmt.Errorf("%d file(s) exist already and were not overwritten (use --force to replace them; nothing was written):\n  %s", len(exist), strings.Join(exist, "\n  "))
		}
	}
	write := atomicfile.WriteNew
	if *force {
		write = atomicfile.Write
	}
	for i, f := range files {
		if err := write(targets[i], f.Data, f.Mode); err != nil {
			return ExitError, fmt.Errorf("write %s: %w", targets[i], err)
		}
	}
	for _, n := range notes {
		fmt.Fprintln(a.stderr, "note:", n)
	}
	if *out == "" {
		_, err := a.io.Stdout.Write(buf.Bytes())
		return ExitOK, err
	}
	if err := write(*out, buf.Bytes(), 0o644); err != nil {
		return ExitError, fmt.Errorf("write %s: %w", *out, err)
	}
	fmt.Fprintf(a.stderr, "Wrote %s and %d file(s) under %s; check it with: certsync plan -i %s\n", *out, len(files), filepath.Join(base, *filesDir), *out)
	return ExitOK, nil
}

// importVendors asks every selected vendor for its section, in the vendor
// table's order, and assembles the document. A vendor that fails fails the
// import (nothing is written): a file that silently lacks a vendor would
// look complete.
func (a *app) importVendors(ctx context.Context, sel importSelection, sandbox bool, o engine.ImportOptions) (*yaml.Node, []engine.ImportFile, []string, error) {
	cfg := a.cfg.Vendors
	// The sandbox to read is the one plan and apply use for the default
	// inventory ($CERTSYNC_INVENTORY, else inventory.yaml): .certsync
	// beside it, unless CERTSYNC_STATE_DIR says otherwise.
	stateDir := vendors.StatePath(a.cfg.stateDir(""), sandbox)
	if sandbox {
		l, err := lock.Acquire(stateDir, "certsync import")
		if err != nil {
			return nil, nil, nil, err
		}
		defer l.Release()
		sb, err := startSandbox(ctx, sandboxOptions{stateDir: stateDir, log: a.log, latency: a.cfg.SandboxLatency})
		if err != nil {
			return nil, nil, nil, err
		}
		defer sb.Close()
		cfg = sb.config(cfg)
		a.redactor.Add(sb.secrets()...)
	}
	deps := vendors.Deps{HTTP: a.io.HTTP, Log: a.log, Redactor: a.redactor, StateDir: stateDir}
	root := &yaml.Node{Kind: yaml.MappingNode}
	root.HeadComment = "certsync inventory written by `certsync import` from the vendors' live state.\n" +
		"`certsync plan -i THIS_FILE` should show no change; what could not be read is left out,\n" +
		"and a comment says so. Paths are relative to this file."
	var files []engine.ImportFile
	var notes []string
	for _, e := range vendors.All() {
		want, explicit := sel.wants(e.Name)
		if !want {
			continue
		}
		if e.Name == "ccadb" && strings.TrimSpace(sel.caOwner) == "" {
			if explicit {
				return nil, nil, nil, fmt.Errorf("ccadb: --ca-owner is required")
			}
			notes = append(notes, "ccadb: skipped; give --ca-owner NAME to import a CA owner's intermediates")
			continue
		}
		v, err := e.New(cfg, deps)
		if err != nil {
			if explicit {
				return nil, nil, nil, fmt.Errorf("%s: %w", e.Name, err)
			}
			notes = append(notes, fmt.Sprintf("%s: skipped, not configured: %v", e.Name, err))
			continue
		}
		imp, ok := v.(engine.Importer)
		if !ok {
			if explicit {
				return nil, nil, nil, fmt.Errorf("%s: this vendor cannot import", e.Name)
			}
			notes = append(notes, e.Name+": skipped; this vendor cannot import")
			continue
		}
		res, err := imp.Import(ctx, o)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: import: %w (nothing was written; --vendor imports the others)", e.Name, err)
		}
		key := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: e.Name}
		key.HeadComment, res.Section.HeadComment = res.Section.HeadComment, ""
		root.Content = append(root.Content, key, res.Section)
		files = append(files, res.Files...)
		notes = append(notes, res.Notes...)
		// What this vendor's items publish, for the vendors after it (a
		// CDN certificate that an imported order issued deploys that order).
		for _, off := range res.Offers {
			if o.Offers == nil {
				o.Offers = map[string]engine.ImportOffer{}
			}
			o.Offers[engine.NormalSerial(off.Serial)] = off
		}
	}
	if len(root.Content) == 0 {
		return nil, nil, nil, errors.New("no vendor was imported (see the notes above)" + noteText(notes))
	}
	return &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}, files, notes, nil
}

func noteText(notes []string) string {
	if len(notes) == 0 {
		return ""
	}
	return ":\n  " + strings.Join(notes, "\n  ")
}

// checkImported loads the written inventory back, with its files, in a
// scratch folder: what is written must be an inventory certsync accepts.
func (a *app) checkImported(doc []byte, files []engine.ImportFile, out string) error {
	dir, err := os.MkdirTemp("", "certsync-import-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for _, f := range files {
		if err := atomicfile.Write(filepath.Join(dir, filepath.FromSlash(f.Path)), f.Data, 0o600); err != nil {
			return err
		}
	}
	name := "imported.yaml"
	if out != "" {
		name = filepath.Base(out)
	}
	p := filepath.Join(dir, name)
	if err := atomicfile.Write(p, doc, 0o600); err != nil {
		return err
	}
	if _, err := a.loadInventory(p); err != nil {
		if errors.Is(err, errReported) {
			fmt.Fprintln(a.stderr, "error: the imported inventory does not load (a certsync bug); nothing was written")
			return err
		}
		return fmt.Errorf("the imported inventory does not load (a certsync bug; nothing was written): %w", err)
	}
	return nil
}
