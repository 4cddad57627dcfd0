package inventory

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sync"

	"github.com/certsync/certsync/internal/atomicfile"
	"github.com/certsync/certsync/internal/readfile"
)

// MaxVerifiedPairs bounds a VerifyCache on disk: pairs checked by the
// latest load are kept first, older ones fill what room is left.
const MaxVerifiedPairs = 100_000

// maxVerifiedFileBytes bounds the cache file read (MaxVerifiedPairs hex
// keys with their quotes and commas, plus room).
const maxVerifiedFileBytes = MaxVerifiedPairs*140 + 4096

// verifiedKey is SHA-256 of the child certificate's DER followed by
// SHA-256 of the parent's DER.
type verifiedKey [2 * sha256.Size]byte

// VerifyCache remembers which (child, parent) certificate pairs passed a
// signature check, so that a steady-state run does not repeat the
// public-key operations of the previous one. It is sound because a
// signature check is a pure function of the two certificates' bytes, and
// the key is the hash of both; only successes are recorded, so a failure
// is always checked again. It is safe for concurrent use; a nil
// *VerifyCache caches nothing and checks every pair.
type VerifyCache struct {
	// check verifies one pair; x509's CheckSignatureFrom unless a test
	// counts the calls.
	check func(child, parent *x509.Certificate) error

	mu   sync.Mutex
	old  map[verifiedKey]struct{} // read from the file
	seen map[verifiedKey]struct{} // verified or confirmed by this run
	// added is set once this run verified a pair the file did not hold.
	added bool
}

// NewVerifyCache returns an empty cache.
func NewVerifyCache() *VerifyCache {
	return &VerifyCache{old: map[verifiedKey]struct{}{}, seen: map[verifiedKey]struct{}{}}
}

// NewVerifyCacheFunc is NewVerifyCache checking pairs with check instead
// of x509's CheckSignatureFrom: tests count the checks a load makes.
func NewVerifyCacheFunc(check func(child, parent *x509.Certificate) error) *VerifyCache {
	c := NewVerifyCache()
	c.check = check
	return c
}

// verifiedFile is the cache's format on disk.
type verifiedFile struct {
	Version int      `json:"version"`
	Pairs   []string `json:"pairs"`
}

// ReadVerifyCache reads the cache saved at path. A missing file is an
// empty cache; so is a file that cannot be read or decoded (its error is
// returned for the caller to log), since the cache only saves work.
func ReadVerifyCache(path string) (*VerifyCache, error) {
	c := NewVerifyCache()
	data, err := readfile.Limited(path, maxVerifiedFileBytes)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return c, nil
		}
		return c, fmt.Errorf("read signature cache: %w", err)
	}
	var f verifiedFile
	if err := json.Unmarshal(data, &f); err != nil {
		return c, fmt.Errorf("signature cache %s: %w", path, err)
	}
	if f.Version != 1 {
		return c, fmt.Errorf("signature cache %s: version %d, want 1", path, f.Version)
	}
	for _, s := range f.Pairs {
		var k verifiedKey
		if n, err := hex.Decode(k[:], []byte(s)); err != nil || n != len(k) || len(s) != 2*len(k) {
			return NewVerifyCache(), fmt.Errorf("signature cache %s: bad pair %q", path, s)
		}
		c.old[k] = struct{}{}
	}
	return c, nil
}

// Save writes the cache to path (mode 0600, replaced atomically): the
// pairs this run verified or confirmed, then older ones, at most
// MaxVerifiedPairs in all.
//
// When the run verified nothing the file did not hold, and the file is
// below the bound (so no pair would be dropped in favour of this run's),
// the file already says it all and is not written: a steady-state run of
// 10,000 items rewrote and synced 900 KB for nothing.
func (c *VerifyCache) Save(path string) error {
	c.mu.Lock()
	if !c.added && len(c.old) < MaxVerifiedPairs {
		c.mu.Unlock()
		return nil
	}
	pairs := make([]string, 0, min(len(c.seen)+len(c.old), MaxVerifiedPairs))
	for k := range c.seen {
		if len(pairs) == MaxVerifiedPairs {
			break
		}
		pairs = append(pairs, hex.EncodeToString(k[:]))
	}
	for k := range c.old {
		if len(pairs) == MaxVerifiedPairs {
			break
		}
		if _, dup := c.seen[k]; !dup {
			pairs = append(pairs, hex.EncodeToString(k[:]))
		}
	}
	c.mu.Unlock()
	data, err := json.Marshal(verifiedFile{Version: 1, Pairs: pairs})
	if err != nil {
		return fmt.Errorf("encode signature cache: %w", err)
	}
	if err := atomicfile.Write(path, data, 0o600); err != nil {
		return fmt.Errorf("write signature cache: %w", err)
	}
	return nil
}

// SignedBy reports whether parent's key signed child (x509's
// CheckSignatureFrom), answering from the cache for a pair that passed
// before and recording a pair that passes now.
func (c *VerifyCache) SignedBy(child, parent *x509.Certificate) error {
	check := (*x509.Certificate).CheckSignatureFrom
	if c == nil {
		return check(child, parent)
	}
	if c.check != nil {
		check = c.check
	}
	var k verifiedKey
	a, b := sha256.Sum256(child.Raw), sha256.Sum256(parent.Raw)
	copy(k[:sha256.Size], a[:])
	copy(k[sha256.Size:], b[:])
	c.mu.Lock()
	_, hit := c.seen[k]
	if !hit {
		if _, hit = c.old[k]; hit {
			c.seen[k] = struct{}{}
		}
	}
	c.mu.Unlock()
	if hit {
		return nil
	}
	if err := check(child, parent); err != nil {
		return err // never cached: a failure is checked again next time
	}
	c.mu.Lock()
	c.seen[k] = struct{}{}
	c.added = true
	c.mu.Unlock()
	return nil
}

// LoadOptions are the optional inputs of LoadWith and ParseWith.
type LoadOptions struct {
	// Verified, when not nil, answers repeated certificate signature
	// checks (Inventory.SignedBy) and records new successes.
	Verified *VerifyCache
}

// SignedBy reports whether parent signed child, through the load's
// VerifyCache when it has one. Sections use it for every signature
// check between two certificates of the inventory.
func (inv *Inventory) SignedBy(child, parent *x509.Certificate) error {
	return inv.verified.SignedBy(child, parent)
}

// Len is the number of pairs the cache knows passed: read from its file
// or verified since.
func (c *VerifyCache) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.seen)
	for k := range c.old {
		if _, dup := c.seen[k]; !dup {
			n++
		}
	}
	return n
}
