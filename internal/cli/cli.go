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
	"github.com/certsync/certsync/internal/notify"
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
	// notes collects this run's notifications (nil: notifications off);
	// `run` replaces it for each scheduled run, one at a time.
	notes *notify.Notifier
	// format is apply's -o: text or json.
	format string
}

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
	switch {
	case len(args) == 0 || (len(args) == 1 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help")):
		fmt.Fprint(a.stdout, usage)
		return ExitOK
	case args[0] == "help":
		args = []string{args[1], "-h"}
	case args[0] == "--version" || args[0] == "-version":
		args = []string{"version"}
	}
	cmd, rest := args[0], args[1:]
	a.command = cmd
	if wantsHelp(rest) || cmd == "version" || cmd == "schema" {
		// Help, the version and the schema work whatever the settings
		// say: nothing reads them before the flags are parsed.
		a.cfg, a.log = &Config{Inventory: "inventory.yaml"}, slog.New(slog.DiscardHandler)
	} else {
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
	}
	// One Notifier per command that talks to vendors; `run` makes its own
	// per scheduled run.
	if cmd == "plan" || cmd == "apply" || cmd == "run" {
		a.notes = a.newNotifier()
	}
	var code int
	var err error
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
		code, err = a.schema(rest)
	case "version":
		code, err = a.version(rest)
	default:
		fmt.Fprintf(a.stderr, "error: unknown command %q\n\n%s", cmd, usage)
		return ExitError
	}
	if errors.Is(err, errHelp) {
		return ExitOK
	}
	if err != nil {
		if !errors.Is(err, errReported) {
			fmt.Fprintln(a.stderr, "error:", err)
		}
		if code == ExitOK {
			code = ExitError
		}
	}
	a.finishRun(ctx, a.notes, err)
	return code
}

func (a *app) schema(args []string) (int, error) {
	pos, err := a.parse(a.flagSet("schema"), args)
	if err != nil {
		return ExitError, err
	}
	if err := noArgs("schema", pos); err != nil {
		return ExitError, err
	}
	if _, err := a.io.Stdout.Write(inventory.SchemaJSON(vendors.Sections())); err != nil {
		return ExitError, err
	}
	return ExitOK, nil
}

func (a *app) version(args []string) (int, error) {
	pos, err := a.parse(a.flagSet("version"), args)
	if err != nil {
		return ExitError, err
	}
	if err := noArgs("version", pos); err != nil {
		return ExitError, err
	}
	fmt.Fprintln(a.stdout, "certsync", version())
	return ExitOK, nil
}

// errReported means the command has already printed what went wrong (it
// may be wrapped with a one-line summary, for notifications).
var errReported = errors.New("see above")

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

// flagSet is a command's flags. Its usage text is printed by parse (to
// stdout, on -h): the flag package only reports a bad flag, to stderr.
func (a *app) flagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	fs.Usage = func() {}
	return fs
}
