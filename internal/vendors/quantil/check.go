package quantil

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/parallel"
	"github.com/certsync/certsync/internal/pemutil"
)

// ErrSourceMissing means a PEM source does not exist (yet): a file not
// written, an environment variable not set.
var ErrSourceMissing = errors.New("not available")

// stamp identifies the source's current content cheaply (a file's size
// and modification time, a variable's value), "" when it cannot be read.
func (s PEMSource) stamp() string {
	switch {
	case s.File != "":
		fi, err := os.Stat(s.File)
		if err != nil {
			return ""
		}
		return fmt.Sprintf("%d %d", fi.Size(), fi.ModTime().UnixNano())
	case s.Env != "":
		return os.Getenv(s.Env)
	}
	return ""
}

// Read returns the PEM text of a source.
func (s PEMSource) Read() ([]byte, error) {
	switch {
	case s.File != "":
		b, err := pemutil.ReadFile(s.File)
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", s.File, ErrSourceMissing)
		}
		return b, err
	case s.Env != "":
		v, ok := os.LookupEnv(s.Env)
		if !ok || strings.TrimSpace(v) == "" {
			return nil, s.unsetEnv()
		}
		return []byte(v), nil
	}
	return nil, ErrSourceMissing
}

// EnvVar is an environment variable an item reads a PEM from, and where
// the inventory names it.
type EnvVar struct {
	Name string
	// Path is the field, e.g. quantil.certificates[0].certificate_env; ""
	// when unknown.
	Path string
	Pos  inventory.Pos
	// Empty, in an EnvUnsetError, says the variable is set but holds
	// nothing (or only white space).
	Empty bool
}

// itemEnv is every environment variable one item reads its PEMs from.
type itemEnv struct {
	// file is the inventory's path, as the user gave it.
	file string
	vars []EnvVar
}

// EnvUnsetError means environment variables an item reads its PEMs from
// are not set, or are empty. It names every such variable of the item,
// each at its inventory position and field when the source came from the
// inventory, and wraps ErrSourceMissing.
type EnvUnsetError struct {
	// File is the inventory's path; "" when positions are unknown.
	File string
	Vars []EnvVar
}

func (e *EnvUnsetError) Error() string {
	msgs := make([]string, len(e.Vars))
	for i, v := range e.Vars {
		what := "is not set"
		if v.Empty {
			what = "is set but empty"
		}
		msg := fmt.Sprintf("environment variable %s %s", v.Name, what)
		switch {
		case e.File != "" && v.Path != "":
			msg = inventory.Problem{File: e.File, Pos: v.Pos, Path: v.Path, Msg: msg}.Error()
		case v.Path != "":
			msg = v.Path + ": " + msg
		}
		msgs[i] = msg
	}
	return strings.Join(msgs, "; ")
}

// Unwrap returns ErrSourceMissing.
func (e *EnvUnsetError) Unwrap() error { return ErrSourceMissing }

// withEnvFields returns s with its environment sources grouped by field
// name (certificate_env, ...), when they were not resolved from the
// inventory (as when a saved change is applied): a missing one is then
// reported with the others, by field.
func (s Sources) withEnvFields() Sources {
	parts := []struct {
		src   *PEMSource
		field string
	}{{&s.Certificate, "certificate_env"}, {&s.Chain, "chain_env"}, {&s.Key, "private_key_env"}}
	item := &itemEnv{}
	for _, p := range parts {
		if p.src.Env == "" {
			continue
		}
		if p.src.item != nil {
			return s // resolved from the inventory: positions known
		}
		item.vars = append(item.vars, EnvVar{Name: p.src.Env, Path: p.field})
		p.src.item = item
	}
	return s
}

// unsetEnv is the error for s's unset variable: with every unset variable
// of its item, when the inventory named it.
func (s PEMSource) unsetEnv() error {
	vars, file := []EnvVar{{Name: s.Env}}, ""
	if s.item != nil {
		vars, file = s.item.vars, s.item.file
	}
	e := &EnvUnsetError{File: file}
	for _, v := range vars {
		if val, ok := os.LookupEnv(v.Name); !ok || strings.TrimSpace(val) == "" {
			v.Empty = ok
			e.Vars = append(e.Vars, v)
		}
	}
	if len(e.Vars) == 0 { // set again since: still report the read that failed
		e.File, e.Vars = "", []EnvVar{{Name: s.Env}}
	}
	return e
}

