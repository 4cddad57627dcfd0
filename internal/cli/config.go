package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/certsync/certsync/internal/notify"
	"github.com/certsync/certsync/internal/redact"
	"github.com/certsync/certsync/internal/vendors"
)

// Config is everything certsync reads from the environment (CERTSYNC_*).
// Numbers and durations are read as text and parsed here, so that a bad
// value is refused with the variable's name and the values it accepts.
type Config struct {
	// Inventory is the default for -i.
	Inventory string `env:"INVENTORY, default=inventory.yaml"`
	// LogFormat is text or json.
	LogFormat string `env:"LOG_FORMAT, default=text"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `env:"LOG_LEVEL, default=info"`
	// StateDir holds certsync's own records and the sandbox's state. Empty
	// means .certsync beside the inventory file (see stateDir).
	StateDir string `env:"STATE_DIR"`
	// ConcurrencyText is CERTSYNC_CONCURRENCY as given; see Concurrency.
	ConcurrencyText string `env:"CONCURRENCY, default=4"`
	// SandboxLatencyText is CERTSYNC_SANDBOX_LATENCY as given; see
	// SandboxLatency.
	SandboxLatencyText string `env:"SANDBOX_LATENCY"`
	// NotifyURL is the webhook URL, or a comma-separated list of them,
	// that receives notifications; see NotifyURLs.
	NotifyURL string `env:"NOTIFY_URL"`

	// Concurrency bounds how many changes apply runs at once (1 or more).
	Concurrency int
	// SandboxLatency slows every simulator request, to see (and test) what a
	// slow vendor does to a run.
	SandboxLatency time.Duration
	// NotifyURLs are the checked webhook URLs (notify.ParseURLs); none
	// means notifications are off.
	NotifyURLs []string

	// Vendors are the vendors' settings, read by vendors.LoadConfig.
	Vendors vendors.Config
}

// ErrSetting wraps every refused setting.
var ErrSetting = errors.New("bad setting")

func loadConfig(ctx context.Context, lookup envconfig.Lookuper) (*Config, error) {
	var c Config
	if err := envconfig.ProcessWith(ctx, &envconfig.Config{
		Target:   &c,
		Lookuper: envconfig.PrefixLookuper("CERTSYNC_", lookup),
	}); err != nil {
		return nil, settingError(err, reflect.TypeOf(c), "CERTSYNC_")
	}
	n, err := strconv.Atoi(strings.TrimSpace(c.ConcurrencyText))
	if err != nil || n < 1 {
		return nil, fmt.Errorf("%w: CERTSYNC_CONCURRENCY=%q: want a whole number of changes applied at once, 1 or more (default 4)", ErrSetting, c.ConcurrencyText)
	}
	c.Concurrency = n
	if s := strings.TrimSpace(c.SandboxLatencyText); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("%w: CERTSYNC_SANDBOX_LATENCY=%q: want a duration of 0 or more, such as 200ms or 2s", ErrSetting, c.SandboxLatencyText)
		}
		c.SandboxLatency = d
	}
	if c.NotifyURLs, err = notify.ParseURLs(c.NotifyURL); err != nil {
		// The error names the entry by position and host: the URL holds
		// the webhook's token.
		return nil, fmt.Errorf("%w: %w (want one https:// URL or a comma-separated list)", ErrSetting, err)
	}
	v, err := vendors.LoadConfig(ctx, lookup)
	if err != nil {
		for _, e := range vendors.All() {
			if rest, ok := strings.CutPrefix(err.Error(), e.Name+": "); ok {
				return nil, settingError(errors.New(rest), reflect.TypeOf(e.NewConfig()), vendors.EnvPrefix(e.Name))
			}
		}
		return nil, fmt.Errorf("%w: %w", ErrSetting, err)
	}
	c.Vendors = v
	return &c, nil
}

// settingError rewords an error of envconfig ("Field: parse error") with
// the variable's name and what it accepts, found from the struct's tags.
func settingError(err error, t reflect.Type, prefix string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	field, detail, ok := strings.Cut(err.Error(), ": ")
	if ok && t.Kind() == reflect.Struct {
		if f, found := t.FieldByName(field); found {
			name, _, _ := strings.Cut(f.Tag.Get("env"), ",")
			if name = strings.TrimSpace(name); name != "" {
				return fmt.Errorf("%w: %s%s: %s (%s)", ErrSetting, prefix, name, detail, accepted(f.Type))
			}
		}
	}
	return fmt.Errorf("%w: %w", ErrSetting, err)
}

// accepted says in words what a setting of type t accepts.
func accepted(t reflect.Type) string {
	switch {
	case t == reflect.TypeOf(time.Duration(0)):
		return "want a duration such as 500ms, 5s, 2m or 1h30m"
	case t.Kind() == reflect.Bool:
		return "want true or false"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "want a whole number"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return "want a number"
	}
	return "see README.md, Settings"
}

// stateDir is where certsync keeps its records for the inventory at
// invFile: CERTSYNC_STATE_DIR when set, else .certsync beside the
// inventory, so that a run from another working directory (a cron job,
// a CI step) finds the same state.
func (c *Config) stateDir(invFile string) string {
	if c.StateDir != "" {
		return c.StateDir
	}
	if invFile == "" {
		invFile = c.Inventory
	}
	return filepath.Join(filepath.Dir(invFile), ".certsync")
}

// secrets lists the configured secrets, for the redactor: the vendors'
// and the webhook URLs (which carry their own token).
func (c *Config) secrets() []string {
	return append(c.Vendors.Secrets(), c.NotifyURLs...)
}

func newLogger(c *Config, w io.Writer, r *redact.Redactor) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("%w: CERTSYNC_LOG_LEVEL=%q: want debug, info, warn or error", ErrSetting, c.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	out := r.Writer(w)
	switch strings.ToLower(c.LogFormat) {
	case "text", "":
		return slog.New(slog.NewTextHandler(out, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(out, opts)), nil
	}
	return nil, fmt.Errorf("%w: CERTSYNC_LOG_FORMAT=%q: want text or json", ErrSetting, c.LogFormat)
}

// jsonLogs reports whether logs are JSON (CERTSYNC_LOG_FORMAT=json).
func (c *Config) jsonLogs() bool { return strings.EqualFold(c.LogFormat, "json") }

// EnvNames lists every environment variable certsync reads, from the
// Config struct's tags, so that deployment files can be checked against it.
func EnvNames() []string {
	var out []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("env")
			name, opts, _ := strings.Cut(tag, ",")
			name = strings.TrimSpace(name)
			if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(time.Duration(0)) {
				p := prefix
				for _, o := range strings.Split(opts, ",") {
					if v, ok := strings.CutPrefix(strings.TrimSpace(o), "prefix="); ok {
						p += v
					}
				}
				walk(f.Type, p)
				continue
			}
			if name != "" {
				out = append(out, "CERTSYNC_"+prefix+name)
			}
		}
	}
	walk(reflect.TypeOf(Config{}), "")
	out = append(out, vendors.EnvNames()...)
	sort.Strings(out)
	return out
}
