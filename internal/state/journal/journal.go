// Package journal keeps a set of keyed JSON values on disk so that one change
// costs one appended line, whatever the number of values.
//
// The values live in two files: a snapshot (a plain JSON object, key to
// value) and, next to it, an append-only journal (SNAPSHOT.journal) with one
// JSON line per change, a put or a delete. Opening replays the journal over
// the snapshot. Because every entry carries the whole new value of its key,
// replaying an entry twice gives the same result: that is what makes
// compaction safe (the snapshot is replaced atomically first, the journal
// emptied after; a crash in between replays entries the snapshot already
// holds).
//
// An entry counts once its newline is on disk. A process killed while
// appending leaves at most one torn last line; Open ignores it (reporting it at
// debug level) and cuts it off, so earlier entries are never affected and the
// next append starts on a line of its own.
package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/certsync/certsync/internal/atomicfile"
)

// Suffix is appended to the snapshot's path to name its journal.
const Suffix = ".journal"

// DefaultCompactAfter is Options.CompactAfter when left zero.
const DefaultCompactAfter = 1024

// ErrCorrupt is returned by Open when the snapshot or a journal entry before
// the last one cannot be read: something other than a crash changed the file.
var ErrCorrupt = errors.New("state file is corrupt (move it aside to start afresh)")

// ErrClosed is returned by changes to a closed journal.
var ErrClosed = errors.New("journal is closed")

// ErrBroken is returned by every change after the journal could not be
// written or synced and could not be put back to its last good length: what
// is on disk is no longer known, so nothing more is appended.
var ErrBroken = errors.New("journal is unusable after a failed write")

// Options tunes Open. The zero value is ready to use.
type Options struct {
	// Logger receives debug reports (a torn last entry ignored, a
	// compaction). Nil discards them.
	Logger *slog.Logger
	// CompactAfter is how many journal entries there must be, at least, before
	// the journal is folded into the snapshot; it is also done only once the
	// journal has at least as many entries as there are keys, so that the
	// cost of rewriting the snapshot, spread over the changes since the last
	// one, stays constant per change. Zero means DefaultCompactAfter.
	CompactAfter int
}

// Journal is a keyed set of JSON values kept on disk. It is safe for
// concurrent use: a change is appended under a short lock, and concurrent
// changes share one fsync (group commit) instead of queueing for one each.
type Journal struct {
	snapPath, logPath string
	log               *slog.Logger
	compactAfter      int

	// syncMu is held while syncing or compacting, so one fsync covers every
	// change appended before it started. Lock order: syncMu, then mu.
	syncMu sync.Mutex
	mu     sync.Mutex
	data   map[string]json.RawMessage
	f      *os.File // the journal, opened for append; nil in memory or closed
	closed bool
	size   int64 // bytes of complete entries in f
	count  int   // entries in f
	// written and synced number the appended entries: the last appended and
	// the last known to be on disk.
	written, synced uint64
	err             error // sticky ErrBroken
}

// entry is one journal line. Deleted entries carry no value.
type entry struct {
	Key     string          `json:"k"`
	Value   json.RawMessage `json:"v,omitempty"`
	Deleted bool            `json:"d,omitempty"`
}

