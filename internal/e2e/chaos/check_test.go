package chaos

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	certstate "github.com/certsync/certsync/internal/state"
	"github.com/certsync/certsync/internal/vendors/ccadb"
	"github.com/certsync/certsync/internal/vendors/ccadb/ccadbsim"
	"github.com/certsync/certsync/internal/vendors/markmonitor"
	"github.com/certsync/certsync/internal/vendors/markmonitor/mmsim"
	"github.com/certsync/certsync/internal/vendors/quantil"
	"github.com/certsync/certsync/internal/vendors/quantil/quantilsim"
)

// checkSimulators opens the simulators' state as the stopped process left it
// and checks that it holds exactly inventory version 2: one record, order or
// CDN certificate per item and every managed field. It returns the number of
// duplicates found (each also fails the test).
func checkSimulators(t *testing.T, dir string, w *world) int {
	t.Helper()
	dups := 0
	dup := func(format string, args ...any) {
		dups++
		t.Errorf("DUPLICATE: "+format, args...)
	}

	// CCADB: one intermediate record per certificate, every field as sent.
	sb, err := ccadb.Sandbox(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs := sb.Handler.(*ccadbsim.Server)
	bySHA := map[string][]ccadbsim.Record{}
	for _, r := range cs.Records() {
		bySHA[r.SHA256] = append(bySHA[r.SHA256], r)
	}
	for i, ca := range w.cas {
		recs := bySHA[ca.SHA256()]
		switch {
		case len(recs) == 0:
			t.Errorf("ccadb: no record for ca-%03d", i)
			continue
		case len(recs) > 1:
			dup("ccadb: %d records for ca-%03d", len(recs), i)
		}
		r := recs[0]
		for field, want := range map[string]string{
			ccadbsim.FieldDescription: caDescription(i, 2),
			// A list is stored as the compact JSON text the API takes.
			ccadbsim.FieldAllFullCRLURLs: `["` + caFullCRL(i, 2) + `"]`,
			ccadbsim.FieldPublicComments: caComments(2),
		} {
			if got := r.Fields[field]; got != want {
				t.Errorf("ccadb: ca-%03d %s = %q, want %q (a lost update)", i, field, got, want)
			}
		}
		if r.CAOwner != "Example CA" || r.ParentSHA256 != w.root.SHA256() || r.RecordType != "Intermediate Certificate" {
			t.Errorf("ccadb: ca-%03d owner %q, type %q, parent %s", i, r.CAOwner, r.RecordType, r.ParentSHA256)
		}
	}
	if n := len(bySHA) - len(w.cas) - 1; n != 0 {
		t.Errorf("ccadb: %d records besides the root and the inventory's intermediates", n)
	}

	// Markmonitor: one organization, each contact once, one order per item.
	msb, err := markmonitor.Sandbox(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	ms := msb.Handler.(*mmsim.Server)
	var orgID string
	for _, o := range ms.Organizations() {
		if o.Name != "Example Inc." {
			t.Errorf("markmonitor: unexpected organization %q", o.Name)
			continue
		}
		if orgID != "" {
			dup("markmonitor: organization %q twice", o.Name)
		}
		orgID = o.ID
	}
	contacts := map[string][]mmsim.Contact{}
	for _, c := range ms.Contacts() {
		// The vendor adds its own support contact to every organization.
		if c.OrganizationID == orgID && strings.HasSuffix(c.Email, "@example.com") {
			contacts[c.Email] = append(contacts[c.Email], c)
		}
	}
	for i := 0; i < contactCount; i++ {
		cs := contacts[contactEmail(i)]
		switch {
		case len(cs) == 0:
			t.Errorf("markmonitor: contact %s missing", contactEmail(i))
			continue
		case len(cs) > 1:
			dup("markmonitor: contact %s %d times", contactEmail(i), len(cs))
		}
		if cs[0].JobTitle != contactTitle(i, 2) {
			t.Errorf("markmonitor: contact %s job title %q, want %q (a lost update)", contactEmail(i), cs[0].JobTitle, contactTitle(i, 2))
		}
	}
	for email := range contacts {
		if !strings.HasPrefix(email, "c") || len(contacts) != contactCount {
			t.Errorf("markmonitor: %d contacts, want %d; %s is one", len(contacts), contactCount, email)
		}
	}
	marker := regexp.MustCompile(`certsync name=(\S+)`)
	orders := map[string][]mmsim.Order{}
	for _, o := range ms.Orders() {
		m := marker.FindStringSubmatch(o.Comments)
		if m == nil {
			t.Errorf("markmonitor: order %s without certsync's marker", o.ID)
			continue
		}
		orders[m[1]] = append(orders[m[1]], o)
	}
	for i := 0; i < w.orders; i++ {
		n := orderName(i)
		got := orders[n]
		switch {
		case len(got) == 0:
			t.Errorf("markmonitor: no order for %s", n)
			continue
		case len(got) > 1:
			dup("markmonitor: %d orders for %s", len(got), n)
		}
		o := got[0]
		if o.Status != mmsim.StatusDigiIssued || o.Cert == nil {
			t.Errorf("markmonitor: order %s is %s", n, o.Status)
			continue
		}
		if !slices.Equal(o.AdditionalEmails, orderEmails(i, 2)) {
			t.Errorf("markmonitor: order %s additional e-mails %v, want %v (a lost update)", n, o.AdditionalEmails, orderEmails(i, 2))
		}
		if !slices.Equal(o.Cert.DNSNames, orderDNS(i, 2)) {
			t.Errorf("markmonitor: order %s DNS names %v, want %v (a lost reissue)", n, o.Cert.DNSNames, orderDNS(i, 2))
		}
		if file := readCerts(t, filepath.Join(w.dir, "out", n+".crt")); len(file) != 1 || !sameCert(file[0], o.Cert.EndEntityCert) {
			t.Errorf("markmonitor: out/%s.crt is not the order's certificate", n)
		}
	}
	if len(orders) != w.orders {
		t.Errorf("markmonitor: orders for %d items, want %d", len(orders), w.orders)
	}

	// QUANTIL: one certificate per name, the right certificate and comment.
	qsb, err := quantil.Sandbox(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	qcerts := map[string][]quantilsim.Certificate{}
	for _, c := range qsb.Handler.(*quantilsim.Server).Certificates() {
		qcerts[c.Name] = append(qcerts[c.Name], c)
	}
	want := map[string]*x509.Certificate{}
	for i := 0; i < w.orders; i++ {
		if c := readCerts(t, filepath.Join(w.dir, "out", orderName(i)+".crt")); len(c) == 1 {
			want[orderName(i)+".example.com"] = c[0]
		}
	}
	for i := 0; i < w.cdnFromFiles; i++ {
		want[cdnName(i)+".example.com"] = w.leaves[cdnLeaf(i, 2)].Cert
	}
	for name, leaf := range want {
		cs := qcerts[name]
		switch {
		case len(cs) == 0:
			t.Errorf("quantil: no certificate %s", name)
			continue
		case len(cs) > 1:
			dup("quantil: %d certificates named %s", len(cs), name)
		}
		c := cs[0]
		if c.Serial != leaf.SerialNumber.Text(16) {
			t.Errorf("quantil: %s has serial %s, want %s (a lost update)", name, c.Serial, leaf.SerialNumber.Text(16))
		}
		if c.Comment != cdnComment(2) {
			t.Errorf("quantil: %s comment %q, want %q (a lost update)", name, c.Comment, cdnComment(2))
		}
		if !keyMatches(c.KeyPEM, leaf) {
			t.Errorf("quantil: %s holds a key that does not match its certificate", name)
		}
	}
	if len(qcerts) != len(want) {
		t.Errorf("quantil: %d certificates, want %d", len(qcerts), len(want))
	}
	return dups
}

// checkFiles checks what certsync wrote: whole certificate files, private
// keys readable by their owner only, no temporary file left behind.
func checkFiles(t *testing.T, w *world, state string) {
	t.Helper()
	for i := 0; i < w.orders; i++ {
		n := orderName(i)
		leaf := readCerts(t, filepath.Join(w.dir, "out", n+".crt"))
		chain := readCerts(t, filepath.Join(w.dir, "out", n+".chain.pem"))
		full := readCerts(t, filepath.Join(w.dir, "out", n+".full.pem"))
		if len(leaf) != 1 || len(chain) == 0 || len(full) != 1+len(chain) || !full[0].Equal(leaf[0]) {
			t.Errorf("%s: certificate files hold %d, %d and %d certificates", n, len(leaf), len(chain), len(full))
			continue
		}
		if err := leaf[0].CheckSignatureFrom(chain[0]); err != nil {
			t.Errorf("%s: the chain file does not sign the certificate: %v", n, err)
		}
		key := filepath.Join(w.dir, "keys", n+".key")
		if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: key file %v, mode %v; want 0600", n, err, fi.Mode())
		}
		data, _ := os.ReadFile(key)
		if !keyMatches(string(data), leaf[0]) {
			t.Errorf("%s: the key file does not match the issued certificate", n)
		}
	}
	// certsync's own records load after every kill: nothing half written.
	st, err := certstate.Open(state, ccadb.Name)
	if err != nil {
		t.Errorf("certsync's CCADB state does not load: %v", err)
	} else {
		_ = st.Close()
	}
	for _, dir := range []string{w.dir, state} {
		_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				t.Error(err)
				return nil
			}
			if strings.Contains(d.Name(), ".tmp-") {
				t.Errorf("a temporary file was left behind: %s", path)
			}
			if fi, err := d.Info(); err == nil && !d.IsDir() && fi.Mode().Perm()&0o022 != 0 {
				t.Errorf("%s is writable by others (mode %v)", path, fi.Mode())
			}
			return nil
		})
	}
}

