// Package cli is certsync's command line: flags, wiring of inventory, diff,
// apply and the vendors, and exit codes. cmd/certsync only calls Main, so the
// whole program can be driven from tests in-process.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/sethvargo/go-envconfig"
	"golang.org/x/term"

	"github.com/certsync/certsync/internal/inventory"
	"github.com/certsync/certsync/internal/metrics"
	"github.com/certsync/certsync/internal/redact"
	"github.com/certsync/certsync/internal/vendors"
)

// Exit codes: 0 success (nothing to change), 1 error, 2 changes pending (plan --detailed-exitcode).
const (
	ExitOK      = 0
	ExitError   = 1
	ExitChanges = 2
)

// Version is set at build time with -ldflags "-X ...cli.Version=...".
var Version = "dev"

// IO is the program's outside world, replaceable in tests.
type IO struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Lookup reads environment variables; nil means the process environment.
	Lookup envconfig.Lookuper
	// HTTP is the client vendors use; nil means a default client.
	HTTP *http.Client
	// Terminal reports whether a stream is an interactive terminal; nil
	// checks *os.File streams with x/term.
	Terminal func(any) bool
}

type app struct {
	io       IO
	cfg      *Config
	log      *slog.Logger
	redactor *redact.Redactor
	stdout   io.Writer // redacted
	stderr   io.Writer // redacted
	now      func() time.Time
	command  string           // the subcommand, for the lock's holder line
	metrics  *metrics.Metrics // set in run mode
}

const usage = `certsync makes certificate vendors match a YAML inventory.

Usage:
  certsync validate [-i FILE | FILE]
  certsync plan     [-i FILE | FILE] [-o text|json|markdown] [--out PLANFILE] [--detailed-exitcode]
                    [--target KIND/NAME ...] [--sandbox]
  certsync apply    [-i FILE | PLANFILE] [--auto-approve] [--target KIND/NAME ...] [--sandbox]
  certsync run      --schedule CRON [-i FILE] [--apply] [--sandbox] [--metrics-addr ADDR] [--no-initial-run]
  certsync sandbox  [--listen ADDR] [--state DIR] [-i FILE]
  certsync import   [--sandbox] [--vendor NAME ...] [--ca-owner NAME] [--pem-dir DIR] [--out FILE]
                    [--files DIR] [--force]
  certsync ccadb-login
  certsync schema
  certsync version

Exit codes: 0 success (with --detailed-exitcode: no changes), 1 error,
2 changes pending (--detailed-exitcode only).
Configuration comes from CERTSYNC_* environment variables; see README.md.
`

// Main runs certsync with args (without the program name) and returns the
// exit code.
func Main(ctx context.Context, args []string, sys IO) int {
	if sys.Lookup == nil {
		sys.Lookup = envconfig.OsLookuper()
	}
	if sys.Terminal == nil {
		sys.Terminal = isTerminal
	}
	r := &redact.Redactor{}
	a := &app{io: sys, redactor: r, stdout: r.Writer(sys.Stdout), stderr: r.Writer(sys.Stderr), now: time.Now}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(a.stdout, usage)
		return ExitOK
	}
	cfg, err := loadConfig(ctx, sys.Lookup)
	if err != nil {
		fmt.Fprintln(a.stderr, "error:", err)
		return ExitError
	}
	r.Add(cfg.secrets()...)
	a.cfg = cfg
	if a.log, err = newLogger(cfg, sys.Stderr, r); err != nil {
		fmt.Fprintln(a.stderr, "error:", err)
		return ExitError
	}
	cmd, rest := args[0], args[1:]
	a.command = cmd
	var code int
	switch cmd {
	case "validate":
		code, err = a.validate(ctx, rest)
	case "plan":
		code, err = a.plan(ctx, rest)
	case "apply":
		code, err = a.apply(ctx, rest)
	case "run":
		code, err = a.run(ctx, rest)
	case "sandbox":
		code, err = a.sandbox(ctx, rest)
	case "ccadb-login":
		code, err = a.ccadbLogin(ctx, rest)
	case "import":
		code, err = a.importCmd(ctx, rest)
	case "schema":
		_, err = a.io.Stdout.Write(inventory.SchemaJSON(vendors.Sections()))
		if err != nil {
			return ExitError
		}
		return ExitOK
	case "version":
		fmt.Fprintln(a.stdout, "certsync", Version)
		return ExitOK
	default:
		fmt.Fprintf(a.stderr, "error: unknown command %q\n\n%s", cmd, usage)
		return ExitError
	}
	if err != nil {
		if !errors.Is(err, errReported) {
			fmt.Fprintln(a.stderr, "error:", err)
		}
		if code == ExitOK {
			code = ExitError
		}
	}
	return code
}

// errReported means the command has already printed what went wrong.
var errReported = errors.New("reported")

func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	return ok && term.IsTerminal(int(file.Fd()))
}

// parseFlags parses flags and positional arguments in any order (the flag
// package stops at the first positional one).
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func (a *app) flagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	return fs
}
