package ccadb

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/certsync/certsync/internal/httpx"
	"github.com/certsync/certsync/internal/pemutil"
)

// Columns of the CCADB's public PEM reports. AllCertificatePEMsCSVFormat
// (one file per NotBeforeYear or NotBeforeDecade) has exactly
// "SHA-256 Fingerprint","X.509 Certificate (PEM)", every cell quoted and the
// PEM wrapped over several lines inside its quotes (see the copies crt.sh
// keeps at https://github.com/crtsh/ccadb_data under cmd/ski_spki/data).
// The older mozilla/PublicAllInterCertsIncTechConsWithPEMCSV report has
// "SHA-256 Fingerprint" among many columns and the PEM in "PEM Info",
// wrapped in single quotes inside the CSV quotes (Mozilla's
// https://github.com/mozilla/CCADB-Tools certdataDiffCCADB/ccadb/ccadb.go).
const (
	pemReportSHAColumn       = "SHA-256 Fingerprint"
	pemReportPEMColumn       = "X.509 Certificate (PEM)"
	pemReportLegacyPEMColumn = "PEM Info"
)

// errPEMReportFormat means the PEM report lacks the columns certsync reads.
var errPEMReportFormat = errors.New(`the CCADB PEM report has no "SHA-256 Fingerprint" and "X.509 Certificate (PEM)" (or "PEM Info") columns; is CERTSYNC_CCADB_PEM_REPORT_URL an AllCertificatePEMsCSVFormat report?`)

// pemReportURLs returns the PEM report URLs to read for certificates first
// valid in years: base as it is when it carries a query of its own (a
// NotBeforeDecade, or the older single report), else base with
// NotBeforeYear=YYYY once per year, in order.
func pemReportURLs(base string, years map[int]bool) ([]string, error) {
	u, err := url.Parse(strings.TrimSpace(base))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("CERTSYNC_CCADB_PEM_REPORT_URL %q: not an absolute URL", base)
	}
	if u.RawQuery != "" {
		return []string{base}, nil
	}
	ys := make([]int, 0, len(years))
	for y := range years {
		ys = append(ys, y)
	}
	sort.Ints(ys)
	out := make([]string, 0, len(ys))
	for _, y := range ys {
		q := url.Values{"NotBeforeYear": {strconv.Itoa(y)}}
		v := *u
		v.RawQuery = q.Encode()
		out = append(out, v.String())
	}
	return out, nil
}

// reportYear returns the year of a report date cell ("2025-06-18" or
// "2025.06.18"), or 0.
func reportYear(cell string) int {
	cell = strings.TrimSpace(cell)
	if len(cell) < 4 {
		return 0
	}
	y, err := strconv.Atoi(cell[:4])
	if err != nil || y < 1900 {
		return 0
	}
	return y
}

// parsePEMReport reads a PEM report as it arrives and adds to into the DER
// of every certificate whose SHA-256 is in want. A row whose PEM does not
// parse, or whose SHA-256 column does not match its certificate, is
// skipped: it is not the certificate the column names. Rows of other
// certificates are dropped unread.
func parsePEMReport(r io.Reader, want map[string]bool, into map[string][]byte) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord, cr.LazyQuotes, cr.ReuseRecord = -1, true, true
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("read the CCADB PEM report header: %w", err)
	}
	shaCol, pemCol := -1, -1
	for i, h := range header {
		switch strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) {
		case pemReportSHAColumn:
			shaCol = i
		case pemReportPEMColumn, pemReportLegacyPEMColumn:
			pemCol = i
		}
	}
	if shaCol < 0 || pemCol < 0 {
		return errPEMReportFormat
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read the CCADB PEM report: %w", err)
		}
		if shaCol >= len(rec) || pemCol >= len(rec) {
			continue
		}
		sha := strings.ToUpper(strings.TrimSpace(rec[shaCol]))
		if !want[sha] || into[sha] != nil {
			continue
		}
		cert, err := pemutil.Certificate([]byte(strings.Trim(strings.TrimSpace(rec[pemCol]), "'")))
		if err != nil || pemutil.SHA256(cert.Raw) != sha {
			continue
		}
		into[sha] = cert.Raw
	}
}

// PEMReport reads one public PEM report at u and adds the certificates in
// want to into, as parsePEMReport does: one GET under the read policy, not
// paced (it is not the API), no credentials sent, the body parsed as it
// arrives.
func (c *Client) PEMReport(ctx context.Context, u string, want map[string]bool, into map[string][]byte) error {
	var got map[string][]byte
	err := c.getCSV(ctx, "PEM report "+u, u, errPEMReportFormat, func(body io.Reader) error {
		got = map[string][]byte{} // a retried body starts afresh
		return parsePEMReport(io.LimitReader(body, importMaxReport), want, got)
	})
	if err != nil {
		return err
	}
	for k, v := range got {
		into[k] = v
	}
	return nil
}

// importPEMs adds to pems the certificates of the records in mine and of
// their parents, read from the public PEM report: only the years in which
// those certificates became valid (from the records report's "Valid From
// (GMT)"), and only the rows whose SHA-256 is one of them.
func (v *Vendor) importPEMs(ctx context.Context, header []string, rows, mine [][]string, pems map[string][]byte) error {
	idx := map[string]int{}
	for i, h := range header {
		if _, dup := idx[h]; !dup {
			idx[h] = i
		}
	}
	cell := func(row []string, name string) string {
		if i, ok := idx[name]; ok && i < len(row) {
			return strings.TrimSpace(row[i])
		}
		return ""
	}
	want := map[string]bool{}
	for _, row := range mine {
		for _, c := range []string{"SHA-256 Fingerprint", "Parent SHA-256 Fingerprint"} {
			if sha := strings.ToUpper(cell(row, c)); sha != "" {
				want[sha] = true
			}
		}
	}
	years := map[int]bool{}
	for _, row := range rows {
		if want[strings.ToUpper(cell(row, "SHA-256 Fingerprint"))] {
			if y := reportYear(cell(row, "Valid From (GMT)")); y != 0 {
				years[y] = true
			}
		}
	}
	urls, err := pemReportURLs(v.client.pemReportURL, years)
	if err != nil {
		return err
	}
	for _, u := range urls {
		if err := v.client.PEMReport(ctx, u, want, pems); err != nil {
			return err
		}
	}
	return nil
}

// checkOptionalURL is httpx.CheckURL for a setting only import reads: an
// empty one is left for import to report.
func checkOptionalURL(setting, raw string) error {
	if strings.TrimSpace(raw) == "" {
		return nil
	}
	return httpx.CheckURL(setting, raw)
}