// inventory.String names the source for messages; never its content.
func (s PEMSource) String() string {
	if s.Env != "" {
		return "$" + s.Env
	}
	return s.File
}

// BundleError says which of the three sources a problem is about.
type BundleError struct {
	// Field is "certificate", "chain" or "private_key".
	Field string
	Err   error
}

func (e *BundleError) Error() string {
	// Unset variables named with their fields say which field each is;
	// "certificate: " before them would name the wrong one.
	if ue := (*EnvUnsetError)(nil); errors.As(e.Err, &ue) && len(ue.Vars) > 0 && ue.Vars[0].Path != "" {
		return ue.Error()
	}
	return e.Err.Error()
}

// Unwrap returns the cause (ErrSourceMissing, for one).
func (e *BundleError) Unwrap() error { return e.Err }

func bundleErr(field string, format string, args ...any) error {
	return &BundleError{Field: field, Err: fmt.Errorf(format, args...)}
}

// Bundle is a parsed certificate, chain and key.
type Bundle struct {
	Leaf  *x509.Certificate
	Chain []*x509.Certificate
	Key   crypto.Signer
	// PEMs as read, for sending.
	CertPEM, ChainPEM, KeyPEM []byte
}

// LoadBundle reads and checks the sources: the PEMs parse, the key matches
// the certificate, an RSA key has at least 2048 bits, the chain signs the
// leaf link by link, and the leaf is valid at now. A missing source wraps
// ErrSourceMissing; unset environment variables are all named at once
// (EnvUnsetError).
func LoadBundle(s Sources, now time.Time) (*Bundle, error) {
	return loadBundle(s, now, nil)
}

// loadBundle is LoadBundle, with the chain and key files shared through
// cache (nil: none).
func loadBundle(s Sources, now time.Time, cache *pemCache) (*Bundle, error) {
	s = s.withEnvFields()
	var b Bundle
	var err error
	if b.CertPEM, err = s.Certificate.Read(); err != nil {
		return nil, bundleErr("certificate", "certificate: %w", err)
	}
	if b.Leaf, err = pemutil.Certificate(b.CertPEM); err != nil {
		return nil, bundleErr("certificate", "certificate %s: %w", s.Certificate, err)
	}
	key := cache.entry("key", s.Key)
	if b.KeyPEM, err = key.pem, key.readErr; err != nil {
		return nil, bundleErr("private_key", "private key: %w", err)
	}
	if b.Key, err = key.key, key.err; err != nil {
		return nil, bundleErr("private_key", "private key %s: %w", s.Key, err)
	}
	linkErr := -1
	if s.Chain.File != "" || s.Chain.Env != "" {
		chain := cache.entry("chain", s.Chain)
		if b.ChainPEM, err = chain.pem, chain.readErr; err != nil {
			return nil, bundleErr("chain", "chain: %w", err)
		}
		if b.Chain, err = chain.chain, chain.err; err != nil {
			return nil, bundleErr("chain", "chain %s: %w", s.Chain, err)
		}
		linkErr = chain.linkErr
	}
	if !samePublicKey(b.Leaf.PublicKey, b.Key.Public()) {
		return nil, bundleErr("private_key", "the private key %s does not match the certificate %s", s.Key, s.Certificate)
	}
	if k, ok := b.Key.Public().(*rsa.PublicKey); ok && k.N.BitLen() < 2048 {
		return nil, bundleErr("private_key", "the private key %s is a %d-bit RSA key; QUANTIL needs at least 2048 bits", s.Key, k.N.BitLen())
	}
	if len(b.Chain) > 0 {
		// The leaf against the chain's first certificate here; the chain's
		// own links were checked when it was parsed.
		bad := -1
		if cache.checkSignature(b.Leaf, b.Chain[0]) != nil {
			bad = 0
		} else if linkErr >= 0 {
			bad = linkErr + 1
		}
		if bad >= 0 {
			prev := b.Leaf
			if bad > 0 {
				prev = b.Chain[bad-1]
			}
			c := b.Chain[bad]
			return nil, bundleErr("chain", "chain %s: certificate %d (%q) did not sign %q: the chain goes from the leaf's issuer towards the root", s.Chain, bad+1, c.Subject.CommonName, prev.Subject.CommonName)
		}
	}
	if now.After(b.Leaf.NotAfter) {
		return nil, bundleErr("certificate", "the certificate %s expired on %s", s.Certificate, b.Leaf.NotAfter.UTC().Format("2006-01-02"))
	}
	return &b, nil
}

