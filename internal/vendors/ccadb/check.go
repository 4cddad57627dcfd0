package ccadb

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/parallel"
	"github.com/certsync/certsync/internal/pemutil"
)

// Check applies defaults, loads the certificates and runs every offline rule.
func (c *Section) Check(r *inventory.Report, inv *inventory.Inventory) {
	dir := inv.Dir
	const base = "ccadb"
	empty := &Record{Audits: &Audits{}, Policy: &Policy{}, Issuance: &Issuance{}}
	if c.Defaults != nil {
		fillGroups(c.Defaults, empty)
		checkRecord(r, base+".defaults", c.Defaults)
	}
	names := map[string]string{}
	shas := map[string]string{}
	// Many intermediates share a parent: each parent is read and parsed once.
	parents := map[string]*x509.Certificate{}
	// Signatures are the costly part of a load: they are checked after
	// the loop, spread over the cores (reports are sorted by position).
	var sigs []sigCheck
	// Each intermediate's own file is read and parsed up front, on all cores.
	own := make([]certRef, len(c.Intermediates))
	parallel.Each(len(own), func(i int) {
		if ref := c.Intermediates[i].Certificate; ref.Set && ref.Value != "" {
			own[i] = readCertRef(dir, ref)
		}
	})
	for i := range c.Intermediates {
		it := &c.Intermediates[i]
		path := fmt.Sprintf("%s.intermediates[%d]", base, i)
		if c.Defaults != nil {
			def := inheritable(&it.Record, c.Defaults)
			inventory.MergeDefaults(reflect.ValueOf(&it.Record).Elem(), reflect.ValueOf(&def).Elem())
		}
		fillGroups(&it.Record, empty)
		cert := loadCert(r, dir, path+".certificate", it.Certificate, it.Pos, nil, &own[i])
		it.ParentCert = loadCert(r, dir, path+".parent", it.Parent, it.Pos, parents, nil)
		if cert != nil {
			if !cert.IsCA {
				r.Add(it.Certificate.Pos, path+".certificate", "is not a CA certificate (basicConstraints CA:FALSE); CCADB intermediate records are for CA certificates")
			}
			cn := cert.Subject.CommonName
			if !it.Name.Set {
				if cn == "" {
					r.Add(it.Certificate.Pos, path+".name", "the certificate has no subject CN to name the record after; set name")
				} else {
					it.Name = inventory.String{Value: cn, Set: true, Pos: it.Certificate.Pos}
				}
			}
			if !it.CertificateName.Set {
				it.CertificateName = inventory.String{Value: cn, Set: cn != "", Pos: it.Certificate.Pos}
			}
			sha := pemutil.SHA256(cert.Raw)
			if prev, dup := shas[sha]; dup {
				r.Add(it.Certificate.Pos, path+".certificate", "is the same certificate as %s (SHA-256 %s)", prev, sha)
			}
			shas[sha] = path
			it.CertSHA256 = sha
		}
		if cert != nil && it.ParentCert != nil {
			sigs = append(sigs, sigCheck{pos: it.Parent.Pos, path: path + ".parent", child: cert, parent: it.ParentCert})
		}
		if it.Name.Set {
			if strings.TrimSpace(it.Name.Value) == "" || strings.Contains(it.Name.Value, "/") {
				r.Add(it.Name.Pos, path+".name", "must be non-empty and must not contain '/'")
			} else if prev, dup := names[it.Name.Value]; dup {
				r.Add(it.Name.Pos, path+".name", "%q is already the name of %s; names must be unique (set name to tell them apart)", it.Name.Value, prev)
			} else {
				names[it.Name.Value] = path
			}
		}
		if !it.CAOwner.Set || it.CAOwner.Value == "" {
			r.Add(it.Pos, path+".ca_owner", "is required (set it here or in ccadb.defaults): the CCADB needs the CA Owner to add a record")
		}
		checkRecord(r, path, &it.Record)
	}
	errs := make([]error, len(sigs))
	parallel.Each(len(sigs), func(i int) { errs[i] = inv.SignedBy(sigs[i].child, sigs[i].parent) })
	for i, err := range errs {
		if err != nil {
			s := sigs[i]
			r.Add(s.pos, s.path, "did not sign the certificate (%q is not signed by %q): %v",
				s.child.Subject.String(), s.parent.Subject.String(), err)
		}
	}
}

// sigCheck is one intermediate's signature to check against its parent,
// and where to report a failure.
type sigCheck struct {
	pos           inventory.Pos
	path          string
	child, parent *x509.Certificate
}

