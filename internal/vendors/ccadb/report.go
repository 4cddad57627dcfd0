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

// reportRow is one record of the public report, by column name.
type reportRow map[string]string

// report indexes the public report's rows by upper-case SHA-256.
type report struct {
	rows map[string]reportRow
	// roots holds the SHA-256 of every root record, so a plan can warn when
	// an intermediate's parent has no record.
	roots map[string]bool
}

func (r *report) hasRoot(sha string) bool { return r.roots[sha] }

// errReportFormat means the report lacks the columns certsync needs.
var errReportFormat = errors.New("the CCADB report has no \"SHA-256 Fingerprint\" and \"Salesforce Record ID\" columns; is CERTSYNC_CCADB_REPORT_URL an AllCertificateRecordsCSVFormat report?")

// parseReport reads a V5 (or v2) AllCertificateRecords CSV report. Columns are
// found by name, not position, because the CCADB adds columns between
// versions.
func parseReport(r io.Reader) (*report, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read report header: %w", err)
	}
	for i := range header {
		header[i] = strings.TrimSpace(strings.TrimPrefix(header[i], "\ufeff"))
	}
	idx := map[string]int{}
	for i, h := range header {
		idx[h] = i
	}
	if _, ok := idx["SHA-256 Fingerprint"]; !ok {
		return nil, errReportFormat
	}
	if _, ok := idx["Salesforce Record ID"]; !ok {
		return nil, errReportFormat
	}
	rep := &report{rows: map[string]reportRow{}, roots: map[string]bool{}}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("report line %d: %w", line, err)
		}
		row := make(reportRow, len(header))
		for i, h := range header {
			if i < len(rec) {
				row[h] = rec[i]
			}
		}
		sha := strings.ToUpper(row["SHA-256 Fingerprint"])
		if t := row["Certificate Record Type"]; t != "" && t != "Intermediate Certificate" {
			if t == "Root Certificate" {
				rep.roots[sha] = true
			}
			continue
		}
		if _, dup := rep.rows[sha]; !dup { // the API, too, takes the first record found
			rep.rows[sha] = row
		}
	}
	return rep, nil
}

// value reads one field from a row. ok is false when the report has no
// column for the field.
func (row reportRow) value(f field) (v any, ok bool) {
	raw, ok := row[f.column]
	if f.column == "" || !ok {
		if f.v2Column == "" {
			return nil, false
		}
		if raw, ok = row[f.v2Column]; !ok {
			return nil, false
		}
		if f.kind == fullCRL { // v2 had the single URL itself
			return raw, true
		}
	}
	switch f.kind {
	case boolean:
		return strings.EqualFold(raw, "true"), true
	case date:
		return strings.ReplaceAll(raw, ".", "-"), true // v2/v4 write 2023.03.14
	case list:
		if strings.TrimSpace(raw) == "" {
			return []string{}, true
		}
		var l []string
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			return raw, true // shown as is; the diff will send the desired list
		}
		return l, true
	case fullCRL:
		if strings.TrimSpace(raw) == "" {
			return "", true
		}
		var l []string
		if err := json.Unmarshal([]byte(raw), &l); err != nil || len(l) == 0 {
			return raw, true
		}
		return l[0], true
	case revocationStatus:
		if raw == "Revoked" {
			return "Revoked", true
		}
		return "", true // Not Revoked, Parent Cert Revoked, blank
	}
	return raw, true
}
