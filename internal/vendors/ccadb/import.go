package ccadb

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/certsync/certsync/internal/engine"
	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/pemutil"
	"go.yaml.in/yaml/v3"
)

// ErrNoCAOwner means an import was asked for without naming the CA owner
// whose records to read.
var ErrNoCAOwner = errors.New("name the CA owner whose intermediates to import (--ca-owner)")

// importMaxReport bounds the public report read by an import (the real one
// is about 9 MB).
const importMaxReport = 256 << 20

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Import writes the intermediates of o.CAOwner listed in the public report
// as the ccadb section: every field the report shows (empty ones left out),
// the certificate and its parent, matched by SHA-256, from o.PEMDir or,
// when o.PEMDir is "", from the CCADB's public PEM report (the records
// report carries no PEM), written as files under o.FilesDir. Fields the
// report never shows are left out, so they are not managed; a comment says
// so. A record whose certificate or parent PEM was not found is listed as a
// comment with its SHA-256.
func (v *Vendor) Import(ctx context.Context, o engine.ImportOptions) (*engine.ImportResult, error) {
	if strings.TrimSpace(o.CAOwner) == "" {
		return nil, ErrNoCAOwner
	}
	header, rows, err := v.importReport(ctx)
	if err != nil {
		return nil, err
	}
	pems, err := pemsBySHA(o.PEMDir)
	if err != nil {
		return nil, err
	}
	col := func(row []string, name string) string {
		for i, h := range header {
			if h == name && i < len(row) {
				return strings.TrimSpace(row[i])
			}
		}
		return ""
	}
	var mine [][]string
	for _, row := range rows {
		if t := col(row, "Certificate Record Type"); t != "" && t != "Intermediate Certificate" {
			continue
		}
		if strings.EqualFold(col(row, "CA Owner"), strings.TrimSpace(o.CAOwner)) {
			mine = append(mine, row)
		}
	}
	if o.PEMDir == "" && len(mine) > 0 {
		if err := v.importPEMs(ctx, header, rows, mine, pems); err != nil {
			return nil, err
		}
	}
	res := &engine.ImportResult{}
	sec := engine.NewYAMLMap()
	sec.Node.HeadComment = fmt.Sprintf("Imported from the CCADB's public report: the intermediates of CA owner %q.\n"+
		"Fields the report does not show are left out (not managed): technically_constrained,\n"+
		"revocation date, reason and alternate CRL, ca_information, description, public_comments\n"+
		"and the other write-only fields. Add one here to let certsync set it.\n"+
		"Fields the report shows empty are left out too; write one as \"\" to keep it empty.", o.CAOwner)
	var items []*yaml.Node
	written := map[string]string{} // SHA-256 -> file path
	names := map[string]bool{}
	file := func(sha, base string) (string, bool) {
		if p, ok := written[sha]; ok {
			return p, true
		}
		der, ok := pems[sha]
		if !ok {
			return "", false
		}
		p := path.Join(filepath.ToSlash(o.FilesDir), Name, unsafeName.ReplaceAllString(base, "_")+".pem")
		for n := 2; taken(written, p); n++ {
			p = path.Join(filepath.ToSlash(o.FilesDir), Name, fmt.Sprintf("%s-%d.pem", unsafeName.ReplaceAllString(base, "_"), n))
		}
		written[sha] = p
		res.Files = append(res.Files, engine.ImportFile{Path: p, Data: []byte(pemutil.Encode(der)), Mode: 0o644})
		return p, true
	}
	shapes := leafShapes()
	var missing []string
	for _, row := range mine {
		sha := strings.ToUpper(col(row, "SHA-256 Fingerprint"))
		parentSHA := strings.ToUpper(col(row, "Parent SHA-256 Fingerprint"))
		name := col(row, "Certificate Name")
		if name == "" {
			name = sha[:min(16, len(sha))]
		}
		certPath, ok := file(sha, name)
		if !ok {
			missing = append(missing, fmt.Sprintf("%s (SHA-256 %s): certificate PEM not found", name, sha))
			continue
		}
		parentPath, ok := file(parentSHA, col(row, "Parent Certificate Name"))
		if !ok {
			missing = append(missing, fmt.Sprintf("%s (SHA-256 %s): parent PEM (SHA-256 %s) not found", name, sha, parentSHA))
			continue
		}
		key := name
		for n := 2; names[key]; n++ {
			key = fmt.Sprintf("%s-%d", name, n)
		}
		names[key] = true
		it := engine.NewYAMLMap()
		it.Set("name", key)
		it.Set("certificate", certPath)
		it.Set("parent", parentPath)
		groups := map[string]engine.YAMLMap{}
		for _, f := range fields {
			if f.column == "" {
				continue
			}
			raw := col(row, f.column)
			val, note := importValue(f, raw, shapes[f.path])
			if val == nil {
				if note != "" {
					it.Node.Content[0].HeadComment = strings.TrimSpace(it.Node.Content[0].HeadComment + "\n" + note)
				}
				continue
			}
			parts := strings.Split(f.path, ".")
			m := it
			for i := range parts[:len(parts)-1] {
				g := strings.Join(parts[:i+1], ".")
				sub, ok := groups[g]
				if !ok {
					sub = engine.NewYAMLMap()
					groups[g] = sub
					m.Set(parts[i], sub)
				}
				m = sub
			}
			k := m.Set(parts[len(parts)-1], val)
			if note != "" {
				k.LineComment = note
			}
		}
		if id := col(row, "Salesforce Record ID"); id != "" {
			it.Node.Content[0].LineComment = "record " + id
		}
		items = append(items, it.Node)
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		where := "not in the CCADB's PEM report (" + v.client.pemReportURL + ")"
		if o.PEMDir != "" {
			where = "not in " + o.PEMDir
		}
		res.Notes = append(res.Notes, fmt.Sprintf("ccadb: %d record(s) left out, their PEMs %s (download them by SHA-256, e.g. from https://crt.sh/?q=SHA256, into a folder and give it as --pem-dir)", len(missing), where))
		sec.Node.FootComment = "Left out (certificate or parent PEM not found):\n" + strings.Join(missing, "\n")
	}
	if len(mine) == 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("ccadb: the report lists no intermediate of CA owner %q", o.CAOwner))
	}
	sec.Set("intermediates", engine.YAMLList(items...))
	res.Section = sec.Node
	return res, nil
}

