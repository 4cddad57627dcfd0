package sim

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/certsync/certsync/internal/state/journal"
)

// Store keeps a simulator's state as keyed records (one per certificate,
// order, token…) in a snapshot file and an append-only journal beside it
// (PATH.journal), so that a change writes one record, not the whole state;
// see package journal for the crash guarantees. Both files are mode 0600:
// simulator state holds private keys and tokens. It is safe for concurrent
// use.
type Store struct {
	path string
	j    *journal.Journal
}

// OpenStore loads the snapshot at path and replays its journal; missing files
// are an empty store.
func OpenStore(path string) (*Store, error) {
	j, err := journal.Open(path, journal.Options{})
	if err != nil {
		return nil, err
	}
	return &Store{path: path, j: j}, nil
}

// Has reports whether key holds a record.
func (s *Store) Has(key string) bool {
	_, ok := s.j.Get(key)
	return ok
}

// Get decodes the record under key into v and reports whether it existed.
func (s *Store) Get(key string, v any) (bool, error) {
	raw, ok := s.j.Get(key)
	if !ok {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("decode %s: record %q: %w", s.path, key, err)
	}
	return true, nil
}

// Keys returns the keys that start with prefix, sorted.
func (s *Store) Keys(prefix string) []string {
	var out []string
	for _, k := range s.j.Keys() {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	return out
}

// Put writes v as the record under key and returns once it is on disk.
func (s *Store) Put(key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: record %q: %w", s.path, key, err)
	}
	if err := s.j.Put(key, raw); err != nil {
		return fmt.Errorf("save %s: %w", s.path, err)
	}
	return nil
}

// PutAll writes every record of records under its key with one write and
// one fsync, all or none: for seeding many records at once.
func (s *Store) PutAll(records map[string]any) error {
	return s.Update(records, nil)
}

// Update writes puts and removes deletes with one write and one fsync, all
// or none: for a change that touches several records.
func (s *Store) Update(puts map[string]any, deletes []string) error {
	data := make(map[string]json.RawMessage, len(puts))
	for k, v := range puts {
		raw, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode %s: record %q: %w", s.path, k, err)
		}
		data[k] = raw
	}
	if err := s.j.Update(data, deletes); err != nil {
		return fmt.Errorf("save %s: %w", s.path, err)
	}
	return nil
}

// Delete removes the record under key, if any.
func (s *Store) Delete(key string) error {
	if err := s.j.Delete(key); err != nil {
		return fmt.Errorf("save %s: %w", s.path, err)
	}
	return nil
}

// DecodeAll decodes the whole store, read as one JSON object, into v. It is
// how a simulator reads a state file written before stores had records: such
// a file was one JSON object, which the store loaded as its snapshot.
func (s *Store) DecodeAll(v any) error {
	all := make(map[string]json.RawMessage)
	for _, k := range s.j.Keys() {
		all[k], _ = s.j.Get(k)
	}
	b, err := json.Marshal(all)
	if err != nil {
		return fmt.Errorf("decode %s: %w", s.path, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %s: %w", s.path, err)
	}
	return nil
}

// Replace makes records the whole content, written at once: for converting
// a file from an older layout, not for everyday changes.
func (s *Store) Replace(records map[string]any) error {
	data := make(map[string]json.RawMessage, len(records))
	for k, v := range records {
		raw, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode %s: record %q: %w", s.path, k, err)
		}
		data[k] = raw
	}
	if err := s.j.Replace(data); err != nil {
		return fmt.Errorf("save %s: %w", s.path, err)
	}
	return nil
}

// Close releases the journal file; later changes fail.
func (s *Store) Close() error { return s.j.Close() }
