package ccadbsim

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/certsync/certsync/internal/sim"
)

// persistedState is the StatePath file. Authorization codes, the API Log,
// the duplicate-request history and the request count are not kept: codes
// live minutes, and the rest is per-run diagnostics.
type persistedState struct {
	NextID        uint64
	Records       []Record
	RefreshTokens []string
	AccessTokens  map[string]time.Time // token -> issued at
}

// load reads Options.StatePath, when set and present, into s.
func (s *Server) load() error {
	if s.opt.StatePath == "" {
		return nil
	}
	var st persistedState
	if err := sim.LoadJSON(s.opt.StatePath, &st); err != nil {
		return err
	}
	if st.NextID > s.nextID {
		s.nextID = st.NextID
	}
	for i := range st.Records {
		rec := st.Records[i].clone()
		var kid keyIDs
		if rec.PEM != "" {
			pc, err := parsePEM(rec.PEM)
			if err != nil {
				return fmt.Errorf("%s: record %s: %w", s.opt.StatePath, rec.ID, err)
			}
			kid = keyIDsOf(pc.cert)
		}
		rec.SHA256 = strings.ToUpper(rec.SHA256)
		s.insertLocked(&rec, kid)
	}
	for _, t := range st.RefreshTokens {
		s.refreshTokens[t] = true
	}
	for t, at := range st.AccessTokens {
		s.accessTokens[t] = at
	}
	return nil
}

// saveLocked writes the state to Options.StatePath, when set. Callers hold
// s.mu, so that saves happen in the order of the changes they record.
func (s *Server) saveLocked() error {
	if s.opt.StatePath == "" {
		return nil
	}
	st := persistedState{
		NextID:        s.nextID,
		Records:       make([]Record, len(s.records)),
		RefreshTokens: make([]string, 0, len(s.refreshTokens)),
		AccessTokens:  s.accessTokens,
	}
	for i, r := range s.records {
		st.Records[i] = *r
	}
	for t := range s.refreshTokens {
		st.RefreshTokens = append(st.RefreshTokens, t)
	}
	slices.Sort(st.RefreshTokens) // stable files diff better
	return sim.SaveJSON(s.opt.StatePath, st)
}
