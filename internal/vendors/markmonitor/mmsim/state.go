package mmsim

import (
	"cmp"
	"crypto/rand"
	"fmt"
	"slices"
	"strings"

	"github.com/certsync/certsync/internal/sim"
)

// stateVersion is the StatePath format version; a file with another version
// is refused rather than misread.
const stateVersion = 1

// persisted is everything the simulator keeps. The rate limiter's windows
// are not kept: they are per process, like a fresh API gateway node.
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

// The StatePath store (sim.Store) holds a meta record (persisted without
// the records: a few kilobytes, written with every save) and one record per
// organization, contact and order, so that a change writes the records it
// touched, not the whole file. Before the store had records, the file was
// persisted as one JSON object; such a file is read and rewritten.
const (
	metaKey        = "meta"
	orgKeyPref     = "organization/"
	contactKeyPref = "contact/"
	orderKeyPref   = "order/"
)

// storedRec is a record in the store with its place in creation order.
type storedRec[T any] struct {
	Seq int `json:"seq"`
	Rec T   `json:"rec"`
}

// persistence is the Server's link to its store: the records touched since
// the last save, and each record's place in creation order.
type persistence struct {
	store   *sim.Store
	seq     map[string]int // by store key
	nextSeq int
	dirty   map[string]any // store key -> record to write, or nil to delete
}

// touch marks the record under key as changed (rec nil: deleted), to be
// written by the next saveLocked. Callers hold s.mu.
func (s *Server) touch(key string, rec any) {
	p := &s.persist
	if p.store == nil {
		return
	}
	if p.dirty == nil {
		p.dirty = map[string]any{}
	}
	if p.seq == nil {
		p.seq = map[string]int{}
	}
	p.dirty[key] = rec
	if _, ok := p.seq[key]; !ok && rec != nil { // a new record: next in creation order
		p.seq[key] = p.nextSeq
		p.nextSeq++
	}
}

func (s *Server) touchOrder(o *orderRec)  { s.touch(orderKeyPref+o.Order.ID, o) }
func (s *Server) touchOrg(o *orgRec)      { s.touch(orgKeyPref+o.Org.ID, o) }
func (s *Server) touchContact(c *Contact) { s.touch(contactKeyPref+c.ID, c) }
func (s *Server) dropContact(c *Contact)  { s.touch(contactKeyPref+c.ID, nil) }

// First DigiCert ids. The API guide's examples show organization 4068 and order
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
	var store *sim.Store
	rewrite := true
	if s.opt.StatePath != "" {
		var err error
		if store, err = sim.OpenStore(s.opt.StatePath); err != nil {
			return err
		}
		switch {
		case store.Has(metaKey):
			rewrite = false
			if err := s.loadRecords(store); err != nil {
				return err
			}
		case len(store.Keys(orgKeyPref))+len(store.Keys(contactKeyPref))+len(store.Keys(orderKeyPref)) > 0:
			return fmt.Errorf("%s: records without their %q record: the file is damaged", s.opt.StatePath, metaKey)
		default: // empty, or written before the store had records
			if err := store.DecodeAll(&s.st); err != nil {
				return err
			}
		}
		if s.st.Version != 0 && s.st.Version != stateVersion {
			return fmt.Errorf("%s: state version %d, want %d", s.opt.StatePath, s.st.Version, stateVersion)
		}
	}
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
	if store == nil {
		return nil
	}
	s.persist.store = store
	if !rewrite {
		return nil
	}
	// A new or older file: write everything once, in the current layout.
	s.persist.seq, s.persist.nextSeq = map[string]int{}, 0
	all := map[string]any{metaKey: s.metaLocked()}
	add := func(key string, rec any) {
		s.persist.seq[key] = s.persist.nextSeq
		all[key] = storedRec[any]{Seq: s.persist.nextSeq, Rec: rec}
		s.persist.nextSeq++
	}
	for _, o := range s.st.Organizations {
		add(orgKeyPref+o.Org.ID, o)
	}
	for _, c := range s.st.Contacts {
		add(contactKeyPref+c.ID, c)
	}
	for _, o := range s.st.Orders {
		add(orderKeyPref+o.Order.ID, o)
	}
	return store.Replace(all)
}

// loadRecords reads the meta record and every organization, contact and
// order, in creation order, into s.st.
func (s *Server) loadRecords(store *sim.Store) error {
	if _, err := store.Get(metaKey, &s.st); err != nil {
		return err
	}
	s.persist.seq = map[string]int{}
	var err error
	if s.st.Organizations, err = loadKind[*orgRec](s, store, orgKeyPref); err != nil {
		return err
	}
	if s.st.Contacts, err = loadKind[*Contact](s, store, contactKeyPref); err != nil {
		return err
	}
	s.st.Orders, err = loadKind[*orderRec](s, store, orderKeyPref)
	return err
}

func loadKind[T any](s *Server, store *sim.Store, prefix string) ([]T, error) {
	var recs []storedRec[T]
	for _, k := range store.Keys(prefix) {
		var r storedRec[T]
		if _, err := store.Get(k, &r); err != nil {
			return nil, err
		}
		s.persist.seq[k] = r.Seq
		s.persist.nextSeq = max(s.persist.nextSeq, r.Seq+1)
		recs = append(recs, r)
	}
	slices.SortFunc(recs, func(a, b storedRec[T]) int { return cmp.Compare(a.Seq, b.Seq) })
	out := make([]T, len(recs))
	for i, r := range recs {
		out[i] = r.Rec
	}
	return out, nil
}

// metaLocked is s.st without its records.
func (s *Server) metaLocked() persisted {
	m := s.st
	m.Organizations, m.Contacts, m.Orders = nil, nil, nil
	return m
}

// saveLocked writes the meta record and the records touched since the last
// save to Options.StatePath, when set: one write and one fsync, whatever the
// number of other records. Callers hold s.mu (or own s exclusively, in New),
// so saves happen in the order of the changes they record. On failure the
// touched records stay marked, for the next save.
func (s *Server) saveLocked() error {
	p := &s.persist
	if p.store == nil {
		return nil
	}
	puts := map[string]any{metaKey: s.metaLocked()}
	var deletes []string
	for key, rec := range p.dirty {
		if rec == nil {
			deletes = append(deletes, key)
			continue
		}
		puts[key] = storedRec[any]{Seq: p.seq[key], Rec: rec}
	}
	if err := p.store.Update(puts, deletes); err != nil {
		return err
	}
	for _, key := range deletes {
		delete(p.seq, key)
	}
	clear(p.dirty)
	return nil
}

// nextID hands out the next value of a DigiCert id counter.
func nextID(counter *int64) int64 {
	id := *counter
	*counter++
	return id
}

// idKey is the form ids are indexed under.
func idKey(id string) string { return strings.ToLower(id) }
