package ccadbsim

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/certsync/certsync/internal/sim"
)

// The StatePath store holds one record per CCADB record, the id counter and
// the tokens, so that a change writes what it changed, not the whole file
// (sim.Store). Authorization codes, the API Log, the duplicate-request
// history and the request count are not kept: codes live minutes, and the
// rest is per-run diagnostics.
const (
	nextIDKey     = "nextID"
	tokensKey     = "tokens"
	recordKeyPref = "record/"
)

// storedRecord is a record in the store, with its place in creation order.
type storedRecord struct {
	Seq int
	Record
}

// storedTokens is the tokens record. It grows with the tokens in use, not
// with the records.
type storedTokens struct {
	RefreshTokens []string
	AccessTokens  map[string]time.Time // token -> issued at
}

// persistedState is the layout of StatePath files written before the store
// had one record per CCADB record: one JSON object. Such a file is read and
// rewritten in the current layout.
type persistedState struct {
	NextID        uint64
	Records       []Record
	RefreshTokens []string
	AccessTokens  map[string]time.Time // token -> issued at
}

// persistence is the Server's link to its store.
type persistence struct {
	store     *sim.Store
	savedNext uint64         // nextID as last saved
	seq       map[string]int // creation order of saved records, by upper-case id
}

// load opens Options.StatePath, when set, and reads it into s.
func (s *Server) load() error {
	if s.opt.StatePath == "" {
		return nil
	}
	store, err := sim.OpenStore(s.opt.StatePath)
	if err != nil {
		return err
	}
	var st persistedState
	older := store.Has("Records") || store.Has("NextID")
	if older {
		if err := store.DecodeAll(&st); err != nil {
			return err
		}
	} else {
		var stored []storedRecord
		for _, k := range store.Keys(recordKeyPref) {
			var r storedRecord
			if _, err := store.Get(k, &r); err != nil {
				return err
			}
			stored = append(stored, r)
		}
		slices.SortFunc(stored, func(a, b storedRecord) int { return a.Seq - b.Seq })
		for _, r := range stored {
			st.Records = append(st.Records, r.Record)
		}
		var tok storedTokens
		if _, err := store.Get(tokensKey, &tok); err != nil {
			return err
		}
		st.RefreshTokens, st.AccessTokens = tok.RefreshTokens, tok.AccessTokens
		if _, err := store.Get(nextIDKey, &st.NextID); err != nil {
			return err
		}
	}
	if st.NextID > s.nextID {
		s.nextID = st.NextID
	}
	s.persist = persistence{store: store, savedNext: s.nextID, seq: map[string]int{}}
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
		s.persist.seq[strings.ToUpper(rec.ID)] = i
	}
	for _, t := range st.RefreshTokens {
		s.refreshTokens[t] = true
	}
	for t, at := range st.AccessTokens {
		s.accessTokens[t] = at
	}
	if older {
		all := map[string]any{nextIDKey: s.nextID, tokensKey: s.tokensLocked()}
		for i, r := range s.records {
			all[recordKeyPref+r.ID] = storedRecord{Seq: i, Record: *r}
		}
		if err := store.Replace(all); err != nil {
			return err
		}
	}
	return nil
}

// saveLocked writes recs (records added or changed) and the id counter, when
// it moved, to Options.StatePath, when set: one write and one fsync, whatever
// the number of other records. Callers hold s.mu, so that saves happen in the
// order of the changes they record.
func (s *Server) saveLocked(recs ...*Record) error {
	p := &s.persist
	if p.store == nil {
		return nil
	}
	batch := make(map[string]any, len(recs)+1)
	if s.nextID != p.savedNext {
		batch[nextIDKey] = s.nextID
	}
	next := len(p.seq)
	for _, r := range recs {
		seq, ok := p.seq[strings.ToUpper(r.ID)]
		if !ok {
			seq = next
			next++
		}
		batch[recordKeyPref+r.ID] = storedRecord{Seq: seq, Record: *r}
	}
	if err := p.store.PutAll(batch); err != nil {
		return err
	}
	p.savedNext = s.nextID
	for _, r := range recs {
		if _, ok := p.seq[strings.ToUpper(r.ID)]; !ok {
			p.seq[strings.ToUpper(r.ID)] = len(p.seq)
		}
	}
	return nil
}

// saveTokensLocked writes the refresh and access tokens to Options.StatePath,
// when set. Callers hold s.mu.
func (s *Server) saveTokensLocked() error {
	if s.persist.store == nil {
		return nil
	}
	return s.persist.store.Put(tokensKey, s.tokensLocked())
}

func (s *Server) tokensLocked() storedTokens {
	t := storedTokens{RefreshTokens: make([]string, 0, len(s.refreshTokens)), AccessTokens: s.accessTokens}
	for tok := range s.refreshTokens {
		t.RefreshTokens = append(t.RefreshTokens, tok)
	}
	slices.Sort(t.RefreshTokens) // stable files diff better
	return t
}
