package quantil

import (
	"crypto/x509"

	"github.com/certsync/certsync/internal/inventory"
)

// Section is the `quantil` section: SSL certificates on the QUANTIL CDN.
type Section struct {
	Pos          inventory.Pos
	Certificates []CertificateItem `yaml:"certificates"`
}

// CertificateItem is one certificate on the CDN, keyed by its name (unique
// per account). Each of certificate, chain and private key comes from a
// file, an environment variable, or the item named by From.
type CertificateItem struct {
	Pos     inventory.Pos
	Name    inventory.String `yaml:"name"`
	Comment inventory.String `yaml:"comment"`
	// From is the address of an item of another vendor that publishes a
	// certificate bundle, e.g. markmonitor/order/www: its certificate,
	// chain and private key (from its output files) are deployed, and the
	// plan orders this certificate after that item's change.
	From           inventory.String `yaml:"from"`
	Certificate    inventory.String `yaml:"certificate"`
	CertificateEnv inventory.String `yaml:"certificate_env"`
	Chain          inventory.String `yaml:"chain"`
	ChainEnv       inventory.String `yaml:"chain_env"`
	PrivateKey     inventory.String `yaml:"private_key"`
	PrivateKeyEnv  inventory.String `yaml:"private_key_env"`
	// Domains are CDN domains of the account that must serve this
	// certificate: apply binds those that do not, moving them from whatever
	// certificate they served. Domains not listed are left as they are.
	Domains inventory.Strings `yaml:"domains"`
	// State is "present" (default) or "absent"; absent deletes the
	// certificate, which is the only way certsync deletes one.
	State inventory.String `yaml:"state"`

	// checked is the leaf the offline check read and verified with its
	// key and chain, for an item whose sources are all its own (no from):
	// observe compares it without reading or verifying anything again,
	// unless the certificate's source changed since.
	checked *checkedLeaf
}

// checkedLeaf is a verified leaf and the state of its source when read.
type checkedLeaf struct {
	leaf *x509.Certificate
	// stamp identifies the source's content cheaply: size and modification
	// time of a file, the value of an environment variable.
	stamp string
}

// PEMSource says where one PEM comes from; exactly one field is set.
type PEMSource struct {
	// File is an absolute path.
	File string
	// Env is an environment variable name.
	Env string
}

// Sources are the resolved sources of a CDN certificate.
type Sources struct {
	Certificate, Chain, Key PEMSource
	// From is the address of the item the files come from, or "".
	From string
}

// SourcesOf resolves where c's certificate, chain and key come from. A
// from supplies the item's certificate and chain files and its key file;
// explicit fields win over it.
func SourcesOf(inv *inventory.Inventory, c *CertificateItem) Sources {
	var s Sources
	if c.From.Value != "" {
		s.From = c.From.Value
		if f, err := inv.Bundle(c.From.Value); err == nil {
			s.Certificate.File, s.Chain.File, s.Key.File = f.Certificate, f.Chain, f.Key
		}
	}
	set := func(dst *PEMSource, file, env inventory.String) {
		switch {
		case file.Value != "":
			*dst = PEMSource{File: inv.Resolve(file)}
		case env.Value != "":
			*dst = PEMSource{Env: env.Value}
		}
	}
	set(&s.Certificate, c.Certificate, c.CertificateEnv)
	set(&s.Chain, c.Chain, c.ChainEnv)
	set(&s.Key, c.PrivateKey, c.PrivateKeyEnv)
	return s
}

// Spec is the section's entry for inventory.Parse.
func Spec() inventory.SectionSpec {
	return inventory.SectionSpec{Key: Name, New: func() inventory.Section { return &Section{} }, Schema: inventory.SchemaHints{
		Required: map[string][]string{"quantil.certificates[]": {"name"}},
		Docs: map[string]string{
			"quantil":                        "SSL certificates on the QUANTIL CDN.",
			"quantil.certificates[].from":    "Address of an item that publishes a certificate bundle, e.g. markmonitor/order/www: deploy its certificate, chain and key.",
			"quantil.certificates[].state":   "present (default), or absent: only then does certsync delete it.",
			"quantil.certificates[].domains": "CDN domains that must serve this certificate; apply binds them (moving them from another certificate).",
		},
		Enums: []inventory.Enum{{Suffix: "certificates[].state", Values: CertificateStates}},
	}}
}

// SectionOf returns the inventory's quantil section, or nil.
func SectionOf(inv *inventory.Inventory) *Section {
	s, _ := inv.Section(Name).(*Section)
	return s
}
