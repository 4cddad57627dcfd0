package ccadbsim

import (
	"encoding/csv"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/certsync/certsync/internal/pemutil"
	"github.com/certsync/certsync/internal/testpki"
)

// getPEMReport fetches the PEM report with query, without credentials.
func (f *fixture) getPEMReport(method, query string) (int, string) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.ts.URL+PEMReportPath+query, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestPEMReport(t *testing.T) {
	f := newFixture(t)
	c := testpki.Issue(f.root, testpki.Options{CommonName: "Reported CA"})
	f.add(c, f.root, nil)
	old := testpki.Issue(f.root, testpki.Options{CommonName: "Old CA", NotBefore: time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC)})
	f.add(old, f.root, nil)

	tests := []struct {
		query string
		want  []*testpki.Cert
	}{
		{"?NotBeforeYear=2025", []*testpki.Cert{f.root, c}},
		{"?NotBeforeYear=2019", []*testpki.Cert{old}},
		{"?NotBeforeYear=2024", nil},
		{"?NotBeforeDecade=2020", []*testpki.Cert{f.root, c}},
		{"?NotBeforeDecade=2010", []*testpki.Cert{old}},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			status, raw := f.getPEMReport(http.MethodGet, tc.query)
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, raw)
			}
			if header, _, _ := strings.Cut(raw, "\n"); header != `"SHA-256 Fingerprint","X.509 Certificate (PEM)"` {
				t.Errorf("header %q", header)
			}
			if strings.HasSuffix(raw, "\n") {
				t.Error("a line break after the last row; the published files have none")
			}
			recs, err := csv.NewReader(strings.NewReader(raw)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(recs)-1 != len(tc.want) {
				t.Fatalf("%d rows, want %d:\n%s", len(recs)-1, len(tc.want), raw)
			}
			for i, w := range tc.want {
				row := recs[i+1]
				if row[0] != w.SHA256() {
					t.Errorf("row %d SHA-256 %s, want %s", i+1, row[0], w.SHA256())
				}
				if !strings.Contains(raw, `"`+w.SHA256()+`","-----BEGIN CERTIFICATE-----`+"\n") {
					t.Errorf("row %d: cells not quoted or PEM not wrapped as the CCADB serves them", i+1)
				}
				cert, err := pemutil.Certificate([]byte(row[1]))
				if err != nil || pemutil.SHA256(cert.Raw) != w.SHA256() {
					t.Errorf("row %d PEM is not the certificate: %v", i+1, err)
				}
			}
		})
	}
}

func TestPEMReportListsACertificateOnce(t *testing.T) {
	f := newFixture(t)
	if _, err := f.s.AddRoot(f.root.PEM(), "Other CA"); err != nil {
		t.Fatal(err)
	}
	_, raw := f.getPEMReport(http.MethodGet, "?NotBeforeYear=2025")
	if n := strings.Count(raw, f.root.SHA256()); n != 1 {
		t.Errorf("root listed %d times, want once:\n%s", n, raw)
	}
}

func TestPEMReportRefusals(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		method, query string
		status        int
	}{
		{http.MethodGet, "", http.StatusBadRequest},
		{http.MethodGet, "?NotBeforeYear=25", http.StatusBadRequest},
		{http.MethodGet, "?NotBeforeYear=abcd", http.StatusBadRequest},
		{http.MethodGet, "?NotBeforeDecade=2015", http.StatusBadRequest},
		{http.MethodGet, "?NotBeforeYear=2025&NotBeforeDecade=2020", http.StatusBadRequest},
		{http.MethodGet, "?NotBeforeYear=2025&NotBeforeYear=2024", http.StatusBadRequest},
		{http.MethodPost, "?NotBeforeYear=2025", http.StatusMethodNotAllowed},
	}
	for _, tc := range tests {
		t.Run(tc.method+tc.query, func(t *testing.T) {
			if status, body := f.getPEMReport(tc.method, tc.query); status != tc.status {
				t.Errorf("status %d, want %d: %s", status, tc.status, body)
			}
		})
	}
}
