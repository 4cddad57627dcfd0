package quantil

import (
	"crypto"
	"crypto/x509"
	"sync"

	"github.com/certsync/certsync/internal/pemutil"
)

// pemCache keeps, for one inventory check, what was read and parsed of each
// shared file: many certificates deploy the same chain and key file, and
// parsing a key (an EC key computes its public point, an RSA key its CRT
// values) or a chain once per item was most of a large load. Entries are
// keyed by path and stamp (size, modification time), so a file rewritten
// during the check is read again. It is safe for concurrent use; a nil
// *pemCache caches nothing.
type pemCache struct {
	// signedBy checks one certificate's signature against its issuer
	// (the inventory's, which may answer from its signature cache); nil
	// is x509's CheckSignatureFrom.
	signedBy func(child, parent *x509.Certificate) error

	mu      sync.Mutex
	entries map[pemCacheKey]*pemEntry
}

type pemCacheKey struct {
	kind, path, stamp string
}

// pemEntry is one file's content and parse. For a chain, linkErr is the
// first link of the chain (i, so that certificate i+1 did not sign
// certificate i) whose signature fails, -1 when all hold: the chain's own
// links are checked once, the leaf's against it per item.
type pemEntry struct {
	once    sync.Once
	pem     []byte
	readErr error
	key     crypto.Signer
	chain   []*x509.Certificate
	linkErr int
	err     error
}

func newPEMCache(signedBy func(child, parent *x509.Certificate) error) *pemCache {
	return &pemCache{signedBy: signedBy, entries: map[pemCacheKey]*pemEntry{}}
}

// checkSignature reports whether parent signed child, through signedBy
// when the cache has one.
func (c *pemCache) checkSignature(child, parent *x509.Certificate) error {
	if c == nil || c.signedBy == nil {
		return child.CheckSignatureFrom(parent)
	}
	return c.signedBy(child, parent)
}

// entry returns the parsed source s of kind ("key" or "chain"), reading and
// parsing it on first use. Only file sources with a stamp are shared;
// anything else is parsed for this call alone.
func (c *pemCache) entry(kind string, s PEMSource) *pemEntry {
	stamp := ""
	if c != nil && s.File != "" {
		stamp = s.stamp()
	}
	if stamp == "" {
		e := &pemEntry{}
		e.load(c, kind, s)
		return e
	}
	k := pemCacheKey{kind: kind, path: s.File, stamp: stamp}
	c.mu.Lock()
	e, ok := c.entries[k]
	if !ok {
		e = &pemEntry{}
		c.entries[k] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.load(c, kind, s) })
	return e
}

func (e *pemEntry) load(c *pemCache, kind string, s PEMSource) {
	e.linkErr = -1
	if e.pem, e.readErr = s.Read(); e.readErr != nil {
		return
	}
	switch kind {
	case "key":
		e.key, e.err = pemutil.PrivateKey(e.pem)
	case "chain":
		if e.chain, e.err = pemutil.Certificates(e.pem); e.err != nil {
			return
		}
		for i := 0; i+1 < len(e.chain); i++ {
			if c.checkSignature(e.chain[i], e.chain[i+1]) != nil {
				e.linkErr = i
				return
			}
		}
	}
}