// Open loads the snapshot at snapPath and replays its journal. A missing
// snapshot or journal is empty. Any JSON object is a valid snapshot, so a
// file written before journals existed loads as it is. An empty snapPath
// gives a journal kept in memory only. When the journal is large (see
// Options.CompactAfter) it is folded into the snapshot before Open returns.
func Open(snapPath string, opt Options) (*Journal, error) {
	j := &Journal{
		snapPath:     snapPath,
		log:          opt.Logger,
		compactAfter: opt.CompactAfter,
		data:         map[string]json.RawMessage{},
	}
	if j.log == nil {
		j.log = slog.New(slog.DiscardHandler)
	}
	if j.compactAfter <= 0 {
		j.compactAfter = DefaultCompactAfter
	}
	if snapPath == "" {
		return j, nil
	}
	j.logPath = snapPath + Suffix
	b, err := os.ReadFile(snapPath)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("read state: %w", err)
	default:
		if err := json.Unmarshal(b, &j.data); err != nil {
			return nil, fmt.Errorf("%s: %w: %w", snapPath, ErrCorrupt, err)
		}
		if j.data == nil { // the file held null
			j.data = map[string]json.RawMessage{}
		}
	}
	// The journal is read now but opened for writing only by the first
	// change: a plan that changes nothing runs on a read-only state
	// directory and creates no file.
	if err := j.replay(); err != nil {
		return nil, err
	}
	if j.needsCompaction() {
		// Everything is loaded and the journal stays valid: a failed
		// compaction only leaves it long, to be tried again later.
		if err := j.compactLocked(); err != nil {
			j.log.Warn("journal compaction failed; the journal keeps growing until the next try", "file", j.logPath, "error", err)
		}
	}
	return j, nil
}

// replay applies the journal's entries to j.data and notes where the last
// whole entry ends; a torn line after it is cut off by openLocked.
func (j *Journal) replay() error {
	b, err := os.ReadFile(j.logPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read journal: %w", err)
	}
	var good int64
	for line := 1; len(b) > 0; line++ {
		end := bytes.IndexByte(b, '\n')
		var e entry
		if end < 0 || !e.decode(b[:end]) {
			if end >= 0 && len(bytes.TrimSpace(b[end+1:])) > 0 {
				return fmt.Errorf("%s:%d: %w: entry is not valid JSON", j.logPath, line, ErrCorrupt)
			}
			// The last line: a write cut short by a crash. It was never
			// acknowledged as durable, so it is dropped.
			j.log.Debug("ignoring a torn last journal entry", "file", j.logPath, "line", line, "offset", good, "bytes", len(b))
			break
		}
		j.apply(e)
		good += int64(end + 1)
		j.count++
		b = b[end+1:]
	}
	j.size = good
	return nil
}

// openLocked opens the journal for appending, creating it (mode 0600) and
// its directory (0700) when missing, and cuts off a torn last line so that
// the next entry starts on a line of its own. Callers hold mu (or own j).
func (j *Journal) openLocked() error {
	if j.f != nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(j.logPath), 0o700); err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	f, err := os.OpenFile(j.logPath, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open journal: %w", err)
	}
	fail := func(what string, err error) error {
		f.Close()
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := f.Chmod(0o600); err != nil { // a journal created by hand keeps no wider mode
		return fail("journal mode", err)
	}
	info, err := f.Stat()
	if err != nil {
		return fail("journal", err)
	}
	if info.Size() != j.size {
		if err := f.Truncate(j.size); err != nil {
			return fail("cut torn journal entry", err)
		}
		if err := f.Sync(); err != nil {
			return fail("sync journal", err)
		}
	}
	j.f = f
	return nil
}

// decode reads one journal line into e and reports whether it is a whole
// entry: a key and either a value or a deletion.
func (e *entry) decode(line []byte) bool {
	return json.Unmarshal(line, e) == nil && (e.Deleted || e.Value != nil)
}

func (j *Journal) apply(e entry) {
	if e.Deleted {
		delete(j.data, e.Key)
	} else {
		j.data[e.Key] = e.Value
	}
}

// Get returns the value stored under key. The returned bytes must not be
// modified.
func (j *Journal) Get(key string) (json.RawMessage, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	v, ok := j.data[key]
	return v, ok
}

// Len returns the number of keys.
func (j *Journal) Len() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.data)
}

// Keys returns every key, sorted.
func (j *Journal) Keys() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Sorted(maps.Keys(j.data))
}

// Put stores value (valid JSON) under key and returns once the change is on
// disk.
func (j *Journal) Put(key string, value json.RawMessage) error {
	if value == nil {
		value = json.RawMessage("null")
	}
	return j.append(entry{Key: key, Value: value})
}