func samePublicKey(a, b any) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if e, ok := a.(equaler); ok {
		return e.Equal(b)
	}
	return false
}

// Check runs the offline rules of every CDN certificate: unique names,
// one source per part, a from that names an item publishing a bundle (and
// not one the inventory revokes or cancels), domains each bound by one item,
// and what can be read now (key matches certificate, chain signs it). This
// is the one place a bundle is verified before apply: observe reuses the
// leaf it read.
func (q *Section) Check(r *inventory.Report, inv *inventory.Inventory) {
	names := map[string]bool{}
	domainOwner := map[string]string{}
	for i := range q.Certificates {
		q.Certificates[i].path = fmt.Sprintf("quantil.certificates[%d]", i)
	}
	loaded := q.loadBundles(inv)
	for i := range q.Certificates {
		c := &q.Certificates[i]
		path := c.path
		if inventory.Required(r, path+".name", c.Name, c.Pos) {
			if names[c.Name.Value] {
				r.Add(c.Name.Pos, path+".name", "%q is already the name of another certificate (names are unique per QUANTIL account)", c.Name.Value)
			} else if strings.Contains(c.Name.Value, "/") {
				r.Add(c.Name.Pos, path+".name", "must not contain '/'")
			}
			names[c.Name.Value] = true
		}
		inventory.OneOfExact(r, path+".state", c.State, CertificateStates)
		if c.State.Value == "absent" {
			if c.Domains.Set {
				r.Add(c.Domains.Pos, path+".domains", "a certificate to delete serves no domains: bind them on another item")
			}
			continue // only the name matters for a delete
		}
		checkDomains(r, path, c, domainOwner)
		ownCert := c.Certificate.Value != "" || c.CertificateEnv.Value != ""
		var from *inventory.BundleFiles
		if c.From.Value != "" {
			f, err := inv.Bundle(c.From.Value)
			switch {
			case err != nil:
				r.Add(c.From.Pos, path+".from", "%v", err)
			default:
				from = &f
				if why, withdrawn := inv.Withdrawn(c.From.Value); withdrawn {
					// Deploying it would leave a revoked or cancelled
					// certificate on the CDN while every plan looks clean.
					r.Add(c.From.Pos, path+".from", "%s publishes no certificate (%s): deploy another source here, or set state: absent to delete this certificate from the CDN", c.From.Value, why)
				} else if names, known := inv.CertificateNames(c.From.Value); known && !ownCert {
					// What the item declares is what it will issue: its
					// files on disk may still be the certificate it is
					// about to replace (a paid reissue), so judge these.
					checkCovered(r, path, c, names, fmt.Sprintf("the certificate %s will carry", c.From.Value),
						fmt.Sprintf("add it to the names of %s, or bind it to another certificate", c.From.Value))
				}
			}
		}
		parts := []struct {
			what      string
			file, env inventory.String
			required  bool
		}{
			{"certificate", c.Certificate, c.CertificateEnv, true},
			{"chain", c.Chain, c.ChainEnv, false},
			{"private_key", c.PrivateKey, c.PrivateKeyEnv, true},
		}
		for _, p := range parts {
			n := 0
			for _, s := range []inventory.String{p.file, p.env} {
				if s.Value != "" {
					n++
				}
			}
			if n == 2 {
				r.Add(p.env.Pos, path+"."+p.what+"_env", "set either %s or %s_env, not both", p.what, p.what)
			}
			if n > 0 || from == nil {
				if n == 0 && p.required && c.From.Value == "" {
					r.Add(c.Pos, path+"."+p.what, "is required: a file, %s_env, or from", p.what)
				}
				continue
			}
			// from must supply it.
			switch p.what {
			case "certificate":
				if from.Certificate == "" {
					r.Add(c.From.Pos, path+".from", "%s has no certificate file to deploy", c.From.Value)
				}
			case "chain":
				// optional: an item without a chain file deploys without one
			case "private_key":
				if from.Key == "" {
					why := from.NoKey
					if why == "" {
						why = "certsync does not know its key"
					}
					r.Add(c.From.Pos, path+".from", "%s: %s: set private_key or private_key_env here", c.From.Value, why)
				}
			}
		}
		// Check what can be read now. A source not there yet (an order not
		// issued, an environment variable only set where certsync runs) is
		// fine offline; plan and apply need it.
		src, stamp, b, err := loaded[i].src, loaded[i].stamp, loaded[i].bundle, loaded[i].err
		if err == nil && c.From.Value == "" && stamp != "" {
			c.checked = &checkedLeaf{leaf: factsOf(b.Leaf), stamp: stamp}
		}
		if ownCert {
			// Its own certificate, when it can be read now (the key may
			// only be where certsync runs): the CDN refuses to bind a
			// domain it does not cover.
			leaf := (*x509.Certificate)(nil)
			if err == nil {
				leaf = b.Leaf
			} else if pem, rerr := src.Certificate.Read(); rerr == nil {
				leaf, _ = pemutil.Certificate(pem)
			}
			if leaf != nil {
				checkCovered(r, path, c, certNames(leaf), "the certificate "+src.Certificate.String(), "use a certificate that covers it, or bind it to another certificate")
			}
		}
		var be *BundleError
		if err != nil && !errors.Is(err, ErrSourceMissing) && errors.As(err, &be) {
			field, env := c.Certificate, c.CertificateEnv
			switch be.Field {
			case "chain":
				field, env = c.Chain, c.ChainEnv
			case "private_key":
				field, env = c.PrivateKey, c.PrivateKeyEnv
			}
			if !field.Set && !env.Set && c.From.Set {
				// The upstream item's own files: they change while it is
				// reissued (a new key before its certificate); plan judges
				// them against the item's state.
				continue
			}
			pos, at := c.Pos, path+"."+be.Field
			switch {
			case field.Set:
				pos = field.Pos
			case env.Set:
				pos, at = env.Pos, path+"."+be.Field+"_env"
			case c.From.Set:
				pos, at = c.From.Pos, path+".from"
			}
			r.Add(pos, at, "%s", be.Err)
		}
	}
}

