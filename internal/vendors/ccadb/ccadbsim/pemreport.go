package ccadbsim

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
)

// PEMReportHeader is the header line of the public
// AllCertificatePEMsCSVFormat report, verbatim (as in crt.sh's copies,
// https://github.com/crtsh/ccadb_data, cmd/ski_spki/data).
const PEMReportHeader = `"SHA-256 Fingerprint","X.509 Certificate (PEM)"`

// pemReport serves AllCertificatePEMsCSVFormat for one NotBeforeYear or
// NotBeforeDecade. It is public: no session needed. How the real page
// answers a request without either parameter is not documented; the
// simulator refuses it (400) rather than guess at a body.
func (s *Server) pemReport(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	from, to, ok := pemReportYears(r.URL.Query())
	if !ok {
		http.Error(w, "NotBeforeYear=YYYY or NotBeforeDecade=YYY0 is required", http.StatusBadRequest)
		return
	}
	body := s.PEMReportCSV(from, to)
	w.Header().Set("Content-Type", "text/csv; charset=UTF-8")
	w.Header().Set("Content-Disposition", `attachment; filename="AllCertificatePEMsCSVFormat.csv"`)
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(body)
	}
}

// pemReportYears reads the one year parameter: NotBeforeYear=YYYY covers
// that year, NotBeforeDecade=YYY0 its ten years.
func pemReportYears(q map[string][]string) (from, to int, ok bool) {
	year, decade := q["NotBeforeYear"], q["NotBeforeDecade"]
	switch {
	case len(year) == 1 && len(decade) == 0:
		y, err := strconv.Atoi(year[0])
		if err != nil || len(year[0]) != 4 {
			return 0, 0, false
		}
		return y, y, true
	case len(decade) == 1 && len(year) == 0:
		d, err := strconv.Atoi(decade[0])
		if err != nil || len(decade[0]) != 4 || d%10 != 0 {
			return 0, 0, false
		}
		return d, d + 9, true
	}
	return 0, 0, false
}

// PEMReportCSV returns the PEM report of the certificates whose notBefore
// (UTC) falls in the years from..to, as served: the header, then one row
// per certificate (a certificate with records under several CA Owners is
// listed once) in creation order, every cell quoted, the PEM wrapped at 64
// columns inside its quotes, lines ending in LF and no line break after the
// last row, as the published files are. Records created less than
// Options.ReportDelay ago are left out, as in the records report.
func (s *Server) PEMReportCSV(from, to int) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opt.Now()
	var b bytes.Buffer
	b.WriteString(PEMReportHeader)
	seen := map[string]bool{}
	for _, rec := range s.records {
		if s.opt.ReportDelay > 0 && now.Sub(rec.CreatedAt) < s.opt.ReportDelay {
			continue
		}
		y := rec.ValidFrom.UTC().Year()
		if rec.ValidFrom.IsZero() || y < from || y > to || seen[rec.SHA256] {
			continue
		}
		seen[rec.SHA256] = true
		b.WriteString("\n" + quoteCell(rec.SHA256) + "," + quoteCell(strings.TrimSpace(rec.PEM)))
	}
	return b.Bytes()
}

// quoteCell quotes one CSV cell always, as the CCADB's reports do.
func quoteCell(v string) string {
	return `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
}
