package ccadb

import (
	"strings"
	"time"
)

// Config is read from CERTSYNC_CCADB_* by go-envconfig.
type Config struct {
	// URL is the Salesforce instance (HOST_URL), scheme included.
	URL          string `env:"URL"`
	ClientID     string `env:"CLIENT_ID"`
	ClientSecret string `env:"CLIENT_SECRET" secret:"true"`
	RefreshToken string `env:"REFRESH_TOKEN" secret:"true"`
	ReportURL    string `env:"REPORT_URL, default=https://ccadb.my.salesforce-sites.com/ccadb/AllCertificateRecordsCSVFormatV5"`
	// PEMReportURL is the public report of certificate PEMs that `import`
	// reads when no --pem-dir is given. Without a query, certsync asks for
	// each year it needs (?NotBeforeYear=YYYY); a URL with a query of its
	// own (?NotBeforeDecade=2010, or the older single report) is read once.
	PEMReportURL string `env:"PEM_REPORT_URL, default=https://ccadb.my.salesforce-sites.com/ccadb/AllCertificatePEMsCSVFormat"`
	// RedirectURI is the connected app's callback for ccadb-login, listed
	// apart from the host in the CCADB's instructions; default URL + "/".
	RedirectURI string `env:"REDIRECT_URI"`
	// RequestInterval spaces API calls; the CCADB asks for 5 s or more.
	RequestInterval time.Duration `env:"REQUEST_INTERVAL, default=5s"`
}

// Missing names the settings a run needs and lacks.
func (c Config) Missing() []string {
	var out []string
	for _, x := range []struct{ name, v string }{
		{"CERTSYNC_CCADB_URL", c.URL},
		{"CERTSYNC_CCADB_CLIENT_ID", c.ClientID},
		{"CERTSYNC_CCADB_CLIENT_SECRET", c.ClientSecret},
		{"CERTSYNC_CCADB_REFRESH_TOKEN", c.RefreshToken},
		{"CERTSYNC_CCADB_REPORT_URL", c.ReportURL},
	} {
		if strings.TrimSpace(x.v) == "" {
			out = append(out, x.name)
		}
	}
	return out
}

// redirectURI is RedirectURI, or the host URL plus "/" when unset.
func (c Config) redirectURI() string {
	if u := strings.TrimSpace(c.RedirectURI); u != "" {
		return u
	}
	return strings.TrimRight(c.URL, "/") + "/"
}
