package markmonitor

import (
	"fmt"
	"path/filepath"

	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/sim"
	"github.com/certsync/certsync/internal/vendors/markmonitor/mmsim"
)

// Sandbox starts the Markmonitor simulator with its state in dir, for
// --sandbox and `certsync sandbox`.
func Sandbox(dir string, _ *inventory.Inventory) (*sim.Sandbox, error) {
	const key, pass = "certsync-sandbox-api-key", "certsync-sandbox-password"
	s, err := mmsim.New(mmsim.Options{APIKey: key, Username: sim.SandboxUser, Password: pass, StatePath: filepath.Join(dir, "markmonitor-sim.json")})
	if err != nil {
		return nil, fmt.Errorf("start the Markmonitor simulator: %w", err)
	}
	return &sim.Sandbox{
		Handler: s, Prefixes: []string{"/certs/", "/cert/", "/auth/", "/v1/", "/api/v1/"}, Faults: s.Faults(),
		Configure: func(cfg any, base string) {
			c := cfg.(*Config)
			c.URL, c.AuthURL = base+"/certs/v1", base+"/auth/v1"
			c.APIKey, c.Username, c.Password = key, sim.SandboxUser, pass
		},
	}, nil
}