// loadedBundle is what Check reads of one item before its rules run.
type loadedBundle struct {
	src    Sources
	stamp  string
	bundle *Bundle
	err    error
}

// loadBundles reads and checks every item's bundle (but those to delete),
// spread over the cores: parsing keys and checking signatures is most of
// what a load of many certificates costs. Each item's paths must be set.
func (q *Section) loadBundles(inv *inventory.Inventory) []loadedBundle {
	out := make([]loadedBundle, len(q.Certificates))
	now, cache := time.Now(), newPEMCache(inv.SignedBy)
	parallel.Each(len(q.Certificates), func(i int) {
		c := &q.Certificates[i]
		if c.State.Value == "absent" {
			return
		}
		l := &out[i]
		l.src = SourcesOf(inv, c)
		l.stamp = l.src.Certificate.stamp()
		l.bundle, l.err = loadBundle(l.src, now, cache)
	})
	return out
}

// checkDomains checks certificates[].domains: host names, each listed once
// in the whole section (a domain serves one certificate).
func checkDomains(r *inventory.Report, path string, c *CertificateItem, owner map[string]string) {
	for i, d := range c.Domains.Values {
		pos := c.Domains.Pos
		if i < len(c.Domains.Items) {
			pos = c.Domains.Items[i]
		}
		at := fmt.Sprintf("%s.domains[%d]", path, i)
		name := normalDomain(d)
		switch {
		case !validDomain(name):
			r.Add(pos, at, "%q is not a CDN domain name", d)
		case owner[name] == c.Name.Value:
			r.Add(pos, at, "%s is listed twice", name)
		case owner[name] != "":
			r.Add(pos, at, "%s is already bound to %s: a domain serves one certificate", name, owner[name])
		default:
			owner[name] = c.Name.Value
		}
	}
}

// checkCovered reports each valid domain of c that names (those of the
// certificate whose is, e.g. "the certificate cdn.crt") do not cover, at
// its domains entry; fix says what to do.
func checkCovered(r *inventory.Report, path string, c *CertificateItem, names []string, whose, fix string) {
	for i, d := range c.Domains.Values {
		name := normalDomain(d)
		if !validDomain(name) || len(uncoveredDomains(names, []string{name})) == 0 {
			continue
		}
		pos := c.Domains.Pos
		if i < len(c.Domains.Items) {
			pos = c.Domains.Items[i]
		}
		r.Add(pos, fmt.Sprintf("%s.domains[%d]", path, i), "%s is not covered by %s (names %s): QUANTIL refuses to bind it; %s", name, whose, strings.Join(names, ", "), fix)
	}
}

// validDomain says whether a normalised name can be a CDN domain.
func validDomain(name string) bool {
	return name != "" && !strings.ContainsAny(name, " /:*") && strings.Contains(name, ".")
}

// normalDomain is a domain name as compared: lower case, no final dot.
func normalDomain(d string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
}
