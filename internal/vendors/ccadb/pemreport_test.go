package ccadb

import (
	"errors"
	"strings"
	"testing"

	"github.com/certsync/certsync/internal/testpki"
)

func TestPEMReportURLs(t *testing.T) {
	const base = "https://ccadb.my.salesforce-sites.com/ccadb/AllCertificatePEMsCSVFormat"
	tests := []struct {
		name, base string
		years      map[int]bool
		want       []string
		err        bool
	}{
		{"one per year, in order", base, map[int]bool{2025: true, 2019: true}, []string{base + "?NotBeforeYear=2019", base + "?NotBeforeYear=2025"}, false},
		{"no year known", base, nil, []string{}, false},
		{"a query of its own is read once", base + "?NotBeforeDecade=2010", map[int]bool{2025: true}, []string{base + "?NotBeforeDecade=2010"}, false},
		{"the older single report", "https://ccadb.my.salesforce-sites.com/mozilla/PublicAllInterCertsIncTechConsWithPEMCSV?x=1", nil, []string{"https://ccadb.my.salesforce-sites.com/mozilla/PublicAllInterCertsIncTechConsWithPEMCSV?x=1"}, false},
		{"not absolute", "/ccadb/AllCertificatePEMsCSVFormat", nil, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := pemReportURLs(tc.base, tc.years)
			if (err != nil) != tc.err {
				t.Fatalf("error %v, want error %v", err, tc.err)
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParsePEMReport(t *testing.T) {
	root := testpki.Root(testpki.Options{CommonName: "R"})
	a := testpki.Issue(root, testpki.Options{CommonName: "A"})
	b := testpki.Issue(root, testpki.Options{CommonName: "B"})
	quoted := func(c *testpki.Cert) string { return `"` + strings.TrimSpace(c.PEM()) + `"` }
	current := `"SHA-256 Fingerprint","X.509 Certificate (PEM)"` + "\r\n" +
		`"` + a.SHA256() + `",` + quoted(a) + "\r\n" +
		`"` + b.SHA256() + `",` + quoted(b)
	legacy := `"CA Owner","SHA-256 Fingerprint","Valid From [GMT]","PEM Info"` + "\n" +
		`"X","` + strings.ToLower(a.SHA256()) + `","2025 Jan 01","'` + strings.TrimSpace(a.PEM()) + `'"` + "\n"
	tests := []struct {
		name, body string
		want       map[string]bool
		got        []string
		err        error
	}{
		{"keeps only the wanted rows", current, map[string]bool{a.SHA256(): true}, []string{a.SHA256()}, nil},
		{"both", current, map[string]bool{a.SHA256(): true, b.SHA256(): true, root.SHA256(): true}, []string{a.SHA256(), b.SHA256()}, nil},
		{"the older report: PEM Info in single quotes", legacy, map[string]bool{a.SHA256(): true}, []string{a.SHA256()}, nil},
		{"a SHA-256 that is not its certificate's", `"SHA-256 Fingerprint","X.509 Certificate (PEM)"` + "\n" + `"` + a.SHA256() + `",` + quoted(b), map[string]bool{a.SHA256(): true}, nil, nil},
		{"not a PEM report", "CA Owner,SHA-256 Fingerprint\nX," + a.SHA256() + "\n", map[string]bool{a.SHA256(): true}, nil, errPEMReportFormat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			into := map[string][]byte{}
			err := parsePEMReport(strings.NewReader(tc.body), tc.want, into)
			if !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if len(into) != len(tc.got) {
				t.Errorf("kept %d, want %d", len(into), len(tc.got))
			}
			for _, sha := range tc.got {
				if into[sha] == nil {
					t.Errorf("%s not kept", sha)
				}
			}
		})
	}
}

func TestReportYear(t *testing.T) {
	for cell, want := range map[string]int{"2025-06-18": 2025, "2023.03.14": 2023, "": 0, "n/a": 0, "0000-01-01": 0} {
		if got := reportYear(cell); got != want {
			t.Errorf("reportYear(%q) = %d, want %d", cell, got, want)
		}
	}
}
