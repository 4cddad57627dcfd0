// Package vendors wires the vendor packages to the core: one explicit table
// from vendor name to constructor, with no init() registration, so that the
// set of vendors is visible here and nowhere else. Vendor packages import the
// core (inventory, diff, apply); they never import each other or this package.
package vendors

import (
	"log/slog"
	"net/http"
	"path/filepath"
	"reflect"
	"time"

	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/engine"
	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/redact"
	"github.com/certsync/certsync/internal/state"
	"github.com/certsync/certsync/internal/vendors/ccadb"
	"github.com/certsync/certsync/internal/vendors/markmonitor"
	"github.com/certsync/certsync/internal/vendors/quantil"
)

// Config holds every vendor's settings, read from CERTSYNC_<VENDOR>_*.
type Config struct {
	CCADB       ccadb.Config       `env:", prefix=CCADB_"`
	Markmonitor markmonitor.Config `env:", prefix=MARKMONITOR_"`
	Quantil     quantil.Config     `env:", prefix=QUANTIL_"`
}

// Secrets lists every configured secret, for the redactor: the value of
// each string field tagged `secret:"true"` in any vendor's Config. A new
// secret setting needs only the tag.
func (c Config) Secrets() []string {
	var out []string
	walkSecrets(reflect.ValueOf(c), &out)
	return out
}

func walkSecrets(v reflect.Value, out *[]string) {
	if v.Kind() != reflect.Struct {
		return
	}
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		switch {
		case f.Type.Kind() == reflect.Struct:
			walkSecrets(v.Field(i), out)
		case f.Tag.Get("secret") == "true" && f.Type.Kind() == reflect.String:
			if s := v.Field(i).String(); s != "" {
				*out = append(*out, s)
			}
		}
	}
}

// Deps are shared by all vendors of a run.
type Deps struct {
	HTTP     *http.Client
	Log      *slog.Logger
	Redactor *redact.Redactor
	// StateDir is where vendors keep what they must remember between runs.
	StateDir string
	// Instrument, if set, wraps each vendor's transport (metrics).
	Instrument func(vendor string, rt http.RoundTripper) http.RoundTripper
}

// client returns the HTTP client a vendor uses: Deps.HTTP, instrumented.
// Nil lets the vendor pick its own default.
func (d Deps) client(vendor string) *http.Client {
	if d.Instrument == nil {
		return d.HTTP
	}
	c := &http.Client{Timeout: 2 * time.Minute}
	if d.HTTP != nil {
		copied := *d.HTTP
		c = &copied
	}
	c.Transport = d.Instrument(vendor, c.Transport)
	return c
}

// Entry describes one vendor.
type Entry struct {
	// Name is the vendor's key: the inventory section and address prefix.
	Name string
	// Capabilities lists, per object kind, the actions the vendor can plan.
	Capabilities map[string][]diff.Action
	// Actions describes the vendor's actions beyond create, update and
	// delete: how plans show them, whether they are paid, destructive or
	// irreversible.
	Actions []diff.ActionSpec
	// Section reads and checks the vendor's part of the inventory.
	Section inventory.SectionSpec
	// New builds the vendor; it checks its settings and sends nothing.
	New func(Config, Deps) (engine.Vendor, error)
	// Sandbox starts the vendor's simulator with its state in dir, for
	// --sandbox and `certsync sandbox`.
	Sandbox func(dir string, inv *inventory.Inventory) (*Sim, error)
}

// All returns the vendor table, in the order plans list vendors.
func All() []Entry {
	return []Entry{
		{
			Name:         ccadb.Name,
			Capabilities: ccadb.Capabilities,
			Section:      ccadb.Spec(),
			New: func(c Config, d Deps) (engine.Vendor, error) {
				st, err := state.Open(d.StateDir, ccadb.Name)
				if err != nil {
					return nil, err
				}
				return ccadb.New(c.CCADB, ccadb.Deps{HTTP: d.client(ccadb.Name), Log: d.Log.With("vendor", ccadb.Name), Redactor: d.Redactor, State: st})
			},
			Sandbox: ccadbSandbox,
		},
		{
			Name:         markmonitor.Name,
			Capabilities: markmonitor.Capabilities,
			Actions:      markmonitor.Actions,
			Section:      markmonitor.Spec(),
			New: func(c Config, d Deps) (engine.Vendor, error) {
				return markmonitor.New(c.Markmonitor, markmonitor.Deps{HTTP: d.client(markmonitor.Name), Log: d.Log.With("vendor", markmonitor.Name), Redactor: d.Redactor})
			},
			Sandbox: markmonitorSandbox,
		},
		{
			Name:         quantil.Name,
			Capabilities: quantil.Capabilities,
			Section:      quantil.Spec(),
			New: func(c Config, d Deps) (engine.Vendor, error) {
				return quantil.New(c.Quantil, quantil.Deps{HTTP: d.client(quantil.Name), Log: d.Log.With("vendor", quantil.Name), Redactor: d.Redactor})
			},
			Sandbox: quantilSandbox,
		},
	}
}

// Used reports whether the inventory has anything for this vendor: an item
// in its section.
func (e Entry) Used(inv *inventory.Inventory) bool { return inv.SectionItems(e.Name) > 0 }

// Sections returns every vendor's inventory section, in table order, for
// inventory.Load and inventory.Schema.
func Sections() []inventory.SectionSpec {
	var out []inventory.SectionSpec
	for _, e := range All() {
		out = append(out, e.Section)
	}
	return out
}

// StatePath returns the directory a run keeps vendor state in: dir itself, or
// dir/sandbox for the simulators, so sandbox runs never mix with real ones.
func StatePath(dir string, sandbox bool) string {
	if sandbox {
		return filepath.Join(dir, "sandbox")
	}
	return dir
}

// Member makes the entry, with the vendor built from it, a member of an
// engine run.
func (e Entry) Member(v engine.Vendor) engine.Member {
	return engine.Member{Name: e.Name, Capabilities: e.Capabilities, Actions: e.Actions, Vendor: v}
}

// Describe attaches every vendor's action specs to a plan, for renderers
// (a saved plan read back, for one).
func Describe(p *diff.Plan) {
	for _, e := range All() {
		p.Describe(e.Actions...)
	}
}
