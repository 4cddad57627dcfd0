package ccadb

import (
	"fmt"
	"path/filepath"

	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/pemutil"
	"github.com/certsync/certsync/internal/sim"
	"github.com/certsync/certsync/internal/vendors/ccadb/ccadbsim"
)

// SandboxCAOwner is the CA Owner the sandbox's CCADB simulator knows.
const SandboxCAOwner = "Example CA"

// Sandbox starts the CCADB simulator with its state in dir, for --sandbox
// and `certsync sandbox`. A real CA's roots are in the CCADB long before its
// intermediates: every self-signed parent inv names is registered.
func Sandbox(dir string, inv *inventory.Inventory) (*sim.Sandbox, error) {
	const secret = "certsync-sandbox-secret"
	s, err := ccadbsim.New(ccadbsim.Options{ClientID: sim.SandboxUser, ClientSecret: secret, CAOwner: SandboxCAOwner, StatePath: filepath.Join(dir, "ccadb-sim.json")})
	if err != nil {
		return nil, fmt.Errorf("start the CCADB simulator: %w", err)
	}
	if sec := SectionOf(inv); sec != nil {
		for _, it := range sec.Intermediates {
			p := it.ParentCert
			if p == nil || p.CheckSignatureFrom(p) != nil {
				continue
			}
			if _, ok := s.RecordBySHA256(pemutil.SHA256(p.Raw)); ok {
				continue
			}
			if _, err := s.AddRoot(pemutil.Encode(p.Raw), SandboxCAOwner); err != nil {
				return nil, fmt.Errorf("sandbox: register root %q: %w", p.Subject.CommonName, err)
			}
		}
	}
	refresh := s.NewRefreshToken()
	return &sim.Sandbox{
		Handler: s, Prefixes: []string{"/services/", "/ccadb/"}, Faults: s.Faults(), Secrets: []string{refresh},
		Configure: func(cfg any, base string) {
			c := cfg.(*Config)
			c.URL, c.ClientID, c.ClientSecret, c.RefreshToken = base, sim.SandboxUser, secret, refresh
			c.ReportURL, c.PEMReportURL, c.RequestInterval = base+ccadbsim.ReportPath, base+ccadbsim.PEMReportPath, 0
		},
	}, nil
}
