package mmsim

import (
	"crypto/rand"
	"fmt"
	"strings"

	"github.com/certsync/certsync/internal/sim"
)

// stateVersion is the StatePath format version; a file with another version
// is refused rather than misread.
const stateVersion = 1

// persisted is everything the simulator keeps: the StatePath file. The rate
// limiter's windows are not kept: they are per process, like a fresh API
// gateway node.
type persisted struct {
	Version int `json:"version"`
	// JWTSecret signs tokens; TokenEpoch is bumped by ExpireTokens.
	JWTSecret  []byte  `json:"jwtSecret"`
	TokenEpoch int64   `json:"tokenEpoch"`
	CA         caState `json:"ca"`
	// Next DigiCert ids for organizations, orders and certificates.
	NextOrgProviderID   int64 `json:"nextOrgProviderId"`
	NextOrderProviderID int64 `json:"nextOrderProviderId"`
	NextCertProviderID  int64 `json:"nextCertProviderId"`
	// Records, in creation order.
	Organizations []*orgRec   `json:"organizations"`
	Contacts      []*Contact  `json:"contacts"`
	Orders        []*orderRec `json:"orders"`
}

// First DigiCert ids. The seed's examples show organization 4068 and order
// 1858474; these ranges merely look alike.
const (
	firstOrgProviderID   = 4068
	firstOrderProviderID = 1858474
	firstCertProviderID  = 3700000
)

// load reads Options.StatePath when set and present, and makes what a new
// simulator lacks (CA, JWT secret), saving it at once so the CA is stable
// from the first run on.
func (s *Server) load() error {
	if s.opt.StatePath != "" {
		if err := sim.LoadJSON(s.opt.StatePath, &s.st); err != nil {
			return err
		}
		if s.st.Version != 0 && s.st.Version != stateVersion {
			return fmt.Errorf("%s: state version %d, want %d", s.opt.StatePath, s.st.Version, stateVersion)
		}
	}
	fresh := s.st.Version == 0
	s.st.Version = stateVersion
	if len(s.st.JWTSecret) == 0 {
		s.st.JWTSecret = make([]byte, 32)
		if _, err := rand.Read(s.st.JWTSecret); err != nil {
			return err
		}
	}
	if s.st.CA.RootPEM == "" {
		ca, err := newCA(s.opt.Now())
		if err != nil {
			return fmt.Errorf("make CA: %w", err)
		}
		s.st.CA = ca
	}
	ca, err := parseCA(s.st.CA)
	if err != nil {
		return err
	}
	s.ca = ca
	s.st.NextOrgProviderID = max(s.st.NextOrgProviderID, firstOrgProviderID)
	s.st.NextOrderProviderID = max(s.st.NextOrderProviderID, firstOrderProviderID)
	s.st.NextCertProviderID = max(s.st.NextCertProviderID, firstCertProviderID)
	for _, o := range s.st.Organizations {
		s.orgs[o.Org.ID] = o
	}
	for _, c := range s.st.Contacts {
		s.contacts[c.ID] = c
	}
	for _, o := range s.st.Orders {
		if o.Order.Cert == nil {
			return fmt.Errorf("%s: order %s has no cert", s.opt.StatePath, o.Order.ID)
		}
		s.orders[o.Order.ID] = o
	}
	if fresh {
		return s.saveLocked()
	}
	return nil
}

// saveLocked writes the state to Options.StatePath, when set. Callers hold
// s.mu (or own s exclusively, in New), so saves happen in the order of the
// changes they record.
func (s *Server) saveLocked() error {
	if s.opt.StatePath == "" {
		return nil
	}
	return sim.SaveJSON(s.opt.StatePath, &s.st)
}

// nextID hands out the next value of a DigiCert id counter.
func nextID(counter *int64) int64 {
	id := *counter
	*counter++
	return id
}

// idKey is the form ids are indexed under.
func idKey(id string) string { return strings.ToLower(id) }
