package quantil

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/certsync/certsync/internal/engine"
)

// importedCert is a certificate as the v1 list shows it, with the domains
// that use it (<related-domains>, left out when none does).
type importedCert struct {
	Certificate
	Domains []struct {
		Name string `xml:"domain-name"`
	} `xml:"related-domains>related-domain"`
}

// Import writes the account's certificates as the quantil section.
// QUANTIL never returns a certificate's or key's content, so certsync can
// only manage a certificate it can reproduce: one whose serial is the
// certificate an item of another vendor imported in the same run
// publishes (o.Offers; a Markmonitor order) is written as deploying that
// item (from: its address), and plans no change while the serials agree.
// Any other certificate is left out of the items and described in a
// comment (name, serial, expiry, domains, and the files to add to manage
// it): an item without readable sources could only fail to plan. The
// domains that use each certificate are named in a comment (certsync does
// not manage domain bindings unless an item lists them).
func (v *Vendor) Import(ctx context.Context, o engine.ImportOptions) (*engine.ImportResult, error) {
	_, data, err := v.client.do(ctx, http.MethodGet, "/api/ssl/certificate", nil, true)
	if err != nil {
		return nil, fmt.Errorf("list certificates: %w", err)
	}
	var list struct {
		Items []importedCert `xml:"ssl-certificate"`
	}
	if err := xml.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("read the certificate list: %w", err)
	}
	res := &engine.ImportResult{}
	sec := engine.NewYAMLMap()
	sec.Node.HeadComment = "Imported from QUANTIL. The API never returns a certificate's or key's content, so only\n" +
		"a certificate that an order of this inventory issued (the same serial) is written, as\n" +
		"deploying that order (from:); certsync then renews it on the CDN with the order. The\n" +
		"others are left out and listed at the end of this section with what to add to manage them."
	sort.SliceStable(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	seen := map[string]bool{}
	items := []*yaml.Node{}
	var leftOut []string
	for i := range list.Items {
		c := &list.Items[i]
		if c.Name == "" || strings.Contains(c.Name, "/") || seen[c.Name] {
			res.Notes = append(res.Notes, fmt.Sprintf("quantil: certificate %s has a name the inventory cannot key it by (%q); left out", c.ID, c.Name))
			continue
		}
		seen[c.Name] = true
		offer, ok := o.Offers[engine.NormalSerial(c.serial())]
		if !ok || c.serial() == "" {
			leftOut = append(leftOut, unmanaged(c, o.FilesDir))
			res.Notes = append(res.Notes, fmt.Sprintf("quantil: certificate %s (%s) is issued by no order imported in this run and its content cannot be read; left out: the inventory's comment says what to add to manage it (import the vendor of its order in the same run to deploy that order)", c.Name, c.ID))
			continue
		}
		m := engine.NewYAMLMap()
		k := m.Set("name", c.Name)
		k.LineComment = describe(c)
		k.HeadComment = usedBy(c)
		if c.Comment != "" {
			m.Set("comment", c.Comment)
		}
		m.Set("from", offer.Address).LineComment = "the same serial: its certificate and chain"
		if offer.KeyFile != "" {
			m.Set("private_key", offer.KeyFile).LineComment = "the order's key, readable from neither vendor: put it here (mode 0600) before the order renews"
		}
		items = append(items, m.Node)
	}
	k := sec.Set("certificates", engine.YAMLList(items...))
	if len(items) == 0 {
		// A head comment: yaml.v3 writes a line comment before [] so that
		// the list lands on a line of its own, which does not parse.
		k.HeadComment = "No certificate certsync can reproduce (see the end of this section)."
	}
	if len(leftOut) > 0 {
		sec.Node.FootComment = "Left out: certificates on the CDN that no order of this inventory issued. QUANTIL does\n" +
			"not return their content, so certsync cannot reproduce them; an item without their\n" +
			"files could only fail to plan. To manage one, add it to certificates: with its name and\n" +
			"the deployed certificate, chain and key (files, or the matching *_env variables); the same\n" +
			"serial plans no change.\n\n" + strings.Join(leftOut, "\n\n")
	}
	res.Section = sec.Node
	return res, nil
}

// describe is a certificate's id, serial and expiry, as the list shows them.
func describe(c *importedCert) string {
	s := "certificate " + c.ID
	if sn := c.serial(); sn != "" {
		s += ", serial " + sn
	}
	if t, ok := c.expires(); ok {
		s += ", expires " + t.Format("2006-01-02")
	}
	return s
}

// usedBy names the CDN domains that serve c and the names it covers.
func usedBy(c *importedCert) string {
	var doms []string
	for _, d := range c.Domains {
		doms = append(doms, d.Name)
	}
	s := "No domain uses it."
	if len(doms) > 0 {
		s = "Used by " + strings.Join(doms, ", ") + "."
	}
	if names := c.names(); len(names) > 0 {
		s += "\nCovers " + strings.Join(names, ", ") + "."
	}
	return s
}

var unsafeFileName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// unmanaged is the comment block for a certificate certsync cannot
// reproduce: what it is, and the item that would manage it, with files
// named under filesDir for the person to provide.
func unmanaged(c *importedCert, filesDir string) string {
	base := path.Join(filepath.ToSlash(filesDir), Name, unsafeFileName.ReplaceAllString(c.Name, "_"))
	lines := []string{
		fmt.Sprintf("%s (%s)", c.Name, describe(c)),
		usedBy(c),
		"To manage it:",
		"- name: " + c.Name,
	}
	if c.Comment != "" {
		lines = append(lines, fmt.Sprintf("  comment: %q", c.Comment))
	}
	lines = append(lines,
		"  certificate: "+base+".crt",
		"  chain: "+base+".chain.pem",
		"  private_key: "+base+".key   # mode 0600; never printed or logged")
	return strings.Join(lines, "\n")
}

// names are the DNS names the list shows for a certificate, whichever
// generation of fields carried them.
func (c *importedCert) names() []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range append(c.DNSNames.Items, c.CommonNames.Items...) {
		if s := strings.ToLower(strings.TrimSpace(t.Text)); s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