// Delete removes key and returns once the removal is on disk. Deleting a
// missing key writes nothing.
func (j *Journal) Delete(key string) error {
	if _, ok := j.Get(key); !ok {
		return nil
	}
	return j.append(entry{Key: key, Deleted: true})
}

// PutAll stores every value of values under its key as one write and one
// fsync: the way to load many values at once. On error none is stored; a
// crash while writing may keep the first few (each entry stands alone).
func (j *Journal) PutAll(values map[string]json.RawMessage) error {
	return j.Update(values, nil)
}

// Update stores puts and removes deletes (missing keys are skipped) as one
// write and one fsync, with PutAll's guarantees.
func (j *Journal) Update(puts map[string]json.RawMessage, deletes []string) error {
	es := make([]entry, 0, len(puts)+len(deletes))
	for _, k := range slices.Sorted(maps.Keys(puts)) {
		v := puts[k]
		if v == nil {
			v = json.RawMessage("null")
		}
		es = append(es, entry{Key: k, Value: v})
	}
	for _, k := range deletes {
		if _, ok := j.Get(k); ok {
			es = append(es, entry{Key: k, Deleted: true})
		}
	}
	return j.append(es...)
}

func (j *Journal) append(es ...entry) error {
	if len(es) == 0 {
		return nil
	}
	var lines []byte
	for i, e := range es {
		if !e.Deleted {
			// A private, compact copy: the caller may reuse its bytes, and
			// an entry must stay on one line.
			var c bytes.Buffer
			if err := json.Compact(&c, e.Value); err != nil {
				return fmt.Errorf("encode %q: %w", e.Key, err)
			}
			es[i].Value = c.Bytes()
		}
		line, err := json.Marshal(es[i])
		if err != nil {
			return fmt.Errorf("encode %q: %w", e.Key, err)
		}
		lines = append(append(lines, line...), '\n')
	}

	j.mu.Lock()
	switch {
	case j.closed:
		j.mu.Unlock()
		return ErrClosed
	case j.err != nil:
		j.mu.Unlock()
		return j.err
	case j.logPath == "": // in memory
		for _, e := range es {
			j.apply(e)
		}
		j.mu.Unlock()
		return nil
	}
	if err := j.openLocked(); err != nil {
		j.mu.Unlock()
		return err
	}
	if _, err := j.f.Write(lines); err != nil {
		// Put the file back to its last complete entry, or a later append
		// would follow half a line and be lost with it.
		if terr := j.f.Truncate(j.size); terr != nil {
			j.err = fmt.Errorf("%s: %w: %w", j.logPath, ErrBroken, errors.Join(err, terr))
		}
		j.mu.Unlock()
		return fmt.Errorf("append to journal: %w", err)
	}
	for _, e := range es {
		j.apply(e)
	}
	j.size += int64(len(lines))
	j.count += len(es)
	j.written++
	seq := j.written
	compact := j.needsCompaction()
	j.mu.Unlock()

	if err := j.syncTo(seq); err != nil {
		return err
	}
	if compact {
		j.compactIfNeeded()
	}
	return nil
}

// syncTo returns once entry seq is on disk. Whoever gets syncMu first syncs
// every entry appended so far, so the changes that waited meanwhile need no
// fsync of their own.
func (j *Journal) syncTo(seq uint64) error {
	j.syncMu.Lock()
	defer j.syncMu.Unlock()
	j.mu.Lock()
	if j.err != nil || j.synced >= seq {
		err := j.err
		j.mu.Unlock()
		return err
	}
	f, target := j.f, j.written
	j.mu.Unlock()
	if f == nil { // closed since: Close synced what was appended
		return nil
	}
	err := f.Sync()
	j.mu.Lock()
	defer j.mu.Unlock()
	if err != nil {
		// After a failed fsync the kernel may have dropped the pages: what
		// is on disk is unknown, so stop here rather than build on it.
		j.err = fmt.Errorf("%s: %w: %w", j.logPath, ErrBroken, err)
		return j.err
	}
	j.synced = max(j.synced, target)
	return nil
}

