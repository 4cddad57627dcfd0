package quantil

import (
	"fmt"
	"path/filepath"

	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/sim"
	"github.com/certsync/certsync/internal/vendors/quantil/quantilsim"
)

// SandboxDomains are the CDN domains the sandbox's account has, serving no
// certificate at first, so that domains: in an inventory can be bound. Any
// other domain is refused as the API refuses a domain the account lacks.
var SandboxDomains = []string{"www.example.com", "example.com", "static.example.com", "api.example.com"}

// Sandbox starts the QUANTIL simulator with its state in dir, for
// --sandbox and `certsync sandbox`, with SandboxDomains on the account.
func Sandbox(dir string, _ *inventory.Inventory) (*sim.Sandbox, error) {
	const key = "certsync-sandbox-quantil-key"
	s, err := quantilsim.New(quantilsim.Options{User: sim.SandboxUser, APIKey: key, StatePath: filepath.Join(dir, "quantil-sim.json")})
	if err != nil {
		return nil, fmt.Errorf("start the QUANTIL simulator: %w", err)
	}
	if err := seedDomains(s); err != nil {
		return nil, err
	}
	return &sim.Sandbox{
		Handler: s, Prefixes: []string{"/api/ssl/", quantilsim.V2CertificatePath, quantilsim.V2CertificatePath + "/", quantilsim.BindPath}, Faults: s.Faults(),
		Configure: func(cfg any, base string) {
			c := cfg.(*Config)
			c.URL, c.User, c.APIKey = base, sim.SandboxUser, key
		},
	}, nil
}

// seedDomains adds the SandboxDomains the simulator's state lacks (a
// sandbox reopened on its state has them already, maybe bound).
func seedDomains(s *quantilsim.Server) error {
	have := map[string]bool{}
	for _, d := range s.Domains() {
		have[d.Name] = true
	}
	for _, d := range SandboxDomains {
		if have[d] {
			continue
		}
		if _, err := s.SeedDomain(d, ""); err != nil {
			return fmt.Errorf("seed the QUANTIL sandbox's domains: %w", err)
		}
	}
	return nil
}
