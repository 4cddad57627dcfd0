package ccadb

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// DefaultReportURL is the CCADB's public AllCertificateRecordsCSVFormatV5
// report, the source of live field values.
const DefaultReportURL = "https://ccadb.my.salesforce-sites.com/ccadb/AllCertificateRecordsCSVFormatV5"

// reportRow is one record of the public report: the values of the columns
// certsync reads, in an order shared by every row of a report. Only the
// rows of the inventory's certificates (and their parents) are kept.
type reportRow struct {
	cols map[string]int // shared: column name -> index in vals
	vals []string
}

// get returns the value of column name and whether the report has it.
func (row *reportRow) get(name string) (string, bool) {
	if row == nil {
		return "", false
	}
	i, ok := row.cols[name]
	if !ok {
		return "", false
	}
	return row.vals[i], true
}

// col returns the value of column name, "" when absent.
func (row *reportRow) col(name string) string {
	v, _ := row.get(name)
	return v
}

// report holds the rows of the public report that concern the inventory,
// by upper-case SHA-256. A certificate may have a row per CA Owner.
type report struct {
	rows map[string][]*reportRow
	// roots holds the SHA-256 of the wanted root records, so a plan can warn
	// when an intermediate's parent has no record.
	roots map[string]bool
}

func (r *report) hasRoot(sha string) bool { return r.roots[sha] }

// listed reports whether the report has an intermediate row for sha.
func (r *report) listed(sha string) bool { return len(r.rows[sha]) > 0 }

// row returns the row of sha whose CA Owner is owner, else the one whose CA
// Owner is subOwner (a record kept under the subordinate CA's owner). A row
// under another CA Owner is someone else's record: not ours.
func (r *report) row(sha, owner, subOwner string) (*reportRow, bool) {
	for _, want := range []string{owner, subOwner} {
		if want == "" {
			continue
		}
		for _, row := range r.rows[sha] {
			if strings.EqualFold(strings.TrimSpace(row.col(colCAOwner)), strings.TrimSpace(want)) {
				return row, true
			}
		}
	}
	return nil, false
}

// errReportFormat means the report lacks the columns certsync needs.
var errReportFormat = errors.New("the CCADB report has no \"SHA-256 Fingerprint\" and \"Salesforce Record ID\" columns; is CERTSYNC_CCADB_REPORT_URL an AllCertificateRecordsCSVFormat report?")

// parseReport streams a V5 AllCertificateRecords CSV report and keeps only
// the rows whose SHA-256 is in want (upper-case hex): the real report lists
// every CA (about 9 MB), and a plan needs its own records only. Columns are
// found by name, not position, because the CCADB adds columns between
// versions.
func parseReport(r io.Reader, want map[string]bool) (*report, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true // rows not wanted cost no allocation beyond the reader's buffer
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read report header: %w", err)
	}
	header = append([]string(nil), header...) // ReuseRecord: the next Read overwrites it
	idx := map[string]int{}
	for i := range header {
		header[i] = strings.TrimSpace(strings.TrimPrefix(header[i], "\ufeff"))
		idx[header[i]] = i
	}
	shaCol, ok := idx[colSHA256]
	if !ok {
		return nil, errReportFormat
	}
	if _, ok := idx[colCCADBID]; !ok {
		return nil, errReportFormat
	}
	typeCol, hasType := idx[colType]
	// Only the columns certsync reads are copied from a wanted row.
	var keep []int
	cols := map[string]int{}
	for _, name := range append(reportColumns(), colCCADBID, colValidTo) {
		if i, ok := idx[name]; ok {
			if _, dup := cols[name]; !dup {
				cols[name] = len(keep)
				keep = append(keep, i)
			}
		}
	}
	rep := &report{rows: map[string][]*reportRow{}, roots: map[string]bool{}}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("report line %d: %w", line, err)
		}
		if shaCol >= len(rec) {
			continue
		}
		sha := strings.ToUpper(strings.TrimSpace(rec[shaCol]))
		if !want[sha] {
			continue
		}
		if hasType && typeCol < len(rec) {
			if t := rec[typeCol]; t != "" && t != "Intermediate Certificate" {
				if t == "Root Certificate" {
					rep.roots[sha] = true
				}
				continue
			}
		}
		row := &reportRow{cols: cols, vals: make([]string, len(keep))}
		for j, i := range keep {
			if i < len(rec) {
				row.vals[j] = strings.Clone(rec[i])
			}
		}
		rep.rows[sha] = append(rep.rows[sha], row)
	}
	return rep, nil
}

// reportColumns are the V5 columns of the field catalogue.
func reportColumns() []string {
	var out []string
	for _, f := range fields {
		if f.column != "" {
			out = append(out, f.column)
		}
	}
	return out
}

// value reads one field from a row. ok is false when the report has no
// column for the field.
func (row *reportRow) value(f field) (v any, ok bool) {
	if f.column == "" {
		return nil, false
	}
	raw, ok := row.get(f.column)
	if !ok {
		return nil, false
	}
	switch f.kind {
	case boolean:
		return strings.EqualFold(raw, "true"), true
	case date:
		return strings.ReplaceAll(raw, ".", "-"), true // older reports write 2023.03.14
	case list:
		if strings.TrimSpace(raw) == "" {
			return []string{}, true
		}
		var l []string
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			return raw, true // shown as is; the diff will send the desired list
		}
		return l, true
	case revocationStatus:
		if raw == "Revoked" {
			return "Revoked", true
		}
		return "", true // Not Revoked, Parent Cert Revoked, blank
	}
	return raw, true
}