// checkSecrets looks for every secret, and every private key's material, in
// every output certsync produced and in its state directory.
func checkSecrets(t *testing.T, secrets []string, w *world, dirs ...string) {
	t.Helper()
	keys, _ := filepath.Glob(filepath.Join(w.dir, "keys", "*.key"))
	leafKeys, _ := filepath.Glob(filepath.Join(w.dir, "leaf", "*.key"))
	hits, scanned, debug := findSecrets(secrets, append(keys, leafKeys...), dirs...)
	for _, h := range hits {
		t.Errorf("SECRET LEAKED: %s", h)
	}
	if scanned < 10 {
		t.Errorf("only %d files scanned for secrets", scanned)
	}
	if debug == 0 {
		t.Error("no debug-level log line in any output: the scan did not see debug logs")
	}
	t.Logf("scanned %d files (%d debug log lines) for %d secrets and %d keys", scanned, debug, len(secrets), len(keys)+len(leafKeys))
}

// findSecrets scans every file under dirs for the secrets (8 characters or
// more), for a fragment of each key file's material and for any PEM private
// key. It returns one line per hit, the files scanned and the debug-level
// log lines seen.
func findSecrets(secrets, keyFiles []string, dirs ...string) (hits []string, scanned, debug int) {
	type needle struct{ what, text string }
	var needles []needle
	for i, s := range secrets {
		if len(s) >= 8 {
			needles = append(needles, needle{fmt.Sprintf("sandbox secret #%d (%d chars)", i, len(s)), s})
		}
	}
	for _, f := range keyFiles {
		data, _ := os.ReadFile(f)
		if lines := strings.Split(string(data), "\n"); len(lines) > 2 && len(lines[1]) >= 40 {
			needles = append(needles, needle{"material of private key " + filepath.Base(f), lines[1][:40]})
		}
	}
	needles = append(needles, needle{"a PEM private key", "PRIVATE KEY-----"})
	for _, dir := range dirs {
		_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				hits = append(hits, fmt.Sprintf("cannot read %s: %v", path, err))
				return nil
			}
			scanned++
			debug += bytes.Count(data, []byte("level=DEBUG")) + bytes.Count(data, []byte(`"level":"DEBUG"`))
			for _, n := range needles {
				if bytes.Contains(data, []byte(n.text)) {
					hits = append(hits, fmt.Sprintf("%s in %s", n.what, path))
				}
			}
			return nil
		})
	}
	return hits, scanned, debug
}

func readCerts(t *testing.T, path string) []*x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("%v", err)
		return nil
	}
	var out []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			t.Errorf("%s: %v (a half-written file?)", path, err)
			return nil
		}
		out = append(out, c)
	}
	if len(bytes.TrimSpace(data)) != 0 {
		t.Errorf("%s: trailing bytes after the certificates (a half-written file?)", path)
	}
	return out
}

func sameCert(c *x509.Certificate, pemText string) bool {
	b, _ := pem.Decode([]byte(pemText))
	return b != nil && bytes.Equal(b.Bytes, c.Raw)
}

// keyMatches reports whether keyPEM is the private key of c.
func keyMatches(keyPEM string, c *x509.Certificate) bool {
	b, _ := pem.Decode([]byte(keyPEM))
	if b == nil {
		return false
	}
	var key any
	var err error
	switch b.Type {
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(b.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	}
	if err != nil {
		return false
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return false
	}
	pub, ok := signer.Public().(interface{ Equal(crypto.PublicKey) bool })
	return ok && pub.Equal(c.PublicKey)
}