// inheritable is the part of defaults an intermediate inherits: all of it,
// except the audits when the intermediate says its audits are the parent's,
// and each document it says is the parent's. Those fields would otherwise
// be sent for a record that does not have its own.
func inheritable(own, defaults *Record) Record {
	def := *defaults // its Audits and Policy are the defaults': copied before a change
	if own.Audits != nil && own.Audits.SameAsParent.Set && own.Audits.SameAsParent.Value && def.Audits != nil {
		def.Audits = &Audits{SameAsParent: def.Audits.SameAsParent}
	}
	if own.Policy == nil || def.Policy == nil {
		return def
	}
	var policy *Policy // def's own copy, made at the first change
	writable := func() *Policy {
		if policy == nil {
			p := *def.Policy
			policy, def.Policy = &p, &p
		}
		return policy
	}
	for _, d := range []struct {
		own   *Document
		clear func(*Policy)
	}{
		{&own.Policy.CP, func(p *Policy) { p.CP = Document{} }},
		{&own.Policy.CPS, func(p *Policy) { p.CPS = Document{} }},
		{&own.Policy.CPCPS, func(p *Policy) { p.CPCPS = Document{} }},
		{&own.Policy.MarkdownCPCPS, func(p *Policy) { p.MarkdownCPCPS = Document{} }},
	} {
		if d.own.SameAsParent.Set && d.own.SameAsParent.Value {
			d.clear(writable())
		}
	}
	if sa := own.Policy.SelfAssessment.SameAsParent; sa.Set && sa.Value {
		writable().SelfAssessment = SelfAssessment{}
	}
	return def
}

// fillGroups points a record's groups that are still nil (neither it nor
// the defaults set them) at empty ones, so that readers need no nil checks.
// empty is shared by every record of a section and never written to.
func fillGroups(r *Record, empty *Record) {
	if r.Audits == nil {
		r.Audits = empty.Audits
	}
	if r.Policy == nil {
		r.Policy = empty.Policy
	}
	if r.Issuance == nil {
		r.Issuance = empty.Issuance
	}
}

// CertificateDER reads the intermediate's certificate again (dir is the
// inventory's directory) for a request that sends it, and fails if it is
// no longer the certificate Load checked: a change applies what the plan
// showed, or nothing.
func (it *Intermediate) CertificateDER(dir string) ([]byte, error) {
	ref := readCertRef(dir, it.Certificate)
	if ref.problem != "" {
		return nil, fmt.Errorf("certificate: "+ref.problem, ref.args...)
	}
	if sha := pemutil.SHA256(ref.cert.Raw); sha != it.CertSHA256 {
		return nil, fmt.Errorf("%w: %s now holds the certificate with SHA-256 %s, not %s; plan again", ErrCertificateChanged, it.Certificate.Value, sha, it.CertSHA256) // a file: inline PEM cannot change
	}
	return ref.cert.Raw, nil
}

// loadCert reads and parses a certificate reference; cache, when not nil,
// keeps parsed certificates by reference so a shared one is parsed once;
// read, when not nil, is the reference already read by readCertRef.
func loadCert(r *inventory.Report, dir, path string, ref inventory.String, owner inventory.Pos, cache map[string]*x509.Certificate, read *certRef) *x509.Certificate {
	if !ref.Set || ref.Value == "" {
		r.Add(owner, path, "is required: a PEM file path (relative to the inventory) or an inline PEM")
		return nil
	}
	if c, ok := cache[ref.Value]; ok && c != nil {
		return c
	}
	if read == nil {
		cr := readCertRef(dir, ref)
		read = &cr
	}
	if read.problem != "" {
		r.Add(ref.Pos, path, read.problem, read.args...)
		return nil
	}
	if cache != nil {
		cache[ref.Value] = read.cert
	}
	return read.cert
}

// certRef is a certificate reference read and parsed, or the problem
// that kept it from being: a format and its arguments for Report.Add, which
// shortens over-long arguments (a pasted PEM as a path) itself.
type certRef struct {
	cert    *x509.Certificate
	problem string
	args    []any
}

// readCertRef reads (a file relative to dir, or inline PEM) and parses ref.
// It only reads, so references can be read concurrently.
func readCertRef(dir string, ref inventory.String) certRef {
	data := []byte(ref.Value)
	if !strings.HasPrefix(strings.TrimSpace(ref.Value), "-----BEGIN") {
		file := ref.Value
		if !filepath.IsAbs(file) {
			file = filepath.Join(dir, file)
		}
		var err error
		if data, err = pemutil.ReadFile(file); err != nil {
			return certRef{problem: "cannot read %s: %v", args: []any{file, inventory.UnwrapPathErr(err)}}
		}
	}
	cert, err := pemutil.Certificate(data)
	if err != nil {
		return certRef{problem: "is not a PEM certificate: %v", args: []any{err}}
	}
	return certRef{cert: cert}
}

var dateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// parseDate checks a yyyy-MM-dd field; "" (clear) and unset are fine.
func parseDate(r *inventory.Report, path string, s inventory.String) (time.Time, bool) {
	if !s.Set || s.Value == "" {
		return time.Time{}, false
	}
	t, err := time.Parse("2006-01-02", s.Value)
	if !dateRE.MatchString(s.Value) || err != nil {
		r.Add(s.Pos, path, "%q is not a date in the form yyyy-MM-dd (e.g. 2025-03-31)", s.Value)
		return time.Time{}, false
	}
	return t, true
}

func oneOf(r *inventory.Report, path string, s inventory.String, allowed []string) {
	if !s.Set || s.Value == "" || slices.Contains(allowed, s.Value) {
		return
	}
	for _, a := range allowed {
		if strings.EqualFold(a, s.Value) || strings.HasSuffix(strings.ToLower(a), ") "+strings.ToLower(s.Value)) {
			r.Add(s.Pos, path, "%q is not spelt as the CCADB spells it; did you mean %q?", s.Value, a)
			return
		}
	}
	r.Add(s.Pos, path, "%q is not one of: %s", s.Value, inventory.QuoteAll(allowed))
}

// checkRecord runs the field rules of AddUpdateIntermediateCertAPI on one record.
func checkRecord(r *inventory.Report, path string, rec *Record) {
	rv := rec.Revocation
	rp := path + ".revocation"
	if rv.Status.Set && rv.Status.Value != "" && rv.Status.Value != "Revoked" {
		r.Add(rv.Status.Pos, rp+".status", `%q is not allowed: leave it "" for a certificate that is not revoked, or write "Revoked"`, rv.Status.Value)
	}
	parseDate(r, rp+".date", rv.Date)
	oneOf(r, rp+".reason", rv.Reason, RevocationReasons)
	if rv.Status.Value == "Revoked" {
		if rv.Date.Value == "" {
			r.Add(rv.Status.Pos, rp+".date", "is required when status is Revoked (yyyy-MM-dd)")
		}
		if rv.Reason.Value == "" {
			r.Add(rv.Status.Pos, rp+".reason", `is required when status is Revoked, e.g. "(4) superseded"`)
		}
	} else if rv.Status.Set {
		for _, f := range []struct {
			name string
			v    inventory.String
		}{{"date", rv.Date}, {"reason", rv.Reason}} {
			if f.v.Value != "" {
				r.Add(f.v.Pos, rp+"."+f.name, "is set but status is not Revoked")
			}
		}
	}
	inventory.CheckURL(r, rp+".alternate_crl", rv.AlternateCRL, "http", "https")

	cp := path + ".crls"
	checkCRLList(r, cp+".full", rec.CRLs.Full, false)
	checkCRLList(r, cp+".partitioned", rec.CRLs.Partitioned, true)

	ip := path + ".issuance"
	if id := rec.Issuance.CABForumPolicyIdentifier; id.Value != "" && !slices.Contains(CABForumPolicyIdentifiers, id.Value) {
		r.Warn(id.Pos, ip+".cabf_policy_identifier", "%q is not one of the CA/Browser Forum policy identifiers certsync knows (%s); the CCADB checks it against its own list", id.Value, inventory.QuoteAll(CABForumPolicyIdentifiers))
	}
	for _, v := range []struct {
		key string
		pv  PerValidation
	}{{"acme_endpoints", rec.Issuance.ACMEEndpoints}, {"automated_test_websites", rec.Issuance.AutomatedTestWebsites}} {
		for _, x := range v.pv.each() {
			inventory.CheckURL(r, ip+"."+v.key+"."+x.key, x.s, "http", "https")
		}
	}

	a := rec.Audits
	for _, x := range []struct {
		name string
		a    Audit
	}{
		{"standard", a.Standard}, {"netsec", a.NetSec}, {"tls_br", a.TLSBR}, {"tls_evg", a.TLSEVG},
		{"code_signing", a.CodeSigning}, {"smime", a.SMIME}, {"vmc", a.VMC},
	} {
		checkAudit(r, path+".audits."+x.name, x.a)
	}

	pp := path + ".policy"
	inventory.CheckURL(r, pp+".repository", rec.Policy.Repository, "http", "https")
	p := rec.Policy
	for _, d := range []struct {
		name, dateKey string
		url, date     inventory.String
		pos           inventory.Pos
	}{
		{"cp", "effective_date", p.CP.URL, p.CP.EffectiveDate, p.CP.Pos},
		{"cps", "effective_date", p.CPS.URL, p.CPS.EffectiveDate, p.CPS.Pos},
		{"cp_cps", "effective_date", p.CPCPS.URL, p.CPCPS.EffectiveDate, p.CPCPS.Pos},
		{"markdown_cp_cps", "effective_date", p.MarkdownCPCPS.URL, p.MarkdownCPCPS.EffectiveDate, p.MarkdownCPCPS.Pos},
		{"self_assessment", "completion_date", p.SelfAssessment.URL, p.SelfAssessment.CompletionDate, p.SelfAssessment.Pos},
	} {
		dp := pp + "." + d.name
		inventory.CheckURL(r, dp+".url", d.url, "http", "https")
		parseDate(r, dp+"."+d.dateKey, d.date)
		// The CCADB requires a document link together with its date.
		switch {
		case d.url.Value != "" && d.date.Value == "":
			r.Add(d.url.Pos, dp+"."+d.dateKey, "is required when %s.url is set (the CCADB needs the link's date)", dp)
		case d.date.Value != "" && d.url.Value == "":
			r.Add(d.date.Pos, dp+".url", "is required when %s.%s is set (a date needs the document it dates)", dp, d.dateKey)
		}
	}
	if rec.Auditor.Location.Value != "" && rec.Auditor.Name.Set && rec.Auditor.Name.Value == "" {
		r.Add(rec.Auditor.Location.Pos, path+".auditor.location", "is set but auditor.name is cleared; a location belongs to an auditor")
	}
}

