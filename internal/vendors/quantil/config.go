package quantil

import "strings"

// Config is read from CERTSYNC_QUANTIL_* by go-envconfig.
type Config struct {
	URL    string `env:"URL, default=https://api.quantil.com"`
	User   string `env:"USER"`
	APIKey string `env:"API_KEY" secret:"true"`
}

// Missing names the settings a run needs and lacks.
func (c Config) Missing() []string {
	var out []string
	for _, x := range []struct{ name, v string }{
		{"CERTSYNC_QUANTIL_URL", c.URL}, {"CERTSYNC_QUANTIL_USER", c.User}, {"CERTSYNC_QUANTIL_API_KEY", c.APIKey},
	} {
		if strings.TrimSpace(x.v) == "" {
			out = append(out, x.name)
		}
	}
	return out
}
