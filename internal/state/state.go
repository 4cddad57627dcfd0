// Package state keeps what certsync itself remembers between runs, for the
// few facts no vendor API can tell it (for example the CCADB fields that its
// public report does not carry). Each vendor gets its own JSON file under the
// state directory; writes are atomic.
package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/certsync/certsync/internal/atomicfile"
)

// Store is one JSON file of keyed entries. It is safe for concurrent use.
type Store struct {
	path string
	mu   sync.Mutex
	data map[string]json.RawMessage
}

// Open loads dir/name.json; a missing file is an empty store. An empty dir
// gives a store that is kept in memory only.
func Open(dir, name string) (*Store, error) {
	s := &Store{data: map[string]json.RawMessage{}}
	if dir == "" {
		return s, nil
	}
	s.path = filepath.Join(dir, name+".json")
	b, err := os.ReadFile(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	if err := json.Unmarshal(b, &s.data); err != nil {
		return nil, fmt.Errorf("state file %s is corrupt (move it aside to start afresh): %w", s.path, err)
	}
	return s, nil
}

// Get decodes the entry for key into v and reports whether it existed.
func (s *Store) Get(key string, v any) (bool, error) {
	s.mu.Lock()
	raw, ok := s.data[key]
	s.mu.Unlock()
	if !ok {
		return false, nil
	}
	return true, json.Unmarshal(raw, v)
}

// Put stores v under key and writes the file.
func (s *Store) Put(key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data[key] = raw
	if s.path == "" {
		return nil
	}
	b, err := json.MarshalIndent(s.data, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(s.path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}
