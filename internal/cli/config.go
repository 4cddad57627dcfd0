package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/certsync/certsync/internal/redact"
	"github.com/certsync/certsync/internal/vendors"
)

// Config is everything certsync reads from the environment (CERTSYNC_*).
type Config struct {
	// Inventory is the default for -i.
	Inventory string `env:"INVENTORY, default=inventory.yaml"`
	// LogFormat is text or json.
	LogFormat string `env:"LOG_FORMAT, default=text"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `env:"LOG_LEVEL, default=info"`
	// StateDir holds certsync's own records and the sandbox's state.
	StateDir string `env:"STATE_DIR, default=.certsync"`
	// Concurrency bounds how many changes apply runs at once.
	Concurrency int `env:"CONCURRENCY, default=4"`
	// SandboxLatency slows every simulator request, to see (and test) what a
	// slow vendor does to a run.
	SandboxLatency time.Duration `env:"SANDBOX_LATENCY"`

	// Vendors are the vendors' settings, read by vendors.LoadConfig.
	Vendors vendors.Config
}

func loadConfig(ctx context.Context, lookup envconfig.Lookuper) (*Config, error) {
	var c Config
	if err := envconfig.ProcessWith(ctx, &envconfig.Config{
		Target:   &c,
		Lookuper: envconfig.PrefixLookuper("CERTSYNC_", lookup),
	}); err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	v, err := vendors.LoadConfig(ctx, lookup)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	c.Vendors = v
	return &c, nil
}

// secrets lists the configured secrets, for the redactor.
func (c *Config) secrets() []string {
	return c.Vendors.Secrets()
}

func newLogger(c *Config, w io.Writer, r *redact.Redactor) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("CERTSYNC_LOG_LEVEL=%q: want debug, info, warn or error", c.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	out := r.Writer(w)
	switch strings.ToLower(c.LogFormat) {
	case "text", "":
		return slog.New(slog.NewTextHandler(out, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(out, opts)), nil
	}
	return nil, fmt.Errorf("CERTSYNC_LOG_FORMAT=%q: want text or json", c.LogFormat)
}

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
