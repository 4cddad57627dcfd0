// Package vendors wires the vendor packages to the core: one explicit table
// from vendor name to constructor, with no init() registration, so that the
// set of vendors is visible here and nowhere else. Vendor packages import the
// core (inventory, diff, apply, engine, sim); they never import each other or
// this package.
package vendors

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/certsync/certsync/internal/diff"
	"github.com/certsync/certsync/internal/engine"
	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/redact"
	"github.com/certsync/certsync/internal/sim"
	"github.com/certsync/certsync/internal/state"
	"github.com/certsync/certsync/internal/vendors/ccadb"
	"github.com/certsync/certsync/internal/vendors/markmonitor"
	"github.com/certsync/certsync/internal/vendors/quantil"
)

// Config holds every vendor's settings by vendor name: a pointer to the
// vendor's own Config struct, read from CERTSYNC_<NAME>_* by its env tags.
type Config map[string]any

// LoadConfig reads every vendor's settings through lookup (the process
// environment, or a test's map).
func LoadConfig(ctx context.Context, lookup envconfig.Lookuper) (Config, error) {
	c := Config{}
	for _, e := range All() {
		cfg := e.NewConfig()
		if err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: cfg, Lookuper: envconfig.PrefixLookuper(EnvPrefix(e.Name), lookup)}); err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name, err)
		}
		c[e.Name] = cfg
	}
	return c, nil
}

// EnvPrefix is the prefix of a vendor's environment variables:
// CERTSYNC_<NAME>_.
func EnvPrefix(vendor string) string { return "CERTSYNC_" + strings.ToUpper(vendor) + "_" }

// Fresh returns every vendor's Config with zero values.
func Fresh() Config {
	c := Config{}
	for _, e := range All() {
		c[e.Name] = e.NewConfig()
	}
	return c
}

// Clone copies c, each vendor's Config too, so that the copy can be
// changed (pointed at the sandbox) without touching c.
func (c Config) Clone() Config {
	out := Config{}
	for k, v := range c {
		p := reflect.New(reflect.TypeOf(v).Elem())
		p.Elem().Set(reflect.ValueOf(v).Elem())
		out[k] = p.Interface()
	}
	return out
}

// ConfigOf returns the settings of the vendor name, or C's zero value.
func ConfigOf[C any](c Config, name string) C {
	if p, ok := c[name].(*C); ok {
		return *p
	}
	var zero C
	return zero
}

// Secrets lists every configured secret, for the redactor: the value of
// each string field tagged `secret:"true"` in any vendor's Config. A new
// secret setting needs only the tag.
func (c Config) Secrets() []string {
	var out []string
	for _, e := range All() {
		if v, ok := c[e.Name]; ok {
			walkSecrets(reflect.ValueOf(v).Elem(), &out)
		}
	}
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
	// NewConfig returns a pointer to the vendor's zero Config.
	NewConfig func() any
	// New builds the vendor from its settings in c; it checks them and
	// sends nothing.
	New func(c Config, d Deps) (engine.Vendor, error)
	// Sandbox starts the vendor's simulator with its state in dir, for
	// --sandbox and `certsync sandbox`.
	Sandbox func(dir string, inv *inventory.Inventory) (*sim.Sandbox, error)
}

// Def is a vendor's line in the table, typed by its Config C.
type Def[C any] struct {
	Name         string
	Capabilities map[string][]diff.Action
	Actions      []diff.ActionSpec
	Section      inventory.SectionSpec
	New          func(cfg C, d Deps) (engine.Vendor, error)
	Sandbox      func(dir string, inv *inventory.Inventory) (*sim.Sandbox, error)
}

// Entry makes the definition a table entry.
func (d Def[C]) Entry() Entry {
	return Entry{
		Name: d.Name, Capabilities: d.Capabilities, Actions: d.Actions, Section: d.Section, Sandbox: d.Sandbox,
		NewConfig: func() any { return new(C) },
		New:       func(c Config, deps Deps) (engine.Vendor, error) { return d.New(ConfigOf[C](c, d.Name), deps) },
	}
}

// All returns the vendor table, in the order plans list vendors.
func All() []Entry {
	return []Entry{
		Def[ccadb.Config]{Name: ccadb.Name, Capabilities: ccadb.Capabilities, Section: ccadb.Spec(), New: newCCADB, Sandbox: ccadb.Sandbox}.Entry(),
		Def[markmonitor.Config]{Name: markmonitor.Name, Capabilities: markmonitor.Capabilities, Actions: markmonitor.Actions, Section: markmonitor.Spec(), New: newMarkmonitor, Sandbox: markmonitor.Sandbox}.Entry(),
		Def[quantil.Config]{Name: quantil.Name, Capabilities: quantil.Capabilities, Section: quantil.Spec(), New: newQuantil, Sandbox: quantil.Sandbox}.Entry(),
	}
}

func newCCADB(c ccadb.Config, d Deps) (engine.Vendor, error) {
	st, err := state.Open(d.StateDir, ccadb.Name)
	if err != nil {
		return nil, err
	}
	return ccadb.New(c, ccadb.Deps{HTTP: d.client(ccadb.Name), Log: d.Log.With("vendor", ccadb.Name), Redactor: d.Redactor, State: st})
}

func newMarkmonitor(c markmonitor.Config, d Deps) (engine.Vendor, error) {
	st, err := state.Open(d.StateDir, markmonitor.Name)
	if err != nil {
		return nil, err
	}
	return markmonitor.New(c, markmonitor.Deps{HTTP: d.client(markmonitor.Name), Log: d.Log.With("vendor", markmonitor.Name), Redactor: d.Redactor, State: st})
}

func newQuantil(c quantil.Config, d Deps) (engine.Vendor, error) {
	return quantil.New(c, quantil.Deps{HTTP: d.client(quantil.Name), Log: d.Log.With("vendor", quantil.Name), Redactor: d.Redactor})
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