// checkCRLList runs the CCADB's rules for a JSON array of CRL URLs: http(s)
// URLs, at most CRLListLimit characters as JSON, and, for the partitioned
// list, [""] alone for a CA that does not issue partitioned CRLs yet.
func checkCRLList(r *inventory.Report, path string, l inventory.Strings, partitioned bool) {
	if !l.Set {
		return
	}
	notYet := partitioned && len(l.Values) == 1 && l.Values[0] == ""
	for i, u := range l.Values {
		item := fmt.Sprintf("%s[%d]", path, i)
		if u == "" {
			if notYet {
				continue
			}
			if partitioned {
				r.Add(l.Items[i], item, `"" is only allowed alone, as [""], meaning "not yet issuing partitioned CRLs"`)
			} else {
				r.Add(l.Items[i], item, "must be a CRL URL; write [] to clear the list")
			}
			continue
		}
		inventory.CheckURL(r, item, inventory.String{Value: u, Set: true, Pos: l.Items[i]}, "http", "https")
	}
	if partitioned && len(l.Values) == 0 {
		r.Warn(l.Pos, path, `[] clears the list; the CCADB requires [""] from a CA that does not issue partitioned CRLs yet`)
	}
	if b, _ := json.Marshal(l.Values); len(b) > CRLListLimit {
		r.Add(l.Pos, path, "is %d characters as a JSON array; the CCADB allows at most %d", len(b), CRLListLimit)
	}
}

func checkAudit(r *inventory.Report, path string, a Audit) {
	inventory.CheckURL(r, path+".url", a.URL, "https")
	stmt, okS := parseDate(r, path+".statement_date", a.StatementDate)
	start, okA := parseDate(r, path+".period_start", a.PeriodStart)
	end, okE := parseDate(r, path+".period_end", a.PeriodEnd)
	// The Audit Type picklist is not published and changes: an unknown
	// type is flagged, and the CCADB has the last word.
	if t := a.Type; t.Value != "" && !slices.Contains(AuditTypes, t.Value) {
		r.Warn(t.Pos, path+".type", "%q is not an audit type certsync has seen in the CCADB documents (%s); the CCADB checks it against its own list", t.Value, inventory.QuoteAll(AuditTypes))
	}
	if a.URL.Value != "" {
		for _, f := range []struct {
			name string
			v    inventory.String
		}{{"type", a.Type}, {"statement_date", a.StatementDate}, {"period_start", a.PeriodStart}, {"period_end", a.PeriodEnd}} {
			if f.v.Value == "" {
				r.Add(a.URL.Pos, path+"."+f.name, "is required when the audit's url is set")
			}
		}
	}
	if okE && okS && end.After(stmt) {
		r.Add(a.PeriodEnd.Pos, path+".period_end", "%s is after the statement date %s; the period must end on or before the statement", a.PeriodEnd.Value, a.StatementDate.Value)
	}
	if okE && okA && end.Before(start) {
		r.Add(a.PeriodEnd.Pos, path+".period_end", "%s is before the period start %s", a.PeriodEnd.Value, a.PeriodStart.Value)
	}
}
