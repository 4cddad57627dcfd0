// Package state keeps what certsync itself remembers between runs, for the
// few facts no vendor API can tell it (for example the CCADB fields that its
// public report does not carry). Each vendor gets its own store under the
// state directory: a snapshot (NAME.json, a JSON object of key to value) and a
// journal beside it (NAME.json.journal) that each Put appends one line to, so
// a change costs the same whatever the number of entries, and a process killed
// mid-write loses at most the change it was writing (see package journal).
package state

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/certsync/certsync/internal/state/journal"
)

// Store is one vendor's keyed entries. It is safe for concurrent use.
type Store struct {
	j *journal.Journal
}

// Option tunes Open.
type Option func(*journal.Options)

// WithLogger sends the store's debug reports (a torn last journal entry left
// by a crash, a compaction) to l.
func WithLogger(l *slog.Logger) Option {
	return func(o *journal.Options) { o.Logger = l }
}

// Open loads dir/name.json and replays its journal; missing files are an
// empty store. A name.json written by an older certsync (no journal) loads as
// it is. An empty dir gives a store that is kept in memory only.
func Open(dir, name string, opts ...Option) (*Store, error) {
	var o journal.Options
	for _, opt := range opts {
		opt(&o)
	}
	path := ""
	if dir != "" {
		path = filepath.Join(dir, name+".json")
	}
	j, err := journal.Open(path, o)
	if err != nil {
		return nil, fmt.Errorf("open state %s: %w", name, err)
	}
	return &Store{j: j}, nil
}

// Get decodes the entry for key into v and reports whether it existed.
func (s *Store) Get(key string, v any) (bool, error) {
	raw, ok := s.j.Get(key)
	if !ok {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("state entry %q: %w", key, err)
	}
	return true, nil
}

// Put stores v under key and returns once the change is on disk.
func (s *Store) Put(key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode state entry %q: %w", key, err)
	}
	if err := s.j.Put(key, raw); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

// Delete removes the entry for key, if any, and returns once the removal is on
// disk.
func (s *Store) Delete(key string) error {
	if err := s.j.Delete(key); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

// Close folds a large journal into the snapshot and releases the file.
// Calling it is optional (the next Open replays the journal); Puts after it
// fail.
func (s *Store) Close() error { return s.j.Close() }
