package quantil

import (
	"fmt"
	"path/filepath"

	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/sim"
	"github.com/certsync/certsync/internal/vendors/quantil/quantilsim"
)

// Sandbox starts the QUANTIL simulator with its state in dir, for
// --sandbox and `certsync sandbox`.
func Sandbox(dir string, _ *inventory.Inventory) (*sim.Sandbox, error) {
	const key = "certsync-sandbox-quantil-key"
	s, err := quantilsim.New(quantilsim.Options{User: sim.SandboxUser, APIKey: key, StatePath: filepath.Join(dir, "quantil-sim.json")})
	if err != nil {
		return nil, fmt.Errorf("start the QUANTIL simulator: %w", err)
	}
	return &sim.Sandbox{
		Handler: s, Prefixes: []string{"/api/ssl/"}, Faults: s.Faults(),
		Configure: func(cfg any, base string) {
			c := cfg.(*Config)
			c.URL, c.User, c.APIKey = base, sim.SandboxUser, key
		},
	}, nil
}
