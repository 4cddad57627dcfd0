package diff

// ActionSpec describes an action: how plans show it and what it costs.
// Create, Update and Delete are built in; a vendor declares any other
// action it plans (a certificate renewal, say) in its table entry, and the
// engine attaches the declarations to each plan it makes or reads.
type ActionSpec struct {
	Action Action
	// Vendor and Kind, when set, narrow the spec to one vendor's object
	// kind (a create that is paid for orders but not for contacts);
	// otherwise it is the action's spec for every kind.
	Vendor, Kind string
	// Verb is the past participle plans print: "# ADDRESS will be VERB".
	Verb string
	// Symbol is the plan's marker: "+" adds, "~" changes in place, "-"
	// removes, "<=" reads.
	Symbol string
	// Paid means the vendor charges for it.
	Paid bool
	// Destructive means it removes or ends something that works.
	Destructive bool
	// Irreversible means it cannot be undone.
	Irreversible bool
	// Local means the action changes nothing at the vendor, only files on
	// the machine running certsync (downloading an issued certificate).
	// In CI mode such changes are listed apart and do not count (ForCI):
	// a runner lacks the files by nature.
	Local bool
}

// builtin are the generic actions every vendor may use.
var builtin = []ActionSpec{
	{Action: Create, Verb: "created", Symbol: "+"},
	{Action: Update, Verb: "updated", Symbol: "~"},
	{Action: Delete, Verb: "deleted", Symbol: "-", Destructive: true, Irreversible: true},
}

func specKey(vendor, kind string, a Action) string { return vendor + "/" + kind + "/" + string(a) }

// Describe records specs of vendor actions on the plan, for renderers and
// guards. It is not part of the plan's JSON: a saved plan is described
// again by the vendor table when it is read.
func (p *Plan) Describe(specs ...ActionSpec) {
	if p.ActionSpecs == nil {
		p.ActionSpecs = map[string]ActionSpec{}
	}
	for _, s := range specs {
		p.ActionSpecs[specKey(s.Vendor, s.Kind, s.Action)] = s
	}
}

// Spec returns the action's description for any kind: one given to
// Describe, a built-in one, or a plain one ("?" marker, the action's name
// as verb) for an action nobody described.
func (p *Plan) Spec(a Action) ActionSpec {
	if s, ok := p.ActionSpecs[specKey("", "", a)]; ok {
		return s
	}
	for _, s := range builtin {
		if s.Action == a {
			return s
		}
	}
	return ActionSpec{Action: a, Verb: string(a), Symbol: "?"}
}

// SpecOf returns the description of action a on the object at addr: the
// spec its vendor gave for that kind, else Spec(a).
func (p *Plan) SpecOf(addr Address, a Action) ActionSpec {
	if s, ok := p.ActionSpecs[specKey(addr.Vendor, addr.Kind, a)]; ok {
		return s
	}
	return p.Spec(a)
}

// Bundle is a certificate bundle one vendor's item makes available to items
// of other vendors that deploy it (a CA order's certificate, deployed on a
// CDN). The upstream vendor publishes it on its pair; downstream vendors
// read it through Artifacts and never look at the upstream's actions.
type Bundle struct {
	// CertificateFile, ChainFile and KeyFile are where the certificate,
	// its chain and its private key are (absolute paths; "" when the item
	// provides none).
	CertificateFile, ChainFile, KeyFile string
	// Serial (hex) and Expires describe the certificate on disk now, when
	// there is one.
	Serial  string
	Expires string
	// Fresh means the upstream change planned in this run may write a new
	// certificate: deploy it after that change.
	Fresh bool
	// Pending, when set, says why no usable certificate is there yet (an
	// order waiting for validation).
	Pending string
}

// Artifacts are the bundles upstream items published, by their address.
type Artifacts map[Address]*Bundle