// needsCompaction reports whether folding the journal into the snapshot is
// due. Callers hold mu.
func (j *Journal) needsCompaction() bool {
	return j.logPath != "" && j.count >= j.compactAfter && j.count >= len(j.data)
}

// compactIfNeeded compacts when still due. A failure is only logged: the
// change that triggered it is already on disk, and the journal stays valid.
func (j *Journal) compactIfNeeded() {
	j.syncMu.Lock()
	defer j.syncMu.Unlock()
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil || !j.needsCompaction() {
		return
	}
	if err := j.compactLocked(); err != nil {
		j.log.Warn("journal compaction failed; the journal keeps growing until the next try", "file", j.logPath, "error", err)
	}
}

// compactLocked writes every value to a new snapshot, then empties the
// journal. Callers hold syncMu and mu (or own j alone, in Open).
func (j *Journal) compactLocked() error {
	if err := j.openLocked(); err != nil {
		return err
	}
	if err := atomicfile.Write(j.snapPath, encodeSnapshot(j.data), 0o600); err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	// The snapshot is durable (atomicfile syncs the file and its directory),
	// so the journal's entries may go.
	if err := j.f.Truncate(0); err != nil {
		return fmt.Errorf("empty journal: %w", err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("sync journal: %w", err)
	}
	j.log.Debug("journal folded into snapshot", "file", j.snapPath, "entries", j.count, "keys", len(j.data))
	j.size, j.count = 0, 0
	j.synced = j.written
	return nil
}

// Replace makes data the whole content, written as a new snapshot with an
// empty journal. It costs as much as the data; it is meant for a one-off
// rewrite such as converting a file from an older layout.
func (j *Journal) Replace(data map[string]json.RawMessage) error {
	j.syncMu.Lock()
	defer j.syncMu.Unlock()
	j.mu.Lock()
	defer j.mu.Unlock()
	switch {
	case j.closed:
		return ErrClosed
	case j.err != nil:
		return j.err
	}
	j.data = maps.Clone(data)
	if j.data == nil {
		j.data = map[string]json.RawMessage{}
	}
	if j.logPath == "" { // in memory
		return nil
	}
	return j.compactLocked()
}

// Close folds a large journal into the snapshot and closes the file. Changes
// after Close fail with ErrClosed; Get still answers.
func (j *Journal) Close() error {
	j.syncMu.Lock()
	defer j.syncMu.Unlock()
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil
	}
	j.closed = true
	if j.f == nil {
		return nil
	}
	var err error
	if j.err == nil && j.synced < j.written {
		// A change appended by a Put that has not reached its fsync yet.
		if err = j.f.Sync(); err == nil {
			j.synced = j.written
		} else {
			j.err = fmt.Errorf("%s: %w: %w", j.logPath, ErrBroken, err) // that Put reports it
		}
	}
	if err == nil && j.err == nil && j.needsCompaction() {
		err = j.compactLocked()
	}
	err = errors.Join(err, j.f.Close())
	j.f = nil
	return err
}

// encodeSnapshot writes data as a JSON object, one key per line in key order,
// so that the file reads and diffs well.
func encodeSnapshot(data map[string]json.RawMessage) []byte {
	var buf bytes.Buffer
	buf.WriteString("{")
	for i, k := range slices.Sorted(maps.Keys(data)) {
		if i > 0 {
			buf.WriteString(",")
		}
		buf.WriteString("\n  ")
		kb, _ := json.Marshal(k) // a string always encodes
		buf.Write(kb)
		buf.WriteString(": ")
		buf.Write(data[k])
	}
	buf.WriteString("\n}\n")
	return buf.Bytes()
}
