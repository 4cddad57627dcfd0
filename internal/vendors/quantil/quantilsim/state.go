package quantilsim

import (
	"fmt"

	"github.com/certsync/certsync/internal/sim"
)

// persistedState is the StatePath file. It holds private keys, so sim.SaveJSON
// writes it with mode 0600.
type persistedState struct {
	NextID       uint64
	Certificates []Certificate
	Domains      []Domain `json:",omitempty"`
}

// load reads Options.StatePath, when set and present, into s, checking what a
// hand-edited file could break: ids canonical and unique, names unique.
func (s *Server) load() error {
	if s.opt.StatePath == "" {
		return nil
	}
	var st persistedState
	if err := sim.LoadJSON(s.opt.StatePath, &st); err != nil {
		return err
	}
	ids, names := map[string]bool{}, map[string]bool{}
	next := max(s.nextID, st.NextID)
	for _, c := range st.Certificates {
		n, ok := parseID(c.ID)
		switch {
		case !ok:
			return fmt.Errorf("%s: certificate id %q is not a decimal number", s.opt.StatePath, c.ID)
		case ids[c.ID]:
			return fmt.Errorf("%s: certificate id %s appears twice", s.opt.StatePath, c.ID)
		case names[c.Name]:
			return fmt.Errorf("%s: certificate name %q appears twice", s.opt.StatePath, c.Name)
		}
		ids[c.ID], names[c.Name] = true, true
		next = max(next, n+1)
		s.certs = append(s.certs, c.clone())
	}
	s.nextID = next
	s.domains = st.Domains
	return nil
}

// commitLocked makes certs and nextID the state, saving them first when
// Options.StatePath is set: on a failed save nothing changes, so the client's
// error answer is the truth. Callers hold s.mu, so that saves happen in the
// order of the changes they record.
func (s *Server) commitLocked(certs []Certificate, nextID uint64) error {
	if s.opt.StatePath != "" {
		if err := sim.SaveJSON(s.opt.StatePath, persistedState{NextID: nextID, Certificates: certs, Domains: s.domains}); err != nil {
			return err
		}
	}
	s.certs, s.nextID = certs, nextID
	return nil
}

// commitDomainsLocked makes domains the state, saving first like
// commitLocked.
func (s *Server) commitDomainsLocked(domains []Domain) error {
	if s.opt.StatePath != "" {
		if err := sim.SaveJSON(s.opt.StatePath, persistedState{NextID: s.nextID, Certificates: s.certs, Domains: domains}); err != nil {
			return err
		}
	}
	s.domains = domains
	return nil
}
