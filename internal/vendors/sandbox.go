package vendors

import (
	"fmt"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/pemutil"
	"github.com/certsync/certsync/internal/sim"
	"github.com/certsync/certsync/internal/vendors/ccadb"
	"github.com/certsync/certsync/internal/vendors/ccadb/ccadbsim"
	"github.com/certsync/certsync/internal/vendors/markmonitor/mmsim"
	"github.com/certsync/certsync/internal/vendors/quantil/quantilsim"
)

// Sim is one vendor's simulator as the sandbox runs it.
type Sim struct {
	Handler http.Handler
	// Prefixes are the URL paths it serves; the simulators' routes do not
	// overlap, so one listener serves them all.
	Prefixes []string
	Faults   *sim.Injector
	// Configure points the vendor's settings at base, the sandbox's URL.
	Configure func(c *Config, base string)
	// Secrets are the sandbox tokens, redacted like real ones.
	Secrets []string
}

// The sandbox's accounts. They are not secrets: they open only the local
// simulators.
const (
	sandboxUser    = "certsync-sandbox"
	sandboxCAOwner = "Example CA"
)

func ccadbSandbox(dir string, inv *inventory.Inventory) (*Sim, error) {
	const secret = "certsync-sandbox-secret"
	s, err := ccadbsim.New(ccadbsim.Options{ClientID: sandboxUser, ClientSecret: secret, CAOwner: sandboxCAOwner, StatePath: filepath.Join(dir, "ccadb-sim.json")})
	if err != nil {
		return nil, fmt.Errorf("start the CCADB simulator: %w", err)
	}
	// A real CA's roots are in the CCADB long before its intermediates:
	// register every self-signed parent the inventory names.
	if sec := ccadb.SectionOf(inv); sec != nil {
		for _, it := range sec.Intermediates {
			p := it.ParentCert
			if p == nil || p.CheckSignatureFrom(p) != nil {
				continue
			}
			if _, ok := s.RecordBySHA256(pemutil.SHA256(p.Raw)); ok {
				continue
			}
			if _, err := s.AddRoot(pemutil.Encode(p.Raw), sandboxCAOwner); err != nil {
				return nil, fmt.Errorf("sandbox: register root %q: %w", p.Subject.CommonName, err)
			}
		}
	}
	refresh := s.NewRefreshToken()
	return &Sim{
		Handler: s, Prefixes: []string{"/services/", "/ccadb/"}, Faults: s.Faults(), Secrets: []string{refresh},
		Configure: func(c *Config, base string) {
			c.CCADB.URL, c.CCADB.ClientID, c.CCADB.ClientSecret, c.CCADB.RefreshToken = base, sandboxUser, secret, refresh
			c.CCADB.ReportURL, c.CCADB.RequestInterval = base+ccadbsim.ReportPath, 0
		},
	}, nil
}

func markmonitorSandbox(dir string, _ *inventory.Inventory) (*Sim, error) {
	const key, pass = "certsync-sandbox-api-key", "certsync-sandbox-password"
	s, err := mmsim.New(mmsim.Options{APIKey: key, Username: sandboxUser, Password: pass, StatePath: filepath.Join(dir, "markmonitor-sim.json")})
	if err != nil {
		return nil, fmt.Errorf("start the Markmonitor simulator: %w", err)
	}
	return &Sim{
		Handler: s, Prefixes: []string{"/certs/", "/cert/", "/auth/", "/v1/", "/api/v1/"}, Faults: s.Faults(),
		Configure: func(c *Config, base string) {
			c.Markmonitor.URL, c.Markmonitor.AuthURL = base+"/certs/v1", base+"/auth/v1"
			c.Markmonitor.APIKey, c.Markmonitor.Username, c.Markmonitor.Password = key, sandboxUser, pass
		},
	}, nil
}

func quantilSandbox(dir string, _ *inventory.Inventory) (*Sim, error) {
	const key = "certsync-sandbox-quantil-key"
	s, err := quantilsim.New(quantilsim.Options{User: sandboxUser, APIKey: key, StatePath: filepath.Join(dir, "quantil-sim.json")})
	if err != nil {
		return nil, fmt.Errorf("start the QUANTIL simulator: %w", err)
	}
	return &Sim{
		Handler: s, Prefixes: []string{"/api/ssl/"}, Faults: s.Faults(),
		Configure: func(c *Config, base string) {
			c.Quantil.URL, c.Quantil.User, c.Quantil.APIKey = base, sandboxUser, key
		},
	}, nil
}

// Env lists c's vendor settings that are set, as CERTSYNC_NAME=VALUE, from
// the env tags (what `certsync sandbox` prints for other clients).
func Env(c Config) []string {
	var out []string
	v := reflect.ValueOf(c)
	for i := 0; i < v.NumField(); i++ {
		prefix := envPrefix(v.Type().Field(i).Tag.Get("env"))
		sec := v.Field(i)
		for j := 0; j < sec.NumField(); j++ {
			name, _, _ := strings.Cut(sec.Type().Field(j).Tag.Get("env"), ",")
			f := sec.Field(j)
			var val string
			switch x := f.Interface().(type) {
			case string:
				val = x
			case time.Duration:
				val = x.String()
			default:
				val = fmt.Sprint(x)
			}
			if name != "" && val != "" {
				out = append(out, "CERTSYNC_"+prefix+strings.TrimSpace(name)+"="+val)
			}
		}
	}
	return out
}

func envPrefix(tag string) string {
	for _, o := range strings.Split(tag, ",") {
		if p, ok := strings.CutPrefix(strings.TrimSpace(o), "prefix="); ok {
			return p
		}
	}
	return ""
}
