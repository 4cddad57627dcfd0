package markmonitor

import "strings"

// Config is read from CERTSYNC_MARKMONITOR_* by go-envconfig.
type Config struct {
	// URL is the SSL Certs API base, e.g. https://api.markmonitor.com/certs/v1.
	URL string `env:"URL, default=https://api.markmonitor.com/certs/v1"`
	// AuthURL is the authentication service base, e.g. https://api.markmonitor.com/auth/v1.
	AuthURL  string `env:"AUTH_URL, default=https://api.markmonitor.com/auth/v1"`
	APIKey   string `env:"API_KEY" secret:"true"`
	Username string `env:"USERNAME"`
	Password string `env:"PASSWORD" secret:"true"`
	// Currency is the ISO 4217 code of the account's price list, which the
	// API does not state; plans print prices with it. Optional.
	Currency string `env:"CURRENCY"`
}

// Missing names the settings a run needs and lacks.
func (c Config) Missing() []string {
	var out []string
	for _, x := range []struct{ name, v string }{
		{"CERTSYNC_MARKMONITOR_URL", c.URL},
		{"CERTSYNC_MARKMONITOR_AUTH_URL", c.AuthURL},
		{"CERTSYNC_MARKMONITOR_API_KEY", c.APIKey},
		{"CERTSYNC_MARKMONITOR_USERNAME", c.Username},
		{"CERTSYNC_MARKMONITOR_PASSWORD", c.Password},
	} {
		if strings.TrimSpace(x.v) == "" {
			out = append(out, x.name)
		}
	}
	return out
}
