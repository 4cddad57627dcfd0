package quantil

import (
	"fmt"
	"slices"
	"strings"
)

// APIs are the values of CERTSYNC_QUANTIL_API: which generation of the
// certificate API writes. v1 is the legacy XML family (/api/ssl/certificate,
// DES-encrypted fields); v2 is the JSON API (/api/certificate, plain PEM)
// that QUANTIL's current SDKs and public clients use. Both read the list
// from /api/ssl/certificate, the only list either generation offers.
var APIs = []string{"v1", "v2"}

// Config is read from CERTSYNC_QUANTIL_* by go-envconfig.
type Config struct {
	URL    string `env:"URL, default=https://api.quantil.com"`
	User   string `env:"USER"`
	APIKey string `env:"API_KEY" secret:"true"`
	// API is "v1" (default) or "v2"; see APIs.
	API string `env:"API, default=v1"`
}

// ErrAPI means CERTSYNC_QUANTIL_API has a value other than those in APIs.
var ErrAPI = fmt.Errorf("CERTSYNC_QUANTIL_API must be one of %s", strings.Join(APIs, ", "))

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

// api returns the API generation, "v1" when unset; an unknown value is
// ErrAPI.
func (c Config) api() (string, error) {
	if c.API == "" {
		return "v1", nil
	}
	if !slices.Contains(APIs, c.API) {
		return "", fmt.Errorf("%w, not %q", ErrAPI, c.API)
	}
	return c.API, nil
}