func taken(written map[string]string, p string) bool {
	for _, q := range written {
		if q == p {
			return true
		}
	}
	return false
}

// leafShapes returns, per inventory path of a record, the Go type of its
// value (string, bool or []string), so that a report column is written in
// the shape the inventory reads.
func leafShapes() map[string]any {
	out := map[string]any{}
	for _, l := range inventory.Leaves(&Record{}) {
		out[l.Path] = l.Value
	}
	return out
}

// importValue turns one report cell into the inventory value, or nil to
// leave the field out (empty in the report, or not expressible without a
// field the report lacks); note explains what was left out.
func importValue(f field, raw string, shape any) (any, string) {
	raw = strings.TrimSpace(raw)
	switch f.kind {
	case boolean:
		if raw == "" {
			return nil, ""
		}
		return strings.EqualFold(raw, "true"), ""
	case date:
		if raw == "" {
			return nil, ""
		}
		return strings.ReplaceAll(raw, ".", "-"), ""
	case revocationStatus:
		if raw == "Revoked" {
			return nil, "revoked in the CCADB: revocation is left out (not managed), since status Revoked needs the date and reason the report does not show"
		}
		return nil, ""
	}
	var vals []string
	if strings.HasPrefix(raw, "[") {
		if json.Unmarshal([]byte(raw), &vals) != nil {
			vals = nil
		}
	}
	if _, wantList := shape.([]string); wantList || f.kind == list {
		if vals == nil && raw != "" && !strings.HasPrefix(raw, "[") {
			vals = []string{raw}
		}
		if len(vals) == 0 {
			return nil, ""
		}
		return vals, ""
	}
	if vals != nil {
		switch len(vals) {
		case 0:
			return nil, ""
		case 1:
			return vals[0], ""
		default:
			return vals[0], fmt.Sprintf("the report lists %d; certsync sets one", len(vals))
		}
	}
	if raw == "" {
		return nil, ""
	}
	return raw, ""
}

// importReport reads the whole public report (every CA owner's rows: a
// record's parent may belong to another owner), through the client's report
// fetch and its retries.
func (v *Vendor) importReport(ctx context.Context) ([]string, [][]string, error) {
	var header []string
	var rows [][]string
	err := v.client.getCSV(ctx, "report", v.client.reportURL, errReportFormat, func(body io.Reader) error {
		header, rows = nil, nil // a retried body starts afresh
		cr := csv.NewReader(io.LimitReader(body, importMaxReport))
		cr.FieldsPerRecord, cr.LazyQuotes = -1, true
		h, err := cr.Read()
		if err != nil {
			return fmt.Errorf("read the CCADB report header: %w", err)
		}
		for i := range h {
			h[i] = strings.TrimSpace(strings.TrimPrefix(h[i], "\ufeff"))
		}
		header = h
		for {
			rec, err := cr.Read()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("read the CCADB report: %w", err)
			}
			rows = append(rows, rec)
		}
	})
	return header, rows, err
}

// pemsBySHA reads every certificate in the PEM files of dir (not below),
// by upper-case SHA-256. "" is an empty folder.
func pemsBySHA(dir string) (map[string][]byte, error) {
	out := map[string][]byte{}
	if dir == "" {
		return out, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("--pem-dir: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := pemutil.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("--pem-dir: %w", err)
		}
		certs, err := pemutil.Certificates(data)
		if err != nil {
			continue // not a certificate file (a key, a README): not ours to read
		}
		for _, c := range certs {
			out[pemutil.SHA256(c.Raw)] = c.Raw
		}
	}
	return out, nil
}
