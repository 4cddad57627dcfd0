package quantil

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

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

var envUnsafe = regexp.MustCompile(`[^A-Z0-9]+`)

// Import writes the account's certificates as the quantil section. QUANTIL
// never returns certificate or key content, so each item reads its PEMs
// from environment variables named in the item: until they are set,
// certsync observes the certificate and plans nothing for it (the plan says
// it is waiting); once they hold the deployed certificate and its key, the
// plan compares serials, and the same serial is no change. The domains that
// use each certificate are listed in a comment (certsync does not manage
// domain bindings).
func (v *Vendor) Import(ctx context.Context, _ engine.ImportOptions) (*engine.ImportResult, error) {
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
	sec.Node.HeadComment = "Imported from QUANTIL. The API never returns a certificate's or key's content, so each\n" +
		"item reads them from the environment variables it names. Until they are set, certsync\n" +
		"only observes the certificate (plans say it is waiting, and nothing is uploaded); set them\n" +
		"to the deployed certificate, chain and key (or replace them with files, or with from: an\n" +
		"order of this inventory) and certsync manages it: the same serial is no change."
	sort.SliceStable(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
	seen := map[string]bool{}
	var items []*yaml.Node
	for i := range list.Items {
		c := &list.Items[i]
		if c.Name == "" || strings.Contains(c.Name, "/") || seen[c.Name] {
			res.Notes = append(res.Notes, fmt.Sprintf("quantil: certificate %s has a name the inventory cannot key it by (%q); left out", c.ID, c.Name))
			continue
		}
		seen[c.Name] = true
		m := engine.NewYAMLMap()
		k := m.Set("name", c.Name)
		k.LineComment = "certificate " + c.ID
		if s := c.serial(); s != "" {
			k.LineComment += ", serial " + s
		}
		if t, ok := c.expires(); ok {
			k.LineComment += ", expires " + t.Format("2006-01-02")
		}
		var doms []string
		for _, d := range c.Domains {
			doms = append(doms, d.Name)
		}
		if len(doms) > 0 {
			k.HeadComment = "Used by " + strings.Join(doms, ", ") + "."
		} else {
			k.HeadComment = "No domain uses it."
		}
		if names := c.names(); len(names) > 0 {
			k.HeadComment += "\nCovers " + strings.Join(names, ", ") + "."
		}
		if c.Comment != "" {
			m.Set("comment", c.Comment)
		}
		env := "QUANTIL_" + strings.Trim(envUnsafe.ReplaceAllString(strings.ToUpper(c.Name), "_"), "_")
		m.Set("certificate_env", env+"_CERT")
		m.Set("chain_env", env+"_CHAIN")
		m.Set("private_key_env", env+"_KEY").LineComment = "never printed or logged"
		items = append(items, m.Node)
	}
	sec.Set("certificates", engine.YAMLList(items...))
	res.Section = sec.Node
	return res, nil
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
