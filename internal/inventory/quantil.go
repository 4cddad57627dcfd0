package inventory

// Quantil is the `quantil` section: SSL certificates on the QUANTIL CDN.
type Quantil struct {
	Pos          Pos
	Certificates []QCertificate `yaml:"certificates"`
}

// QCertificate is one certificate on the CDN, keyed by its name (unique per
// account). Each of certificate, chain and private key comes from a file,
// an environment variable, or the Markmonitor order named by FromOrder.
type QCertificate struct {
	Pos     Pos
	Name    String `yaml:"name"`
	Comment String `yaml:"comment"`
	// FromOrder names a markmonitor.orders[] item: its issued certificate,
	// chain and private key (from its output files) are deployed, and the
	// plan orders this certificate after that order.
	FromOrder      String `yaml:"from_order"`
	Certificate    String `yaml:"certificate"`
	CertificateEnv String `yaml:"certificate_env"`
	Chain          String `yaml:"chain"`
	ChainEnv       String `yaml:"chain_env"`
	PrivateKey     String `yaml:"private_key"`
	PrivateKeyEnv  String `yaml:"private_key_env"`
	// State is "present" (default) or "absent"; absent deletes the
	// certificate, which is the only way certsync deletes one.
	State String `yaml:"state"`
}

// PEMSource says where one PEM comes from; exactly one field is set.
type PEMSource struct {
	// File is an absolute path.
	File string
	// Env is an environment variable name.
	Env string
}

// QSources are the resolved sources of a CDN certificate.
type QSources struct {
	Certificate, Chain, Key PEMSource
	// Order is the Markmonitor order the files come from, or "".
	Order string
}

// Sources resolves where c's certificate, chain and key come from. A
// from_order supplies the order's certificate and chain output files and its
// private key file; explicit fields win over it.
func (inv *Inventory) Sources(c *QCertificate) QSources {
	var s QSources
	if c.FromOrder.Value != "" {
		s.Order = c.FromOrder.Value
		if o := inv.MMOrder(c.FromOrder.Value); o != nil {
			s.Certificate.File = inv.Resolve(o.Output.Certificate)
			s.Chain.File = inv.Resolve(o.Output.Chain)
			s.Key.File = o.KeyPath
		}
	}
	set := func(dst *PEMSource, file, env String) {
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

// OrderItem names the item a from_order refers to, as plans address it
// (vendor, kind, name): from_order is a markmonitor.orders[] name.
func OrderItem(order string) (vendor, kind, name string) {
	return "markmonitor", "order", order
}

// MMOrder returns the Markmonitor order item with that name, or nil.
func (inv *Inventory) MMOrder(name string) *MMOrder {
	if inv.Markmonitor == nil {
		return nil
	}
	for i := range inv.Markmonitor.Orders {
		if inv.Markmonitor.Orders[i].Name.Value == name {
			return &inv.Markmonitor.Orders[i]
		}
	}
	return nil
}
