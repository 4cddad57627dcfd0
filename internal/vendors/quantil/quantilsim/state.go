package quantilsim

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/certsync/certsync/internal/sim"
)

// The StatePath store holds one record per certificate and the id counter,
// so that a change writes one record, not the whole file (sim.Store). It
// holds private keys, so its files are mode 0600.
const (
	nextIDKey   = "nextID"
	domainsKey  = "domains" // the CDN domains and the certificate each uses: one small record
	certKeyPref = "certificate/"
)

func certKey(id string) string { return certKeyPref + id }

// persistedState is the layout of StatePath files written before the store
// had one record per certificate: one JSON object. Such a file is read and
// rewritten in the current layout.
type persistedState struct {
	NextID       uint64
	Certificates []Certificate
	Domains      []Domain `json:",omitempty"`
}

// load opens Options.StatePath, when set, and reads it into s, checking what
// a hand-edited file could break: ids canonical and unique, names unique.
func (s *Server) load() error {
	if s.opt.StatePath == "" {
		return nil
	}
	store, err := sim.OpenStore(s.opt.StatePath)
	if err != nil {
		return err
	}
	var st persistedState
	older := store.Has("Certificates") || store.Has("NextID")
	if older {
		if err := store.DecodeAll(&st); err != nil {
			return err
		}
	} else {
		if _, err := store.Get(nextIDKey, &st.NextID); err != nil {
			return err
		}
		for _, k := range store.Keys(certKeyPref) {
			var c Certificate
			if _, err := store.Get(k, &c); err != nil {
				return err
			}
			if k != certKey(c.ID) {
				return fmt.Errorf("%s: record %s holds certificate id %q", s.opt.StatePath, k, c.ID)
			}
			st.Certificates = append(st.Certificates, c)
		}
		// Creation order: ids are handed out in increasing order.
		slices.SortFunc(st.Certificates, func(a, b Certificate) int {
			return cmp.Or(cmp.Compare(len(a.ID), len(b.ID)), cmp.Compare(a.ID, b.ID))
		})
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
	if !older {
		if _, err := store.Get(domainsKey, &s.domains); err != nil {
			return err
		}
	}
	if older {
		records := map[string]any{nextIDKey: next, domainsKey: s.domains}
		for i := range s.certs {
			records[certKey(s.certs[i].ID)] = &s.certs[i]
		}
		if err := store.Replace(records); err != nil {
			return err
		}
	}
	s.store = store
	return nil
}

// commitLocked makes certs and nextID the state, saving the one change first
// when Options.StatePath is set: put is the certificate added or modified, or
// when nil, removed is the id of the one deleted. On a failed save nothing
// changes, so the client's error answer is the truth. Callers hold s.mu, so
// that saves happen in the order of the changes they record.
func (s *Server) commitLocked(certs []Certificate, nextID uint64, put *Certificate, removed string) error {
	if s.store != nil {
		if nextID != s.nextID {
			if err := s.store.Put(nextIDKey, nextID); err != nil {
				return err
			}
		}
		var err error
		if put != nil {
			err = s.store.Put(certKey(put.ID), put)
		} else {
			err = s.store.Delete(certKey(removed))
		}
		if err != nil {
			return err
		}
	}
	s.certs, s.nextID = certs, nextID
	return nil
}

// commitDomainsLocked makes domains the state, saving first like
// commitLocked.
func (s *Server) commitDomainsLocked(domains []Domain) error {
	if s.store != nil {
		if err := s.store.Put(domainsKey, domains); err != nil {
			return err
		}
	}
	s.domains = domains
	return nil
}
